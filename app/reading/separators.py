"""A hyphen between the digits of a number ("12-34", a phone number, a date): a short level stroke
of its own (a blob of its own in a picture) at the writing's middle height, in the gap between two
digits. The number readers (``numbers.read_strokes``, ``number_pictures.read_picture``) may leave it
out of the number, as the stroke reader leaves out the pen's way between joined digits; read as a
digit it is no digit at all, and joined to its neighbour it spoils that digit ("63-85" read "6?85",
"9-17" read "947"). A 7's cross and a 4's or 5's bar lie over their digit's ink, a 1's base and a
5's top bar at the writing's foot or top: none of them is one.
"""
from __future__ import annotations

import numpy as np

from app.reading.strokes import Stroke

LEVEL = 0.35              # no higher than this of its own length (a stroke rising more is a 1 or a link),
SHORTEST = 0.12           # and at least this long, at most LONGEST (of the writing's height): shorter is
LONGEST = 0.8             # a dot (a speck, left out anyway), longer a 7's or 2's stroke or a dash of its own
MIDDLE = 0.25             # its middle this far (of the writing's height) or more from the writing's top and foot
ENDS = 0.15               # no other stroke crosses it but within this (of its length) of its ends,
BAND = 0.1                # and this (of the writing's height) above or below it (a 7's stem crosses its cross)
TALLEST = 0.6             # a picture's blob taller than this (of the writing's height) is no hyphen, whatever the pen


def is_separator(pieces: list[Stroke], owners: list[int], k: int, boxes: np.ndarray, height: float) -> bool:
    """Whether piece k (of ``pieces``, leaned upright as the reader reads them, each one's stroke in
    ``owners``, their boxes ``boxes`` as left, top, right, bottom) is a hyphen between digits: a
    stroke of its own, level, between ``SHORTEST`` and ``LONGEST`` of the writing's ``height`` long,
    its middle at the middle height of the writing around it, with writing both left and right of
    it, within no other stroke's span and with none through it."""
    if (k > 0 and owners[k - 1] == owners[k]) or (k + 1 < len(owners) and owners[k + 1] == owners[k]):
        return False   # (a part of a joined stroke: ``joined_strokes.is_link`` judges those)
    points = np.asarray(pieces[k].points, float)
    length, rise = np.ptp(points[:, 0]), np.ptp(points[:, 1])
    if not (SHORTEST * height <= length <= LONGEST * height and rise <= LEVEL * length):
        return False
    left, right, middle = points[:, 0].min(), points[:, 0].max(), (boxes[k, 1] + boxes[k, 3]) / 2
    near = _near(np.delete(boxes, k, axis=0), left, right, height)
    if not _in_a_gap(near, left, right, middle) or ((near[:, 0] <= left) & (near[:, 2] >= right)).any():
        return False   # (within one stroke's span: a 7's cross drawn short of its stem)
    # No other stroke crosses its inner part: a 7's cross, a 4's bar have their stem through them,
    # where a hyphen's neighbours at most touch its ends.
    inner = (left + ENDS * (right - left), right - ENDS * (right - left))
    band = (middle - BAND * height, middle + BAND * height)
    over = np.flatnonzero((boxes[:, 2] >= inner[0]) & (boxes[:, 0] <= inner[1])
                          & (boxes[:, 3] >= band[0]) & (boxes[:, 1] <= band[1]))   # (only these may: a long row of dashes stays cheap)
    return not any(_passes(np.asarray(pieces[n].points, float), inner, band, height) for n in over if n != k)


def _passes(points: np.ndarray, xs: tuple[float, float], ys: tuple[float, float], height: float) -> bool:
    """Whether a stroke's line (its points joined, looked at every fiftieth of the writing's ``height``)
    passes through the box ``xs`` by ``ys``."""
    steps = np.maximum(1, np.ceil(np.hypot(*np.diff(points, axis=0).T) / (height / 50))).astype(int)
    t = np.concatenate([np.arange(n) / n + i for i, n in enumerate(steps)] + [[len(points) - 1]])
    x = np.interp(t, np.arange(len(points)), points[:, 0])
    y = np.interp(t, np.arange(len(points)), points[:, 1])
    return bool(((x >= xs[0]) & (x <= xs[1]) & (y >= ys[0]) & (y <= ys[1])).any())


def _near(boxes: np.ndarray, left: float, right: float, height: float) -> np.ndarray:
    """The boxes (left, top, right, bottom) of the writing around a mark from ``left`` to ``right``:
    within the writing's ``height`` of it in x."""
    return boxes[(boxes[:, 2] >= left - height) & (boxes[:, 0] <= right + height)]


def _in_a_gap(near: np.ndarray, left: float, right: float, middle: float) -> bool:
    """Whether a mark from ``left`` to ``right`` whose middle row is ``middle`` lies between digits: writing
    (``near``, boxes as left, top, right, bottom) whose middles lie left and right of it, its middle
    ``MIDDLE`` or more of that writing's height from its top and foot."""
    if not len(near):
        return False
    top, foot = near[:, 1].min(), near[:, 3].max()
    centres = (near[:, 0] + near[:, 2]) / 2
    return bool(top + MIDDLE * (foot - top) <= middle <= foot - MIDDLE * (foot - top)
                and (centres < left).any() and (centres > right).any())


def separator_blobs(blobs: list, height: float) -> set[int]:
    """Which of a picture's ``blobs`` (``ink_blobs.Blob``, left to right) are hyphens between digits,
    as ``is_separator`` judges strokes: level (its ink, less the pen's thickness, no higher than
    ``LEVEL`` of its length), ``SHORTEST`` to ``LONGEST`` of the writing's ``height`` long, its middle
    at the middle height of the writing around it, with blobs both left and right of it and no other
    blob's ink through its inner part (a 7's cross apart from its stem)."""
    found = set()
    boxes = np.array([(b.lo, b.top, b.hi, b.bottom) for b in blobs], float).reshape(-1, 4)
    for k, blob in enumerate(blobs):
        if blob.hi - blob.lo < SHORTEST * height or blob.height > TALLEST * height:
            continue   # (most blobs are digits: no need to look closer)
        columns = (blob.full > 0.5).sum(axis=0)
        pen = float(np.median(columns[columns > 0])) if columns.any() else 0.0
        length, rise = blob.hi - blob.lo - pen, blob.height - pen
        if not (SHORTEST * height <= length <= LONGEST * height and rise <= LEVEL * length):
            continue
        others = np.arange(len(blobs)) != k
        if not _in_a_gap(_near(boxes[others], blob.lo, blob.hi, height), blob.lo, blob.hi, blob.middle):
            continue
        near = [blobs[n] for n in np.flatnonzero(others & (boxes[:, 2] >= blob.lo - height) & (boxes[:, 0] <= blob.hi + height))]
        inner = (blob.lo + ENDS * (blob.hi - blob.lo), blob.hi - ENDS * (blob.hi - blob.lo))
        rows = slice(max(0, int(blob.middle - BAND * height)), int(blob.middle + BAND * height) + 1)
        if not any((o.full[rows, max(0, int(inner[0]) - o.lo):max(0, int(inner[1]) + 1 - o.lo)] > 0.5).any() for o in near):
            found.add(k)
    return found
