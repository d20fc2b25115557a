"""Ink blobs of a picture and the straight lines that may cut them: what ``number_pictures`` reads.

The ink falls into blobs (connected ink; a digit's pieces that overlap much in x are one blob; specks
are none: ``without_dust`` leaves them out of the picture's ink first). A
blob wider than a digit may be touching digits: it is cut along straight lines where its ink is thin
(the lowest points of its ink's profile along a slant), or along such a line bent round the ink in
its way (``Blob.bent``), and the ink between two lines is cropped, many pairs at once (a number's
picture has hundreds of candidates).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

OVERLAP = 0.5             # blobs overlapping this much of the narrower's width are one digit's
SPECK = 0.02              # ink blobs under this share of the largest are specks, not pieces
DUST_BLOCK = 4            # (specks are looked for in blocks of this many pixels a side)
CUT_ASPECT = 0.8          # a blob wider than this times its height may be touching digits: cut it
CUTS_PER_HEIGHT = 6.0     # cut lines per slant: at most this many per the blob's height of width,
CUT_SPACING = 0.1         # this far apart at least (of its height): the recognition chooses among them
SAME_CUT = 0.02           # two cut lines that part a blob's ink alike (but for this share of it) are one
BEND_REACH = 0.25         # a bent cut line strays at most this far (of the blob's height) from its line,
BEND_MOVE = 0.05          # each column it moves from one (shrunk) row to the next costs as much as this much ink,
BEND_STRAY = 0.01         # straying costs this much per row at its reach (so a way through no ink stays on the line)
FEW_CROPS = 4             # a blob's crops for this few pairs are cut one by one (the chosen digits, read exactly)


def merge_overlapping(spans: list[tuple[float, float, list]]) -> list[tuple[float, float, list]]:
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


def without_dust(ink: np.ndarray) -> np.ndarray:
    """An ink map (ink bright, 0..1) without its specks: connected ink (any, however faint) whose solid
    pixels (over 0.35) are under ``SPECK`` of the largest such piece's, left out before the writing is
    measured: dotted paper's dots, a photo's dust, a scan's noise far from the writing made the writing as
    high as the page (its pen then read as too fine and grown, a column of dots read as a 1, all the ink
    as one mark). Ink of no solid pixel stays (a faint stroke of a digit). A dot beside the digits (a
    decimal point) goes too: it is left out of the number anyway. The pieces are found in blocks of
    ``DUST_BLOCK`` x ``DUST_BLOCK`` pixels (a sixteenth of the work: a speck that close to the writing is
    part of it here, and harmless there)."""
    k = DUST_BLOCK
    h, w = -(-ink.shape[0] // k) * k, -(-ink.shape[1] // k) * k
    padded = np.zeros((h, w), np.float32)
    padded[:ink.shape[0], :ink.shape[1]] = ink
    inked, solid = np.zeros((h // k, w // k), bool), np.zeros((h // k, w // k), np.float32)
    for dy in range(k):   # (blocks by strided slices: as Blob.shrunk, numpy's fast path)
        for dx in range(k):
            block = padded[dy::k, dx::k]
            inked |= block > 0
            solid += block > 0.35
    labels, count = ndimage.label(inked, structure=np.ones((3, 3)))
    if count < 2:
        return ink
    sizes = np.bincount(labels.ravel(), weights=solid.ravel(), minlength=count + 1)[1:]
    dust = (sizes > 0) & (sizes < SPECK * sizes.max())
    if not dust.any():
        return ink
    gone = np.concatenate([[False], dust])[labels]
    gone = np.repeat(np.repeat(gone, k, axis=0), k, axis=1)[:ink.shape[0], :ink.shape[1]]
    return np.where(gone, 0.0, ink).astype(ink.dtype, copy=False)


def find_blobs(ink: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """Connected blobs of ink, as (left, right, mask of columns left..right); specks dropped; blobs
    overlapping much in x merged. Masks cover their columns only: a long number's picture is wide."""
    solid = ink > 0.35
    rows = np.flatnonzero(solid.any(axis=1))
    if not len(rows):
        return []
    top, bottom = int(rows[0]), int(rows[-1]) + 1   # (only the rows with ink are labelled: a third less work)
    labels, count = ndimage.label(solid[top:bottom], structure=np.ones((3, 3)))
    boxes = ndimage.find_objects(labels)
    sizes = [np.count_nonzero(labels[box] == k + 1) for k, box in enumerate(boxes)]
    keep = [k + 1 for k in range(count) if sizes[k] >= SPECK * max(sizes)]
    spans = [(boxes[k - 1][1].start, boxes[k - 1][1].stop, [k]) for k in keep]
    blobs = []
    for lo, hi, members in merge_overlapping(spans):
        mask = np.zeros((ink.shape[0], hi - lo), bool)
        mask[top:bottom] = labels[:, lo:hi] == members[0] if len(members) == 1 else np.isin(labels[:, lo:hi], members)
        blobs.append((lo, hi, mask))
    return blobs


class Bend:
    """A bent cut line's columns, one per row of its blob from the top (in the picture's pixels).
    Compared by identity (a cut line is a key of many lookups), ordered by its columns."""
    __slots__ = ("columns", "span")

    def __init__(self, columns: np.ndarray):
        self.columns = columns
        self.span = float(columns.min()), float(columns.max())

    def __lt__(self, other: "Bend") -> bool:
        return self.columns.tolist() < other.columns.tolist()


def _not_vertical(line: tuple | None) -> bool:
    """A cut line that is slanted or bent: what lies between it and another is masked row by row."""
    return line is not None and (bool(line[1]) or len(line) > 2)


class Blob:
    """A blob's ink, shrunk ``k`` times (k x k blocks averaged, aligned to the picture), and its cut
    lines. A cut line (c, s) is where x + s (y - the blob's middle row) = c, in the picture's pixels;
    the ink right of it is what it leaves to the next digit."""

    def __init__(self, ink: np.ndarray, lo: int, hi: int, mask: np.ndarray, k: int):
        self.lo, self.hi, self.k = lo, hi, k
        rows = np.flatnonzero(mask.any(axis=1))
        self.top, self.bottom = int(rows[0]), int(rows[-1])
        self.middle = (self.top + self.bottom) / 2
        self.full = np.where(mask, ink[:, lo:hi], 0).astype(np.float32, copy=False)
        self.x0, self.ink = (lo, self.full) if k == 1 else (lo // k, self.shrunk(self.full, lo, k))
        # Each shrunk pixel's centre, in the picture's pixels.
        self.ys = (np.arange(self.ink.shape[0])[:, None] + 0.5) * k - 0.5
        self.xs = (self.x0 + np.arange(self.ink.shape[1])[None, :] + 0.5) * k - 0.5
        self._firsts: dict = {}  # per cut line, each row's first column right of it
        self._lines: dict = {}   # cut lines found, by slant
        self._pixels = None   # the ink's pixels (rows, columns, strengths), for the cut lines
        self._rows = None     # per row, where the ink is: for crops
        self._feet = None     # per column, below its lowest ink

    @staticmethod
    def shrunk(blob: np.ndarray, lo: int, k: int) -> np.ndarray:
        """``blob`` (its first column the picture's ``lo``) shrunk ``k`` times: k x k blocks averaged,
        aligned to the picture's own block edges."""
        left = lo - (lo // k) * k   # whole blocks from the picture's own block edges
        h, w = -(-blob.shape[0] // k) * k, -(-(left + blob.shape[1]) // k) * k
        padded = np.zeros((h, w), np.float32)
        padded[:blob.shape[0], left:left + blob.shape[1]] = blob
        # Summed by strided slices, columns then rows: the means .reshape(...).mean(axis=(1, 3)) gives (bit
        # for bit up to k = 7, a number's picture; a photo's larger blocks within rounding), at an eighth
        # of the time (a reduction over two strided axes is numpy's slow path).
        columns = padded[:, 0::k].copy()
        for offset in range(1, k):
            columns += padded[:, offset::k]
        blocks = columns[0::k].copy()
        for offset in range(1, k):
            blocks += columns[offset::k]
        return blocks / np.float32(k * k)

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    def wider_than(self, aspect: float) -> bool:
        """Whether the blob is wider than ``aspect`` times its height."""
        return self.hi - self.lo > aspect * self.height

    def feet(self) -> np.ndarray:
        """Per column of the (shrunk) ink, the row just below its lowest ink, in the picture's pixels
        (0: no ink); worked out once (the baseline pieces cut off it are measured against)."""
        if self._feet is None:
            inked = self.ink > 0
            self._feet = np.where(inked.any(axis=0), inked.shape[0] - inked[::-1].argmax(axis=0), 0) * self.k
        return self._feet

    def right_of(self, line: tuple[float, float]) -> np.ndarray:
        """Which of the (shrunk) ink lies right of a cut line: the definition (``_first`` works it
        out row by row, cheaper; the tests hold it to this)."""
        return self.xs >= self.boundary(line, self.ys)

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
        # Each line's first columns once (None: the left edge, column 0; the right edge is the last row, w).
        lines = {line: k for k, line in enumerate(dict.fromkeys(line for pair in pairs for line in pair))}
        firsts = np.stack([self._first(line, 0) for line in lines] + [np.full(h, w)])
        starts = firsts[[lines[a] for a, _ in pairs]]                                # (pairs, rows): the first column in,
        ends = firsts[[lines[b] if b is not None else -1 for _, b in pairs]]         # and the first one out
        rows = np.arange(h)
        has = before[rows, ends] > before[rows, starts]
        top, bottom = has.argmax(axis=1), h - has[:, ::-1].argmax(axis=1)
        c0 = np.where(has, following[rows, starts], w).min(axis=1)
        c1 = np.where(has, latest[rows, ends - 1], -1).max(axis=1) + 1
        out, masked = [], {line: _not_vertical(line) for line in lines}
        for k, (left, right), t, b, x0, x1 in zip(range(len(pairs)), pairs, top.tolist(), bottom.tolist(),
                                                   c0.tolist(), c1.tolist()):
            if x0 >= x1:
                out.append((np.zeros((0, 0), np.float32), self.x0 + x0, 0))
                continue
            crop = self.ink[t:b, x0:x1]
            if masked[left] or (right is not None and masked[right]):   # slanted or bent: mask it
                columns = np.arange(x0, x1)
                crop = crop * ((columns >= starts[k, t:b, None]) & (columns < ends[k, t:b, None]))
            out.append((crop, self.x0 + x0, t))
        return out

    def _crop(self, left: tuple[float, float] | None, right: tuple[float, float] | None) -> tuple[np.ndarray, int, int]:
        """``crops`` of one pair, directly: cheaper for a few (the chosen digits, read exactly)."""
        w = self.ink.shape[1]
        slanted = _not_vertical(left) or _not_vertical(right)
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

    def _first(self, line: tuple | None, edge: int) -> np.ndarray:
        """Per row, the first column right of a cut line (``edge`` for the blob's edge)."""
        if line is None:
            return np.full(self.ink.shape[0], edge)
        if line not in self._firsts:   # worked out per row (right_of's test, without its mask)
            w, xs = self.ink.shape[1], self.xs[0]
            at = self.boundary(line, self.ys[:, 0])
            first = np.clip(np.ceil((at + 0.5) / self.k - 0.5 - self.x0), 0, w).astype(np.int64)
            first -= (first > 0) & (xs[np.maximum(first - 1, 0)] >= at)   # (rounding: at most a column off)
            first += (first < w) & (xs[np.minimum(first, w - 1)] < at)
            self._firsts[line] = first
        return self._firsts[line]

    def boundary(self, line: tuple, ys: np.ndarray) -> np.ndarray:
        """Where a cut line crosses the rows ``ys`` (in the picture's pixels): x = c - s (y - middle)
        for a straight one, a bent one's own columns (above and below the blob, its first and last)."""
        if len(line) > 2:
            return np.interp(ys, np.arange(self.top, self.top + len(line[2].columns)), line[2].columns)
        return line[0] - line[1] * (ys - self.middle)

    def span(self, line: tuple[float, float]) -> tuple[float, float]:
        """The columns a cut line crosses within the blob's rows."""
        if len(line) > 2:
            return line[2].span
        reach = abs(line[1]) * (self.bottom - self.top) / 2
        return line[0] - reach, line[0] + reach

    def cut_lines(self, slants: tuple[float, ...], aspect: float = CUT_ASPECT) -> list[tuple[float, float]]:
        """Cut lines at each slant: the lowest points of the ink's profile along that slant, at most
        ``CUTS_PER_HEIGHT`` per height of width, ``CUT_SPACING`` apart; the thinnest first. None in
        a blob narrower than ``aspect`` times its height."""
        if not self.wider_than(aspect):
            return []
        for slant in slants:   # (each slant's once: the second pass asks for the vertical ones again)
            if slant not in self._lines:
                self._lines[slant] = self._slant_lines(slant)
        return [(c, s) for _, _, c, s in sorted(line for slant in slants for line in self._lines[slant])]

    def profile(self, slant: float) -> tuple[int, np.ndarray]:
        """The ink's profile along a slant: the ink (float64) on each line x + slant (y - middle) = c,
        c rounded, from the first such line with ink, and that line's c (the picture's columns)."""
        if slant == 0:   # the ink per column: as the pixels' bincount below sums it, in the same order, faster
            columns = self.full.sum(axis=0, dtype=np.float64)
            inked = np.flatnonzero(columns)
            return self.lo + int(inked[0]), columns[inked[0]:inked[-1] + 1]
        if self._pixels is None:
            ys, xs = np.nonzero(self.full)
            self._pixels = ys, xs, self.full[ys, xs]
        ys, xs, weights = self._pixels
        u = xs + self.lo + slant * (ys - self.middle)
        start = int(np.floor(u.min()))
        return start, np.bincount(np.round(u - start).astype(int), weights=weights)

    def _slant_lines(self, slant: float) -> list[tuple[float, float, float, float]]:
        """The cut lines at one slant, each as (ink it crosses, |slant|, c, slant): how they are sorted."""
        start, profile = self.profile(slant)
        margin = max(2, int(CUT_SPACING * self.height))
        if len(profile) <= 2 * margin:
            return []
        inner = profile[margin:len(profile) - margin]
        before, after = profile[margin - 1:len(profile) - margin - 1], profile[margin + 1:len(profile) - margin + 1]
        minima = margin + np.flatnonzero((inner <= before) & (inner <= after))
        chosen: list[int] = []
        taken = np.zeros(len(profile) + margin + 1, bool)   # within the margin of one chosen
        for c in minima[np.argsort(profile[minima], kind="stable")].tolist():   # the lowest few, apart
            if not taken[c]:
                chosen.append(c)
                taken[c - margin:c + margin + 1] = True
            if len(chosen) >= CUTS_PER_HEIGHT * (self.hi - self.lo) / self.height:
                break
        return [(float(profile[c]), abs(slant), start + c - 0.5, slant) for c in chosen]

    def bent(self, lines: list[tuple[float, float]]) -> list[tuple[float, float, Bend]]:
        """Vertical cut ``lines`` bent round the ink in their way: each the path from the blob's top row
        to its bottom one through the least ink (moving costs a little, straying a little more),
        within ``BEND_REACH`` of its line. A stroke reaching under or over the neighbouring digit (a
        7's bar, a 2's base, a 6's loop) is left whole where a way round it exists; where the strokes
        cross there is none, and the path crosses where they are thinnest. All lines at once."""
        if not lines:
            return []
        t, b = self.top // self.k, self.bottom // self.k + 1
        reach = max(2, int(BEND_REACH * self.height / self.k))
        offsets = np.arange(-reach, reach + 1)
        # Each line's band of columns, rows t..b (shrunk): the ink, and no way outside the blob.
        padded = np.pad(self.ink[t:b].astype(np.float64), ((0, 0), (reach, reach)), constant_values=np.inf)
        centres = np.clip([round((c + 0.5) / self.k - 0.5 - self.x0) for c, _ in lines], 0, self.ink.shape[1] - 1)
        cost = np.stack([padded[:, c:c + 2 * reach + 1] for c in centres]) + BEND_STRAY * np.abs(offsets) / reach
        total = cost[:, 0].copy()   # (lines, band): the least cost of a path from the top row to each column
        moves = np.zeros(cost.shape, np.int8)   # the way each came: from the column to its left (1), above (0), right (-1)
        from_left, from_right = np.full_like(total, np.inf), np.full_like(total, np.inf)
        for row in range(1, b - t):
            np.add(total[:, :-1], BEND_MOVE, out=from_left[:, 1:])
            np.add(total[:, 1:], BEND_MOVE, out=from_right[:, :-1])
            best = np.minimum(total, from_left)
            came = (from_left < total).astype(np.int8)
            came[from_right < best] = -1
            moves[:, row] = came
            total = np.minimum(best, from_right) + cost[:, row]
        path = np.empty((len(lines), b - t), np.int64)
        at, every = total.argmin(axis=1), np.arange(len(lines))
        for row in range(b - t - 1, -1, -1):   # back from the bottom row
            path[:, row] = at
            at = at - moves[every, row, at]   # (a move of m came from m columns to the left)
        columns = (self.x0 + centres[:, None] - reach + path + 0.5) * self.k - 0.5   # in the picture's pixels
        rows, out = self.ys[t:b, 0], []
        for k in range(len(lines)):
            if np.isfinite(total[k].min()):
                per_row = np.interp(np.arange(self.top, self.bottom + 1), rows, columns[k])
                out.append((float(per_row.mean()), 0.0, Bend(per_row)))
        return out

    def distinct(self, lines: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """``lines`` without those that part the ink as one before them does."""
        # The ink two lines part differently lies, in each row, between their first columns.
        h, w = self.ink.shape
        before = np.zeros((h, w + 1))   # per row, the ink before each column
        np.cumsum(self.ink, axis=1, out=before[:, 1:])
        rows, least, kept = np.arange(h), SAME_CUT * before[:, -1].sum(), []
        parted = np.empty((len(lines), h))   # per kept line, the ink before it in each row
        for line in lines:
            ink_before = before[rows, self._first(line, 0)]
            if not kept or np.abs(parted[:len(kept)] - ink_before).sum(axis=1).min() > least:
                parted[len(kept)] = ink_before
                kept.append(line)
        return kept
