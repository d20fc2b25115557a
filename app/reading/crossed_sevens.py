"""A 7 crossed low reads as a 2: its stem curved at the top, a bar across it well down is a 2's base
to the network. But no one crosses a 2: a stroke that lies across another of the same digit, well
inside it and below its top, is a 7's cross (or a 4's bar: never read as a 2). The stroke reader
reads such a "2" again without that bar, and takes the 7 it then reads; the picture reader the same,
from the ink (``picture_bar``: a flat run of ink across the digit, the rest of it meeting the run
from above and from below well inside its ends, where a 2's slanted middle meets the rest at its ends).

Measured on the UCI pen digits (all 30 writers, 7494 digits): 519 of their 778 7s (686 written in two
strokes or more) have such a bar, none of their 780 2s (3 written in several strokes: a base begun
where the stem ends, not across it). Drawn as pictures (their strokes as the window draws them, the
canvas's pen): 347 of the 7s have such a bar in their ink, none of the 2s.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from app.reading.ink_pen import pen_width
from app.reading.predictor import Reading
from app.reading.strokes import Stroke

BAR_FLAT = 1.5       # a bar is this many times wider than high, at least,
BAR_WIDE = 0.2       # and this wide, of the digit's height, at least;
CROSS_BELOW = 0.3    # it crosses another stroke between this and
CROSS_ABOVE = 0.85   # this (of the digit's height, from its top: a base lies lower),
CROSS_INSIDE = 0.2   # with this much of its length, at least, on either side of the crossing
SEVEN_SEEN = 1e-5    # a picture's 2 is looked at for a cross when the network sees this much of a 7 in it


def crossings(bar: np.ndarray, other: np.ndarray) -> list[tuple[float, float]]:
    """Where polyline ``bar`` crosses polyline ``other``: (the distance along ``bar``, y), each crossing."""
    p, r = bar[:-1, None, :], np.diff(bar, axis=0)[:, None, :]        # (bar segments, 1, 2)
    q, s = other[None, :-1, :], np.diff(other, axis=0)[None, :, :]   # (1, other segments, 2)
    den = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]
    qp = q - p
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[..., 0] * s[..., 1] - qp[..., 1] * s[..., 0]) / den
        u = (qp[..., 0] * r[..., 1] - qp[..., 1] * r[..., 0]) / den
    hit = (den != 0) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    lengths = np.linalg.norm(np.diff(bar, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    i, j = np.nonzero(hit)
    return [(float(along[a] + t[a, b] * lengths[a]), float(bar[a, 1] + t[a, b] * r[a, 0, 1])) for a, b in zip(i, j)]


def crossing_bar(strokes: list[Stroke]) -> int | None:
    """The index of a stroke of one digit's ``strokes`` that lies across another of them as a 7's cross
    does (flat, well inside, between ``CROSS_BELOW`` and ``CROSS_ABOVE`` of the digit's height), or None."""
    lines = [np.asarray(s.points, float).reshape(-1, 2) for s in strokes]
    ys = np.concatenate([line[:, 1] for line in lines] + [np.zeros(0)])
    if len(lines) < 2 or len(ys) == 0 or np.ptp(ys) <= 0:
        return None
    top, height = ys.min(), np.ptp(ys)
    for k, bar in enumerate(lines):
        if len(bar) < 2:
            continue
        wide, high = np.ptp(bar[:, 0]), np.ptp(bar[:, 1])
        if wide < BAR_FLAT * high or wide < BAR_WIDE * height:
            continue
        length = float(np.linalg.norm(np.diff(bar, axis=0), axis=1).sum())
        for m, other in enumerate(lines):
            if m != k and len(other) > 1 and any(
                    min(at, length - at) >= CROSS_INSIDE * length and CROSS_BELOW <= (y - top) / height <= CROSS_ABOVE
                    for at, y in crossings(bar, other)):
                return k
    return None


def read_uncrossed(reading: Reading, pieces: list[Stroke], owners: list[int], group: list[int],
                   read: Callable[[list[int]], Reading | None]) -> Reading:
    """``reading`` of the stroke reader's pieces ``group`` (``owners``: each piece's stroke), or, when it
    is a 2 one of whose strokes lies across another as a 7's cross, what ``read`` (pieces -> a
    ``Reading`` or None) reads of them without that stroke, if that is a 7."""
    if reading.digit != 2:
        return reading
    mine = sorted({owners[k] for k in group})
    strokes = [Stroke(0.0, [point for k in group if owners[k] == owner for point in pieces[k].points]) for owner in mine]
    bar = crossing_bar(strokes)
    if bar is None:
        return reading
    again = read([k for k in group if owners[k] != mine[bar]])
    return again if again is not None and again.digit == 7 else reading


def picture_bar(ink: np.ndarray) -> np.ndarray | None:
    """Where a 7's cross lies in the ink map of one digit (``ink``, 0..1, cropped to it), as a mask of
    the pixels to take out (the bar beside the stem it crosses), or None: a run of ink at least
    ``BAR_WIDE`` of the ink's height long (a horizontal opening), flat, its middle between
    ``CROSS_BELOW`` and ``CROSS_ABOVE`` down, that the rest of the ink crosses (``_stem_through``)."""
    solid = ink > 0.5
    rows = np.flatnonzero(solid.any(axis=1))
    if len(rows) < 8:
        return None
    top, height = rows[0], rows[-1] - rows[0] + 1
    runs, _ = ndimage.label(_level_runs(solid, max(3, round(BAR_WIDE * height))))
    pen = 0.0
    for k, (down, across) in enumerate(ndimage.find_objects(runs), start=1):
        ys, xs = np.nonzero(runs[down, across] == k)
        ys, xs = ys + down.start, xs + across.start
        if (not CROSS_BELOW <= (ys.mean() - top) / height <= CROSS_ABOVE
                or np.ptp(xs) + 1 < BAR_FLAT * (np.ptp(ys) + 1)):
            continue
        bar = runs == k
        pen = pen or max(1.0, pen_width([solid]))
        stem = _stem_through(bar, ys, xs, solid & ~bar, pen * pen)
        if stem is not None:
            (first, last), ends = stem
            bar[:, max(first - 1, 0):last + 2] = False   # (the stem kept)
            return bar | ends
    return None


def _level_runs(solid: np.ndarray, length: int) -> np.ndarray:
    """The ink of ``solid`` that lies in level runs at least ``length`` long: ``ndimage.binary_opening``
    with a level line that long, in a fraction of its time (a digit read as a 2 is looked at so)."""
    edges = np.diff(np.pad(solid, ((0, 0), (1, 1))).view(np.int8), axis=1)   # (1 where a run starts, -1 past its end)
    rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]   # (in the same order: each run's start, then its end, row by row)
    long = ends - starts >= length
    marks = np.zeros((solid.shape[0], solid.shape[1] + 1), np.int32)
    np.add.at(marks, (rows[long], starts[long]), 1)
    np.add.at(marks, (rows[long], ends[long]), -1)
    return np.cumsum(marks, axis=1)[:, :-1] > 0


def _stem_through(bar: np.ndarray, ys: np.ndarray, xs: np.ndarray, rest: np.ndarray,
                  smallest: float) -> tuple[tuple[int, int], np.ndarray] | None:
    """The columns (first, last) where the ``rest`` of a digit's ink meets the ``bar`` (its pixels ``ys``,
    ``xs``) from above and from below, by pieces of ``smallest`` pixels at least (a bar's rounded end
    is none) that meet it only well inside its ends (``CROSS_INSIDE`` of its length from them), and
    the other pieces that meet it, smaller than it (a mask: its stroke's ends, curled, that the
    opening left out), or None. A stem crosses a bar so; a 2's slanted middle, however flat, is met
    at its ends, by the 2's top from above, by its base from below."""
    left, right = xs.min(), xs.max()
    inside = CROSS_INSIDE * (right - left + 1)
    # The bar's top and bottom row in each column (and its neighbours'): what meets it is above or below.
    highest, lowest = np.full(bar.shape[1], bar.shape[0]), np.full(bar.shape[1], -1)
    np.minimum.at(highest, xs, ys)
    np.maximum.at(lowest, xs, ys)
    highest, lowest = ndimage.minimum_filter1d(highest, 3), ndimage.maximum_filter1d(lowest, 3)
    # (what meets it lies within two pixels of it: looked for around its box only)
    down, across = slice(max(ys.min() - 3, 0), ys.max() + 4), slice(max(left - 3, 0), right + 4)
    ty, tx = np.nonzero(ndimage.binary_dilation(bar[down, across], iterations=2) & rest[down, across])
    ty, tx = ty + down.start, tx + across.start
    well_inside = (tx - left >= inside) & (right - tx >= inside)
    if not (well_inside & (ty < highest[tx])).any() or not (well_inside & (lowest[tx] >= 0) & (ty > lowest[tx])).any():
        return None   # (nothing meets it from above and below well inside its ends: no need to look further)
    pieces, many = ndimage.label(rest)
    sizes = ndimage.sum(rest, pieces, np.arange(1, many + 1))
    owner = pieces[ty, tx]
    crossing = np.zeros(len(tx), bool)
    for piece in np.unique(owner):
        mine = owner == piece
        crossing |= mine & (sizes[piece - 1] >= smallest) & (tx[mine].min() - left >= inside) & (right - tx[mine].max() >= inside)
    above, below = crossing & (ty < highest[tx]), crossing & (lowest[tx] >= 0) & (ty > lowest[tx])
    if not above.any() or not below.any():
        return None
    ends = [piece for piece in np.unique(owner[~crossing]) if sizes[piece - 1] < len(xs)]
    return (int(tx[above | below].min()), int(tx[above | below].max())), np.isin(pieces, ends)


def picture_uncrossed(reading: Reading, ink: np.ndarray, read: Callable[[np.ndarray], Reading],
                      alone: bool = False) -> Reading:
    """``reading`` of one digit's ``ink`` (a picture's crop), or, when it is a 2 with a 7's cross in its
    ink (``picture_bar``), what ``read`` (ink -> a ``Reading``) reads of it without the bar, if that is a
    7. A digit ``alone`` in its picture reads as it always did: 3 of MNIST's 2962 2s (its test digits and
    the first 20000 training ones), 20 pixels high with a loop at their foot, have such a "bar" and read
    as 7s without it (none of the pen digits' 2s has one). Only a 2 the network sees some 7 in
    (``SEVEN_SEEN``) is looked at, a fifth of them: every 2 of the held-out writers' numbers (3600 of
    2-5 digits) read as a 7 without its bar had 7e-5 or more; looking costs a 2 about 1.7 ms."""
    seen = reading.probabilities is not None and reading.probabilities[7] >= SEVEN_SEEN
    bar = picture_bar(ink) if reading.digit == 2 and seen and not alone else None
    if bar is None:
        return reading
    again = read(np.where(bar, 0.0, ink))
    return again if again.digit == 7 else reading
