"""Lines drawn with a number that are no digits, for ``number_pictures.read_picture``: the box a form
prints around a field and a line drawn under a number (a total, a date). Read as writing, a box's
sides are 1s or join every digit into one blob, and a line under the digits joins them at the foot.

- ``without_box``: ink whose outermost rows and columns on all four sides are thin lines (each covering
  ``BOX_COVER`` of its side, within ``BOX_BAND`` of the box's size) round writing is a box: its lines go.
- ``without_underline``: a blob of its own, thin and straight, at least ``UNDER_LENGTH`` times as long
  as the writing above it is high, under most of it and below its middle, is a line under it: it goes.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

BOX_COVER = 0.95       # a box's side: ink in this share of the columns (rows) along it,
BOX_BAND = 0.08        # within this share of the box's height (width) from its edge (a line drawn at a tilt),
BOX_SMALLEST = 20      # in a box at least this many pixels on each side, its lines no thicker than
BOX_THIN = 0.08        # this share of its shorter side, holding writing: ink left inside at least
BOX_HOLDS = 0.1        # this share of all the ink in the box
UNDER_LENGTH = 1.2     # a line under the writing: this many times as long as the writing above is high,
UNDER_THIN = 0.25      # no thicker than this share of that height,
UNDER_SPAN = 0.6       # under this share of the writing's width at least,
UNDER_SMALLEST = 20    # and at least this many pixels long (the longest UNDER_TRIED blobs so long and thin)
UNDER_TRIED = 3
SOLID = 0.35           # ink this strong or more is the writing's


def without_box(ink: np.ndarray) -> np.ndarray:
    """``ink`` (an ink map, 0..1, ink bright) without a box drawn round all the writing in it: along
    each side, in each column (row), the first pixels of the first run of ink from the edge, as many
    as the lines are thick (one thickness for all four sides: where a digit touches a side, its ink
    beyond the line stays), and the faint ink beside them. Any other ink map as it is."""
    solid = ink > SOLID
    rows, columns = np.flatnonzero(solid.any(axis=1)), np.flatnonzero(solid.any(axis=0))
    if not len(rows) or min(rows[-1] - rows[0], columns[-1] - columns[0]) + 1 < BOX_SMALLEST:
        return ink
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1
    across, down = max(1, int(BOX_BAND * (bottom - top))), max(1, int(BOX_BAND * (right - left)))
    box = solid[top:bottom, left:right]
    covered = (box[:across].any(axis=0), box[-across:].any(axis=0), box[:, :down].any(axis=1), box[:, -down:].any(axis=1))
    if min(float(side.mean()) for side in covered) < BOX_COVER:
        return ink
    # Each side seen from its edge inward (a row per step in, a column per place along it).
    sides = ((box, across, lambda m: m), (box[::-1], across, lambda m: m[::-1]), (box.T, down, lambda m: m.T),
             (box.T[::-1], down, lambda m: m[::-1].T))
    runs = [_first_runs(seen, band) for seen, band, _ in sides]
    # The lines' thickness: the median first run of all four sides (a digit along one side lengthens its runs).
    thickness = float(np.median(np.concatenate([(end - first)[near] for first, end, near in runs])))
    lines = np.zeros_like(box)
    for (seen, _, back), (first, end, near) in zip(sides, runs):
        rows = np.arange(seen.shape[0])[:, None]   # (the first run's first pixels: as thick as a line, and one)
        lines |= back((rows >= first) & (rows < np.minimum(end, first + int(np.ceil(thickness)) + 1)) & near)
    left_over = box & ~lines
    # A box is thin lines round writing: a digit drawn square (a 0 as a rectangle) is neither.
    if thickness > BOX_THIN * min(box.shape) or left_over.sum() < BOX_HOLDS * box.sum():
        return ink
    out = ink.copy()
    out[top:bottom, left:right][ndimage.binary_dilation(lines) & ~left_over] = 0.0   # (a line's soft edge too)
    return out


def _first_runs(box: np.ndarray, band: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Along a box's side (its rows from that edge inward, a column per place along it), each column's
    first run of ink: where it begins and ends, and whether it begins within ``band`` rows of the edge
    (where a digit touches the line, or the next side crosses it at a corner, the run is longer: only
    its first pixels, as thick as a line, are the line's)."""
    rows = np.arange(box.shape[0])[:, None]
    first = box.argmax(axis=0)
    gone = (rows >= first) & ~box
    return first, np.where(gone.any(axis=0), gone.argmax(axis=0), box.shape[0]), box[:band].any(axis=0)


def without_underline(ink: np.ndarray) -> np.ndarray:
    """``ink`` without a line drawn under the writing: a blob of its own, thin, at least ``UNDER_LENGTH``
    times as long as the rest of the ink is high, under ``UNDER_SPAN`` of its width, its top below the
    rest's middle. Any other ink map as it is. (Such a line lies in the lower half of the ink: only
    that half is looked at, at half the resolution, a picture's every blob labelled costing a tenth of
    reading it.)"""
    solid = ink > SOLID
    rows = np.flatnonzero(solid.any(axis=1))
    if len(rows) < 2:
        return ink
    half = (int(rows[0]) + int(rows[-1])) // 2
    low = np.pad(solid[half:], ((0, (len(solid) - half) % 2), (0, solid.shape[1] % 2)))
    low = low[0::2] | low[1::2]
    labels, _ = ndimage.label(low[:, 0::2] | low[:, 1::2], structure=np.ones((3, 3)))
    boxes = ndimage.find_objects(labels)
    # (only the longest few blobs thin enough may be one: a picture of noise has thousands of blobs)
    lines = sorted((k for k, (ys, xs) in enumerate(boxes) if 2 * (xs.stop - xs.start) >= UNDER_SMALLEST
                    and xs.stop - xs.start >= UNDER_LENGTH / UNDER_THIN * (ys.stop - ys.start - 1)),
                   key=lambda k: boxes[k][1].start - boxes[k][1].stop)
    for k in lines[:UNDER_TRIED]:
        line = np.zeros_like(solid)   # (its pixels: the ink in its blob's half-resolution pixels)
        line[half:] = np.repeat(np.repeat(labels == k + 1, 2, axis=0), 2, axis=1)[:len(solid) - half, :solid.shape[1]]
        line &= solid
        rest = solid & ~line
        if not line.any() or not rest.any():
            continue
        ys, xs = np.flatnonzero(line.any(axis=1)), np.flatnonzero(line.any(axis=0))
        rows, columns = np.flatnonzero(rest.any(axis=1)), np.flatnonzero(rest.any(axis=0))
        tall, wide = rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1
        under = min(xs[-1], columns[-1]) + 1 - max(xs[0], columns[0])
        if (xs[-1] - xs[0] + 1 >= UNDER_LENGTH * tall and ys[-1] - ys[0] + 1 <= UNDER_THIN * tall
                and under >= UNDER_SPAN * wide and ys[0] > (rows[0] + rows[-1]) / 2):
            out = ink.copy()
            out[ndimage.binary_dilation(line) & ~rest] = 0.0   # (its soft edge too)
            return out
    return ink
