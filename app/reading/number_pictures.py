"""Reading a whole number from a picture (any width): the picture side of ``app/reading/numbers.py``.

The ink falls into blobs, left to right; a wide blob (touching digits) is cut along straight lines
where its ink is thin, and the ink between any two cut lines (or blob edges) that could be one digit
is a candidate (a piece much shorter than the blobs it is cut from costs: it is likelier a piece of
a digit than one; so does a 1 between two cut lines: it is likelier the pen's way between two
digits written without lifting it; and so does parting a blob no wider than a digit: an odd digit's
pieces may each read as a sure digit). Hundreds of candidates are read, so they are drawn small and
fast (``fast_mnist``, from the picture shrunk so the writing is about ``FAST_SIDE`` high); the
dynamic programme of ``numbers`` chooses the best reading of the whole, and the chosen digits are
read again exactly (``to_mnist``), so a picture of one digit reads as it always did.

Cuts are first vertical. Where a digit of that reading is unsure, the blob is read again with
slanted cuts near it as well: slanted writing that touches is rarely parted by a vertical line,
and which slant parts it is left to the recognition (a slant guessed from the ink alone parts it
no better); and with the vertical ones bent round the ink in their way (``Blob.bent``): no
straight line parts a 7 whose bar reaches over the next digit. The reading changes there only: a
new candidate lies between new cut lines, blob edges or the first reading's boundaries.
"""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
from scipy import ndimage

from app.reading.crossed_sevens import picture_uncrossed
from app.reading.digit_pairs import read_pairs
from app.reading.fast_input import fast_mnist
from app.reading.flagged_ones import joined_ones
from app.reading.form_lines import without_box, without_underline
from app.reading.ink_blobs import CUT_ASPECT, Blob, find_blobs, without_dust
from app.reading.ink_pen import by_disk, pen_width
from app.reading.lines import in_lines, more_than_a_digit, picture_lines
from app.reading.marks import all_ink, one_mark, without_specks
from app.reading.numbers import (
    FAST_SIDE,
    SPLIT_PENALTY,
    DigitOfNumber,
    NumberReading,
    _best_path,
    judge_digit,
    short_cost,
)
from app.reading.predictor import Reading, digit_outputs, digit_scores
from app.reading.preprocess import ink_map, on_square
from app.reading.separators import separator_blobs
from app.reading.strokes import BOLDEST, THINNEST
from app.reading.two_sure import two_sure
from app.reading.writing_line import (
    centred_shifts,
    leaned_picture,
    levelled_picture,
    picture_slope,
    picture_upright_shift,
    unleaned_box,
    unlevelled_box,
)

SMALLEST_READ = FAST_SIDE  # pixels: writing lower than this is read enlarged to about this (``_read_line``),
MOST_ENLARGED = 6         # at most this many times (under 10 pixels high it is hardly legible),
WIDE_ENOUGH = 1.0         # when wider than this (of its height): several digits, more likely than one,
MOST_PIXELS = 8_000_000   # and no more than this many pixels enlarged
READ_HEIGHT = 280         # pixels: writing at least twice this high is read shrunk (a photo)
SLANTS = (-0.25, 0.25)    # slanted cut lines (x moves this much per unit of y) where a reading is unsure,
UNSURE_CUT = 0.99         # that is where a chosen candidate's score is below this,
SLANT_REACH = 0.1         # within this (of the writing's height) of it,
MOST_UNSURE = 2           # for the unsurest two at most: reading more costs time and gained nothing
LOOK_AGAIN_WIDTH = 3.0    # (and a blob read whole no wider than this of it: three slanted digits touching, read "0")
UNSURE_CUT_ASPECT = 0.4   # (there cut blobs wider than this times their height too: two 1s that touch)
SMALLEST_PIECE = 2.0      # a piece cut off a blob must be this many pen widths long to be a digit
DIGIT_BLOBS = 8           # a digit of a picture may span this many blobs (a broken one),
PICTURE_DIGIT_WIDTH = 1.3  # and be no wider than this (of the writing's height): digits are rarely wider
WIDEST_WHOLE = 2.0        # a blob read whole wider than this (of it: digits touching, "0800788016" read "0?6")
WIDE_COST, WIDE_MOST = 5.0, 10.0   # costs this (log) per unit more, up to this (a long scribble is still one mark)
MAX_FOLLOWING = 64        # boundaries looked at after each (a digit spans far fewer; bounds a long scribble's work)
NARROWEST = 0.1           # nor narrower than this (of its blob's height) between two cut lines
MIDDLE_ONE = math.log(0.5)   # what reading a 1 between two cut lines costs (log)
NARROW_CUT = math.log(0.3)   # what parting a blob no wider than a digit (CUT_ASPECT of its height) costs (log)
RAISED_FREE = 0.1         # a piece cut off a blob whose foot lies this much (of its height) above the baseline around
RAISED_COST = 3.0         # it costs this (log) per unit more (as a stroke's: ``numbers.RAISED_COST``): the tick a 0
                          # is begun with, a 4's arm, cut off and read as a 1 ("0" read "10", "46" read "16");
BASELINE_REACH = 0.5      # the baseline: of the lowest ink of each column within this (of the height) either side
BASELINE_PERCENTILE = 75  # of it, its own columns left out, this percentile (a 9's loop ends high, its tail low)


# A boundary between two digits: (blob, cut line), or (blob, None) for the left edge of a blob (the
# last boundary is the right edge of the last blob: (number of blobs, None)).
Boundary = tuple[int, "tuple[float, float] | None"]


def _parts(a: Boundary, b: Boundary) -> list[tuple[int, tuple | None, tuple | None]]:
    """The ink between two boundaries, blob by blob: (blob, left cut line, right cut line), None an edge."""
    if a[0] == b[0] and b[1] is not None:   # (most candidates: within one blob)
        return [(a[0], a[1], b[1])]
    return [(index, a[1] if index == a[0] else None, b[1] if index == b[0] else None)
            for index in range(a[0], b[0] + (b[1] is not None))]


def _crops(blobs: list, pairs: list[tuple[Boundary, Boundary]]) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """The ink between each pair of boundaries cropped to its box, and that box (left, top, right,
    bottom) in the picture; an empty crop when there is no ink. Each blob's parts are cropped together
    (``Blob.crops``), and a candidate over several blobs is its parts' crops laid over each other."""
    wanted: dict[int, dict] = {}   # blob -> the pairs of its cut lines wanted
    all_parts = [_parts(a, b) for a, b in pairs]
    for parts in all_parts:
        for index, left, right in parts:
            wanted.setdefault(index, {})[left, right] = None
    pieces = {}
    for index, lines in wanted.items():
        pieces.update(zip([(index, *line) for line in lines], blobs[index].crops(list(lines))))
    out = []
    for (a, _), pair_parts in zip(pairs, all_parts):
        parts = [piece for piece in (pieces[part] for part in pair_parts) if piece[0].size]
        if len(parts) == 1:   # (most candidates)
            crop, left, top = parts[0]
        elif parts:   # (blobs may overlap in x)
            left, top = min(x for _, x, _ in parts), min(t for _, _, t in parts)
            crop = np.zeros((max(t + c.shape[0] for c, _, t in parts) - top,
                             max(x + c.shape[1] for c, x, _ in parts) - left), np.float32)
            for part, x, t in parts:
                view = crop[t - top:t - top + part.shape[0], x - left:x - left + part.shape[1]]
                np.maximum(view, part, out=view)
        else:
            out.append((np.zeros((0, 0), np.float32), (0, 0, 0, 0)))
            continue
        k = blobs[a[0]].k
        out.append((crop, (left * k, top * k, (left + crop.shape[1]) * k, (top + crop.shape[0]) * k)))
    return out


def _boundaries(blobs: list[Blob], slanted: dict[int, list[tuple[float, float]]]) -> list[Boundary]:
    """Every blob's left edge and its cut lines, left to right: vertical ones, and slanted ones
    within the spans ``slanted`` gives for a blob."""
    bounds: list[Boundary] = []
    for index, blob in enumerate(blobs):
        lines = blob.cut_lines((0.0,))
        if index in slanted:   # (only the lines near an unsure digit are compared: a wide blob has many)
            near = [line for line in lines + blob.cut_lines((0.0, *SLANTS), UNSURE_CUT_ASPECT)
                    if any(x0 <= line[0] <= x1 for x0, x1 in slanted[index])]
            near += blob.bent([line for line in near if not line[1] and line in lines])
            lines = [line for line in lines if line not in near] + blob.distinct(near)
        bounds += [(index, None)] + [(index, line) for line in sorted(lines)]
    return bounds + [(len(blobs), None)]


def _whole(a: Boundary, b: Boundary) -> bool:
    """The two boundaries are one blob's edges: the blob whole."""
    return a[1] is None and b == (a[0] + 1, None)


def _edge(blobs: list[Blob], bound: Boundary, side: int) -> float:
    """The leftmost (side 0) or rightmost (1) column of a boundary."""
    index, line = bound
    if line is None:
        return blobs[index].lo if side == 0 else blobs[index - 1].hi
    return blobs[index].span(line)[side]


def _candidates(blobs: list[Blob], bounds: list[Boundary], height: int, as_trained: bool = False) -> list[tuple[int, int]]:
    """Pairs of boundaries whose ink between could be one digit: a whole blob, or ink of at most
    ``DIGIT_BLOBS`` blobs no wider than ``PICTURE_DIGIT_WIDTH`` times the writing's height (each
    boundary with the ``MAX_FOLLOWING`` after it, all pairs judged at once), but never pieces cut off
    two blobs: such a digit's own ink lies apart, and touches both its neighbours. Those were a fifth
    of all candidates (pictures of numbers of the held-out writers), and where chosen as often wrong
    as right: without them the same share is read (+3 of 4950 numbers), a tenth faster."""
    starts = [i for i, (_, line) in enumerate(bounds) if line is None]
    whole = dict(zip(starts[:-1], starts[1:]))   # a blob's left edge -> the next blob's
    n = len(bounds)
    index = np.array([b[0] for b in bounds])
    last = index + np.array([b[1] is not None for b in bounds])   # the blobs a digit ending there spans
    left = np.array([_edge(blobs, b, 0) for b in bounds[:-1]] + [np.inf])
    right = np.array([-np.inf] + [_edge(blobs, b, 1) for b in bounds[1:]])
    # Two cut lines of one blob must lie apart at its top and bottom rows (not crossing, room for a digit).
    at_top, at_bottom, narrowest, lined = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, bool)
    for k, (blob_index, line) in enumerate(bounds[:-1]):
        if line is not None:
            blob = blobs[blob_index]
            at_top[k], at_bottom[k] = blob.boundary(line, np.array([blob.top, blob.bottom], float))
            narrowest[k], lined[k] = NARROWEST * blob.height, True
    i = np.arange(n - 1)[:, None]
    j = i + np.arange(1, MAX_FOLLOWING + 1)[None, :]
    inside = j < n
    i, j = np.broadcast_arrays(i, np.minimum(j, n - 1))
    ok = inside & (last[j] - index[i] <= DIGIT_BLOBS) & (right[j] - left[i] <= PICTURE_DIGIT_WIDTH * height)
    same = (index[i] == index[j]) & lined[i]
    ok &= ~same | ((at_top[j] - at_top[i] >= narrowest[i]) & (at_bottom[j] - at_bottom[i] >= narrowest[i]))
    # Nor is a digit pieces cut off two blobs (its own ink apart, and touching both its neighbours).
    if not as_trained:
        ok &= (index[i] == index[j]) | ~(lined[i] & lined[j])
    keys = list(whole.items())                   # a whole blob is a candidate, however wide
    keys += [(a, b) for a, b in zip(i[ok].tolist(), j[ok].tolist()) if whole.get(a) != b]
    return keys


def _readable(crops: list[np.ndarray], pairs: list[tuple[Boundary, Boundary]], smallest: float) -> list[int]:
    """Which candidates may be a digit: those with ink, a blob whole or a piece cut off one at least
    ``smallest`` long."""
    return [k for k, crop in enumerate(crops) if crop.size and (max(crop.shape) >= smallest or _whole(*pairs[k]))]


def _best_reading(model, blobs: list[Blob], height: int, slanted: dict, scores: dict,
                  smallest: float, first: list | None = None) -> list[tuple[Boundary, Boundary, float]]:
    """The best cutting of the blobs into digits with the cut lines ``_boundaries`` gives: each
    candidate read small and fast, with what its height says (``_shortness``; ``scores``, by
    boundaries, keeps what was read already). A piece cut off a blob shorter than ``smallest`` is
    no digit. Read again with slanted lines after a ``first`` reading, a candidate not read before
    lies between new lines, blob edges or that reading's boundaries: the reading changes around its
    unsure digits (a new line paired with each other line of a wide blob cost time and read no better)."""
    bounds = _boundaries(blobs, slanted)
    keys = _candidates(blobs, bounds, height)
    if first is not None:
        old = {bound for bound in _boundaries(blobs, {}) if bound[1] is not None} - {
            bound for a, b, _ in first for bound in (a, b)}   # the first reading's other cut lines
        keys = [(i, j) for i, j in keys if (bounds[i], bounds[j]) in scores
                or not ({bounds[i], bounds[j]} & old)]
    new = [(bounds[i], bounds[j]) for i, j in keys if (bounds[i], bounds[j]) not in scores]
    cropped = _crops(blobs, new)
    crops = [crop for crop, _ in cropped]
    inked = _readable(crops, new, smallest)
    outputs = model.predict_proba(fast_mnist([crops[k] for k in inked])) if inked else []
    scores.update({pair: -1e9 for pair in new})   # a candidate without ink can never be a digit
    if inked:
        short = _shortness(blobs, [new[k] for k in inked], [cropped[k][1] for k in inked], height)
        # A 1 cut out of a blob's middle (cut on both sides) is likelier the pen's way from one digit
        # to the next or a piece of a stroke than a 1 touching both its neighbours.
        middle = np.array([new[k][0][1] is not None and new[k][1][1] is not None for k in inked])
        ones = middle & (digit_outputs(outputs)[0].argmax(axis=1) == 1)
        parted = _parts_narrow(blobs, [new[k] for k in inked])
        scores.update(zip([new[k] for k in inked], (digit_scores(outputs) + short + MIDDLE_ONE * ones + NARROW_CUT * parted).tolist()))
    # Blobs apart that read as two sure digits are seldom one (a 1 beside a 3 read with it as a 3).
    table = two_sure({(i, j): scores[(bounds[i], bounds[j])] for i, j in keys},
                     [m for m, (_, line) in enumerate(bounds) if line is None])   # (at blob edges)
    path = _best_path(len(bounds) - 1, table)
    return [(bounds[i], bounds[j], scores[(bounds[i], bounds[j])]) for i, j in path]


def _shortness(blobs: list[Blob], pairs: list[tuple[Boundary, Boundary]], boxes: list[tuple], height: int) -> np.ndarray:
    """``short_cost`` of each piece cut off blobs (between a pair of boundaries, its box), against
    their height: a digit cut out of touching digits is about as tall as they are, a piece of one
    often is not; and a piece whose foot is raised above the baseline around it (``_raised``). A blob
    whole is a digit however short (a small digit alone is still one), but one wider than ``WIDEST_WHOLE``
    of the writing's ``height`` costs ``WIDE_COST`` per unit more, up to ``WIDE_MOST``: no digit is that wide."""
    tops, bottoms = [blob.top for blob in blobs], [blob.bottom for blob in blobs]
    spanned = [(a[0], b[0] - (b[1] is None)) for a, b in pairs]   # its first and last blob (a piece of it, or whole)
    tall = np.array([bottoms[i] - tops[i] + 1 if i == j else max(bottoms[i:j + 1]) - min(tops[i:j + 1]) + 1
                     for i, j in spanned], float)
    heights = np.array([box[3] - box[1] for box in boxes], float)
    whole = np.array([_whole(a, b) for a, b in pairs], bool)
    wide = np.array([box[2] - box[0] for box in boxes], float) / height - WIDEST_WHOLE
    cost = np.where(whole, -np.clip(WIDE_COST * wide, 0.0, WIDE_MOST), short_cost(heights / tall))
    pieces = np.flatnonzero(~whole)
    if len(pieces):
        cost[pieces] -= _raised(blobs, np.array(boxes, float).reshape(-1, 4)[pieces], tall[pieces])
    return cost


def _raised(blobs: list[Blob], boxes: np.ndarray, tall: np.ndarray) -> np.ndarray:
    """What the foot of each piece (its box: left, top, right, bottom, in the picture's pixels) raised
    above the baseline around it costs: ``RAISED_COST`` per unit of ``tall`` (its blobs' height) over
    ``RAISED_FREE``. Digits stand on a line; the tick a 0 is begun with and a 4's arm end well above
    it, and read alone as a sure 1. The baseline: the ``BASELINE_PERCENTILE`` percentile of the feet of
    the columns within ``BASELINE_REACH`` of the height either side of the piece (the shrunk
    picture's columns; none: its own foot). All pieces at once."""
    k, start = blobs[0].k, min(blob.x0 for blob in blobs)
    ends = np.array([blob.x0 + blob.ink.shape[1] for blob in blobs]) - start
    feet = np.zeros(ends.max(), np.float32)   # per (shrunk) column, below its lowest ink in the picture's pixels (0: none)
    for blob, end in zip(blobs, ends.tolist()):
        view = feet[blob.x0 - start:end]
        np.maximum(view, blob.feet(), out=view)
    left, right = boxes[:, 0] // k - start, boxes[:, 2] // k - start
    reach = BASELINE_REACH * tall / k
    first = np.clip(np.floor(left - reach), 0, len(feet)).astype(np.int64)
    last = np.clip(np.ceil(right + reach), 0, len(feet)).astype(np.int64)
    offsets = np.arange(max(1, int((last - first).max(initial=1))))[None, :]   # (each piece's columns from its first)
    around = feet[np.minimum(first[:, None] + offsets, len(feet) - 1)]
    around[(offsets >= (last - first)[:, None]) | ((offsets >= (left - first)[:, None]) & (offsets < (right - first)[:, None]))
           | (around == 0)] = -np.inf
    around.sort(axis=1)   # (the columns left out first)
    count = np.isfinite(around).sum(axis=1)
    around[count == 0] = 0.0   # (no ink around: its own foot, below)
    at = around.shape[1] - count + BASELINE_PERCENTILE / 100 * np.maximum(count - 1, 0)   # (np.percentile's, linear)
    below, rows = np.minimum(np.floor(at).astype(np.int64), around.shape[1] - 1), np.arange(len(boxes))
    above = np.minimum(below + 1, around.shape[1] - 1)
    baseline = around[rows, below] + (at - below) * (around[rows, above] - around[rows, below])
    baseline = np.where(count > 0, baseline, boxes[:, 3])
    return RAISED_COST * np.maximum(0.0, (baseline - boxes[:, 3]) / tall - RAISED_FREE)


def _parts_narrow(blobs: list[Blob], pairs: list[tuple[Boundary, Boundary]]) -> np.ndarray:
    """Which candidates end at a cut line of a blob no wider than ``CUT_ASPECT`` of its height (each
    parting of it counted once, by the digit left of it): such a blob is likelier one digit than two,
    but an odd one's pieces may each read as a sure digit (a 4's arm and stem as "11", a narrow 8 as
    "12"); only the unsure second reading cuts it at all (two 1s that touch, a 1 touching a 6)."""
    return np.array([b[1] is not None and not blobs[b[0]].wider_than(CUT_ASPECT) for _, b in pairs], bool)


def _unsure_spans(blobs: list[Blob], reading: list, height: int) -> dict[int, list[tuple[float, float]]]:
    """Where the reading has its unsurest digits: their blobs, and their columns widened by
    ``SLANT_REACH``."""
    spans: dict[int, list[tuple[float, float]]] = {}
    unsure = sorted((score, k) for k, (a, b, score) in enumerate(reading) if score < math.log(UNSURE_CUT)
                    # (a blob read whole is parted again up to LOOK_AGAIN_WIDTH: wider, a long scribble)
                    and _edge(blobs, b, 1) - _edge(blobs, a, 0) <= LOOK_AGAIN_WIDTH * height)
    for _, k in unsure[:MOST_UNSURE]:   # (each costs some hundred candidates more)
        a, b, _ = reading[k]
        span = (_edge(blobs, a, 0) - SLANT_REACH * height, _edge(blobs, b, 1) + SLANT_REACH * height)
        for index in range(a[0], b[0] + (b[1] is not None)):
            spans.setdefault(index, []).append(span)
    return spans


def _ready(ink: np.ndarray) -> tuple[list, list[Blob], int, float]:
    """An ink map's blobs (as ``find_blobs`` finds them, and ready to be cut and read small), the
    writing's height, and the shortest piece cut off a blob that may be a digit."""
    rows = np.flatnonzero((ink > 0.35).any(axis=1))
    height = rows[-1] - rows[0] + 1 if len(rows) else 1
    found = find_blobs(ink)
    # Candidates are read from the picture shrunk so the writing is about FAST_SIDE high (the
    # network sees 20 pixels of it); the chosen ones again from the picture itself.
    shrink = max(1, int(height // FAST_SIDE))
    blobs = [Blob(ink, lo, hi, mask, shrink) for lo, hi, mask in found]
    # A cut-off piece hardly longer than the pen is wide is a fragment, never a digit: a square bit
    # of a dash reads as a 1 (a blob whole is always read: a dot, a dash are said so).
    return found, blobs, int(height), SMALLEST_PIECE * pen_width([blob.ink > 0.5 for blob in blobs])


def read_picture(model, grey: np.ndarray, ink_is_bright: bool | None = None) -> NumberReading:
    """The number in a picture (2-D, 0..1 or 0..255), any width: blobs of ink, wide ones cut where
    the ink is thin, every stretch of ink between two cuts that could be a digit read (drawn small
    and fast), the best reading of the whole chosen (again with slanted cuts where a digit of it is
    unsure), and its digits read again exactly. Writing in two lines or more: each line so, top to bottom.
    A box round the writing (a form's field) and a line under it are left out (``form_lines``), and specks
    (``without_dust``)."""
    ink = without_dust(without_underline(without_box(ink_map(np.asarray(grey, np.float32), ink_is_bright))))
    bands = picture_lines(ink)
    one = _read_line(model, ink)
    if len(bands) > 1 and more_than_a_digit(one):   # a number written in lines (rows): each read as a number (``lines``)
        return in_lines([_read_line(model, ink[top:bottom]).placed(1, 0, top) for top, bottom in bands])
    return one


def _read_line(model, ink: np.ndarray) -> NumberReading:
    """``read_picture`` of one line of writing, from its ink map. Writing lower than ``SMALLEST_READ``
    (a number some 20 pixels high, its pen a pixel or two: cut lines at whole pixels part its digits
    coarsely) that may be several digits (wider than ``WIDE_ENOUGH`` of its height, and not read as one
    sure digit) is read enlarged as well, and that reading is taken when it finds several digits: a
    picture of one digit (MNIST's 28 x 28) reads as it always did."""
    as_it_is = _read_ink(model, ink)
    inked = ink > 0.35
    rows, columns = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    tall = rows[-1] - rows[0] + 1 if len(rows) else SMALLEST_READ
    up = min(MOST_ENLARGED, math.ceil(SMALLEST_READ / tall))
    if (tall >= SMALLEST_READ or columns[-1] - columns[0] + 1 < WIDE_ENOUGH * tall or ink.size * up * up > MOST_PIXELS
            or (len(as_it_is.digits) == 1 and as_it_is.status == "read")):
        return as_it_is
    enlarged = _read_ink(model, ndimage.zoom(ink, up, order=1, mode="nearest", grid_mode=True))
    return enlarged.placed(1 / up, 0, 0) if len(enlarged.digits) > 1 else as_it_is


def _read_ink(model, ink: np.ndarray) -> NumberReading:
    """``_read_line`` at the ink's own size (a photo's shrunk)."""
    rows = np.flatnonzero((ink > 0.35).any(axis=1))
    # A photo's writing, thousands of pixels high, is read shrunk to at most twice READ_HEIGHT: the
    # network sees 20 pixels of a digit, and the work grows with the pixels (a phone's 12 MP: 1.4 s).
    factor = max(1, int((rows[-1] - rows[0] + 1) // READ_HEIGHT)) if len(rows) else 1
    if factor > 1:
        ink = Blob.shrunk(ink, 0, factor)
        rows = np.flatnonzero((ink > 0.35).any(axis=1))
    plain, side, tall = ink, int(0.5 * ink.shape[0]), rows[-1] - rows[0] + 1 if len(rows) else 0
    # A long number written uphill or downhill is read levelled (``writing_line``).
    slope = picture_slope(ink)
    shifts = centred_shifts(ink.shape[1], slope) if slope else np.zeros(ink.shape[1], np.int64)
    if slope:
        ink = levelled_picture(ink, shifts)
        rows = np.flatnonzero((ink > 0.35).any(axis=1))
    # Writing that leans far is read leaning as the network reads best: each row moved right.
    lean = picture_upright_shift(ink)
    moves = centred_shifts(ink.shape[0], lean) if lean else np.zeros(ink.shape[0], np.int64)
    if lean:
        ink = leaned_picture(ink, moves)
    ink = ink_as_read(ink, rows[-1] - rows[0] + 1 if len(rows) else 0)   # (the pen as the window's strokes are read)
    plain_as_read = ink if not (slope or lean) else None   # (the same pixels: the pair reader's, below)
    found, blobs, height, smallest = _ready(ink)
    # A hyphen between digits ("12-34") may be left out, at no cost: read as a digit it is none, and
    # read with its neighbour it spoils that one ("9-17" read "947"). Its blob whole is never read.
    hyphens = {((k, None), (k + 1, None)) for k in separator_blobs(blobs, height)}
    scores: dict = dict.fromkeys(hyphens, 0.0)
    reading = _best_reading(model, blobs, height, {}, scores, smallest)
    unsure = _unsure_spans(blobs, reading, height)
    if unsure:
        reading = _best_reading(model, blobs, height, unsure, scores, smallest, reading)
    reading = [(a, b, score) for a, b, score in reading if (a, b) not in hyphens]
    exact_blobs = blobs
    if blobs and blobs[0].k > 1:   # (only the blobs the reading uses: a long number's are many)
        used = {index for a, b, _ in reading for index, _, _ in _parts(a, b)}
        exact_blobs = [Blob(ink, *found[index], 1) if index in used else None for index in range(len(found))]
    crops = [crop for crop in _crops(exact_blobs, [(a, b) for a, b, _ in reading]) if crop[0].size]
    if lean:   # (each box where its digit lies in the picture)
        crops = [(crop, unleaned_box(crop, box, moves)) for crop, box in crops]
    if slope:
        crops = [(crop, unlevelled_box(box, shifts)) for crop, box in crops]
    # The chosen digits drawn exactly (a picture of one digit reads as it always did)...
    preps = [on_square(crop, max(*crop.shape, side)) for crop, _ in crops]
    exact = model.predict_proba(np.stack([p.image for p in preps])) if preps else []
    alone = len(preps) == 1 and len(found) == 1
    whole = all_ink(plain) if len(preps) > 1 else None
    if whole is not None:   # ...or all the ink as one digit, if that reads better
        whole_prep = on_square(whole[0], max(*whole[0].shape, side))
        whole_output = model.predict_proba(whole_prep.image[None])
        if digit_scores(whole_output)[0] >= digit_scores(exact).sum() + SPLIT_PENALTY * (len(preps) - 1):
            crops, preps, exact, alone = [whole], [whole_prep], whole_output, True
    # ...and judged as the window judges a drawing when alone...
    def read_exactly(crop: np.ndarray) -> Reading:
        prep = on_square(crop, max(*crop.shape, side))
        return judge_digit(model, prep, model.predict_proba(prep.image[None])[0], alone)
    # (within a number, a 2 with a 7's cross in its ink is read again without it: ``crossed_sevens``)
    digits = [DigitOfNumber(picture_uncrossed(judge_digit(model, prep, output, alone), crop, read_exactly, alone), box)
              for (crop, box), prep, output in zip(crops, preps, exact)]
    as_read = functools.cache(lambda: ink_as_read(plain, tall) if plain_as_read is None else plain_as_read)
    pair_reader = getattr(model, "pair_reader", None)   # ...and where digits cross, read as pairs too (``digit_pairs``)
    if pair_reader is not None and not alone:
        digits = read_pairs(pair_reader, model, as_read, digits, height)
    digits = joined_ones(model, as_read, digits, height, side)   # ...a 1 with a long flag read as one (``flagged_ones``)
    digits = without_specks([dataclasses.replace(d, box=tuple(v * factor for v in d.box)) for d in digits], height * factor)
    # ...unless, read whole, it is rather one mark that is no digit (a letter cut into digit-like pieces)
    if whole is not None and len(digits) > 1 and one_mark(model, whole_output[0], [d.reading.shares for d in digits],
                                                          whole[0].shape[1] / whole[0].shape[0], len(found) == 1):
        digits = [DigitOfNumber(judge_digit(model, whole_prep, whole_output[0], True), tuple(v * factor for v in whole[1]))]
    return NumberReading(digits)


def ink_as_read(ink: np.ndarray, height: float) -> np.ndarray:
    """An ink map with the pen as read, as ``strokes.pen_as_read`` draws strokes: ink whose pen is
    wider than ``BOLDEST`` of the writing's ``height`` worn down by a disk to about that (a small
    number written bold is blots that touch), ink finer than ``THINNEST`` grown to about that (a
    large one written with a fine pen is hairlines once shrunk to 20 pixels; docs/app.md has the
    figures). Left as they are: a dot or blot (under two pens high and wide), and one bold digit
    alone (one blob no wider than a digit): MNIST's digits are that bold, and read as they always did."""
    solid = ink > 0.5
    pen = pen_width([solid])
    wear, grow = int(round((pen - BOLDEST * height) / 2)), int(round((THINNEST * height - pen) / 2))
    columns = np.flatnonzero(solid.any(axis=0))
    width = columns[-1] - columns[0] + 1 if len(columns) else 0
    if (wear < 1 and grow < 1) or max(height, width) < 2 * pen or not pen or (
            wear >= 1 and width <= PICTURE_DIGIT_WIDTH * height and len(find_blobs(ink)) == 1):
        return ink
    return by_disk(ink, max(wear, grow), grow >= 1)
