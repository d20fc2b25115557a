"""Evaluation and prediction: accuracy, per-digit figures and confusion matrices on each data set,
and the digit in any image file, through the same preprocessing as the window.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from app.data.mnist_cache import load_raw
from app.errors import AppError, DataError
from app.files import sha256_of
from app.paths import CACHE_DIR
from app.pen.pen_data import pen_source, plain_renderings
from app.pen.pendigits import as_arrays, read_unipen
from app.pixels import to_unit_float32
from app.reading.drawing_files import DrawingFileError, load_drawing
from app.reading.lines import read_written
from app.reading.number_pictures import read_picture
from app.reading.numbers import NumberReading
from app.reading.predictor import digit_outputs, reject_threshold
from app.reading.preprocess import ImageError, load_image
from network import confusion_matrix


def figures_folder(model_name: str, chosen: Path | None = None, root: Path | None = None) -> Path:
    """Where ``evaluate`` writes its figures: the folder the user chose, or a new one for this run
    (``cache/evaluations/<model>-<date>-<time>``), never the model's own folder: the shipped
    model's files stay as they came, and each run's figures stay beside each other."""
    import time

    if chosen is None:
        base = (root or CACHE_DIR) / "evaluations" / f"{model_name}-{time.strftime('%Y%m%d-%H%M%S')}"
        chosen, n = base, 2
        while chosen.exists():
            chosen, n = base.with_name(f"{base.name}-{n}"), n + 1
    try:
        chosen.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise AppError(f"{chosen}: cannot make the folder for the figures ({e.strerror or e})") from None
    if not chosen.is_dir() or chosen.is_symlink():
        raise AppError(f"{chosen}: not a folder; not writing the figures there")
    return chosen

def evaluate(model, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    """Accuracy, per-digit accuracy, confusion matrix and the mistakes, worst (most confident) first;
    for a model that can say "not a digit", also the share of these digits it would reject. The
    accuracy is over the ten digits (the top digit, whatever the not-a-digit output says)."""
    proba, other = digit_outputs(model.predict_proba(x_test))
    predicted = proba.argmax(axis=1)
    matrix = confusion_matrix(y_test, predicted, num_classes=10)
    per_digit = (np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)).tolist()
    wrong = np.flatnonzero(predicted != y_test)
    worst = wrong[np.argsort(-proba[wrong, predicted[wrong]])]
    return {"accuracy": float(np.mean(predicted == y_test)), "per_digit_accuracy": per_digit,
            "confusion_matrix": matrix.tolist(), "errors": int(len(wrong)), "worst": worst, "proba": proba,
            "predicted": predicted, "rejected": float(np.mean(other >= reject_threshold(model))) if len(other) else 0.0}


def evaluation_sets(model, dataset: str | None = None, source: Path | None = None, pen_source_path: Path | None = None,
                    progress: bool = True, skipped=print) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """(name, x, y, what) for each data set to evaluate on: ``dataset``, or by default the data sets
    the model was trained on (MNIST or Fashion, and the pen digits if it used them)."""
    trained_on = model.metadata.get("dataset", "mnist")
    names = [dataset] if dataset else [trained_on] + (["pendigits"] if "pen" in model.metadata else [])
    sets = []
    for name in names:
        if name == "pendigits":
            pen_file = pen_source_path or (source if dataset == "pendigits" else None)
            # Asked for by default (not by --dataset): never a download, and no error if absent.
            by_default = dataset is None and pen_file is None
            try:
                x, y, what = pen_evaluation_set(model, pen_file, progress, download=not by_default)
            except DataError as e:
                if not by_default:
                    raise
                skipped(f"pen digits not evaluated: {e}")
                continue
            sets.append((name, x, y, what))
        else:
            arrays = load_raw(name, source, progress=progress)
            sets.append((name, to_unit_float32(arrays["x_test"]), arrays["y_test"].astype(np.int64), "test set"))
    return sets


def personal_evaluation_set() -> tuple[str, np.ndarray, np.ndarray, str]:
    """The user's saved drawings, as ``evaluation_sets`` gives a data set."""
    from app.personal import PersonalDataset

    images, labels = PersonalDataset().require_arrays()
    return "personal", to_unit_float32(images), labels.astype(np.int64), "your saved drawings"


def pen_evaluation_set(model, source: Path | None, progress: bool = True,
                       download: bool = True) -> tuple[np.ndarray, np.ndarray, str]:
    """Plain renderings of pen digits: of the writers the model held out, if it was trained on this
    very file; else of every digit in the file (writers it never saw)."""
    path = pen_source(source, CACHE_DIR, progress, download=download, flag="--pen-source")
    pen_meta = model.metadata.get("pen") if isinstance(model.metadata.get("pen"), dict) else {}
    rows, what = None, f"all digits of {path.name}"
    held = pen_meta.get("held_out_writers")
    if held and pen_meta.get("source_sha256") == sha256_of(path):
        _, writers = as_arrays(read_unipen(path))
        rows = np.flatnonzero(np.isin(writers, held))
        what = f"held-out writers {held}"
    images, labels, _ = plain_renderings(path, rows)
    if not len(labels):
        raise DataError(f"{path}: no pen digits to evaluate on")
    return to_unit_float32(images), labels.astype(np.int64), what


def predict_files(model, paths: list[str]) -> Iterator[dict]:
    """One result per path, a picture (PNG, JPEG, ..., any size) or a drawing file (``.json``), read
    as the window reads a drawing (the same preprocessing and honesty rules, a whole number if there
    are several digits), in the fields ``predict --json`` promises: ``path``, ``text`` (the digits
    read, an unsure one as its best guess, "" when none), ``status`` ("read", "unsure", "not a digit",
    "empty"), ``digit`` (when exactly one was read), ``probabilities`` (the ten digits', for a single digit), ``not_a_digit``,
    ``message`` and ``digits`` (per digit: ``digit``, ``box`` [left, top, right, bottom], ``probabilities``,
    ``unsure``); or ``error`` for that file alone. Each as soon as it is read (many files: the first
    answers come at once, and ``predict ... | head`` stops the reading)."""
    for path in paths:
        try:
            if str(path).lower().endswith(".json"):
                number = read_written(model, load_drawing(path))
            else:
                number = read_picture(model, load_image(path))
        except (ImageError, DrawingFileError) as e:
            yield {"path": path, "error": str(e)}
            continue
        yield number_result(path, number)


def number_result(path: str, number: NumberReading) -> dict:
    """A ``NumberReading`` in the fields of ``predict --json``."""
    status, digits = number.status, number.digits
    one = digits[0].reading if len(digits) == 1 else None
    result = {"path": str(path), "text": number.best_text, "status": status,
              "digit": one.digit if one is not None and status in ("read", "unsure") else None,
              "probabilities": [round(float(p), 6) for p in one.probabilities] if one is not None else None,
              "not_a_digit": round(one.not_digit, 6) if one is not None else None,
              "message": one.message if one is not None else _message(number),
              "digits": [] if status in ("empty", "not a digit") else [
                  {"digit": d.reading.digit, "box": list(d.box), "unsure": d.reading.unsure,
                   "probabilities": [round(float(p), 6) for p in d.reading.probabilities]} for d in digits]}
    return result


def _message(number: NumberReading) -> str:
    if number.status == "empty":
        return "no ink (the picture is blank)"
    if number.status == "not a digit":
        return "not a digit"
    return f"{number.text}" + (" (? marks a digit it is not sure of)" if "?" in number.text else "")
