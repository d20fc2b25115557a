"""Reading a whole number from a picture (any width): the picture side of ``app/reading/numbers.py``.

The ink falls into blobs, left to right; a wide blob (touching digits) is cut along straight lines
where its ink is thin, and the ink between any two cut lines (or blob edges) that could be one digit
is a candidate (a piece much shorter than the blobs it is cut from costs: it is likelier a piece of
a digit than one). Hundreds of candidates are read, so they are drawn small and fast (``fast_mnist``,
from the picture shrunk so the writing is about ``FAST_SIDE`` high); the dynamic programme of
``numbers`` chooses the best reading of the whole, and the chosen digits are read again exactly
(``to_mnist``), so a picture of one digit reads as it always did.

Cuts are first vertical. Where a digit of that reading is unsure, the blob is read again with
slanted cuts near it as well: slanted writing that touches is rarely parted by a vertical line,
and which slant parts it is left to the recognition (a slant guessed from the ink alone parts it
no better).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from app.reading.fast_input import fast_mnist
from app.reading.ink_pen import by_disk, pen_width
from app.reading.numbers import FAST_SIDE, DigitOfNumber, NumberReading, _best_path, _scores, judge_digit, short_cost, without_specks
from app.reading.preprocess import ink_map, on_square
from app.reading.strokes import BOLDEST, THINNEST

READ_HEIGHT = 280         # pixels: writing at least twice this high is read shrunk (a photo)
OVERLAP = 0.5             # blobs overlapping this much of the narrower's width are one digit's
SPECK = 0.02              # ink blobs under this share of the largest are specks, not pieces
CUT_ASPECT = 0.8          # a blob wider than this times its height may be touching digits: cut it
CUTS_PER_HEIGHT = 6.0     # cut lines per slant: at most this many per the blob's height of width,
CUT_SPACING = 0.1         # this far apart at least (of its height): the recognition chooses among them
SLANTS = (-0.25, 0.25)    # slanted cut lines (x moves this much per unit of y) where a reading is unsure,
UNSURE_CUT = 0.99         # that is where a chosen candidate's score is below this,
SLANT_REACH = 0.1         # within this (of the writing's height) of it,
MOST_UNSURE = 2           # for the unsurest two at most: reading more costs time and gained nothing
UNSURE_CUT_ASPECT = 0.4   # (there cut blobs wider than this times their height too: two 1s that touch)
SAME_CUT = 0.02           # two cut lines that part a blob's ink alike (but for this share of it) are one
SMALLEST_PIECE = 2.0      # a piece cut off a blob must be this many pen widths long to be a digit
DIGIT_BLOBS = 8           # a digit of a picture may span this many blobs (a broken one),
PICTURE_DIGIT_WIDTH = 1.3  # and be no wider than this (of the writing's height): digits are rarely wider
MAX_FOLLOWING = 64        # boundaries looked at after each (a digit spans far fewer; bounds a long scribble's work)
FEW_CROPS = 4             # a blob's crops for this few pairs are cut one by one (the chosen digits, read exactly)
NARROWEST = 0.1           # nor narrower than this (of its blob's height) between two cut lines


def _merge_overlapping(spans: list[tuple[float, float, list]]) -> list[tuple[float, float, list]]:
    """(left, right, members) spans, sorted by centre, with neighbours that overlap by more than
    ``OVERLAP`` of the narrower one's width merged: one digit's blobs (a 5's bar, a broken 4)."""
    merged: list = []
    for lo, hi, members in sorted(spans, key=lambda t: (t[0] + t[1]) / 2):
        if merged:
            plo, phi, pmembers = merged[-1]
            if min(hi, phi) - max(lo, plo) > OVERLAP * min(hi - lo, phi - plo):
                merged[-1] = (min(lo, plo), max(hi, phi), pmembers + members)
                continue
        merged.append((lo, hi, members))
    return merged


def _blobs(ink: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """Connected blobs of ink, as (left, right, mask of columns left..right); specks dropped; blobs
    overlapping much in x merged. Masks cover their columns only: a long number's picture is wide."""
    labels, count = ndimage.label(ink > 0.35, structure=np.ones((3, 3)))
    if not count:
        return []
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    keep = [k + 1 for k in range(count) if sizes[k] >= SPECK * sizes.max()]
    slices = ndimage.find_objects(labels)
    spans = [(slices[k - 1][1].start, slices[k - 1][1].stop, [k]) for k in keep]
    return [(lo, hi, labels[:, lo:hi] == members[0] if len(members) == 1 else np.isin(labels[:, lo:hi], members))
            for lo, hi, members in _merge_overlapping(spans)]


class _Blob:
    """A blob's ink, shrunk ``k`` times (k x k blocks averaged, aligned to the picture), and its cut
    lines. A cut line (c, s) is where x + s (y - the blob's middle row) = c, in the picture's pixels;
    the ink right of it is what it leaves to the next digit."""

    def __init__(self, ink: np.ndarray, lo: int, hi: int, mask: np.ndarray, k: int):
        self.lo, self.hi, self.k = lo, hi, k
        rows = np.flatnonzero(mask.any(axis=1))
        self.top, self.bottom = int(rows[0]), int(rows[-1])
        self.middle = (self.top + self.bottom) / 2
        self.full = np.where(mask, ink[:, lo:hi], 0).astype(np.float32)
        self.x0, self.ink = (lo, self.full) if k == 1 else (lo // k, self._shrunk(self.full, lo, k))
        # Each shrunk pixel's centre, in the picture's pixels.
        self.ys = (np.arange(self.ink.shape[0])[:, None] + 0.5) * k - 0.5
        self.xs = (self.x0 + np.arange(self.ink.shape[1])[None, :] + 0.5) * k - 0.5
        self._right: dict = {}
        self._lines: dict = {}   # cut lines found, by slants and aspect
        self._pixels = None   # the ink's pixels (rows, columns, strengths), for the cut lines
        self._rows = None     # per row, where the ink is: for crops

    @staticmethod
    def _shrunk(blob: np.ndarray, lo: int, k: int) -> np.ndarray:
        left = lo - (lo // k) * k   # whole blocks from the picture's own block edges
        h, w = -(-blob.shape[0] // k) * k, -(-(left + blob.shape[1]) // k) * k
        padded = np.zeros((h, w), np.float32)
        padded[:blob.shape[0], left:left + blob.shape[1]] = blob
        return padded.reshape(h // k, k, w // k, k).mean(axis=(1, 3))

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    def right_of(self, line: tuple[float, float]) -> np.ndarray:
        """Which of the (shrunk) ink lies right of a cut line."""
        if line not in self._right:
            self._right[line] = self.xs + line[1] * (self.ys - self.middle) >= line[0]
        return self._right[line]

    def crops(self, pairs: list[tuple]) -> list[tuple[np.ndarray, int, int]]:
        """For each pair of cut lines (None: the blob's edge), the ink between them cropped to its box,
        and the box's first column and row (of the shrunk picture); an empty crop when there is no ink.
        All at once (most candidates lie within one blob): in each row the ink from the left line's
        first column to the right line's, whose first and last inked columns are known."""
        if len(pairs) <= FEW_CROPS and self._rows is None:
            return [self._crop(left, right) for left, right in pairs]
        h, w = self.ink.shape
        if self._rows is None:   # per row: inked pixels before each column, the next and the last inked one
            inked, columns = self.ink > 0, np.arange(w)
            before = np.zeros((h, w + 1), np.int32)
            np.cumsum(inked, axis=1, out=before[:, 1:])
            following = np.minimum.accumulate(np.where(inked, columns, w)[:, ::-1], axis=1)[:, ::-1]
            self._rows = (before, np.concatenate([following, np.full((h, 1), w)], axis=1),
                          np.maximum.accumulate(np.where(inked, columns, -1), axis=1))
        before, following, latest = self._rows
        starts = np.stack([self._first(a, 0) for a, _ in pairs])   # (pairs, rows): the first column in,
        ends = np.stack([self._first(b, w) for _, b in pairs])     # and the first one out
        rows = np.arange(h)
        has = before[rows, ends] > before[rows, starts]
        top, bottom = has.argmax(axis=1), h - has[:, ::-1].argmax(axis=1)
        c0 = np.where(has, following[rows, starts], w).min(axis=1)
        c1 = np.where(has, latest[rows, ends - 1], -1).max(axis=1) + 1
        out = []
        for k, (left, right) in enumerate(pairs):
            if c0[k] >= c1[k]:
                out.append((np.zeros((0, 0), np.float32), self.x0 + int(c0[k]), 0))
                continue
            t, b, x0, x1 = int(top[k]), int(bottom[k]), int(c0[k]), int(c1[k])
            crop = self.ink[t:b, x0:x1]
            if (left is not None and left[1]) or (right is not None and right[1]):   # slanted: mask it
                columns = np.arange(x0, x1)
                crop = crop * ((columns >= starts[k, t:b, None]) & (columns < ends[k, t:b, None]))
            out.append((crop, self.x0 + x0, t))
        return out

    def _crop(self, left: tuple[float, float] | None, right: tuple[float, float] | None) -> tuple[np.ndarray, int, int]:
        """``crops`` of one pair, directly: cheaper for a few (the chosen digits, read exactly)."""
        w = self.ink.shape[1]
        slanted = (left is not None and left[1]) or (right is not None and right[1])
        if slanted:
            inside = np.arange(w) >= self._first(left, 0)[:, None]
            inside &= np.arange(w) < self._first(right, w)[:, None]
            inside &= self.ink > 0
            start = 0
        else:   # the columns between two vertical lines: no mask of the whole blob needed
            start = int(self._first(left, 0)[0]) if left is not None else 0
            inside = self.ink[:, start:int(self._first(right, w)[0]) if right is not None else w] > 0
        rows, columns = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
        if not len(rows):
            return np.zeros((0, 0), np.float32), self.x0 + w, 0
        t, b, x0, x1 = int(rows[0]), int(rows[-1]) + 1, start + int(columns[0]), start + int(columns[-1]) + 1
        crop = self.ink[t:b, x0:x1]
        if slanted:   # mask it
            crop = crop * inside[t:b, x0:x1]
        return crop, self.x0 + x0, t

    def _first(self, line: tuple[float, float] | None, edge: int) -> np.ndarray:
        """Per row, the first column right of a cut line (``edge`` for the blob's edge)."""
        if line is None:
            return np.full(self.ink.shape[0], edge)
        if ("first", line) not in self._right:
            right = self.right_of(line)
            self._right["first", line] = np.where(right.any(axis=1), right.argmax(axis=1), right.shape[1])
        return self._right["first", line]

    def span(self, line: tuple[float, float]) -> tuple[float, float]:
        """The columns a cut line crosses within the blob's rows."""
        reach = abs(line[1]) * (self.bottom - self.top) / 2
        return line[0] - reach, line[0] + reach

    def cut_lines(self, slants: tuple[float, ...], aspect: float = CUT_ASPECT) -> list[tuple[float, float]]:
        """Cut lines at each slant: the lowest points of the ink's profile along that slant, at most
        ``CUTS_PER_HEIGHT`` per height of width, ``CUT_SPACING`` apart; the thinnest first. None in
        a blob narrower than ``aspect`` times its height."""
        if self.hi - self.lo <= aspect * self.height:
            return []
        if (slants, aspect) not in self._lines:   # (the second pass asks again)
            self._lines[slants, aspect] = self._cut_lines(slants)
        return self._lines[slants, aspect]

    def _cut_lines(self, slants: tuple[float, ...]) -> list[tuple[float, float]]:
        if self._pixels is None:
            ys, xs = np.nonzero(self.full)
            self._pixels = ys, xs, self.full[ys, xs]
        ys, xs, weights = self._pixels
        margin = max(2, int(CUT_SPACING * self.height))
        lines = []
        for slant in slants:
            u = xs + self.lo + slant * (ys - self.middle)
            start = int(np.floor(u.min()))
            profile = np.bincount(np.round(u - start).astype(int), weights=weights)
            if len(profile) <= 2 * margin:
                continue
            inner = profile[margin:len(profile) - margin]
            before, after = profile[margin - 1:len(profile) - margin - 1], profile[margin + 1:len(profile) - margin + 1]
            minima = margin + np.flatnonzero((inner <= before) & (inner <= after))
            chosen: list[int] = []
            for c in minima[np.argsort(profile[minima], kind="stable")].tolist():   # the lowest few, apart
                if all(abs(c - d) > margin for d in chosen):
                    chosen.append(c)
                if len(chosen) >= CUTS_PER_HEIGHT * (self.hi - self.lo) / self.height:
                    break
            lines += [(float(profile[c]), abs(slant), start + c - 0.5, slant) for c in chosen]
        return [(c, s) for _, _, c, s in sorted(lines)]

    def distinct(self, lines: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """``lines`` without those that part the ink as one before them does."""
        total, kept = float(self.ink.sum()), []
        for line in lines:
            right = self.right_of(line)
            if all(float(self.ink[right != self.right_of(other)].sum()) > SAME_CUT * total for other in kept):
                kept.append(line)
        return kept


# A boundary between two digits: (blob, cut line), or (blob, None) for the left edge of a blob (the
# last boundary is the right edge of the last blob: (number of blobs, None)).
Boundary = tuple[int, "tuple[float, float] | None"]


def _parts(a: Boundary, b: Boundary) -> list[tuple[int, tuple | None, tuple | None]]:
    """The ink between two boundaries, blob by blob: (blob, left cut line, right cut line), None an edge."""
    return [(index, a[1] if index == a[0] else None, b[1] if index == b[0] else None)
            for index in range(a[0], b[0] + (b[1] is not None))]


def _crops(blobs: list, pairs: list[tuple[Boundary, Boundary]]) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """The ink between each pair of boundaries cropped to its box, and that box (left, top, right,
    bottom) in the picture; an empty crop when there is no ink. Each blob's parts are cropped together
    (``_Blob.crops``), and a candidate over several blobs is its parts' crops laid over each other."""
    wanted: dict[int, dict] = {}   # blob -> the pairs of its cut lines wanted
    for a, b in pairs:
        for index, left, right in _parts(a, b):
            wanted.setdefault(index, {})[left, right] = None
    pieces = {}
    for index, lines in wanted.items():
        pieces.update(zip([(index, *line) for line in lines], blobs[index].crops(list(lines))))
    out = []
    for a, b in pairs:
        parts = [piece for piece in (pieces[part] for part in _parts(a, b)) if piece[0].size]
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


def _boundaries(blobs: list[_Blob], slanted: dict[int, list[tuple[float, float]]]) -> list[Boundary]:
    """Every blob's left edge and its cut lines, left to right: vertical ones, and slanted ones
    within the spans ``slanted`` gives for a blob."""
    bounds: list[Boundary] = []
    for index, blob in enumerate(blobs):
        lines = blob.cut_lines((0.0,))
        if index in slanted:   # (only the lines near an unsure digit are compared: a wide blob has many)
            near = [(c, s) for c, s in lines + blob.cut_lines((0.0, *SLANTS), UNSURE_CUT_ASPECT)
                    if any(x0 <= c <= x1 for x0, x1 in slanted[index])]
            lines = [line for line in lines if line not in near] + blob.distinct(near)
        bounds += [(index, None)] + [(index, line) for line in sorted(lines)]
    return bounds + [(len(blobs), None)]


def _whole(a: Boundary, b: Boundary) -> bool:
    """The two boundaries are one blob's edges: the blob whole."""
    return a[1] is None and b == (a[0] + 1, None)


def _edge(blobs: list[_Blob], bound: Boundary, side: int) -> float:
    """The leftmost (side 0) or rightmost (1) column of a boundary."""
    index, line = bound
    if line is None:
        return blobs[index].lo if side == 0 else blobs[index - 1].hi
    return blobs[index].span(line)[side]


def _candidates(blobs: list[_Blob], bounds: list[Boundary], height: int) -> list[tuple[int, int]]:
    """Pairs of boundaries whose ink between could be one digit: a whole blob, or ink of at most
    ``DIGIT_BLOBS`` blobs no wider than ``PICTURE_DIGIT_WIDTH`` times the writing's height (each
    boundary with the ``MAX_FOLLOWING`` after it, all pairs judged at once)."""
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
            at_top[k], at_bottom[k] = (line[0] - line[1] * (y - blob.middle) for y in (blob.top, blob.bottom))
            narrowest[k], lined[k] = NARROWEST * blob.height, True
    i = np.arange(n - 1)[:, None]
    j = i + np.arange(1, MAX_FOLLOWING + 1)[None, :]
    inside = j < n
    i, j = np.broadcast_arrays(i, np.minimum(j, n - 1))
    ok = inside & (last[j] - index[i] <= DIGIT_BLOBS) & (right[j] - left[i] <= PICTURE_DIGIT_WIDTH * height)
    same = (index[i] == index[j]) & lined[i]
    ok &= ~same | ((at_top[j] - at_top[i] >= narrowest[i]) & (at_bottom[j] - at_bottom[i] >= narrowest[i]))
    keys = list(whole.items())                   # a whole blob is a candidate, however wide
    keys += [(a, b) for a, b in zip(i[ok].tolist(), j[ok].tolist()) if whole.get(a) != b]
    return keys


def _readable(crops: list[np.ndarray], pairs: list[tuple[Boundary, Boundary]], smallest: float) -> list[int]:
    """Which candidates may be a digit: those with ink, a blob whole or a piece cut off one at least
    ``smallest`` long."""
    return [k for k, crop in enumerate(crops) if crop.size and (max(crop.shape) >= smallest or _whole(*pairs[k]))]


def _best_reading(model, blobs: list[_Blob], height: int, slanted: dict, scores: dict,
                  smallest: float) -> list[tuple[Boundary, Boundary, float]]:
    """The best cutting of the blobs into digits with the cut lines ``_boundaries`` gives: each
    candidate read small and fast, with what its height says (``_shortness``; ``scores``, by
    boundaries, keeps what was read already). A piece cut off a blob shorter than ``smallest`` is
    no digit."""
    bounds = _boundaries(blobs, slanted)
    keys = _candidates(blobs, bounds, height)
    new = [(bounds[i], bounds[j]) for i, j in keys if (bounds[i], bounds[j]) not in scores]
    cropped = _crops(blobs, new)
    crops = [crop for crop, _ in cropped]
    inked = _readable(crops, new, smallest)
    outputs = model.predict_proba(fast_mnist([crops[k] for k in inked])) if inked else []
    scores.update({pair: -1e9 for pair in new})   # a candidate without ink can never be a digit
    if inked:
        short = _shortness(blobs, [new[k] for k in inked], [cropped[k][1] for k in inked])
        scores.update(zip([new[k] for k in inked], (_scores(outputs) + short).tolist()))
    path = _best_path(len(bounds) - 1, {(i, j): scores[(bounds[i], bounds[j])] for i, j in keys})
    return [(bounds[i], bounds[j], scores[(bounds[i], bounds[j])]) for i, j in path]


def _shortness(blobs: list[_Blob], pairs: list[tuple[Boundary, Boundary]], boxes: list[tuple]) -> np.ndarray:
    """``short_cost`` of each piece cut off blobs (between a pair of boundaries, its box), against
    their height: a digit cut out of touching digits is about as tall as they are, a piece of one
    often is not. A blob whole costs nothing (a small digit alone is still a digit)."""
    tops, bottoms = [blob.top for blob in blobs], [blob.bottom for blob in blobs]
    spanned = [(a[0], b[0] - (b[1] is None)) for a, b in pairs]   # its first and last blob (a piece of it, or whole)
    tall = np.array([bottoms[i] - tops[i] + 1 if i == j else max(bottoms[i:j + 1]) - min(tops[i:j + 1]) + 1
                     for i, j in spanned], float)
    heights = np.array([box[3] - box[1] for box in boxes], float)
    whole = np.array([_whole(a, b) for a, b in pairs], bool)
    return np.where(whole, 0.0, short_cost(heights / tall))


def _unsure_spans(blobs: list[_Blob], reading: list, height: int) -> dict[int, list[tuple[float, float]]]:
    """Where the reading has its unsurest digits: their blobs, and their columns widened by
    ``SLANT_REACH``."""
    spans: dict[int, list[tuple[float, float]]] = {}
    unsure = sorted((score, k) for k, (a, b, score) in enumerate(reading) if score < math.log(UNSURE_CUT)
                    # (a blob wider than any digit, read whole, is no digit to part: a long scribble)
                    and _edge(blobs, b, 1) - _edge(blobs, a, 0) <= PICTURE_DIGIT_WIDTH * height)
    for _, k in unsure[:MOST_UNSURE]:   # (each costs some hundred candidates more)
        a, b, _ = reading[k]
        span = (_edge(blobs, a, 0) - SLANT_REACH * height, _edge(blobs, b, 1) + SLANT_REACH * height)
        for index in range(a[0], b[0] + (b[1] is not None)):
            spans.setdefault(index, []).append(span)
    return spans


def _ready(ink: np.ndarray) -> tuple[list, list[_Blob], int, float]:
    """An ink map's blobs (as ``_blobs`` finds them, and ready to be cut and read small), the
    writing's height, and the shortest piece cut off a blob that may be a digit."""
    rows = np.flatnonzero((ink > 0.35).any(axis=1))
    height = rows[-1] - rows[0] + 1 if len(rows) else 1
    found = _blobs(ink)
    # Candidates are read from the picture shrunk so the writing is about FAST_SIDE high (the
    # network sees 20 pixels of it); the chosen ones again from the picture itself.
    shrink = max(1, int(height // FAST_SIDE))
    blobs = [_Blob(ink, lo, hi, mask, shrink) for lo, hi, mask in found]
    # A cut-off piece hardly longer than the pen is wide is a fragment, never a digit: a square bit
    # of a dash reads as a 1 (a blob whole is always read: a dot, a dash are said so).
    return found, blobs, int(height), SMALLEST_PIECE * pen_width([blob.ink > 0.5 for blob in blobs])


def read_picture(model, grey: np.ndarray, ink_is_bright: bool | None = None) -> NumberReading:
    """The number in a picture (2-D, 0..1 or 0..255), any width: blobs of ink, wide ones cut where
    the ink is thin, every stretch of ink between two cuts that could be a digit read (drawn small
    and fast), the best reading of the whole chosen (again with slanted cuts where a digit of it is
    unsure), and its digits read again exactly."""
    ink = ink_map(np.asarray(grey, np.float32), ink_is_bright)
    rows = np.flatnonzero((ink > 0.35).any(axis=1))
    # A photo's writing, thousands of pixels high, is read shrunk to at most twice READ_HEIGHT: the
    # network sees 20 pixels of a digit, and the work grows with the pixels (a phone's 12 MP: 1.4 s).
    factor = max(1, int((rows[-1] - rows[0] + 1) // READ_HEIGHT)) if len(rows) else 1
    if factor > 1:
        ink = _Blob._shrunk(ink, 0, factor)
        rows = np.flatnonzero((ink > 0.35).any(axis=1))
    ink = ink_as_read(ink, rows[-1] - rows[0] + 1 if len(rows) else 0)   # (the pen as the window's strokes are read)
    found, blobs, height, smallest = _ready(ink)
    scores: dict = {}
    reading = _best_reading(model, blobs, height, {}, scores, smallest)
    unsure = _unsure_spans(blobs, reading, height)
    if unsure:
        reading = _best_reading(model, blobs, height, unsure, scores, smallest)
    exact_blobs = blobs
    if blobs and blobs[0].k > 1:   # (only the blobs the reading uses: a long number's are many)
        used = {index for a, b, _ in reading for index, _, _ in _parts(a, b)}
        exact_blobs = [_Blob(ink, *found[index], 1) if index in used else None for index in range(len(found))]
    crops = [crop for crop in _crops(exact_blobs, [(a, b) for a, b, _ in reading]) if crop[0].size]
    # The chosen digits drawn exactly (a picture of one digit reads as it always did)...
    preps = [on_square(crop, max(*crop.shape, int(0.5 * ink.shape[0]))) for crop, _ in crops]
    exact = model.predict_proba(np.stack([p.image for p in preps])) if preps else []
    # ...and judged as the window judges a drawing when alone.
    alone = len(preps) == 1 and len(found) == 1
    return NumberReading(without_specks([DigitOfNumber(judge_digit(model, prep, output, alone), tuple(v * factor for v in box))
                                         for (_, box), prep, output in zip(crops, preps, exact)], height * factor))


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
            wear >= 1 and width <= PICTURE_DIGIT_WIDTH * height and len(_blobs(ink)) == 1):
        return ink
    return by_disk(ink, max(wear, grow), grow >= 1)
