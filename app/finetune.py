"""Fine-tune a personal copy of a model on the user's drawings, without forgetting MNIST.

No display here: the window runs ``fine_tune`` in a background thread and ``ModelManager.py
finetune`` runs it in the foreground. The recipe:

1. split the drawings: every fifth one (at least one per digit that has two or more) is held
   out to measure the personal accuracy before and after;
2. train on the rest, each drawing augmented into ``variants`` slightly rotated, zoomed and
   shifted copies, mixed with ``replay`` MNIST training images so the digits the model already
   knew keep their weight in every batch (rehearsal against catastrophic forgetting);
3. a few epochs of SGD with momentum at a small learning rate, starting from the base weights;
4. the guard: the result is kept only if its MNIST test accuracy is at most ``max_drop``
   (0.3 points) below the base model's.
"""
from __future__ import annotations

import dataclasses
import threading

import numpy as np

import data
from network import SGD, Callback


@dataclasses.dataclass
class FineTuneResult:
    model: object
    accepted: bool
    reason: str
    mnist_before: float
    mnist_after: float
    personal_before: float | None
    personal_after: float | None
    held_out: int
    trained_on: int


class Cancelled(Exception):
    pass


class _Progress(Callback):
    def __init__(self, report, cancel: threading.Event | None, epochs: int) -> None:
        self.report, self.cancel, self.epochs = report, cancel, epochs

    def on_epoch_end(self, epoch, logs):
        if self.report:
            self.report((epoch + 1) / self.epochs, f"epoch {epoch + 1}/{self.epochs}: loss {logs['loss']:.3f}")
        if self.cancel is not None and self.cancel.is_set():
            self.model.stop_training = True


def split_held_out(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices to train on and to hold out: every fifth drawing of each digit that has two or more."""
    held = []
    for digit in range(10):
        idx = np.flatnonzero(labels == digit)
        if len(idx) >= 2:
            held.extend(idx[4::5] if len(idx) >= 5 else idx[-1:])
    held = np.array(sorted(held), dtype=np.int64)
    train = np.setdiff1d(np.arange(len(labels)), held)
    return train, held


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float | None:
    if len(y) == 0:
        return None
    return float(np.mean(model.predict_proba(x).argmax(axis=1) == y))


def fine_tune(base, images: np.ndarray, labels: np.ndarray, mnist: dict, epochs: int = 4, variants: int = 40,
              replay: int = 20000, learning_rate: float = 0.005, max_drop: float = 0.003, seed: int = 0,
              report=None, cancel: threading.Event | None = None) -> FineTuneResult:
    """Fine-tune a copy of ``base`` on ``images`` (n, 28, 28) uint8 with ``labels``; ``base`` is untouched.

    ``mnist`` holds uint8 ``x_train, y_train, x_test, y_test``. ``report(fraction, text)`` is called
    as training goes; setting ``cancel`` stops after the current epoch and raises Cancelled.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        raise ValueError("there are no saved drawings to learn from")
    rng = np.random.default_rng(seed)
    train_idx, held_idx = split_held_out(labels)
    x_held, y_held = images[held_idx].astype(np.float32) / 255, labels[held_idx]
    x_test, y_test = mnist["x_test"].astype(np.float32) / 255, np.asarray(mnist["y_test"], np.int64)

    if report:
        report(0.0, "measuring the base model")
    mnist_before = _accuracy(base, x_test, y_test)
    personal_before = _accuracy(base, x_held, y_held)

    # The user's drawings, each as itself plus gently augmented variants.
    mine = images[train_idx]
    gentle = data.AugmentParams(rotation=8, zoom=0.08, shift=1.5, elastic_alpha=8, elastic_sigma=5, noise=0)
    copies = [mine] + [data.augment(mine, gentle, seed=seed * 1000 + v) for v in range(variants)]
    x_mine = np.concatenate(copies)
    y_mine = np.tile(labels[train_idx], variants + 1)
    pick = rng.choice(len(mnist["y_train"]), size=min(replay, len(mnist["y_train"])), replace=False)
    x = np.concatenate([x_mine, mnist["x_train"][pick]]).astype(np.float32) / 255
    y = np.concatenate([y_mine, np.asarray(mnist["y_train"], np.int64)[pick]])

    model = base.copy()
    model.compile(loss="categorical_crossentropy", optimizer=SGD(learning_rate, momentum=0.9))
    model.history = {}
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=0, callbacks=[_Progress(report, cancel, epochs)])
    if cancel is not None and cancel.is_set():
        raise Cancelled("fine-tuning was cancelled")

    if report:
        report(1.0, "checking the result on MNIST")
    mnist_after = _accuracy(model, x_test, y_test)
    personal_after = _accuracy(model, x_held, y_held)
    drop = mnist_before - mnist_after
    accepted = drop <= max_drop
    reason = (f"MNIST accuracy {mnist_before:.2%} -> {mnist_after:.2%}"
              + ("" if accepted else f": dropped {drop * 100:.2f} points, more than the {max_drop * 100:.1f} allowed"))
    return FineTuneResult(model, accepted, reason, mnist_before, mnist_after, personal_before, personal_after,
                          len(held_idx), len(train_idx))
