"""The line a number is written on and the way it leans: levelling a number written uphill or
downhill, and leaning writing that leans far as the network reads best, before it is read.

Written without a ruled line, a long number drifts up or down (a few degrees is common; ten digits
6 degrees uphill end most of a digit's height above where they began). Read as it was, each digit
is tilted, and what the reader measures against the writing's height and baseline is measured
across the drift. Levelled first, the number reads as one written straight: the slope is the
least-squares line through the ink (every bit of a stroke, or every inked pixel, by how much ink
it is), and each point (a picture: each column) moves up or down by the slope times its x (a
shear: upright strokes stay upright, as people keep digits upright on a drifting line). Only
writing at least ``LEVEL_WIDTH`` times as wide as the ink's band is high (about four digits) is
levelled, and only a slope of ``LEVEL_SLOPE`` or more: over two or three digits the line through
the ink says more of the digits' shapes (a 7's bar is high, a 4's arm) than of a drift.

Writers lean: the held-out pen writers about 0.15 (x per unit of y) to the right, some upright or
back, some far forward; the network reads digits leaning 0.1-0.2 best (``UPRIGHT``). A writer's
lean is the lean of their upright strokes (``slant_parts``: steep segments; a picture's:
``picture_lean``, from its steep edges), and writing wider than a digit that leans otherwise is
read leaned back into that band (each point moved across by the change times its height).

Measured on held-out pen numbers of 2-10 digits (docs/app.md has the figures): 0.1 uphill, strokes
93.3 % unlevelled, 95.7 % levelled; leaning 0.3 back, 85.2 % as written, 94.4 % leaned.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from app.reading.strokes import Stroke

LEVEL_WIDTH = 3.5     # writing this many times as wide as its band of ink is high may be levelled,
LEVEL_SLOPE = 0.06    # when its line rises or falls at least this much per unit of width,
STEEPEST = 0.5        # and no more than this (steeper ink is no line of digits: left as it is)
SLOPE_STEP = 0.1      # slopes are rounded to this (the window re-reads every candidate when it changes)
FEWEST_STROKES = 3    # fewer strokes are a mark or two, no line of digits (a wave, a long dash)
AHEAD_WIDTH = 0.5     # the window reads ahead (``slopes_ahead``) once writing is this share as wide as levelled writing,
AHEAD_STEP = 0.4      # by the slope a step more or less when its line is within this of a step of rounding to it

UPRIGHT = (0.1, 0.2)  # the slant (x per unit of y, leaning right > 0) the network reads best: writing
                      # leaning more or less is read leaning this much (held-out pen digits lean 0.15)
PICTURE_UPRIGHT = (0.05, 0.25)   # a picture's lean, less sure (from its ink's edges), is changed less
SLANT_STEP = 0.05     # slant changes are rounded to this
SLANT_WIDTH = 1.6     # the slant is said by writing at least this many times as wide as it is high (wider than a digit)
UPRIGHT_INK = 1.5     # and by upright strokes at least this many times as long as it is high together
STEEP = 2.0           # upright strokes: segments whose height is more than this times their width (within
                      # 27 degrees of upright: a 2's or 7's diagonal, steeper than 45, said an upright "224" leant)
LEAN_ROW = 140.0      # strokes lean about this row (the canvas's middle)
LEAN_STEP = 4         # a picture's lean is found from every this-many-th row and column


def slope_of(xs: np.ndarray, ys: np.ndarray, weights: np.ndarray) -> float:
    """The slope (y per unit of x, y down) to level ink at points ``xs``, ``ys`` weighing ``weights``:
    the least-squares line's, rounded to ``SLOPE_STEP``; 0.0 when the writing is too short to say
    (``LEVEL_WIDTH``), nearly level (``LEVEL_SLOPE``) or too steep (``STEEPEST``)."""
    xs, ys, weights = (np.asarray(v, np.float64).ravel() for v in (xs, ys, weights))
    if len(xs) < 2:
        return 0.0
    slope = _least_squares(*_sums(xs, ys, weights))
    return _levelling(slope, np.ptp(xs), float(np.ptp(ys - slope * xs))) if slope is not None else 0.0


def _sums(xs: np.ndarray, ys: np.ndarray, weights: np.ndarray) -> tuple[float, ...]:
    """The weighted sums a least-squares line is found from: weights, w x, w y, w x x, w x y."""
    return weights.sum(), weights @ xs, weights @ ys, weights @ (xs * xs), weights @ (xs * ys)


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
    return slope_of(*_strokes_ink(strokes)) if any(s.points for s in strokes) else 0.0


def _strokes_ink(strokes: list[Stroke]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The strokes' ink as points and weights: each segment's middle by its length, a dot as one unit."""
    xs, ys, weights = [np.zeros(0)], [np.zeros(0)], [np.zeros(0)]
    for stroke in strokes:
        points = np.asarray(stroke.points, np.float64).reshape(-1, 2)
        if len(points) == 1:
            xs.append(points[:, 0]), ys.append(points[:, 1]), weights.append(np.ones(1))
        elif len(points):
            middles = (points[1:] + points[:-1]) / 2
            xs.append(middles[:, 0]), ys.append(middles[:, 1])
            weights.append(np.hypot(*np.diff(points, axis=0).T))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(weights)


def slopes_ahead(strokes: list[Stroke]) -> list[float]:
    """The slopes other than ``strokes_slope``'s that the writing may be levelled by after a stroke or
    two more, once it is ``AHEAD_WIDTH`` as wide as levelled writing must be: its line's slope rounded
    (what it is levelled by once wide enough), or a step more or less where that is near. What the
    window reads ahead while the pen is lifted: a new slope re-reads every candidate (a ten-digit
    number's 20-30 ms), unless they were read ahead."""
    xs, ys, weights = _strokes_ink(strokes)
    slope = _least_squares(*_sums(xs, ys, weights))
    if len(strokes) < FEWEST_STROKES - 1 or slope is None:
        return []
    width, band = float(np.ptp(xs)), float(np.ptp(ys - slope * xs))
    if width < AHEAD_WIDTH * LEVEL_WIDTH * band:
        return []
    now = _levelling(slope, width, band) if len(strokes) >= FEWEST_STROKES else 0.0   # (``strokes_slope``)
    wide = _levelling(slope, np.inf, 0.0)   # (once wide enough)
    near = {wide} if wide != now else {_levelling(slope + side * AHEAD_STEP * SLOPE_STEP, np.inf, 0.0) for side in (-1, 1)}
    return sorted(near - {now})


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


def centred_shifts(count: int, slope: float) -> np.ndarray:
    """How far (whole pixels: a column or row is moved, never redrawn) each of ``count`` columns moves
    up to level a picture by ``slope``, or each of ``count`` rows moves right to lean it back by
    ``slope``: ``slope`` times its distance from the middle one."""
    return np.round(slope * (np.arange(count) - (count - 1) / 2)).astype(np.int64)


def levelled_picture(ink: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """An ink map with each column moved up by ``shifts`` rows (down when negative), on a map as much
    taller as the shifts need: nothing falls off the edge. (Columns moved alike are moved together:
    the shifts change a few dozen times across a picture.)"""
    rise, fall = max(0, int(shifts.max(initial=0))), max(0, -int(shifts.min(initial=0)))
    height, width = ink.shape
    out = np.zeros((height + rise + fall, width), ink.dtype)
    for start, stop in _runs(shifts):
        top = rise - int(shifts[start])
        out[top:top + height, start:stop] = ink[:, start:stop]
    return out


def leaned_picture(ink: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """An ink map with each row moved right by ``moves`` columns (left when negative), on a map as much
    wider as the moves need."""
    left, right = max(0, -int(moves.min(initial=0))), max(0, int(moves.max(initial=0)))
    height, width = ink.shape
    out = np.zeros((height, width + left + right), ink.dtype)
    for start, stop in _runs(moves):
        x = left + int(moves[start])
        out[start:stop, x:x + width] = ink[start:stop]
    return out


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """The runs of equal neighbours in ``values``: (first, past the last)."""
    edges = [0, *(np.flatnonzero(np.diff(values)) + 1).tolist(), len(values)]
    return list(zip(edges[:-1], edges[1:]))


def slant_parts(strokes: list[Stroke]) -> tuple[np.ndarray, np.ndarray]:
    """Per stroke, its steep segments' lean (minus dx/dy: > 0 leaning right) times their lengths, summed,
    and their lengths: segments steeper than ``STEEP`` are the writing's upright strokes. (All
    strokes' segments at once: the window asks after every stroke.)"""
    counts = np.array([len(s.points) for s in strokes], np.int64)
    if not counts.sum():
        return np.zeros(len(strokes)), np.zeros(len(strokes))
    points = np.array([p for s in strokes for p in s.points], np.float64)
    owner = np.repeat(np.arange(len(strokes)), counts)
    steps, mine = np.diff(points, axis=0), owner[1:] == owner[:-1]   # (no step from one stroke to the next)
    steep = mine & (np.abs(steps[:, 1]) > STEEP * np.abs(steps[:, 0]))
    dx, dy, who = steps[steep, 0], steps[steep, 1], owner[1:][steep]
    length = np.hypot(dx, dy)
    return (np.bincount(who, -length * dx / dy, len(strokes)), np.bincount(who, length, len(strokes)))


def upright_shifts(strokes: list[Stroke]) -> list[float]:
    """For each stroke (in writing order), how far to lean a digit ending with it (x per unit of y) so
    the writing leans within ``UPRIGHT``: the lean of the writing up to that stroke, once that is at
    least ``SLANT_WIDTH`` times as wide as it is high and has ``UPRIGHT_INK`` times that of upright
    strokes (the strokes before: the lean there; a "22" has only its curves' ends), rounded to
    ``SLANT_STEP``. A digit's lean is said by the writing around it, never by itself alone (a 7's
    stroke leans far; a 1 leans as its writer leans); what follows never changes what came before
    (the window remembers what it read). All 0.0 for writing narrower than that (one digit)."""
    if not strokes:
        return []
    slant, wide, _, _ = _writing_so_far(strokes)
    if not wide.any():
        return [0.0] * len(strokes)
    said = np.maximum(np.arange(len(strokes)), np.flatnonzero(wide)[0])
    return _rounded_shift(slant[said]).tolist()


def leans_ahead(strokes: list[Stroke]) -> list[float]:
    """The leans other than 0.0 that ``upright_shifts`` may give every stroke after a stroke or two
    more, while the writing is not yet wide enough to say its lean but at least ``AHEAD_WIDTH`` as wide
    as that: the writing's lean so far as it would be rounded, and the lean a step more or less where
    that is within ``AHEAD_STEP`` of a step of rounding to it. What the window reads ahead while the
    pen is lifted: the stroke that makes writing that leans far wide enough leans every candidate anew
    (a number's 10-25 ms), unless they were read ahead. [] once the lean is said."""
    strokes = [s for s in strokes if s.points]
    if not strokes:
        return []
    slant, wide, widths, upright = _writing_so_far(strokes)
    if wide.any() or widths[-1] < AHEAD_WIDTH or not upright[-1]:   # (said, too narrow, or no upright strokes yet)
        return []
    near = slant[-1] + np.array([-1, 0, 1]) * AHEAD_STEP * SLANT_STEP
    return sorted(set(_rounded_shift(near).tolist()) - {0.0})


def _writing_so_far(strokes: list[Stroke]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per stroke (in writing order), of the writing up to it: the lean of its upright strokes (0.0
    without any), whether it says the writing's lean (``upright_shifts``), how wide it is as a share
    of as wide as that must be (``SLANT_WIDTH``), and whether it has upright strokes."""
    leans, lengths = slant_parts(strokes)
    lean, length = np.cumsum(leans), np.cumsum(lengths)
    boxes = np.array([(min(x for x, _ in s.points), min(y for _, y in s.points), max(x for x, _ in s.points),
                       max(y for _, y in s.points), s.width) for s in strokes])
    lo, hi = np.minimum.accumulate(boxes[:, :2]), np.maximum.accumulate(boxes[:, 2:4])
    pen = np.maximum.accumulate(boxes[:, 4])
    high = hi[:, 1] - lo[:, 1] + pen
    wide = (hi[:, 0] - lo[:, 0] >= SLANT_WIDTH * high) & (length >= UPRIGHT_INK * high)
    widths = (hi[:, 0] - lo[:, 0]) / np.maximum(SLANT_WIDTH * high, 1e-9)
    return lean / np.maximum(length, 1e-9), wide, widths, length > 0


def _rounded_shift(slant: np.ndarray) -> np.ndarray:
    """How far to lean writing of ``slant`` so it leans within ``UPRIGHT``, rounded to ``SLANT_STEP``.
    The window remembers a candidate by its lean, to the bit: one rounding for all."""
    return np.round((slant - np.clip(slant, *UPRIGHT)) / SLANT_STEP) * SLANT_STEP


def leaned(strokes: list[Stroke], shift: float) -> list[Stroke]:
    """``strokes`` leaned back by ``shift`` (x per unit of y): each point moved right by ``shift`` times
    its height below the canvas's middle row (a fixed row: the same strokes are always the same points)."""
    return [Stroke(s.width, [(x + shift * (y - LEAN_ROW), y) for x, y in s.points]) for s in strokes] if shift else strokes


def picture_lean(ink: np.ndarray) -> float:
    """The lean of an ink map's writing (x per unit of y, leaning right > 0), as ``slant_parts`` says
    of strokes: from the edges of its steep strokes (where the ink changes more across x than down y,
    each edge across its stroke: its lean is gy / gx), by how sharp they are, of every ``LEAN_STEP``-th
    row and column smoothed a little (unsmoothed, a leaning edge's pixel steps read as upright ones:
    the lean came out 0.4 of the strokes'; smoothed, 0.8-0.9, 0.03-0.04 from it on average)."""
    return _lean(ink[::LEAN_STEP, ::LEAN_STEP].astype(np.float32))


def _lean(small: np.ndarray) -> float:
    """``picture_lean`` of an ink map already cut to every ``LEAN_STEP``-th row and column."""
    if min(small.shape) < 2:   # (a strip a row or a column thin: no edge leans; np.gradient needs two)
        return 0.0
    gy, gx = np.gradient(ndimage.gaussian_filter(small, 0.5))
    steep = np.abs(gx) > np.abs(gy)   # (not STEEP: blurred, a leaning edge's pixel steps spread its direction)
    weights = np.hypot(gx[steep], gy[steep])
    total = float(weights.sum())
    return float((weights * gy[steep] / gx[steep]).sum() / total) if total > 0 else 0.0


def picture_upright_shift(ink: np.ndarray) -> float:
    """How far to lean an ink map's writing back (x per unit of y) so it leans within ``PICTURE_UPRIGHT``,
    as ``upright_shifts`` says of strokes (the whole writing's lean): 0.0 for ink narrower than
    ``SLANT_WIDTH`` times its height (one digit reads as it always did). Of every ``LEAN_STEP``-th
    row and column (a ten-digit picture's 0.3 ms)."""
    small = ink[::LEAN_STEP, ::LEAN_STEP].astype(np.float32)
    rows, columns = np.flatnonzero((small > 0.35).any(axis=1)), np.flatnonzero((small > 0.35).any(axis=0))
    if not len(rows) or columns[-1] - columns[0] + 1 < SLANT_WIDTH * (rows[-1] - rows[0] + 1):
        return 0.0
    lean = _lean(small)
    return round((lean - min(max(lean, PICTURE_UPRIGHT[0]), PICTURE_UPRIGHT[1])) / SLANT_STEP) * SLANT_STEP


def unlevelled_box(box: tuple[int, int, int, int], shifts: np.ndarray) -> tuple[int, int, int, int]:
    """A box (left, top, right, bottom) of a picture levelled by ``shifts`` (``levelled_picture``)
    where its ink lies in the picture: its columns moved back."""
    left, top, right, bottom = box
    moved = shifts[max(0, min(left, len(shifts) - 1)):max(left + 1, min(right, len(shifts)))]
    rise = max(0, int(shifts.max(initial=0)))
    return left, top - rise + int(moved.min()), right, bottom - rise + int(moved.max())


def unleaned_box(crop: np.ndarray, box: tuple[int, int, int, int], moves: np.ndarray) -> tuple[int, int, int, int]:
    """The box (left, top, right, bottom) of a digit's ``crop`` of a picture leaned back by moving rows
    right by ``moves``, where its ink lies before: each row's ink moved back."""
    left, top, right, bottom = box
    rows, columns = np.nonzero(crop > 0)
    if not len(rows):
        return box
    pad = max(0, -int(moves.min(initial=0)))
    xs = left + columns - pad - moves[np.clip(top + rows, 0, len(moves) - 1)]
    return int(xs.min()), top, int(xs.max()) + 1, bottom
