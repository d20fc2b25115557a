"""Reading a whole number: the digits of one drawing or one picture, left to right.

Segmentation by recognition. The ink is cut into small pieces (strokes, or connected blobs of ink
and slices of blobs too wide to be one digit), and every run of one to ``MAX_PIECES`` neighbouring
pieces is a candidate digit. The network reads every candidate in one batch; a dynamic programme
then picks the cutting of the whole drawing whose candidates together read best: the product of
each candidate's best digit share, which a piece of a digit or two digits squeezed together lose
to the not-a-digit output (``app/pen/negatives.py`` teaches exactly those). A drawing of one
digit has one piece, or pieces that only read well together, and reads as the window always did.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import ndimage

from app.errors import AppError
from app.files import regular_file
from app.reading.predictor import Reading, digit_outputs, judge, prepare_drawing, reject_threshold
from app.reading.preprocess import Preprocessed, ink_map, to_mnist
from app.reading.strokes import LOGICAL_SIZE, Drawing, Stroke, strokes_from_json

MAX_DRAWING_BYTES = 16 << 20   # a drawing file: strokes as JSON, a long number is tens of kB
MAX_PIECES = 4            # pieces one digit may be made of (a 4 or a crossed 7 in up to four strokes)
OVERLAP = 0.5             # pieces overlapping this much of the narrower's width are one digit's
SPECK = 0.02              # ink blobs under this share of the largest are specks, not pieces
CUT_ASPECT = 0.8          # a blob wider than this times its height may be touching digits: cut candidates
JOINED_ASPECT = 1.6      # a stroke wider than this times its height runs over two digits or more
SPLIT_PENALTY = math.log(0.9)   # each extra digit must be worth it: a tie reads as fewer digits


@dataclasses.dataclass
class DigitOfNumber:
    reading: Reading
    box: tuple[int, int, int, int]       # left, top, right, bottom (pixels, or canvas units for strokes)
    strokes: tuple[int, ...] = ()        # the drawing's strokes that make it (strokes only)


@dataclasses.dataclass
class NumberReading:
    digits: list[DigitOfNumber]

    @property
    def text(self) -> str:
        """The digits read, left to right; "?" for an unsure one; "" when none."""
        if self.status in ("empty", "not a digit"):
            return ""
        return "".join("?" if d.reading.unsure else str(d.reading.digit) for d in self.digits)

    @property
    def status(self) -> str:
        if not self.digits:
            return "empty"
        if len(self.digits) == 1:
            return self.digits[0].reading.status
        if all(d.reading.rejected for d in self.digits):
            return "not a digit"
        return "unsure" if any(d.reading.unsure for d in self.digits) else "read"


def _segments(n: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i + 1, min(n, i + MAX_PIECES) + 1)]


def _best_path(n: int, scores: dict[tuple[int, int], float]) -> list[tuple[int, int]]:
    """The cutting of pieces 0..n into consecutive runs with the highest total score."""
    best = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - MAX_PIECES), j):
            value = best[i] + scores[(i, j)] + (SPLIT_PENALTY if i else 0.0)
            if value > best[j]:
                best[j], back[j] = value, i
    path, j = [], n
    while j > 0:
        path.append((back[j], j))
        j = back[j]
    return path[::-1]


def _score(output: np.ndarray) -> float:
    digits, other = digit_outputs(output)
    return math.log(float(digits.max()) * (1.0 - float(other)) + 1e-9)


def _read_candidates(model, preps: dict[tuple[int, int], Preprocessed]) -> tuple[dict, dict]:
    keys = [k for k, p in preps.items() if not p.empty]
    outputs = model.predict_proba(np.stack([preps[k].image for k in keys])) if keys else np.zeros((0, 10))
    scores = {k: -1e9 for k in preps}   # a candidate without ink can never be a digit
    scores.update({k: _score(o) for k, o in zip(keys, outputs)})
    return scores, dict(zip(keys, outputs))


def _choose(model, n: int, preps: dict, boxes: dict, strokes: dict | None = None) -> NumberReading:
    scores, outputs = _read_candidates(model, preps)
    threshold = reject_threshold(model)
    digits = []
    for key in _best_path(n, scores):
        prep = preps[key]
        if prep.empty:
            continue
        # A drawing of one piece is judged exactly as the window judges a drawing (a dot is too
        # small, a dash too wide); within a number, a 1 is narrow and a 7's bar may be wide.
        alone = n == 1
        reading = judge(outputs[key], prep.image, prep.relative_size if alone else 1.0, 0.0,
                        prep.aspect if alone else 1.0, threshold)
        digits.append(DigitOfNumber(reading, boxes[key], strokes[key] if strokes else ()))
    return NumberReading(digits)


# ---------------------------------------------------------------------------
# From strokes (the window, drawing files)
# ---------------------------------------------------------------------------

def _merge_overlapping(spans: list[tuple[float, float, list]]) -> list[tuple[float, float, list]]:
    """(left, right, members) spans, sorted by centre, with neighbours that overlap by more than
    ``OVERLAP`` of the narrower one's width merged: one digit's strokes or blobs (a 4's two strokes,
    a 5's bar, a crossed 7)."""
    merged: list = []
    for lo, hi, members in sorted(spans, key=lambda t: (t[0] + t[1]) / 2):
        if merged:
            plo, phi, pmembers = merged[-1]
            if min(hi, phi) - max(lo, plo) > OVERLAP * min(hi - lo, phi - plo):
                merged[-1] = (min(lo, plo), max(hi, phi), pmembers + members)
                continue
        merged.append((lo, hi, members))
    return merged


def _stroke_pieces(strokes: list[Stroke]) -> list[list[int]]:
    """Strokes grouped into pieces, left to right."""
    spans = [(min(x for x, _ in s.points) - s.width / 2, max(x for x, _ in s.points) + s.width / 2, [k])
             for k, s in enumerate(strokes)]
    return [members for _, _, members in _merge_overlapping(spans)]


def drawing_picture(strokes: list[Stroke], height: int = LOGICAL_SIZE) -> np.ndarray:
    """Strokes drawn as the canvas draws them, as a dark-on-light greyscale picture (0..1) ``height``
    high and as wide as the writing, one pixel a canvas unit."""
    right = max(x for s in strokes for x, _ in s.points) + max(s.width for s in strokes)
    drawing = Drawing.from_strokes(strokes, size=int(math.ceil(max(right + 4, height))))
    return 1.0 - drawing.array()[:height]


def _joins_digits(stroke: Stroke) -> bool:
    """A stroke much wider than tall is two digits or more written without lifting the pen."""
    points = np.asarray(stroke.points, float)
    width, height = np.ptp(points, axis=0) + stroke.width
    return width > JOINED_ASPECT * height


def read_strokes(model, strokes: list[Stroke], height: int = LOGICAL_SIZE) -> NumberReading:
    """The number written with ``strokes`` on a canvas ``height`` units high (any width)."""
    strokes = [s for s in strokes if s.points]
    if not strokes:
        return NumberReading([])
    if any(_joins_digits(s) for s in strokes):
        # One stroke that runs on from digit to digit (a looped "00"): cut as a picture is cut, at
        # the thinnest columns of its ink; the canvas is drawn 1:1, so the boxes stay in canvas units.
        return read_picture(model, drawing_picture(strokes, height), ink_is_bright=False)
    pieces = _stroke_pieces(strokes)
    preps, boxes, members = {}, {}, {}
    for i, j in _segments(len(pieces)):
        chosen = sorted(k for piece in pieces[i:j] for k in piece)
        group = [strokes[k] for k in chosen]
        points = np.array([p for s in group for p in s.points], float)
        pad = max(s.width for s in group) / 2
        lo, hi = points.min(axis=0) - pad, points.max(axis=0) + pad
        # Drawn on a canvas of the drawing's height, the group placed where it is in y: a short mark
        # is as small to the network as it is on the canvas. A group that fits the canvas stays where
        # it is (one digit drawn alone is then exactly the window's drawing); one beyond it is moved
        # left by whole units, which moves the raster and changes nothing else.
        if lo[0] >= 0 and hi[0] <= height:
            size, shift = height, 0
        else:
            size, shift = int(math.ceil(hi[0] - lo[0])) + 4, int(math.floor(lo[0])) - 2
        shifted = [Stroke(s.width, [(x - shift, y) for x, y in s.points]) for s in group]
        preps[(i, j)] = prepare_drawing(Drawing.from_strokes(shifted, size=max(size, height)))
        boxes[(i, j)] = (int(lo[0]), int(lo[1]), int(math.ceil(hi[0])), int(math.ceil(hi[1])))
        members[(i, j)] = tuple(chosen)
    return _choose(model, len(pieces), preps, boxes, members)


# ---------------------------------------------------------------------------
# From pictures
# ---------------------------------------------------------------------------

def _blobs(ink: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """Connected blobs of ink, as (left, right, mask); specks dropped; blobs overlapping much in x merged."""
    labels, count = ndimage.label(ink > 0.35, structure=np.ones((3, 3)))
    if not count:
        return []
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, count + 1))
    keep = [k + 1 for k in range(count) if sizes[k] >= SPECK * sizes.max()]
    slices = ndimage.find_objects(labels)
    spans = [(slices[k - 1][1].start, slices[k - 1][1].stop, [k]) for k in keep]
    return [(lo, hi, np.isin(labels, members)) for lo, hi, members in _merge_overlapping(spans)]


def _cuts(ink: np.ndarray, lo: int, hi: int, mask: np.ndarray) -> list[int]:
    """Columns where a wide blob may be two touching digits: the lowest points of its ink profile."""
    rows = np.flatnonzero(mask.any(axis=1))
    height = rows[-1] - rows[0] + 1
    if hi - lo <= CUT_ASPECT * height:
        return []
    profile = (ink * mask)[:, lo:hi].sum(axis=0)
    margin = max(2, int(0.25 * height))
    inner = np.arange(margin, hi - lo - margin)
    if not len(inner):
        return []
    minima = [c for c in inner if profile[c] <= profile[c - 1] and profile[c] <= profile[min(c + 1, len(profile) - 1)]]
    minima.sort(key=lambda c: profile[c])
    chosen: list[int] = []
    for c in minima:   # the lowest few, apart from each other
        if all(abs(c - d) > margin for d in chosen):
            chosen.append(c)
        if len(chosen) == 3:
            break
    return sorted(lo + c for c in chosen)


def read_picture(model, grey: np.ndarray, ink_is_bright: bool | None = None) -> NumberReading:
    """The number in a picture (2-D, 0..1 or 0..255), any width: blobs of ink, wide ones cut at
    their thinnest columns, read by recognition."""
    ink = ink_map(np.asarray(grey, np.float32), ink_is_bright)
    pieces = []   # (left, right, mask) of each piece, left to right
    for lo, hi, mask in _blobs(ink):
        edges = [lo, *_cuts(ink, lo, hi, mask), hi]
        for a, b in zip(edges[:-1], edges[1:]):
            part = mask.copy()
            part[:, :a] = False
            part[:, b:] = False
            pieces.append((a, b, part))
    preps, boxes = {}, {}
    for i, j in _segments(len(pieces)):
        mask = np.logical_or.reduce([p[2] for p in pieces[i:j]])
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        side = max(bottom - top, right - left, int(0.5 * ink.shape[0]))
        crop = np.where(mask, ink, 0)[top:bottom, left:right]
        preps[(i, j)] = to_mnist(_centre(crop, side), ink_is_bright=True)
        boxes[(i, j)] = (int(left), int(top), int(right), int(bottom))
    return _choose(model, len(pieces), preps, boxes)


def _centre(crop: np.ndarray, side: int) -> np.ndarray:
    """``crop`` on a square of ``side`` (at least as large): the size of the ink relative to the
    picture then says, as for a drawing, whether it is a digit or a speck."""
    out = np.zeros((max(side, crop.shape[0]), max(side, crop.shape[1])), np.float32)
    y, x = (out.shape[0] - crop.shape[0]) // 2, (out.shape[1] - crop.shape[1]) // 2
    out[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
    return out


class DrawingFileError(AppError):
    """A drawing file that cannot be read: the message names the file and the problem."""


def load_drawing(path) -> list[Stroke]:
    """The strokes of a drawing file: ``{"strokes": [{"width": w, "points": [[x, y], ...]}, ...]}``
    in canvas units (280 high, y down, any width), the format the personal store keeps."""
    import json

    regular_file(path, MAX_DRAWING_BYTES, "a drawing file", DrawingFileError)
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read(MAX_DRAWING_BYTES + 1).decode("utf-8"))
    except (OSError, UnicodeDecodeError, RecursionError, ValueError) as e:
        raise DrawingFileError(f"{path}: not a drawing file ({type(e).__name__}: {str(e)[:80]})") from None
    if not isinstance(data, dict) or "strokes" not in data:
        raise DrawingFileError(f'{path}: not a drawing file (expected {{"strokes": [...]}})')
    try:
        return strokes_from_json(data["strokes"])
    except ValueError as e:
        raise DrawingFileError(f"{path}: {e}") from None
