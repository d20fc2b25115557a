"""The paper in a picture, for ``preprocess.ink_map``: a photo's is rarely the even sheet of a scan.

- ``on_the_page``: a photo of a sheet lying on a desk, the desk darker than the paper all round the
  picture's edge (the light falling off across both: ``desk_light``). Read as it was, the desk was
  the paper and the sheet one blot of ink.
- ``paper_map``: paper lit unevenly (light falling off to one side): its level where it lies.
- ``without_ruled_lines``: a notebook's ruled lines, which are ink to the reader, taken out;
  ``without_upright_lines`` (before it): upright ones, its margin line, a squared sheet's grid.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from app.reading.ink_pen import pen_width

PAGE_CONTRAST = 0.25      # a sheet is this much lighter than what it lies on (0..1),
PAGE_SHARE = 0.25         # and covers more than this share of the picture
SQUARE = 0.9              # and of the smallest rectangle around it (a sheet, turned any way), and what is written on
THIN_WRITING = 0.15       # it is thin: its strokes narrower than this share of the sheet's shorter side;
PAGE_MARGIN = 0.02        # its edge (this share of its shorter side, a shadow, a curl) is left out too
EVEN_PAPER = 0.1          # paper whose level varies less than this over the picture is evenly lit,
PAPER_BLOCKS = 8          # else its level is found in blocks, about this many to the picture's longer side,
PAPER_BLOCK_PIXELS = 24   # and at least this many pixels on a side
RULED_TURN = 6.0          # ruled paper's lines: within this of level (degrees, looked at every
RULED_STEP = 0.5          # this many, then finer), each over
RULED_LENGTH = 0.8        # this share of the ink's width and reaching past the writing on both sides by
RULED_BEYOND = 0.05       # this share of it; in a picture of ink at least
RULED_SMALLEST = 100      # this many pixels wide (a digit alone, MNIST's 28 x 28, has no lines)
RULED_THIN = 0.03         # a line is thinner than this share of the picture's height
RULED_SOFT = 4            # (pixels beside a line that may still be its soft edge, not writing)
UPRIGHT_THIN = 0.5        # paper's upright lines are thinner than this share of the writing's pen
SLANT_SAMPLES = 128       # lines' slant is found from about this many of the columns (rows) they cross,
FINE_SAMPLES = 4          # and to a tenth of a degree from this many times as many


class Lines(NamedTuple):
    """Paper's lines along one slant, as ``_level_lines`` finds them in some ink pixels."""
    angle: float            # the slant (radians)
    low: int                # the lowest offset along it
    offsets: np.ndarray     # each pixel's offset along it, from ``low``
    bands: list[list[int]]  # the lines, as (first, last) offsets


def on_the_page(grey: np.ndarray) -> np.ndarray:
    """``grey`` (0..1) with what lies around the sheet in a photo of one made paper: a desk, darker all
    round the picture's edge by ``PAGE_CONTRAST`` than the middle of the picture (a photo centres the
    sheet). The sheet is the largest region lighter than a third of the way from the edge's level to
    the middle's, holes (the writing) filled:
    over ``PAGE_SHARE`` of the picture and ``SQUARE`` of the smallest rectangle around it (a sheet is
    a rectangle, turned any way), the writing on it thin (``THIN_WRITING``): a bold light digit on a
    dark ground, filled in, is neither. Its edge (``PAGE_MARGIN``: a shadow, a curl) is left out too.
    Any other picture is as it was: a scan, a drawing, light ink on a dark ground."""
    h, w = grey.shape
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    around, paper = float(np.median(border)), float(np.median(grey[h // 4:h - h // 4, w // 4:w - w // 4]))
    if paper - around < PAGE_CONTRAST:
        return grey
    # Lit unevenly, the shaded side of the sheet may be no lighter than the lit desk: desk and sheet
    # are told apart as if evenly lit, by the light the desk round the edge shows (``desk_light``).
    light = desk_light(grey, around, paper)
    seen = grey if light is None else grey / light
    bright = seen > around + (paper - around) / 3   # (nearer the desk: paper in the shade is still paper)
    labels, count = ndimage.label(bright)
    if not count:
        return grey
    sheet = ndimage.binary_fill_holes(labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:])))
    area = np.count_nonzero(sheet)
    if area <= PAGE_SHARE * grey.size:
        return grey
    box_area, (short, _) = smallest_rectangle(sheet)
    if area < SQUARE * box_area:
        return grey
    # What lies on a sheet is writing, thin beside the sheet; a light digit's counters (a bold 0 or 8
    # on a dark ground, filled in: a light region, nearly a rectangle) are wide beside the digit.
    writing = pen_width([sheet & ~bright])   # (a 0's or 8's inside is sheet, its ink not)
    if not 0 < writing <= THIN_WRITING * short:   # (nothing written: nothing to read)
        return grey
    margin = max(1, int(PAGE_MARGIN * short))
    sheet = ndimage.minimum_filter(sheet, size=2 * margin + 1)   # (a square's worth of erosions at once)
    outside = np.float32(paper) if light is None else np.float32(paper) * light   # (paper, lit as it lies)
    return np.where(sheet, grey, outside).astype(np.float32, copy=False)


def desk_light(grey: np.ndarray, around: float, paper: float) -> np.ndarray | None:
    """How the light falls across a photo of a sheet on a desk, as a share of the light at its middle
    (h, w): a plane fitted to the desk round the picture's edge (its pixels nearer ``around``, the
    desk's level, than ``paper``'s). None when the desk is evenly lit (within ``EVEN_PAPER`` from
    corner to corner): the picture is read as it always was."""
    h, w = grey.shape
    ys = np.concatenate([np.zeros(w), np.full(w, h - 1), np.arange(h), np.arange(h)]) / h
    xs = np.concatenate([np.arange(w), np.arange(w), np.zeros(h), np.full(h, w - 1)]) / w
    values = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]]).astype(float)
    desk = values < (around + paper) / 2
    if np.count_nonzero(desk) < 3:
        return None
    a, b, c = np.linalg.lstsq(np.column_stack([np.ones(np.count_nonzero(desk)), xs[desk], ys[desk]]), values[desk],
                              rcond=None)[0]
    corners = [a + b * x + c * y for x in (0, 1) for y in (0, 1)]
    middle = a + b / 2 + c / 2
    if max(corners) - min(corners) < EVEN_PAPER or min(corners) <= 0.02 or middle <= 0.02:
        return None   # (even; or a plane that runs dark: no light to divide by)
    plane = a + b * (np.arange(w, dtype=np.float32) / w)[None, :] + c * (np.arange(h, dtype=np.float32) / h)[:, None]
    return (plane / middle).astype(np.float32)


def smallest_rectangle(mask: np.ndarray) -> tuple[float, tuple[float, float]]:
    """The area and sides (shorter first) of the smallest rectangle, turned any way, around a mask's
    pixels: one of its sides lies along an edge of their convex hull (rotating calipers)."""
    inner = ndimage.binary_erosion(mask)
    ys, xs = np.nonzero(mask & ~inner)   # (the outline holds the hull)
    points = np.column_stack([xs, ys]).astype(float)
    try:
        hull = points[ConvexHull(points).vertices]
    except QhullError:   # (a line of pixels)
        return float(np.count_nonzero(mask)), (1.0, float(np.count_nonzero(mask)))
    edges = np.roll(hull, -1, axis=0) - hull
    best = (np.inf, (0.0, 0.0))
    for angle in np.unique(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2)):
        c, s_ = np.cos(angle), np.sin(angle)
        turned = hull @ np.array([[c, -s_], [s_, c]])
        sides = np.ptp(turned, axis=0) + 1   # (pixels, not points: each is a unit wide)
        best = min(best, (float(sides[0] * sides[1]), tuple(sorted(sides.tolist()))))
    return best


def paper_map(grey: np.ndarray, light: bool) -> np.ndarray | None:
    """The paper's level at each pixel of an unevenly lit picture, or None when it is even (within
    ``EVEN_PAPER``: a scan, a drawing, a screenshot, read as they always were). The picture is cut
    into blocks ``PAPER_BLOCKS`` to its longer side (``PAPER_BLOCK_PIXELS`` at least: larger than a
    pen is wide, so a block holds paper); a block's paper is its lightest twentieth (darkest, for light
    ink on dark paper), a block of ink alone is outvoted by its neighbours (a median of three by
    three, the levels past the edge going on as they go at it), and the levels are spread smoothly
    over the pixels."""
    h, w = grey.shape
    side = max(PAPER_BLOCK_PIXELS, -(-max(h, w) // PAPER_BLOCKS))
    if h < 2 * side and w < 2 * side:
        return None   # (a small picture, a digit alone: no room to tell paper from light)
    rows, columns = -(-h // side), -(-w // side)
    # Some 24 x 24 pixels of each block tell its paper as well as all; a block past the picture's edge
    # repeats its last row or column (never made whole: a strip 1 x 100000 pixels has blocks 12500 wide).
    offsets = np.arange(0, side, max(1, side // 24))
    at_rows = np.minimum((np.arange(rows)[:, None] * side + offsets).ravel(), h - 1)
    at_columns = np.minimum((np.arange(columns)[:, None] * side + offsets).ravel(), w - 1)
    blocks = grey[np.ix_(at_rows, at_columns)].reshape(rows, len(offsets), columns, len(offsets))
    levels = np.percentile(blocks.transpose(0, 2, 1, 3).reshape(rows, columns, -1), 95 if light else 5, axis=2)
    # Past the picture's edge the levels go on as they go at it: the light falling off into a corner
    # makes the corner's block the darkest of its neighbours, as a block of ink alone is, but there
    # the slope of the light says so (repeated as it was, the corner's paper came out ink).
    levels = ndimage.median_filter(np.pad(levels, 1, mode="reflect", reflect_type="odd"), size=3)[1:-1, 1:-1]
    if float(levels.max() - levels.min()) < EVEN_PAPER:
        return None
    spread = levels[np.arange(h)[:, None] // side, np.arange(w)[None, :] // side].astype(np.float32)
    return ndimage.uniform_filter(spread, size=side, mode="nearest")


def without_ruled_lines(ink: np.ndarray) -> np.ndarray:
    """An ink map (0..1, ink bright) without the lines of ruled paper: straight lines within
    ``RULED_TURN`` degrees of level, each over ``RULED_LENGTH`` of the ink's width and reaching past the
    writing on both sides (by ``RULED_BEYOND`` of that width: a 2's top and base are the writing).
    Only the lines go: where a stroke crosses one, the ink above or below it keeps the line's pixels
    there. Any other ink map as it is."""
    solid = ink > 0   # (a faint line is ink too: in a digit's crop, a faint line through it misleads)
    columns = np.flatnonzero(solid.any(axis=0))
    if not len(columns):
        return ink
    left, right = int(columns[0]), int(columns[-1])
    width = right - left + 1
    # (lines run through every column the ink spans: a number with a gap between two digits has none)
    if width < RULED_SMALLEST or len(columns) < RULED_LENGTH * width:
        return ink
    # The lines reach past the writing on both sides: there, the ink is thin lines.
    margin = max(1, int(RULED_BEYOND * width))
    thinnest = RULED_THIN * ink.shape[0] + margin * np.tan(np.radians(RULED_TURN)) + 2
    for edge in (solid[:, left:left + margin], solid[:, right + 1 - margin:right + 1]):
        starts, ends = _runs(edge.any(axis=1))
        if not len(starts) or (ends - starts).max() > thinnest:
            return ink
    ys, xs = np.nonzero(solid)
    lines = _level_lines(ys, xs - left, width, ink.shape[0], max(1, width // SLANT_SAMPLES))
    on_line, near = _on_lines(lines)
    # (a line leaving the picture near a corner, too short to be found, lies a few pixels from its edge)
    h = ink.shape[0]
    near |= (np.minimum(ys, h - 1 - ys) < RULED_SOFT) | (np.minimum(xs - left, right - xs) < RULED_SOFT)
    writing = xs[~near]
    if not lines.bands or (len(writing) and min(writing.min() - left, right - writing.max()) < RULED_BEYOND * width):
        return ink
    out = ink.copy()
    _take_out(out, solid, ys, xs - left, left, lines, on_line)
    return out


def without_upright_lines(ink: np.ndarray) -> np.ndarray:
    """An ink map (0..1, ink bright) without paper's printed upright lines, a ruled notebook's margin
    line, a squared sheet's grid (an exercise book's): straight lines within ``RULED_TURN`` degrees of
    upright, each over ``RULED_LENGTH`` of the ink's height, when there is a level one too (over that
    share of its width: paper's lines come with level ones) and they are all thinner than
    ``UPRIGHT_THIN`` of the writing's pen (printed lines are hairlines beside a pen's strokes; a 1 as
    tall as the ink is as bold as the writing: never a line). Two at most at the ink's edges, with
    level ones only at its top and bottom, are a box round the writing: a form's field, which
    ``form_lines`` takes out whole. Where a stroke crosses a line, the ink beside it keeps the line's
    pixels there. The level lines are ``without_ruled_lines``'s to take out, after this (with an
    upright one in the ink, none is). Any other ink map as it is: the slow look is taken only where
    thin runs of ink cross its left and right columns, and its top and bottom rows (one going straight
    through, or two at each: ``_through``)."""
    solid = ink > 0
    rows, columns = np.flatnonzero(solid.any(axis=1)), np.flatnonzero(solid.any(axis=0))
    if not len(rows):
        return ink
    top, bottom, left, right = int(rows[0]), int(rows[-1]), int(columns[0]), int(columns[-1])
    height, width = bottom - top + 1, right - left + 1
    box = solid[top:bottom + 1, left:right + 1]
    if min(height, width) < RULED_SMALLEST:
        return ink
    (upright_ends, straight_through), (level_ends, _) = _through(box.T), _through(box)
    if not level_ends or not (straight_through or upright_ends >= 2):   # (a turned sheet: its lines' ends)
        return ink
    ys, xs = np.nonzero(box)
    # (upright lines are the level lines of the ink turned on its side: its columns are rows)
    find = {"upright": lambda: _level_lines(xs, ys, height, width, max(1, height // SLANT_SAMPLES)),
            "level": lambda: _level_lines(ys, xs, width, height, max(1, width // SLANT_SAMPLES))}
    # Both kinds are needed: the search that looks at fewer columns first (along the ink's longer side,
    # a number's level lines: a tenth of the work), the other only if that finds some.
    lines = {}
    for kind in ("level", "upright") if width >= height else ("upright", "level"):
        lines[kind] = find[kind]()
        if not lines[kind].bands:
            return ink
    upright, level = lines["upright"], lines["level"]
    if _a_frame(upright, xs, width) and _a_frame(level, ys, height):
        return ink   # (a box round the writing)
    up_line, near = _on_lines(upright)
    near |= _on_lines(level)[1]
    writing = box.copy()
    writing[ys[near], xs[near]] = False
    # (a line's band of offsets is two wider than the line: ``_lines`` counts a pixel's neighbours too)
    if not writing.any() or max(b - a - 1 for a, b in level.bands + upright.bands) > UPRIGHT_THIN * pen_width([writing]):
        return ink
    out = ink.copy()
    _take_out(out[top:bottom + 1, left:right + 1].T, box.T, xs, ys, 0, upright, up_line)
    return out


def _a_frame(lines: Lines, across: np.ndarray, extent: int) -> bool:
    """Whether the ``lines`` are two at most, each at an edge of the ink's box: their pixels' places
    ``across`` them (of ``extent``) reach within ``RULED_SOFT`` of it."""
    for a, b in lines.bands:
        on = across[(lines.offsets >= a - 1) & (lines.offsets <= b + 1)]
        if on.min() > RULED_SOFT and on.max() < extent - 1 - RULED_SOFT:
            return False
    return len(lines.bands) <= 2


def _through(box: np.ndarray) -> tuple[int, int]:
    """Thin runs of ink along the ``box``'s first columns and its last ones (thinner than ``RULED_THIN``
    of its shorter side, a line's turn across them allowed, with ink in half of those columns: a line
    across them, not one along them): how many at both (the fewer), and how many of the first have one
    at the last within ``RULED_TURN`` of level of them. Lines across the box reach both its edges (not
    always the same lines: a sheet photographed turned on a desk has a corner in each); a digit's
    strokes, as bold as the pen, seldom do."""
    h, w = box.shape
    margin = max(1, int(RULED_BEYOND * w))
    thinnest = RULED_THIN * min(h, w) + margin * np.tan(np.radians(RULED_TURN)) + 2
    middles = []
    for edge in (box[:, :margin], box[:, w - margin:]):
        starts, ends = _runs(2 * edge.sum(axis=1) >= margin)
        thin = ends - starts <= thinnest
        middles.append((starts[thin] + ends[thin]) / 2)
    reach = w * np.tan(np.radians(RULED_TURN)) + thinnest
    across = np.abs(middles[0][:, None] - middles[1][None, :]) <= reach
    return min(len(middles[0]), len(middles[1])), int(across.any(axis=1).sum()) if across.size else 0


def _runs(on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of True in ``on`` (1-D) starts, and where it ends (one past its last)."""
    padded = np.concatenate([[False], on, [False]])
    return np.flatnonzero(padded[1:] & ~padded[:-1]), np.flatnonzero(~padded[1:] & padded[:-1])


def _level_lines(ys: np.ndarray, xs: np.ndarray, width: int, height: int,
                 step: int = 1) -> Lines:
    """The ruled lines in ink pixels ``ys``, ``xs`` (columns from the ink's left edge, ``width`` wide;
    ``height`` the picture's): their slant (``_slant``, every ``step``-th column looked at), the lowest
    offset, each pixel's offset along that slant from it, and the lines as (first, last) offsets (``_lines``)."""
    angle = _slant(ys, xs, width, step)
    offsets = np.round(ys - np.tan(angle) * xs).astype(np.int64)
    low = int(offsets.min())
    offsets -= low
    return Lines(angle, low, offsets, _lines(offsets, xs, width, low, angle, height))


def _on_lines(lines: Lines) -> tuple[np.ndarray, np.ndarray]:
    """Which pixels lie on the ``lines`` (a pixel either side too), and which near them
    (``RULED_SOFT``: a photo's line is soft at its edges)."""
    offsets = lines.offsets
    on_line, near = np.zeros(len(offsets), bool), np.zeros(len(offsets), bool)
    for a, b in lines.bands:
        on_line |= (offsets >= a - 1) & (offsets <= b + 1)
        near |= (offsets >= a - RULED_SOFT) & (offsets <= b + RULED_SOFT)
    return on_line, near


def _take_out(out: np.ndarray, solid: np.ndarray, ys: np.ndarray, xs: np.ndarray, x0: int,
              lines: Lines, on_line: np.ndarray) -> None:
    """The ``lines`` (as ``_level_lines`` found them in the pixels ``ys``, ``xs``: columns from
    ``x0``) taken out of ``out`` (in place; ``solid``: its ink before)."""
    h, (angle, low, offsets, bands) = out.shape[0], lines
    for a, b in bands:
        mine = on_line & (offsets >= a - 1) & (offsets <= b + 1)
        # A stroke crossing the line has ink just above or below it (beyond its thickness): kept there.
        line_y = np.round(a - 1 + low + np.tan(angle) * xs[mine]).astype(np.int64)
        above, below = line_y - 2, line_y + (b - a + 3) + 1   # (beyond the picture's edge: no ink)
        crossed = (above >= 0) & solid[np.clip(above, 0, h - 1), xs[mine] + x0]
        crossed |= (below < h) & solid[np.clip(below, 0, h - 1), xs[mine] + x0]
        out[ys[mine][~crossed], xs[mine][~crossed] + x0] = 0.0


def _slant(ys: np.ndarray, xs: np.ndarray, width: int, step: int = 1) -> float:
    """The slant (radians) of the longest straight lines in the ink (pixels ys, xs from its left edge),
    every ``RULED_STEP`` degrees within ``RULED_TURN`` of level, looking at every ``step``-th column
    only (a long line is found as well, in a fraction of the time), then a tenth of a degree about the
    best, looking at ``FINE_SAMPLES`` times as many: a line hundreds of pixels long drifts a pixel over
    its length at that."""
    def peak_of(ys: np.ndarray, xs: np.ndarray, step: int):
        columns, count = xs // step, (width - 1) // step + 1

        def peak(angle: float) -> tuple[int, int]:
            """The most columns with ink along any two neighbouring lines of this slant (a ruled line is
            long, a digit's bar, however bold, is not), then the most pixels along one (of the slants a
            line lies within, the one it lies along)."""
            lines = np.round(ys - np.tan(angle) * xs).astype(np.int64)
            lines -= lines.min()
            covered = np.zeros((int(lines.max()) + 2, count), bool)
            covered[lines, columns] = covered[lines + 1, columns] = True
            return int(covered.sum(axis=1).max()), int(np.bincount(lines).max())
        return peak

    def sampled(step: int):   # (every step-th column's pixels)
        some = xs % step == 0
        return peak_of(ys[some], xs[some], step) if step > 1 and some.any() else peak_of(ys, xs, 1)

    angle = float(max(np.radians(np.arange(-RULED_TURN, RULED_TURN + 1e-9, RULED_STEP)), key=sampled(step)))
    return float(max(angle + np.radians(np.arange(-0.4, 0.41, 0.1)), key=sampled(max(1, step // FINE_SAMPLES))))


def _lines(offsets: np.ndarray, xs: np.ndarray, width: int, low: int, angle: float, height: int) -> list[list[int]]:
    """The ruled lines along a slant, as (first, last) offsets: those whose ink (at them or next to
    them: a line a pixel off the slant over its length) covers ``RULED_LENGTH`` of the columns it
    crosses within the picture (a line leaving it at a corner is shorter)."""
    covered = np.zeros((int(offsets.max()) + 3, width), bool)
    for shift in (0, 1, 2):
        covered[offsets + shift, xs] = True
    counts = covered.sum(axis=1)[1:]   # (row k + 1: offset k and its neighbours)
    start = np.arange(len(counts)) + low   # (each offset's row at the ink's left edge)
    slope = np.tan(angle)
    if abs(slope) < 1e-9:
        within = np.where((start >= 0) & (start < height), width, 0)
    else:
        ends = np.sort(np.stack([-start / slope, (height - 1 - start) / slope]), axis=0)
        within = np.clip(np.minimum(ends[1], width - 1) - np.maximum(ends[0], 0) + 1, 0, width)
    bands: list[list[int]] = []
    for k in np.flatnonzero((counts >= RULED_LENGTH * within) & (within >= RULED_BEYOND * width)):
        if bands and k <= bands[-1][1] + 1:
            bands[-1][1] = int(k)
        else:
            bands.append([int(k), int(k)])
    return bands
