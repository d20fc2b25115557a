"""Callbacks that ``fit`` calls at the end of every epoch: early stopping and checkpointing."""
from __future__ import annotations

import math
import os

import numpy as np


class Callback:
    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict) -> None: ...

    def on_train_end(self) -> None: ...


def _is_better(monitor: str, value: float, best: float, min_delta: float) -> bool:
    # Losses improve downwards, accuracies upwards.
    if "acc" in monitor:
        return value > best + min_delta
    return value < best - min_delta


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
    """Save the model (atomically) after every epoch, or only when ``monitor`` improves."""

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss", save_best_only: bool = False) -> None:
        self.path, self.monitor, self.save_best_only = path, monitor, save_best_only

    def on_train_begin(self):
        self.best = -np.inf if "acc" in self.monitor else np.inf

    def on_epoch_end(self, epoch, logs):
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None or not _is_better(self.monitor, value, self.best, 0.0):
                return
            self.best = value
        self.model.save(self.path, metadata={"epoch": epoch + 1, "logs": logs})
