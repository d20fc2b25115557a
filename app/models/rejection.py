"""Saying "not a digit": the not-a-digit output's threshold, chosen on validation data, and the
trade-off behind it (how many non-digits are caught, how many real digits are wrongly rejected).

The threshold is the lowest one at which at most ``MAX_DIGITS_REJECTED`` of each set of real
validation digits (MNIST's held-out originals, the held-out pen writers) is rejected: as many
letters and scribbles caught as that allows. Below it lies a band where the answer is "not sure,
maybe not a digit": it starts at the lowest score that flags at most ``MAX_DIGITS_FLAGGED`` of each
set (rejected or not sure). A digit in the band is still shown, with "not sure"; a letter there is
no longer answered with a confident digit. Never chosen on a test set.
"""
from __future__ import annotations

import numpy as np

from app.reading.predictor import digit_outputs

# Every 0.05, and finer at the top: a network that has learned pieces of digits is sure of "not a
# digit" for more odd real digits, and may need 0.97 to keep them under the limit.
THRESHOLDS = tuple(float(round(t, 2)) for t in np.arange(0.05, 0.96, 0.05)) + (0.96, 0.97, 0.98, 0.99)
MAX_DIGITS_REJECTED = 0.005   # of real digits, on each validation set
MAX_DIGITS_FLAGGED = 0.01     # rejected or "not sure, maybe not a digit", of real digits on each validation set


def scores(model, x: np.ndarray) -> np.ndarray:
    """The not-a-digit output for every picture of ``x`` (zeros for a ten-output model)."""
    return digit_outputs(model.predict_proba(x))[1]


def digit_accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    """Top-class accuracy over the ten digits alone (a rejection does not count against it)."""
    return float(np.mean(digit_outputs(model.predict_proba(x))[0].argmax(axis=1) == np.asarray(y))) if len(y) else 0.0


def tradeoff(digit_scores: dict[str, np.ndarray], other_scores: dict[str, np.ndarray],
             thresholds: tuple[float, ...] = THRESHOLDS) -> list[dict]:
    """For each threshold, the share of each set that would be answered "not a digit"."""
    return [{"threshold": t, **{f"{name} rejected": float(np.mean(s >= t)) if len(s) else 0.0
                                for name, s in {**digit_scores, **other_scores}.items()}} for t in thresholds]


def choose_threshold(digit_scores: dict[str, np.ndarray], limit: float = MAX_DIGITS_REJECTED,
                     highest: float = THRESHOLDS[-1]) -> float:
    """The lowest threshold (at most ``highest``) that flags at most ``limit`` of every set of real digits."""
    for t in THRESHOLDS:
        if t >= highest or all(not len(s) or np.mean(s >= t) <= limit for s in digit_scores.values()):
            return min(t, highest)
    return highest


def choose_unsure(digit_scores: dict[str, np.ndarray], threshold: float, limit: float = MAX_DIGITS_FLAGGED) -> float:
    """Where the "not sure, maybe not a digit" band starts: the lowest score, at most ``threshold``, that
    flags at most ``limit`` of every set of real digits (``threshold`` itself: no band)."""
    return choose_threshold(digit_scores, limit, highest=threshold)
