"""From a drawing to what the window shows, with no display: preprocessing, prediction, honesty.

``Predictor`` wraps a model and turns a picture into a ``Reading``: the digit, its probability,
all ten probabilities, the 28x28 input the network saw, and whether the network is unsure (a
low top probability, a near tie, or ink too small to be a digit) with the reason in words. A
model with an eleventh output (``NOT_A_DIGIT``, trained on letters, symbols and scribbles) also
says "not a digit" when that output reaches the threshold chosen on its validation data
(``model.metadata["reject"]["threshold"]``), and "not sure: maybe not a digit" when it lies in the
band below it (from ``model.metadata["reject"]["unsure"]``): the digit is shown, but not as sure.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from app.reading.preprocess import Preprocessed, to_mnist, within
from app.reading.strokes import Drawing, pen_as_read

UNSURE_BELOW = 0.60     # top probability under this: unsure
TIE_MARGIN = 0.30       # top two closer than this: unsure, and both are named
MIN_RELATIVE_SIZE = 0.10  # ink spanning under 10 % of the canvas: a dot, not a digit
MAX_ASPECT = 1.8          # ink much wider than tall (a dash, a wave): 1 MNIST digit in 2000 is
NOT_A_DIGIT = 10          # the eleventh output of a model trained with negatives
DEFAULT_REJECT = 0.5      # the not-a-digit threshold of a model that stored none


def digit_outputs(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A model's outputs split into the ten digits' probabilities (renormalised to sum to 1) and
    the not-a-digit probability (0 for a ten-output model); works on one row or a batch."""
    proba = np.asarray(proba, np.float32)
    if proba.shape[-1] == 10:
        return proba, np.zeros(proba.shape[:-1], np.float32)
    other = proba[..., NOT_A_DIGIT]
    return proba[..., :10] / np.maximum(1 - other, 1e-7)[..., None], other


def _chosen(model, key: str):
    """A value the model's validation data chose after training (``metadata["reject"][key]``), or None."""
    reject = model.metadata.get("reject") if isinstance(getattr(model, "metadata", None), dict) else None
    value = reject.get(key) if isinstance(reject, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def digit_scores(outputs: np.ndarray) -> np.ndarray:
    """How well each candidate (a row of network outputs) reads as a digit: log of its best digit's
    share times not "not a digit" (float64: the sums of many are compared)."""
    digits, other = digit_outputs(outputs)
    return np.log(digits.max(axis=-1).astype(np.float64) * (1.0 - other.astype(np.float64)) + 1e-9)


def reject_threshold(model) -> float:
    """The not-a-digit threshold this model was given after training (its validation data chose it)."""
    value = _chosen(model, "threshold")
    return value if value is not None and 0 < value <= 1 else DEFAULT_REJECT


def unsure_threshold(model) -> float:
    """Where this model's "not sure: maybe not a digit" band starts (its reject threshold when it has none)."""
    threshold, value = reject_threshold(model), _chosen(model, "unsure")
    return value if value is not None and 0 < value <= threshold else threshold


@dataclasses.dataclass
class Reading:
    digit: int | None                  # None when there is nothing to read; the best guess otherwise
    probabilities: np.ndarray | None   # (10,) float32, the digits' (renormalised without not-a-digit)
    network_input: np.ndarray | None   # (28, 28) float32, what the network saw
    unsure: bool
    message: str                       # what to tell the user
    seconds: float = 0.0
    layer_outputs: list | None = None  # every layer's output on the way (for the network view)
    not_digit: float = 0.0             # the not-a-digit output (0 for a ten-output model)
    rejected: bool = False             # "not a digit": not_digit reached the model's threshold

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max()) if self.probabilities is not None else 0.0

    @property
    def status(self) -> str:
        """"empty", "not a digit", "unsure" or "read" (the words ``predict --json`` uses)."""
        if self.probabilities is None:
            return "empty"
        return "not a digit" if self.rejected else "unsure" if self.unsure else "read"

    @property
    def shares(self) -> np.ndarray | None:
        """(11,): each digit's share and the not-a-digit share, summing to 1 (what the bars show)."""
        if self.probabilities is None:
            return None
        return np.append(self.probabilities * (1 - self.not_digit), self.not_digit).astype(np.float32)


def prepare_drawing(drawing: Drawing, box: tuple[int, int, int, int] | None = None) -> Preprocessed:
    """What the network sees of a canvas drawing: the one path from strokes to the 28x28 input,
    used by the window and by the pen-digit renderer that makes training pictures. ``box`` (left, top,
    right, bottom, whole units) holding all of its ink: only those pixels prepared, the same input."""
    if box is None:
        return to_mnist(drawing.array(), ink_is_bright=True)
    return within(to_mnist(drawing.array(box), ink_is_bright=True), box[1], box[0], (drawing.size, drawing.width))


class Predictor:
    def __init__(self, model) -> None:
        self.model = model

    def read_drawing(self, drawing: Drawing) -> Reading:
        """Classify a canvas drawing, preprocessed by ``prepare_drawing``, its strokes drawn with the
        pen as read (``pen_as_read``), as the number reader reads one digit."""
        start = time.perf_counter()
        if drawing.strokes and drawing.picture is None:
            drawing = Drawing.from_strokes(pen_as_read(drawing.strokes), drawing.size, drawing.width)
        return self._classify(prepare_drawing(drawing), start)

    def read(self, picture: np.ndarray, ink_is_bright: bool = True) -> Reading:
        """Preprocess ``picture`` (2-D, 0..1) and classify it."""
        start = time.perf_counter()
        return self._classify(to_mnist(picture, ink_is_bright=ink_is_bright), start)

    def read_preprocessed(self, prep: Preprocessed) -> Reading:
        """Classify a picture already preprocessed (a picture file, read by ``predict``)."""
        return self._classify(prep, time.perf_counter())

    def _classify(self, prep: Preprocessed, start: float) -> Reading:
        if prep.empty:
            return Reading(None, None, None, False, "draw a digit", time.perf_counter() - start)
        # One forward pass gives the answer and, on the way, what the network view shows.
        out, layer_outputs = self.model.trace(prep.image[None])
        reading = judge(out[0], prep.image, prep.relative_size, time.perf_counter() - start, prep.aspect,
                        reject_threshold(self.model), unsure_threshold(self.model))
        reading.layer_outputs = layer_outputs
        return reading


def judge(output: np.ndarray, network_input: np.ndarray, relative_size: float = 1.0, seconds: float = 0.0,
          aspect: float = 1.0, threshold: float = DEFAULT_REJECT, unsure_from: float | None = None) -> Reading:
    """Decide what to say about a model's ``output``: a digit, "not a digit", or an honest "not sure"
    (the not-a-digit output at ``unsure_from`` or more but under ``threshold`` is one of its reasons)."""
    proba, other = digit_outputs(output)
    other = float(other)
    reading = _judge_digits(proba, network_input, relative_size, seconds, aspect, 1 - other)
    reading.not_digit = other
    shares = proba * (1 - other)
    # A mark too small to read is said so, whatever the network says of it: a dot is likelier no digit
    # than a digit to it, and "draw it larger" is what helps.
    if other >= threshold and relative_size >= MIN_RELATIVE_SIZE:
        guesses = ", ".join(f"{d} {shares[d]:.0%}" for d in np.argsort(proba)[::-1][:2])
        reading.rejected, reading.unsure = True, True
        reading.message = f"not a digit (best guesses: {guesses})"
    elif unsure_from is not None and other >= unsure_from and not reading.unsure:
        reading.unsure = True
        top = int(np.argmax(proba))
        reading.message = f"not sure: maybe not a digit ({top} {shares[top]:.0%})"   # the × bar shows the rest
    return reading


def _judge_digits(proba: np.ndarray, network_input: np.ndarray, relative_size: float, seconds: float,
                  aspect: float, digit_share: float = 1.0) -> Reading:
    """``judge`` of the digit outputs alone (``proba``, summing to 1); the percentages said are shares of
    all outputs (times ``digit_share``, what is left by "not a digit"), as the bars show them."""
    order = np.argsort(proba)[::-1]
    top, second = int(order[0]), int(order[1])
    p1, p2 = float(proba[top]), float(proba[second])
    shown = p1 * digit_share
    if relative_size < MIN_RELATIVE_SIZE:
        return Reading(top, proba, network_input, True, "too small to read: draw the digit larger", seconds)
    if aspect > MAX_ASPECT:
        return Reading(top, proba, network_input, True, "not sure: that does not look like a digit", seconds)
    if p1 - p2 < TIE_MARGIN:
        return Reading(top, proba, network_input, True, f"not sure: {top} or {second}", seconds)
    if p1 < UNSURE_BELOW:
        return Reading(top, proba, network_input, True, f"not sure: maybe {top} ({shown:.0%})", seconds)
    return Reading(top, proba, network_input, False, f"{top} ({shown:.0%} sure)", seconds)
