"""The line a number is written on: levelling a number written uphill or downhill before it is read.

Written without a ruled line, a long number drifts up or down (a few degrees is common; ten digits
6 degrees uphill end most of a digit's height above where they began). Read as it was, each digit
is tilted, and what the reader measures against the writing's height and baseline is measured
across the drift. Levelled first, the number reads as one written straight: the slope is the
least-squares line through the ink (every bit of a stroke, or every inked pixel, by how much ink
it is), and each point (a picture: each column) moves up or down by the slope times its x (a
shear: upright strokes stay upright, as people keep digits upright on a drifting line).

Only writing at least ``LEVEL_WIDTH`` times as wide as the ink's band is high (about four digits)
is levelled, and only a slope of ``LEVEL_SLOPE`` or more: over two or three digits the line
through the ink says more of the digits' shapes (a 7's bar is high, a 4's arm) than of a drift.
Measured on held-out pen numbers of 2-10 digits, 300 of seed 1: written 0.1 uphill (6 degrees),
strokes read 93.3 % unlevelled, 95.7 % levelled (96.3 % written level); 0.2 uphill, 92.0 and 95.0 %
(pictures: 76.3 and 80.0 %, 68.3 and 78.3 %; docs/app.md has the rest).
"""
from __future__ import annotations

import numpy as np

from app.reading.strokes import Stroke

LEVEL_WIDTH = 3.5     # writing this many times as wide as its band of ink is high may be levelled,
LEVEL_SLOPE = 0.06    # when its line rises or falls at least this much per unit of width,
STEEPEST = 0.5        # and no more than this (steeper ink is no line of digits: left as it is)
SLOPE_STEP = 0.1      # slopes are rounded to this (the window re-reads every candidate when it changes)
FEWEST_STROKES = 3    # fewer strokes are a mark or two, no line of digits (a wave, a long dash)


def slope_of(xs: np.ndarray, ys: np.ndarray, weights: np.ndarray) -> float:
    """The slope (y per unit of x, y down) to level ink at points ``xs``, ``ys`` weighing ``weights``:
    the least-squares line's, rounded to ``SLOPE_STEP``; 0.0 when the writing is too short to say
    (``LEVEL_WIDTH``), nearly level (``LEVEL_SLOPE``) or too steep (``STEEPEST``)."""
    xs, ys, weights = (np.asarray(v, np.float64).ravel() for v in (xs, ys, weights))
    if len(xs) < 2:
        return 0.0
    sums = weights.sum(), weights @ xs, weights @ ys, weights @ (xs * xs), weights @ (xs * ys)
    slope = _least_squares(*sums)
    return _levelling(slope, np.ptp(xs), float(np.ptp(ys - slope * xs))) if slope is not None else 0.0


def _least_squares(total: float, sx: float, sy: float, sxx: float, sxy: float) -> float | None:
    """The least-squares slope of weighted points from their sums (weights, w x, w y, w x x, w x y)."""
    if total <= 0:
        return None
    spread = sxx / total - (sx / total) ** 2
    return (sxy / total - sx * sy / total ** 2) / spread if spread > 1e-9 else None


def _levelling(slope: float, width: float, band: float) -> float:
    """``slope`` rounded, or 0.0 where it levels nothing worth levelling: ink ``width`` wide lying in a
    ``band`` that high about the line."""
    if width < LEVEL_WIDTH * max(band, 1e-9) or not LEVEL_SLOPE <= abs(slope) <= STEEPEST:
        return 0.0
    return round(slope / SLOPE_STEP) * SLOPE_STEP


def strokes_slope(strokes: list[Stroke]) -> float:
    """``slope_of`` the strokes' ink: each segment by its length (a dot counts as one unit); 0.0 for
    fewer than ``FEWEST_STROKES`` strokes."""
    if len(strokes) < FEWEST_STROKES:
        return 0.0
    xs, ys, weights = [], [], []
    for stroke in strokes:
        points = np.asarray(stroke.points, np.float64).reshape(-1, 2)
        if len(points) == 1:
            xs.append(points[:, 0]), ys.append(points[:, 1]), weights.append(np.ones(1))
        elif len(points):
            middles = (points[1:] + points[:-1]) / 2
            xs.append(middles[:, 0]), ys.append(middles[:, 1])
            weights.append(np.hypot(*np.diff(points, axis=0).T))
    if not xs:
        return 0.0
    return slope_of(np.concatenate(xs), np.concatenate(ys), np.concatenate(weights))


def sheared(strokes: list[Stroke], slope: float) -> list[Stroke]:
    """``strokes`` with each point moved up by ``slope`` times its x (levelled by the writing's slope;
    the same with ``-slope`` puts them back). About the canvas's left edge, whatever the writing's
    width: a stroke levelled by one slope is always the same points (what the window remembers of it)."""
    return [Stroke(s.width, [(x, y - slope * x) for x, y in s.points]) for s in strokes]


def picture_slope(ink: np.ndarray) -> float:
    """``slope_of`` an ink map's ink (0..1, bright ink): every inked pixel by its ink. From sums over
    rows and columns, of every third row and column (a long number's picture has some hundred
    thousand pixels; a slope and the ratio of width to band are the same at a third of the scale)."""
    ink = ink[::3, ::3]
    weights = ink * (ink > 0.35)
    columns, rows = weights.sum(axis=0).astype(np.float64), weights.sum(axis=1).astype(np.float64)
    inked = np.flatnonzero(columns)
    if len(inked) < 2:
        return 0.0
    xs, ys = np.arange(ink.shape[1], dtype=np.float64), np.arange(ink.shape[0], dtype=np.float64)
    along = weights @ xs.astype(weights.dtype)   # (per row: its ink's x, weighed)
    slope = _least_squares(columns.sum(), columns @ xs, rows @ ys, columns @ (xs * xs), ys @ along.astype(np.float64))
    if slope is None:
        return 0.0
    # The band about the line: each inked column's top and bottom inked rows, moved by the line.
    mask = weights[:, inked] > 0
    tops, bottoms = mask.argmax(axis=0), ink.shape[0] - 1 - mask[::-1].argmax(axis=0)
    along = slope * inked
    band = float(max((bottoms - along).max(), (tops - along).max()) - min((tops - along).min(), (bottoms - along).min()))
    return _levelling(slope, float(inked[-1] - inked[0]), band)


def column_shifts(width: int, slope: float) -> np.ndarray:
    """How many rows each of ``width`` columns moves up to level a picture by ``slope`` (whole rows:
    a column is moved, never redrawn), about its middle column."""
    return np.round(slope * (np.arange(width) - (width - 1) / 2)).astype(np.int64)


def levelled_picture(ink: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """An ink map with each column moved up by ``shifts`` rows (down when negative), on a map as much
    taller as the shifts need: nothing falls off the edge."""
    rise, fall = max(0, int(shifts.max(initial=0))), max(0, -int(shifts.min(initial=0)))
    height, width = ink.shape
    out = np.zeros((height + rise + fall, width), ink.dtype)
    rows = np.arange(height)[:, None] + rise - shifts[None, :]   # where each pixel goes
    out[rows, np.arange(width)[None, :]] = ink
    return out
