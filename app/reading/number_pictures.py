"""Reading a whole number from a picture (any width): the picture side of ``app/reading/numbers.py``.

The pieces are blobs of ink, left to right; a wide blob (touching digits) is cut at many columns
where its ink is thin, and every run of neighbouring pieces that could be one digit is a candidate.
Hundreds of candidates are read, so they are drawn small and fast (``_fast_mnist``, from the picture
shrunk so the writing is about ``FAST_SIDE`` high); the dynamic programme of ``numbers`` chooses the
best reading of the whole, and the chosen digits are read again exactly (``to_mnist``), so a picture
of one digit reads as it always did.
"""
from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage

from app.reading.numbers import FAST_SIDE, DigitOfNumber, NumberReading, _best_path, _score
from app.reading.predictor import judge, reject_threshold, unsure_threshold
from app.reading.preprocess import BOX, FIELD, MNIST_CENTRE, ink_map, to_mnist

OVERLAP = 0.5             # pieces overlapping this much of the narrower's width are one digit's
SPECK = 0.02              # ink blobs under this share of the largest are specks, not pieces
CUTS_PER_HEIGHT = 6.0     # candidate cuts in a wide blob: at most this many per its height of width,
CUT_SPACING = 0.1         # this far apart at least (of its height): the recognition chooses among them
PICTURE_PIECES = 8        # a digit of a picture may span this many pieces,
PICTURE_DIGIT_WIDTH = 1.3  # if no wider than this (of the writing's height): digits are rarely wider
CUT_ASPECT = 0.8          # a blob wider than this times its height may be touching digits: cut candidates


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
    return [(lo, hi, np.isin(labels[:, lo:hi], members)) for lo, hi, members in _merge_overlapping(spans)]


def _cuts(ink: np.ndarray, lo: int, hi: int, mask: np.ndarray) -> list[int]:
    """Columns where a wide blob (``mask`` of columns lo..hi) may be two touching digits: the lowest
    points of its ink profile."""
    rows = np.flatnonzero(mask.any(axis=1))
    height = rows[-1] - rows[0] + 1
    if hi - lo <= CUT_ASPECT * height:
        return []
    profile = (ink[:, lo:hi] * mask).sum(axis=0)
    margin = max(2, int(CUT_SPACING * height))
    inner = np.arange(margin, hi - lo - margin)
    if not len(inner):
        return []
    minima = [c for c in inner if profile[c] <= profile[c - 1] and profile[c] <= profile[min(c + 1, len(profile) - 1)]]
    minima.sort(key=lambda c: profile[c])
    chosen: list[int] = []
    for c in minima:   # the lowest few, apart from each other
        if all(abs(c - d) > margin for d in chosen):
            chosen.append(c)
        if len(chosen) >= CUTS_PER_HEIGHT * (hi - lo) / height:
            break
    return sorted(lo + c for c in chosen)


def read_picture(model, grey: np.ndarray, ink_is_bright: bool | None = None) -> NumberReading:
    """The number in a picture (2-D, 0..1 or 0..255), any width: blobs of ink, wide ones cut at
    many columns where the ink is thin, every run of pieces that could be a digit read (drawn small
    and fast), the best reading of the whole chosen, and its digits read again exactly."""
    ink = ink_map(np.asarray(grey, np.float32), ink_is_bright)
    found = [(lo, hi, mask, [lo, *_cuts(ink, lo, hi, mask), hi]) for lo, hi, mask in _blobs(ink)]
    rows = np.flatnonzero((ink > 0.35).any(axis=1))
    height = rows[-1] - rows[0] + 1 if len(rows) else 1
    # Candidates are read from the picture shrunk so the writing is about FAST_SIDE high (the
    # network sees 20 pixels of it); the chosen ones again from the picture itself.
    pieces, blobs = _layout(ink, found, 1)
    shrink = max(1, int(height // FAST_SIDE))
    small = _layout(ink, found, shrink) if shrink > 1 else (pieces, blobs)
    crops = {key: _candidate_crop(small[0][key[0]:key[1]], small[1]) for key in _picture_segments(pieces, height)}
    keys = [key for key, (crop, _) in crops.items() if crop.size]
    outputs = model.predict_proba(np.stack([_fast_mnist(crops[k][0]) for k in keys])) if keys else []
    scores = {key: -1e9 for key in crops}   # a candidate without ink can never be a digit
    scores.update({key: _score(o) for key, o in zip(keys, outputs)})
    path = [key for key in _best_path(len(pieces), scores) if crops[key][0].size]
    crops = {key: _candidate_crop(pieces[key[0]:key[1]], blobs) for key in path}
    # The chosen digits drawn exactly (a picture of one digit reads as it always did)...
    preps = [to_mnist(_centre(crops[key][0], max(*crops[key][0].shape, int(0.5 * ink.shape[0]))), ink_is_bright=True)
             for key in path]
    exact = model.predict_proba(np.stack([p.image for p in preps])) if path else []
    threshold, unsure_from, alone = reject_threshold(model), unsure_threshold(model), len(pieces) == 1
    # ...and judged as the window judges a drawing when alone (a dot is too small, a dash too wide);
    # within a number, a 1 is narrow and a 7's bar may be wide.
    return NumberReading([DigitOfNumber(judge(output, prep.image, prep.relative_size if alone else 1.0, 0.0,
                                              prep.aspect if alone else 1.0, threshold, unsure_from), crops[key][1])
                          for key, prep, output in zip(path, preps, exact)])


def _layout(ink: np.ndarray, found: list, k: int) -> tuple[list, list]:
    """The pieces and blobs of the blobs ``found`` (left, right, mask, cut edges), in the picture
    shrunk k times (k x k blocks averaged, from each blob's left edge). A piece is (left, right, mask
    of its columns, its blob); a blob is (left, its ink alone, the top and bottom row of its ink in
    each column, which columns have ink)."""
    pieces, blobs = [], []
    for lo, hi, mask, edges in found:
        blob = np.where(mask, ink[:, lo:hi], 0)
        if k > 1:   # whole blocks from column lo, rows from 0; the picture's last part block padded
            h, w = -(-blob.shape[0] // k) * k, -(-blob.shape[1] // k) * k
            padded = np.zeros((h, w), np.float32)
            padded[:blob.shape[0], :blob.shape[1]] = blob
            blob = padded.reshape(h // k, k, w // k, k).mean(axis=(1, 3))
        inked = blob > 0
        rows = np.arange(len(blob))[:, None]
        cuts = [lo // k + -(-(e - lo) // k) for e in edges]
        pieces += [(a, b, inked[:, a - lo // k:b - lo // k], len(blobs)) for a, b in zip(cuts[:-1], cuts[1:])]
        blobs.append((lo // k, blob, np.where(inked, rows, len(blob)).min(axis=0), np.where(inked, rows, -1).max(axis=0),
                      inked.any(axis=0)))
    return pieces, blobs


def _candidate_crop(pieces: list, blobs: list) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The ink of ``pieces`` (neighbours, each (left, right, mask of its columns, blob)) cropped to its
    box, and that box (left, top, right, bottom) in the picture; an empty crop when there is no ink."""
    left, right = min(p[0] for p in pieces), max(p[1] for p in pieces)
    if right <= left:   # (a sliver of a piece, shrunk to nothing)
        return np.zeros((0, 0), np.float32), (left, 0, left, 0)
    if all(p[3] == pieces[0][3] for p in pieces):   # columns of one blob (most candidates): a slice of it
        lo, blob_ink, tops, bottoms, inked = blobs[pieces[0][3]]
        cols = np.flatnonzero(inked[left - lo:right - lo])
        if not len(cols):
            return np.zeros((0, 0), np.float32), (left, 0, left, 0)
        x0, x1 = left - lo + cols[0], left - lo + cols[-1] + 1
        top, bottom = int(tops[x0:x1].min()), int(bottoms[x0:x1].max()) + 1
        return blob_ink[top:bottom, x0:x1], (int(lo + x0), top, int(lo + x1), bottom)
    height = max(len(blob[1]) for blob in blobs)
    mask, crop = np.zeros((height, right - left), bool), np.zeros((height, right - left), np.float32)
    for a, b, part, blob in pieces:   # (blobs may overlap in x)
        mask[:len(part), a - left:b - left] |= part
        lo, blob_ink = blobs[blob][:2]
        np.maximum(crop[:len(part), a - left:b - left], blob_ink[:, a - lo:b - lo], out=crop[:len(part), a - left:b - left])
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return np.zeros((0, 0), np.float32), (left, 0, left, 0)
    top, bottom, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return crop[top:bottom, x0:x1], (int(left + x0), int(top), int(left + x1), int(bottom))


@functools.lru_cache(maxsize=1024)
def _area_weights(size: int, new: int) -> np.ndarray:
    """(new, size): each new pixel the exact average of the old pixels it covers (a box filter)."""
    edges = np.arange(new + 1) * (size / new)
    lo, hi = edges[:-1, None], edges[1:, None]
    k = np.arange(size)[None, :]
    return (np.clip(np.minimum(hi, k + 1) - np.maximum(lo, k), 0, None) / (size / new)).astype(np.float32)


def _fast_mnist(crop: np.ndarray) -> np.ndarray:
    """``to_mnist`` of an ink crop, approximately and fast (a number's picture has hundreds of
    candidates): the longer side to 20 pixels by an area average, placed in 28x28 with its centre of
    mass at (14, 14). The chosen digits are read again with ``to_mnist`` itself."""
    crop = crop / max(float(crop.max()), 1e-6)   # (faint ink was dropped from the whole picture)
    h, w = crop.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = _area_weights(h, nh) @ crop @ _area_weights(w, nw).T
    total = max(float(small.sum()), 1e-6)
    cy = float(small.sum(axis=1) @ np.arange(nh)) / total
    cx = float(small.sum(axis=0) @ np.arange(nw)) / total
    # Where to_mnist would put it: centred, then moved by whole pixels, never off the field.
    y0 = min(max((FIELD - nh) // 2 + round(MNIST_CENTRE - cy - (FIELD - nh) // 2), 0), FIELD - nh)
    x0 = min(max((FIELD - nw) // 2 + round(MNIST_CENTRE - cx - (FIELD - nw) // 2), 0), FIELD - nw)
    field = np.zeros((FIELD, FIELD), np.float32)
    field[y0:y0 + nh, x0:x0 + nw] = np.minimum(small, 1)
    return field


def _picture_segments(pieces: list, height: int) -> list[tuple[int, int]]:
    """Runs of up to ``PICTURE_PIECES`` neighbouring pieces that could be one digit: one piece, or no
    wider than ``PICTURE_DIGIT_WIDTH`` times the writing's height."""
    n = len(pieces)
    return [(i, j) for i in range(n) for j in range(i + 1, min(n, i + PICTURE_PIECES) + 1)
            if j - i == 1 or pieces[j - 1][1] - pieces[i][0] <= PICTURE_DIGIT_WIDTH * height]


def _centre(crop: np.ndarray, side: int) -> np.ndarray:
    """``crop`` on a square of ``side`` (at least as large): the size of the ink relative to the
    picture then says, as for a drawing, whether it is a digit or a speck."""
    out = np.zeros((max(side, crop.shape[0]), max(side, crop.shape[1])), np.float32)
    y, x = (out.shape[0] - crop.shape[0]) // 2, (out.shape[1] - crop.shape[1]) // 2
    out[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
    return out


