"""The pen of a picture's ink: how wide it is, and the ink worn down or grown by a disk (for the pen
as read, ``number_pictures.ink_as_read``)."""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage


def _area_and_outline(solid: np.ndarray) -> tuple[int, int]:
    """Pixels of solid ink, and those of them on its outline (beside a pixel without ink, up, down,
    left or right: what ``ndimage.binary_erosion`` takes away, a tenth of its time on a number)."""
    p = np.pad(solid, 1)
    inner = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    area = int(np.count_nonzero(solid))
    return area, area - int(np.count_nonzero(inner))


def pen_width(solids: list[np.ndarray]) -> float:
    """The pen's width in pictures' solid ink (pixels): for strokes, twice their area over their outline."""
    area, outline = np.sum([_area_and_outline(solid) for solid in solids], axis=0) if solids else (0, 0)
    return 2 * float(area) / max(int(outline), 1)


def by_disk(ink: np.ndarray, radius: int, grow: bool) -> np.ndarray:
    """``ndimage.grey_dilation`` (``grow``) or ``grey_erosion`` of ``ink`` (0 where there is none) by a
    disk, the same values in a tenth of the time: the disk is a horizontal run of pixels per row
    offset, and a run is a 1-D filter, shared by the rows of one length; and only the ink's box and
    ``radius`` around it is filtered (no ink lies within a disk of any other pixel: it stays 0)."""
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return ink.copy()
    h, w = ink.shape
    top, bottom = max(0, int(rows[0]) - radius), min(h, int(rows[-1]) + 1 + radius)
    left, right = max(0, int(columns[0]) - radius), min(w, int(columns[-1]) + 1 + radius)
    # (where the box reaches the picture's edge, the filter sees that edge as it would; elsewhere the
    # box's margin of ``radius`` without ink mirrors as no ink, as the picture beyond it is)
    out = np.zeros_like(ink)
    out[top:bottom, left:right] = _by_disk(ink[top:bottom, left:right], radius, grow)
    return out


def _by_disk(ink: np.ndarray, radius: int, grow: bool) -> np.ndarray:
    h, w = ink.shape
    padded = np.pad(ink, radius, mode="symmetric")   # (scipy's "reflect" at the edges)
    filter1d, pick = (ndimage.maximum_filter1d, np.maximum) if grow else (ndimage.minimum_filter1d, np.minimum)
    out, runs = ink.copy(), {}
    for dy in range(-radius, radius + 1):
        half = math.isqrt(radius * radius + radius - dy * dy)   # the disk's row dy: |dx| <= half
        if half not in runs:
            runs[half] = filter1d(padded, 2 * half + 1, axis=1)
        pick(out, runs[half][radius + dy:radius + dy + h, radius:radius + w], out=out)
    return out
