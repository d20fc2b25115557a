"""Strokes drawn for the number reader (``app/reading/numbers.py``): a candidate digit drawn small and
fast to be read among hundreds, a chosen digit drawn exactly as the canvas draws it, and a whole
drawing as a picture.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from app.reading.predictor import prepare_drawing
from app.reading.preprocess import Preprocessed
from app.reading.strokes import LOGICAL_SIZE, Drawing, Stroke

MOST_DRAWN = 8 * LOGICAL_SIZE   # units: a candidate longer than this is drawn scaled down to it (a drawing file's
                                # stroke 200000 units long drawn as it is wanted 23 GB; the window's are under 2000)
STROKES_FAST_SIDE = 112   # pixels: a stroke candidate's box when drawn small to be read (at 56 the
                          # network saw it too coarsely: 4s of two strokes read as "not a digit")


def span(group: list[Stroke]) -> tuple[np.ndarray, np.ndarray]:
    """The box of strokes, their pen included: (left, top), (right, bottom)."""
    points = np.array([p for s in group for p in s.points], float)
    pad = max(s.width for s in group) / 2
    return points.min(axis=0) - pad, points.max(axis=0) + pad


def fast_crop(group: list[Stroke]) -> np.ndarray:
    """A candidate drawn small, cropped to its ink (empty without ink): the group's box scaled to
    ``STROKES_FAST_SIDE`` pixels, pen width scaled alike, so the box filter of ``fast_mnist`` sees about
    what ``to_mnist`` sees of the canvas drawing (the chosen digits are drawn again exactly, for the
    answer). Many are made network inputs together: ``fast_mnist``."""
    counts = [len(s.points) for s in group]
    points = np.array([p for s in group for p in s.points], float)   # (all strokes' at once: tens per stroke)
    pad = max(s.width for s in group) / 2
    lo, hi = points.min(axis=0) - pad, points.max(axis=0) + pad   # (``span``)
    scale = STROKES_FAST_SIDE / max(float((hi - lo).max()), 1e-6)
    size = np.ceil((hi - lo) * scale).astype(int) + 1
    image = Image.new("L", (int(size[0]), int(size[1])), 0)
    draw = ImageDraw.Draw(image)
    points = (points - lo) * scale
    steps = np.hypot(*np.diff(points, axis=0).T)
    ends = np.cumsum([0] + counts).tolist()
    for s, start, stop in zip(group, ends[:-1], ends[1:]):
        r = s.width * scale / 2
        # Points closer than a pixel change nothing drawn at this size: the line goes through one
        # point per pixel of its length, and its last (a tablet sampling fast puts many in each pixel:
        # skipping each point within a pixel of the one before left such a stroke a dot).
        along = np.floor(np.concatenate([[0.0], np.cumsum(steps[start:stop - 1])]))   # (``arc_lengths``)
        keep = np.concatenate([[True], along[1:] > along[:-1]])
        keep[-1] = True
        xy = points[start:stop][keep]
        if len(xy) > 1:
            draw.line(xy.ravel().tolist(), fill=255, width=max(1, round(2 * r)))
        for box in np.concatenate([xy - r, xy + r], axis=1).tolist():   # round joins and caps
            draw.ellipse(box, fill=255)
    ink = np.asarray(image)
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return np.zeros((0, 0), np.float32)
    return ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1].astype(np.float32) / 255


def drawing_picture(strokes: list[Stroke], height: int = LOGICAL_SIZE) -> np.ndarray:
    """Strokes drawn as the canvas draws them, as a dark-on-light greyscale picture (0..1) ``height``
    high and as wide as the writing, one pixel a canvas unit."""
    right = max(x for s in strokes for x, _ in s.points) + max(s.width for s in strokes)
    drawing = Drawing.from_strokes(strokes, size=int(math.ceil(max(right + 4, height))))
    return 1.0 - drawing.array()[:height]


def canvas_input(group: list[Stroke], height: int) -> Preprocessed:
    """A digit's network input drawn exactly as the canvas draws it: one digit drawn alone reads as the
    window reads it. Drawn on a square canvas of the drawing's height, where it is; a digit beyond
    that square (further right, or lower on a canvas zoomed out) is moved by whole units, which
    changes nothing else. Only its box is box-filtered and prepared (a tenth of the canvas's pixels,
    the same input: there is no other ink)."""
    lo, hi = span(group)
    if (hi - lo).max() > MOST_DRAWN:   # (the same shape, pen and all, at a size that can be drawn)
        scale = MOST_DRAWN / float((hi - lo).max())
        group = [Stroke(s.width * scale, [((x - lo[0]) * scale, (y - lo[1]) * scale) for x, y in s.points]) for s in group]
        lo, hi = span(group)
    if lo.min() >= 0 and hi.max() <= height:
        size, dx, dy = height, 0, 0
    else:
        size = max(height, int(math.ceil((hi - lo).max())) + 4)
        dx, dy = int(math.floor(lo[0])) - 2, (int(math.floor(lo[1])) - 2 if lo[1] < 0 or hi[1] > size else 0)
    shifted = [Stroke(s.width, [(x - dx, y - dy) for x, y in s.points]) for s in group]
    drawing = Drawing.from_strokes(shifted, size=size)
    box = (max(0, int(math.floor(lo[0])) - dx - 2), max(0, int(math.floor(lo[1])) - dy - 2),
           min(size, int(math.ceil(hi[0])) - dx + 2), min(size, int(math.ceil(hi[1])) - dy + 2))
    return prepare_drawing(drawing, box)
