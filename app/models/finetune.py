"""Fine-tune a personal copy of a model on the user's drawings, without forgetting MNIST.

No display here: the window runs ``learn_handwriting`` in a background thread and
``ModelManager.py finetune`` runs it in the foreground. The recipe:

1. split the drawings: every fifth one (at least one per digit that has two or more) is held
   out to measure the personal accuracy before and after;
2. train on the rest, each drawing augmented into ``variants`` slightly rotated, zoomed and
   shifted copies, mixed with ``replay`` MNIST training images so the digits the model already
   knew keep their weight in every batch (rehearsal against catastrophic forgetting);
3. a few epochs of SGD with momentum at a small learning rate, starting from the base weights;
4. the guard: the result is kept only if its MNIST test accuracy is at most ``max_drop``
   (0.3 points) below the base model's, and, for a model that says "not a digit", if it still
   rejects generated scribbles and hatching (at most ``max_drop_rejection``, 5 points, fewer).

A model with a not-a-digit output rehearses that too: generated marks (``app/pen/negatives.py``,
those that need no data file) join the replay, labelled not-a-digit, so learning the user's digits
does not unlearn saying "not a digit".
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from app.data.augment import AugmentParams, augment
from app.data.mnist_cache import load_raw
from app.models.model_store import ModelStoreError, exists, load, model_lock, save_final
from app.models.rejection import digit_accuracy
from app.models.training import PREPROCESSING_VERSION
from app.paths import MODELS_DIR
from app.pen.negatives import generated_negatives
from app.pen.pendigits import NOT_A_DIGIT, render_many
from app.personal import PersonalDataError, PersonalDataset
from app.pixels import to_unit_float32
from app.words import plural
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


class _Progress(Callback):
    def __init__(self, report, epochs: int) -> None:
        self.report, self.epochs = report, epochs

    def on_epoch_end(self, epoch, logs):
        if self.report:
            self.report((epoch + 1) / self.epochs, f"epoch {epoch + 1}/{self.epochs}: loss {logs['loss']:.3f}")


MIN_DRAWINGS = 5   # fewer leave nothing to hold out and check the personal model on


def too_few_drawings(count: int) -> str:
    """The sentence for a learner with too few drawings: how many more to draw."""
    return (f"{plural(count, 'drawing')} saved; learning needs at least {MIN_DRAWINGS}: draw "
            f"{MIN_DRAWINGS - count} more and save each with its digit key")

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
    """Top-digit accuracy (over the ten digits, whatever a not-a-digit output says); None without data."""
    return digit_accuracy(model, x, y) if len(y) else None


def _marks(count: int, seed: int) -> np.ndarray:
    """``count`` generated marks that are no digit (scribbles, hatching), rendered as drawings."""
    return render_many(generated_negatives([], count, seed), 1, seed)


def _rejected(model, x: np.ndarray) -> float:
    return float(np.mean(model.predict_proba(x).argmax(axis=1) == NOT_A_DIGIT)) if len(x) else 0.0


def fine_tune(base, images: np.ndarray, labels: np.ndarray, mnist: dict, epochs: int = 4, variants: int = 40,
              replay: int = 20000, learning_rate: float = 0.005, max_drop: float = 0.003, seed: int = 0,
              report=None, marks: int = 3000, max_drop_rejection: float = 0.05) -> FineTuneResult:
    """Fine-tune a copy of ``base`` on ``images`` (n, 28, 28) uint8 with ``labels``; ``base`` is untouched.

    ``mnist`` holds uint8 ``x_train, y_train, x_test, y_test``. ``report(fraction, text)`` is called
    as training goes.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        raise ValueError("there are no saved drawings to learn from")
    rng = np.random.default_rng(seed)
    train_idx, held_idx = split_held_out(labels)
    x_held, y_held = to_unit_float32(images[held_idx]), labels[held_idx]
    x_test, y_test = to_unit_float32(mnist["x_test"]), np.asarray(mnist["y_test"], np.int64)

    if report:
        report(0.0, "measuring the base model")
    mnist_before = _accuracy(base, x_test, y_test)
    personal_before = _accuracy(base, x_held, y_held)

    # The user's drawings, each as itself plus gently augmented variants.
    mine = images[train_idx]
    gentle = AugmentParams(rotation=8, zoom=0.08, shift=1.5, elastic_alpha=8, elastic_sigma=5, noise=0)
    copies = [mine] + [augment(mine, gentle, seed=seed * 1000 + v) for v in range(variants)]
    x_mine = np.concatenate(copies)
    y_mine = np.tile(labels[train_idx], variants + 1)
    pick = rng.choice(len(mnist["y_train"]), size=min(replay, len(mnist["y_train"])), replace=False)
    rejects = base.output_shape[0] > NOT_A_DIGIT
    marks_train = _marks(marks, seed) if rejects else np.zeros((0, 28, 28), np.uint8)
    marks_held = to_unit_float32(_marks(marks // 5, seed + 1)) if rejects else np.zeros((0, 28, 28), np.float32)
    rejected_before = _rejected(base, marks_held)
    x = to_unit_float32(np.concatenate([x_mine, mnist["x_train"][pick], marks_train]))
    y = np.concatenate([y_mine, np.asarray(mnist["y_train"], np.int64)[pick], np.full(len(marks_train), NOT_A_DIGIT)])

    model = base.copy()
    model.pair_reader = getattr(base, "pair_reader", None)   # (its pictures read as the base reads them)
    model.compile(loss="categorical_crossentropy", optimizer=SGD(learning_rate, momentum=0.9))
    model.history = {}
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=0, callbacks=[_Progress(report, epochs)])

    if report:
        report(1.0, "checking the result on MNIST")
    mnist_after = _accuracy(model, x_test, y_test)
    personal_after = _accuracy(model, x_held, y_held)
    drop = mnist_before - mnist_after
    accepted = drop <= max_drop
    reason = (f"MNIST accuracy {mnist_before:.2%} -> {mnist_after:.2%}"
              + ("" if accepted else f": dropped {drop * 100:.2f} points, more than the {max_drop * 100:.1f} allowed"))
    if rejects:
        rejected_after = _rejected(model, marks_held)
        kept = rejected_before - rejected_after <= max_drop_rejection
        reason += f"; scribbles answered 'not a digit' {rejected_before:.0%} -> {rejected_after:.0%}"
        if not kept:
            reason += f": dropped more than the {max_drop_rejection:.0%} allowed"
        accepted = accepted and kept
    return FineTuneResult(model, accepted, reason, mnist_before, mnist_after, personal_before, personal_after,
                          len(held_idx), len(train_idx))


MAX_EPOCHS = 50   # each epoch is a pass over 40 variants of every drawing and 20000 MNIST images


def learn_handwriting(base_name: str, new_name: str, models_dir: Path = MODELS_DIR, epochs: int = 4,
                      source: Path | None = None, overwrite: bool = False, report=None) -> FineTuneResult:
    """Fine-tune a copy of the saved model ``base_name`` on the personal drawings and save it as
    ``new_name`` if the guard passes. The base is never replaced; another model only with ``overwrite``."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= MAX_EPOCHS:
        raise ValueError(f"--epochs must be a whole number from 1 to {MAX_EPOCHS}, got {epochs!r}")
    if new_name == base_name:
        raise ModelStoreError(f"the personal model needs a name of its own, not its base's ({base_name!r})")
    if exists(new_name, models_dir) and not overwrite:
        raise ModelStoreError(f"a model named {new_name!r} exists already; choose another --name or --overwrite")
    base = load(base_name, models_dir)
    images, labels = PersonalDataset().require_arrays()
    if len(labels) < MIN_DRAWINGS:   # said before MNIST is looked for (or downloaded)
        raise PersonalDataError(too_few_drawings(len(labels)))
    mnist = load_raw("mnist", source, progress=False)
    result = fine_tune(base, images, labels, mnist, epochs=epochs, report=report)
    if result.accepted:
        model = result.model
        model.metadata.update({
            "test_accuracy": round(result.mnist_after, 5),
            "created": time.strftime("%Y-%m-%d %H:%M"), "fine_tuned_from": base_name,
            "personal": {"drawings": int(len(labels)), "held_out": result.held_out,
                         "accuracy_before": result.personal_before, "accuracy_after": result.personal_after},
            "preprocessing_version": PREPROCESSING_VERSION})
        with model_lock(new_name, models_dir):
            save_final(model, new_name, models_dir, overwrite=overwrite)
    return result
