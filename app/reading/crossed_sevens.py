"""A 7 crossed low reads as a 2: its stem curved at the top, a bar across it well down is a 2's base
to the network. But no one crosses a 2: a stroke that lies across another of the same digit, well
inside it and below its top, is a 7's cross (or a 4's bar: never read as a 2). The stroke reader
reads such a "2" again without that bar, and takes the 7 it then reads.

Measured on the UCI pen digits (all 30 writers, 7494 digits): 519 of their 778 7s (686 written in two
strokes or more) have such a bar, none of their 780 2s (3 written in several strokes: a base begun
where the stem ends, not across it).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.reading.predictor import Reading
from app.reading.strokes import Stroke

BAR_FLAT = 1.5       # a bar is this many times wider than high, at least,
BAR_WIDE = 0.2       # and this wide, of the digit's height, at least;
CROSS_BELOW = 0.3    # it crosses another stroke between this and
CROSS_ABOVE = 0.85   # this (of the digit's height, from its top: a base lies lower),
CROSS_INSIDE = 0.2   # with this much of its length, at least, on either side of the crossing


def _crossings(bar: np.ndarray, other: np.ndarray) -> list[tuple[float, float]]:
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
                    for at, y in _crossings(bar, other)):
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
