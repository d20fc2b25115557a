"""Callbacks that ``fit`` calls at the end of every epoch: early stopping and checkpointing."""
from __future__ import annotations

import math
import os
import time

import numpy as np


class Callback:
    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self) -> None: ...

    def on_batch_end(self, epoch: int, step: int) -> None:
        """After every optimiser step (keep it cheap: it runs thousands of times an epoch)."""

    def add_metrics(self, epoch: int, logs: dict) -> None:
        """Add figures to this epoch's ``logs`` before they are printed and kept in the history."""

    def on_epoch_end(self, epoch: int, logs: dict) -> None: ...

    def on_train_end(self) -> None: ...


def _is_better(monitor: str, value: float, best: float, min_delta: float) -> bool:
    # Losses improve downwards, accuracies upwards.
    if "acc" in monitor:
        return value > best + min_delta
    return value < best - min_delta


class ExtraValidation(Callback):
    """Evaluate on one more labelled set after every epoch, logged as ``val_<name>_loss`` and
    ``val_<name>_accuracy``: e.g. a second data set whose figure should be followed separately."""

    def __init__(self, name: str, x, y) -> None:
        self.name, self.x, self.y = name, x, y

    def add_metrics(self, epoch, logs):
        logs.update({f"val_{self.name}_{k}": v for k, v in self.model.evaluate(self.x, self.y).items()})


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; by default put back
    the weights of the best epoch, so the model you keep is the best one seen."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best_weights: bool = True) -> None:
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self):
        self.best = -math.inf if "acc" in self.monitor else math.inf
        self.best_epoch, self.wait, self.best_weights, self.stopped_epoch = None, 0, None, None

    def on_epoch_end(self, epoch, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but the epoch logs hold only {sorted(logs)}"
                           " (val_* needs validation_data or validation_split)")
        value = logs[self.monitor]
        if _is_better(self.monitor, value, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True

    def on_train_end(self):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (atomically) after every epoch, or only when ``monitor`` improves; with
    ``every_seconds``, also in the middle of an epoch whenever that much time has passed, so a
    killed run loses minutes, not a whole epoch."""

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss", save_best_only: bool = False,
                 every_seconds: float | None = None) -> None:
        self.path, self.monitor, self.save_best_only = path, monitor, save_best_only
        self.every_seconds = every_seconds

    def on_train_begin(self):
        self.best = -np.inf if "acc" in self.monitor else np.inf
        self.last_save = time.monotonic()

    def on_batch_end(self, epoch, step):
        if self.every_seconds is not None and time.monotonic() - self.last_save >= self.every_seconds:
            self.model.save(self.path, metadata={"epoch": epoch, "step": step + 1})
            self.last_save = time.monotonic()

    def on_epoch_end(self, epoch, logs):
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None or not _is_better(self.monitor, value, self.best, 0.0):
                return
            self.best = value
        self.model.save(self.path, metadata={"epoch": epoch + 1, "logs": logs})
        self.last_save = time.monotonic()
