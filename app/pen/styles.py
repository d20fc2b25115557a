"""Digit styles from around the world, made at the stroke level from the pen digits: a slashed zero,
a crossed 7, a 7 with a hooked foot, a 1 with a long flag and a base, a 9 with a curved tail and a
4 closed at the top.

The UCI writers rarely write these, and MNIST's American writers hardly ever; people elsewhere write
them every day. Each style is the writer's own digit with the strokes such a writer adds (a slash,
a bar, a flag and a base, a foot, a tail, a closing stroke), each with random variation, so every
style is common in training. Coordinates are tablet units with y growing downwards.
"""
from __future__ import annotations

import numpy as np

from app.pen.pendigits import PenDigit


def _box(strokes) -> tuple[np.ndarray, np.ndarray]:
    points = np.concatenate(strokes)
    return points.min(axis=0), points.max(axis=0)


def _line(a, b, n: int = 6) -> np.ndarray:
    return np.linspace(np.asarray(a, float), np.asarray(b, float), n)


def slashed_zero(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """A diagonal stroke through the 0, from below left to above right, reaching a little past it."""
    lo, hi = _box(strokes)
    w, h = hi - lo
    over = rng.uniform(0.0, 0.15)
    start = (lo[0] + w * rng.uniform(-0.05, 0.15), hi[1] + h * over)
    end = (hi[0] - w * rng.uniform(-0.05, 0.15), lo[1] - h * over)
    return strokes + [_line(start, end)]


def crossed_seven(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """A short bar across the 7's stem, about half-way down."""
    lo, hi = _box(strokes)
    w, h = hi - lo
    points = np.concatenate(strokes)
    y = lo[1] + h * rng.uniform(0.45, 0.62)
    near = points[np.argsort(np.abs(points[:, 1] - y))[:3]]
    x = float(near[:, 0].mean())
    half = max(w, 0.4 * h) * rng.uniform(0.2, 0.32)
    tilt = h * rng.uniform(-0.04, 0.04)
    return strokes + [_line((x - half, y + tilt), (x + half, y - tilt))]


def hooked_seven(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """The 7's stem ends in a small foot curling to the left."""
    lo, hi = _box(strokes)
    h = hi[1] - lo[1]
    k = int(np.argmax([s[:, 1].max() for s in strokes]))
    stem = strokes[k]
    end = stem[int(np.argmax(stem[:, 1]))]
    size = h * rng.uniform(0.08, 0.16)
    foot = np.array([end + (-0.5 * size, 0.25 * size), end + (-size, 0.1 * size), end + (-1.3 * size, -0.2 * size)])
    if int(np.argmax(stem[:, 1])) == len(stem) - 1:
        return strokes[:k] + [np.concatenate([stem, foot])] + strokes[k + 1:]
    return strokes + [np.concatenate([end[None], foot])]


def flagged_one(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray] | None:
    """A 1 with a long flag from its top down to the left, and a base across its foot. None for a 1
    whose flag is written already: begun at its foot, rising to its top, then the stem down ("/|")."""
    lo, hi = _box(strokes)
    h = hi[1] - lo[1]
    first = strokes[0]
    if first[0, 1] - lo[1] > 0.7 * h and first[0, 1] - first[:, 1].min() > 0.5 * h:
        return None
    points = np.concatenate(strokes)
    top, foot = points[int(np.argmin(points[:, 1]))], points[int(np.argmax(points[:, 1]))]
    flag = h * rng.uniform(0.3, 0.45)
    start = top + (-flag * rng.uniform(0.7, 1.0), flag * rng.uniform(0.5, 0.9))
    base = h * rng.uniform(0.18, 0.3)
    return [_line(start, top)] + strokes + [_line(foot - (base, 0), foot + (base * rng.uniform(0.8, 1.2), 0))]


def curved_nine(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """The 9's tail curves back to the left at its end."""
    lo, hi = _box(strokes)
    h = hi[1] - lo[1]
    k = int(np.argmax([s[:, 1].max() for s in strokes]))
    tail = strokes[k]
    i = int(np.argmax(tail[:, 1]))
    end = tail[i]
    size = h * rng.uniform(0.12, 0.22)
    curl = np.array([end + (-0.4 * size, 0.2 * size), end + (-0.9 * size, 0.15 * size), end + (-1.2 * size, -0.15 * size)])
    if i == len(tail) - 1:
        return strokes[:k] + [np.concatenate([tail, curl])] + strokes[k + 1:]
    return strokes + [np.concatenate([end[None], curl])]


def closed_four(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray] | None:
    """A 4 written in two strokes, closed at the top: a stroke joins the two strokes' tops. None
    for a 4 that is one stroke (or closed already)."""
    if len(strokes) < 2:
        return None
    tops = [s[int(np.argmin(s[:, 1]))] for s in strokes[:2]]
    gap = np.linalg.norm(tops[0] - tops[1])
    lo, hi = _box(strokes)
    if gap < 0.15 * (hi[1] - lo[1]):
        return None
    return strokes + [_line(tops[0], tops[1] + rng.normal(0, 0.02 * gap, 2))]


STYLES = {0: [("slashed zero", slashed_zero)], 1: [("one with flag and base", flagged_one)],
          4: [("closed-top four", closed_four)], 7: [("crossed seven", crossed_seven), ("seven with a foot", hooked_seven)],
          9: [("nine with a curved tail", curved_nine)]}


def _in_a_style(digit: PenDigit, rng: np.random.Generator, share: float) -> PenDigit | None:
    """With chance ``share``, ``digit`` in one of its styles (random variation) as a new digit of the same
    label and writer; None when it has none, was not chosen, or its style does not suit it."""
    options = STYLES.get(digit.label)
    if not options or rng.random() >= share:
        return None
    name, make = options[int(rng.integers(len(options)))]
    strokes = make([s.copy() for s in digit.strokes], rng)
    return None if strokes is None else PenDigit(digit.label, digit.writer, tuple(np.asarray(s, float) for s in strokes), name)


def styled_digits(digits: list[PenDigit], seed: int, share: float = 0.5) -> list[PenDigit]:
    """For about ``share`` of the digits that have styles, one of their styles (random variation),
    as new digits of the same label and writer."""
    rng = np.random.default_rng([seed, 3])
    return [styled for styled in (_in_a_style(digit, rng, share) for digit in digits) if styled is not None]


def in_styles(digits: list[PenDigit], seed: int, share: float = 0.5) -> list[PenDigit]:
    """``digits`` with about ``share`` of those that have styles each replaced by one of its styles (the
    same label, writer and place in the list): a writer who writes them so, for numbers to read."""
    rng = np.random.default_rng([seed, 4])
    return [digit if (styled := _in_a_style(digit, rng, share)) is None else styled for digit in digits]
