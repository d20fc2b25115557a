"""Real pen-drawn digits (UCI "Pen-Based Recognition of Handwritten Digits", UNIPEN format),
turned into exactly the pictures a drawing on our canvas becomes.

MNIST was scanned from paper written by American writers; people draw on the canvas with a pen
or a mouse, in every handwriting style. The UCI pen digits are trajectories (a point every
100 ms) by 30 writers on a tablet, so we can *draw* them: each trajectory is replayed as canvas
strokes (``app.reading.strokes.Drawing``) and preprocessed by the window's own ``prepare_drawing`` into
the 28x28 network input. Augmentation happens at the stroke level, where it means something for
a drawing: brush width over the Brush slider's range, size and position on the canvas, a small
rotation, shear and change of aspect, and a little jitter of the points.

The UNIPEN text format, as far as these files use it::

    .SEGMENT DIGIT 12 ? "7"      a digit starts; its label in quotes
    .COMMENT 7 12 224            label, writer (1-30), sample number: used to hold out writers
    .PEN_DOWN                    a stroke starts
     267  333                    a point: x y in tablet units, y growing upwards
    .PEN_UP                      the stroke ends

Other keywords (``.INCLUDE``, ``.LEXICON``, ``.DT``, ...) are skipped.
"""
from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import numpy as np

from app.errors import DataError
from app.files import regular_file
from app.pixels import to_uint8
from app.reading.predictor import prepare_drawing
from app.reading.strokes import BRUSH_RANGE, DEFAULT_BRUSH, LOGICAL_SIZE, Drawing, Stroke

MAX_FILE_BYTES = 64 << 20      # the real file is 3.6 MB: anything much larger is not one
MAX_POINTS_PER_DIGIT = 5000    # the real maximum is under 200 (the letters' raw samples: under 2000)
MAX_COORDINATE = 100_000       # tablet units; the real boxes are 500 wide


NOT_A_DIGIT = 10   # the label of every character that is not a digit (a letter, a symbol, a scribble)


@dataclasses.dataclass(frozen=True)
class PenDigit:
    """One pen-written character: its label (0-9, or ``NOT_A_DIGIT``), its writer (None if the file
    does not say) and its strokes, each an (n, 2) float array of (x, y) in tablet units with y
    growing *downwards* (screen); ``char`` is what was written (a digit's own text, or the letter)."""

    label: int
    writer: int | None
    strokes: tuple[np.ndarray, ...]
    char: str = ""


# ---------------------------------------------------------------------------
# Reading UNIPEN
# ---------------------------------------------------------------------------

def read_unipen(path: str | os.PathLike, any_character: bool = False) -> list[PenDigit]:
    """The digits of a UNIPEN file (with ``any_character``, every character: those that are not
    digits labelled ``NOT_A_DIGIT``); ``DataError`` with one line saying what is wrong otherwise."""
    path = Path(path)
    regular_file(path, MAX_FILE_BYTES, "a pen-digit file")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror or e})") from None
    if b"\0" in raw:
        raise DataError(f"{path}: a binary file, not UNIPEN text")
    return parse_unipen(raw.decode("latin-1"), origin=str(path), any_character=any_character)


def parse_unipen(text: str, origin: str = "UNIPEN text", any_character: bool = False) -> list[PenDigit]:
    """Parse UNIPEN text (see the module docstring) into digits, or with ``any_character`` into
    characters of any kind (``.SEGMENT CHARACTER 5 ? "A"``, ``.COMMENT A 12 5``)."""
    digits: list[PenDigit] = []
    label = writer = None
    char = ""
    strokes: list[np.ndarray] = []
    points: list[tuple[float, float]] | None = None   # the open stroke, None when the pen is up
    n_points = 0
    segment_line = 0

    def finish(lineno: int) -> None:
        if label is None:
            return
        if points is not None:
            raise DataError(f"{origin}: line {lineno}: the digit of line {segment_line} ends with the pen down "
                            "(truncated file?)")
        if not strokes:
            raise DataError(f"{origin}: line {segment_line}: the digit {label} has no pen-down strokes")
        digits.append(PenDigit(label, writer, tuple(_thin(s) for s in strokes), char))

    lineno = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        keyword = fields[0]
        if keyword == ".SEGMENT":
            finish(lineno)
            char = _segment_text(fields, origin, lineno, any_character)
            label = int(char) if char.isdigit() else NOT_A_DIGIT
            writer, strokes, points, n_points, segment_line = None, [], None, 0, lineno
        elif keyword == ".COMMENT" and label is not None:
            writer = _writer(fields, char, origin, lineno)
        elif keyword == ".PEN_DOWN":
            if label is None:
                raise DataError(f"{origin}: line {lineno}: .PEN_DOWN before any .SEGMENT")
            if points is not None:
                raise DataError(f"{origin}: line {lineno}: .PEN_DOWN while the pen is already down")
            points = []
        elif keyword == ".PEN_UP":
            if points is None:
                raise DataError(f"{origin}: line {lineno}: .PEN_UP without .PEN_DOWN")
            if points:
                strokes.append(np.array(points, dtype=np.float64) * (1.0, -1.0))  # y up -> y down
            points = None
        elif keyword.startswith("."):
            continue  # .INCLUDE, .LEXICON, .HIERARCHY, .DT, ...: nothing we need
        elif points is not None:
            points.append(_point(fields, origin, lineno))
            n_points += 1
            if n_points > MAX_POINTS_PER_DIGIT:
                raise DataError(f"{origin}: line {lineno}: over {MAX_POINTS_PER_DIGIT} points in one digit")
        # points while the pen is up (hovering) carry no ink: skipped
    finish(lineno + 1)
    if not digits:
        raise DataError(f"{origin}: no .SEGMENT with pen strokes found (not a UNIPEN pen-digit file?)")
    return digits


def _segment_text(fields: list[str], origin: str, lineno: int, any_character: bool) -> str:
    quoted = [f for f in fields[1:] if f.startswith('"')]
    if not quoted:
        raise DataError(f"{origin}: line {lineno}: .SEGMENT without a quoted label")
    text = quoted[-1].strip('"')
    if len(text) != 1 or (not any_character and text not in "0123456789"):
        raise DataError(f"{origin}: line {lineno}: label {quoted[-1]} is not a digit 0-9")
    return text


MAX_POINTS_PER_STROKE = 60   # raw tablet samples (hundreds a stroke) thinned to about the pen digits' density


def _thin(points: np.ndarray) -> np.ndarray:
    """Every k-th point of a densely sampled stroke (and its last), so that its corners are kept and
    the smoothing and drawing cost what a pen digit's does; a stroke of few points is unchanged."""
    if len(points) <= MAX_POINTS_PER_STROKE:
        return points
    step = math.ceil(len(points) / MAX_POINTS_PER_STROKE)
    return np.concatenate([points[::step], points[-1:]])


MAX_WRITER = 32767   # writers are kept as int16 (the real file has 30, UNIPEN collections a few hundred)


def _writer(fields: list[str], char: str, origin: str, lineno: int) -> int | None:
    # These collections' comments are "label writer sample"; anything else names no writer.
    if len(fields) == 4 and fields[1] == char and all(f.isdigit() for f in fields[2:]):
        if int(fields[2]) > MAX_WRITER:
            raise DataError(f"{origin}: line {lineno}: writer number {fields[2][:12]} out of range (at most {MAX_WRITER})")
        return int(fields[2])
    return None


def _point(fields: list[str], origin: str, lineno: int) -> tuple[float, float]:
    try:
        x, y = float(fields[0]), float(fields[1])
    except (ValueError, IndexError):
        raise DataError(f"{origin}: line {lineno}: expected a point 'x y', got {' '.join(fields)[:40]!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > MAX_COORDINATE:
        raise DataError(f"{origin}: line {lineno}: coordinates ({x:g}, {y:g}) out of range (|value| <= {MAX_COORDINATE})")
    return x, y


def as_arrays(digits: list[PenDigit]) -> tuple[np.ndarray, np.ndarray]:
    """Labels (uint8) and writers (int16, -1 where unknown) of ``digits``."""
    labels = np.array([d.label for d in digits], np.uint8)
    writers = np.array([-1 if d.writer is None else d.writer for d in digits], np.int16)
    return labels, writers


# ---------------------------------------------------------------------------
# Stroke-level augmentation and rendering
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PenAugment:
    """Ranges of the random changes applied to a trajectory before it is drawn."""

    brush: tuple[float, float] = BRUSH_RANGE   # brush width, logical canvas pixels
    size: tuple[float, float] = (100.0, 250.0)  # the digit's longer side on the 280-pixel canvas
    max_brush_ratio: float = 0.3   # brush at most this share of the digit's size (else a blob)
    rotation: float = 10.0         # degrees, +-
    shear: float = 0.25            # x += shear * y, +-
    aspect: float = 0.2            # width scaled by exp(+-aspect)
    jitter: float = 0.012          # std of the point noise, as a share of the digit's size

    def __post_init__(self):
        lo, hi = self.brush
        if not 1 <= lo <= hi <= 80:
            raise ValueError(f"brush must be a range within 1..80, got {self.brush!r}")
        lo, hi = self.size
        if not 20 <= lo <= hi <= LOGICAL_SIZE:
            raise ValueError(f"size must be a range within 20..{LOGICAL_SIZE}, got {self.size!r}")
        for name, low, high in (("max_brush_ratio", 0.02, 1), ("rotation", 0, 45), ("shear", 0, 1),
                                ("aspect", 0, 1), ("jitter", 0, 0.1)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low} and {high}, got {value!r}")


PLAIN_SIZE, PLAIN_BRUSH = 200.0, DEFAULT_BRUSH   # the un-augmented rendering: a typical canvas drawing


def smooth(points: np.ndarray, steps: int = 2) -> np.ndarray:
    """A Catmull-Rom spline through ``points`` with ``steps`` pieces per segment. The tablet
    sampled every 100 ms, so its polylines have visible corners that a pen drawing does not."""
    n = len(points)
    if n < 3 or steps < 2:
        return points
    p = np.concatenate([points[:1], points, points[-1:]])  # end points repeated: the curve ends there
    t = (np.arange(steps) / steps)[:, None, None]           # (steps, 1, 1)
    p0, p1, p2, p3 = p[:-3], p[1:-2], p[2:-1], p[3:]         # (n-1, 2) each
    curve = 0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                   + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3)   # (steps, n-1, 2)
    return np.concatenate([curve.transpose(1, 0, 2).reshape(-1, 2), points[-1:]])


def place(digit: PenDigit, rng: np.random.Generator | None, params: PenAugment = PenAugment()) -> list[Stroke]:
    """The digit as canvas strokes: plain (centred, ``PLAIN_SIZE``, default brush) when ``rng`` is
    None, else randomly changed within ``params``."""
    strokes = [s.astype(np.float64) for s in digit.strokes]
    allpts = np.concatenate(strokes)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    extent = float(max(hi - lo)) or 1.0
    centre = (lo + hi) / 2
    if rng is None:
        size, brush = PLAIN_SIZE, PLAIN_BRUSH
        strokes = [smooth(s) - centre for s in strokes]
    else:
        jitter = params.jitter * extent
        strokes = [smooth(s + rng.normal(0, jitter, s.shape)) - centre for s in strokes]
        angle = np.deg2rad(rng.uniform(-params.rotation, params.rotation))
        shear = rng.uniform(-params.shear, params.shear)
        stretch = math.exp(rng.uniform(-params.aspect, params.aspect))
        c, s_ = math.cos(angle), math.sin(angle)
        # Row vectors: p @ M, with M = stretch-x, then shear, then rotate.
        m = np.array([[stretch, 0.0], [0.0, 1.0]]) @ np.array([[1.0, 0.0], [shear, 1.0]]) @ np.array([[c, s_], [-s_, c]])
        strokes = [s @ m for s in strokes]
        size = rng.uniform(*params.size)
        brush = rng.uniform(params.brush[0], max(params.brush[0], min(params.brush[1], params.max_brush_ratio * size)))
    size = min(size, LOGICAL_SIZE - brush - 2)  # the whole stroke, brush included, stays on the canvas
    allpts = np.concatenate(strokes)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    scale = size / (float(max(hi - lo)) or 1.0)
    strokes = [(s - lo) * scale for s in strokes]
    span = (hi - lo) * scale
    margin = brush / 2 + 1
    room = np.maximum(LOGICAL_SIZE - 2 * margin - span, 0)
    offset = margin + (room / 2 if rng is None else rng.uniform(0, 1, 2) * room)
    return [Stroke(float(brush), [(float(x), float(y)) for x, y in s + offset]) for s in strokes]


def render(digit: PenDigit, rng: np.random.Generator | None = None, params: PenAugment = PenAugment()) -> np.ndarray:
    """The 28x28 uint8 network input of ``digit`` drawn on the canvas (see ``place``)."""
    prep = prepare_drawing(Drawing.from_strokes(place(digit, rng, params)))
    if prep.empty:
        return np.zeros((28, 28), np.uint8)
    return to_uint8(prep.image)


def render_many(digits: list[PenDigit], copy: int, seed: int, params: PenAugment = PenAugment(),
                start: int = 0) -> np.ndarray:
    """Render every digit once: copy 0 plain, copy c > 0 augmented with the random stream
    (seed, copy, start + index), so the result does not depend on how the work is split up."""
    out = np.empty((len(digits), 28, 28), np.uint8)
    for i, digit in enumerate(digits):
        rng = None if copy == 0 else np.random.default_rng([seed, copy, start + i])
        out[i] = render(digit, rng, params)
    return out

