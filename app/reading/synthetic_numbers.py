"""Synthetic whole numbers, composed from pen-written digits, to train and check the number reader
on (never a test set of real numbers): 2 to 10 digits, random gaps from overlapping to wide, a
baseline that drifts, size and slant that vary, one brush width per number, as a person writes;
and, if asked, some digits finished after the number is written (a 5's bar or a 7's cross added last),
or a number written again at another size with another pen (small and bold, large and fine), its
picture made small (``made_small``: a screenshot's number), in a form's box (``in_a_box``) or
underlined (``underlined``), sampled more densely (a fast tablet), or with some digits joined
(written without lifting the pen).

A number is its strokes in canvas units (280 high, any width, y down), its text and each digit's
stroke count (whose ink is whose: ``neighbours_meet``); or,
composed from digit pictures (MNIST's, which have no strokes: ``from_pictures``), a picture.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
from PIL import Image
from scipy import ndimage

from app.reading.stroke_inputs import drawing_picture as picture  # noqa: F401  (the benchmarks draw numbers with it)
from app.reading.strokes import LOGICAL_SIZE, Stroke

JOIN_REACH = 0.8   # of the writing's height: the farthest a pen goes on from one digit to the next,
JOIN_CLEAR = 0.15  # and never over either digit's ink further than this from its ends (the pen lifts there)


def compose(digits: list, rng: np.random.Generator, height: float = LOGICAL_SIZE) -> tuple[list[Stroke], str]:
    """The strokes of a number written with ``digits`` (objects with ``label`` and ``strokes``, each
    an (n, 2) array, y down, any units), and its text."""
    size = rng.uniform(0.45, 0.7) * height          # the digits' height on the canvas
    slant = rng.uniform(-0.25, 0.25)
    brush = rng.uniform(10, min(26, 0.2 * size))
    x, baseline = brush, height * 0.5 + size * 0.5
    strokes, text = [], ""
    for digit in digits:
        points = [np.asarray(s, float) for s in digit.strokes]
        allp = np.concatenate(points)
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        scale, width, left, baseline = _place(hi - lo, size, x, baseline, bool(text), rng)
        for s in points:
            p = (s - lo) * scale
            p[:, 0] -= slant * (p[:, 1] - (hi[1] - lo[1]) * scale)   # slant about the baseline
            p += (left, baseline - (hi[1] - lo[1]) * scale)
            strokes.append(Stroke(float(brush), [(float(a), float(b)) for a, b in p]))
        x = left + width
        text += str(digit.label)
    # Slanted back, the first digit's top may lie left of the canvas: moved right, a picture of the
    # number does not cut it off (the pen's width stays free on the left, as for an upright number).
    shift = max(0.0, brush - min(px for s in strokes for px, _ in s.points))
    return [Stroke(s.width, [(px + shift, py) for px, py in s.points]) for s in strokes] if shift else strokes, text


def _place(extent: np.ndarray, size: float, x: float, baseline: float, after: bool,
           rng: np.random.Generator) -> tuple[float, float, float, float]:
    """Where the next digit of a number goes, its ink ``extent`` (width, height) wide and high: its
    scale, width, left edge and baseline, the last digit having ended at ``x`` on ``baseline``."""
    scale = size * rng.uniform(0.9, 1.1) / max(extent[1], 1e-6)
    width = extent[0] * scale
    if width > 1.2 * size:   # a digit written very wide (some 1s are a flat dash): keep it digit-shaped
        scale *= 1.2 * size / width
        width = 1.2 * size
    # Gaps from touching and overlapping (negative) to wide, in units of the digit's height.
    gap = rng.choice([rng.uniform(-0.12, 0.0), rng.uniform(0.0, 0.1), rng.uniform(0.1, 0.45)], p=[0.2, 0.3, 0.5])
    return scale, width, x + (gap * size if after else 0.0), baseline + rng.normal(0, 0.03 * size)


def from_pictures(images: list[np.ndarray], labels: list[int], rng: np.random.Generator,
                  height: int = LOGICAL_SIZE) -> tuple[np.ndarray, str]:
    """A picture (dark ink on light, 0..1, ``height`` high) of a number written with digit pictures
    (bright ink on dark, as MNIST's: each cropped to its ink), laid out as ``compose`` lays out
    strokes: one size and slant per number, the same gaps and drifting baseline. The pen is each
    picture's own, scaled with it (MNIST's is bold: about a sixth of a digit's height)."""
    draw, text = lay_out_pictures(images, labels, rng, height)
    return draw(range(len(text))), text


def lay_out_pictures(images: list[np.ndarray], labels: list[int], rng: np.random.Generator,
                     height: int = LOGICAL_SIZE) -> tuple[Callable[[Iterable[int]], np.ndarray], str]:
    """``from_pictures``'s number, as a function drawing the picture of any of its digits (their
    indices) where they lie in the number (whose ink is whose, for the candidates ``train`` learns),
    and its text."""
    size = rng.uniform(0.45, 0.7) * height
    slant = rng.uniform(-0.25, 0.25)
    x, baseline, placed, text = 0.0, height * 0.5 + size * 0.5, [], ""
    for k, (image, label) in enumerate(zip(images, labels)):
        ink = np.asarray(image, np.float32) / max(float(np.max(image)), 1e-6)
        rows, columns = np.flatnonzero((ink > 0.1).any(axis=1)), np.flatnonzero((ink > 0.1).any(axis=0))
        if not len(rows):
            raise ValueError(f"digit picture {k} (a {label}) has no ink")
        ink = ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
        scale, width, left, baseline = _place(np.array(ink.shape[::-1], float), size, x, baseline, bool(text), rng)
        tall = ink.shape[0] * scale
        # Scaled and slanted about the baseline, as compose slants strokes: the patch's pixel (r, c) is the
        # picture's ((r, c + shift + slant (r - tall)) / scale), its column 0 at the digit's left edge + shift
        # (shift < 0: a back slant reaches left of that edge).
        shift = min(0.0, slant * tall)
        shape = (math.ceil(tall) + 1, math.ceil(width + abs(slant) * tall) + 1)
        patch = ndimage.affine_transform(ink, [[1 / scale, 0], [slant / scale, 1 / scale]],
                                         offset=(0, (shift - slant * tall) / scale), output_shape=shape, order=1)
        placed.append((patch, int(round(baseline - tall)), int(round(left + shift))))
        x = left + width
        text += str(int(label))
    margin = 8 - min(column for _, _, column in placed)   # (a number slanted back starts left of 0)
    width = margin + max(column + p.shape[1] for p, _, column in placed) + 8

    def draw(digits: Iterable[int]) -> np.ndarray:
        canvas = np.zeros((height, width), np.float32)
        for patch, top, column in (placed[k] for k in digits):
            t, c = max(top, 0), column + margin
            part = patch[t - top:max(0, min(patch.shape[0], height - top))]
            view = canvas[t:t + len(part), c:c + part.shape[1]]
            np.maximum(view, part, out=view)
        return 1.0 - np.clip(canvas, 0, 1)
    return draw, text


class Number(NamedTuple):
    strokes: list[Stroke]
    text: str
    counts: list[int]   # each digit's strokes (in turn, unless some are finished late)


def numbers(digits: list, count: int, seed: int, lengths: tuple[int, int] = (2, 10),
            late: float = 0.0) -> list[Number]:
    """``count`` numbers of ``lengths[0]`` to ``lengths[1]`` digits, each digit drawn from ``digits``;
    with ``late`` > 0, that share of the digits of more than one stroke is finished last (the same
    numbers as with ``late`` 0, in another writing order)."""
    rng, late_rng = np.random.default_rng(seed), np.random.default_rng([seed, 1])
    out = []
    for _ in range(count):
        n = int(rng.integers(lengths[0], lengths[1] + 1))
        chosen = [digits[int(i)] for i in rng.integers(0, len(digits), n)]
        strokes, text = compose(chosen, rng)
        counts = [len(d.strokes) for d in chosen]
        out.append(Number(finished_late(strokes, counts, late, late_rng) if late else strokes, text, counts))
    return out


def neighbours_meet(number: Number) -> bool:
    """Whether two neighbouring digits of a number (written in order, none finished late) share ink,
    touching or crossing, as the canvas draws them: what a picture's reader must cut apart."""
    return covered_share(number) > 0


def covered_share(number: Number) -> float:
    """How much of its ink the most covered digit of a number (written in order, none finished late)
    shares with its neighbours' ink, as the canvas draws them: 0 when no ink meets, a few hundredths
    where digits touch, most of it for a 1 written inside the 8 beside it (which no reader, and no
    person, can tell from the 8 alone)."""
    inks = [picture(strokes) < 0.65 for strokes in _digit_strokes(number)]   # (all from x = 0)
    width = max(ink.shape[1] for ink in inks)
    inks = [np.pad(ink, ((0, 0), (0, width - ink.shape[1]))) for ink in inks]
    worst = 0.0
    for k, ink in enumerate(inks):
        neighbours = np.zeros_like(ink)
        for other in inks[max(0, k - 1):k] + inks[k + 1:k + 2]:
            neighbours |= other
        worst = max(worst, float((ink & neighbours).sum()) / max(int(ink.sum()), 1))
    return worst


def finished_late(strokes: list[Stroke], counts: list[int], share: float, rng: np.random.Generator) -> list[Stroke]:
    """``strokes`` (digits of ``counts`` strokes each, in turn) with the last stroke of ``share`` of the
    digits of more than one stroke written after the whole number, as people add a 5's bar at the end."""
    firsts = np.cumsum([0, *counts[:-1]])
    late = [int(first + count - 1) for first, count in zip(firsts, counts) if count > 1 and rng.random() < share]
    return [s for k, s in enumerate(strokes) if k not in late] + [strokes[k] for k in late]


def with_pen(strokes: list[Stroke], height: float, pen: float) -> list[Stroke]:
    """The number ``strokes`` write, scaled to be ``height`` high (its ink's middles), with a pen
    ``pen`` wide, its top left a pen from the canvas's edge (and centred on a canvas of 280)."""
    points = np.array([p for s in strokes for p in s.points], float)
    (left, low), high = points.min(axis=0).tolist(), float(points[:, 1].max())
    scale, top = height / max(high - low, 1e-6), max(pen, (LOGICAL_SIZE - height) / 2)
    return [Stroke(float(pen), [((x - left) * scale + pen, (y - low) * scale + top) for x, y in s.points])
            for s in strokes]


def resampled(strokes: list[Stroke], step: float) -> list[Stroke]:
    """``strokes`` with a point every ``step`` canvas units or less along each segment: the same lines
    as a tablet sampling faster records them (its own points kept)."""
    out = []
    for s in strokes:
        points = [s.points[0]]
        for (ax, ay), (bx, by) in zip(s.points, s.points[1:]):
            n = max(1, math.ceil(math.hypot(bx - ax, by - ay) / step))
            points += [(ax + (bx - ax) * k / n, ay + (by - ay) * k / n) for k in range(1, n + 1)]
        out.append(Stroke(s.width, points))
    return out


def _digit_strokes(number: Number) -> list[list[Stroke]]:
    """Each digit's strokes of ``number`` (written in turn, none finished late)."""
    firsts = np.cumsum([0, *number.counts])
    return [list(number.strokes[a:b]) for a, b in zip(firsts[:-1], firsts[1:])]


def joined(number: Number, share: float, rng: np.random.Generator) -> list[Stroke]:
    """The strokes of ``number`` (written in turn) with ``share`` of the joins people make written
    without lifting the pen: a digit's last stroke runs on into the next digit's first where the pen
    would go on to the right, under ``JOIN_REACH`` of the digits' height (a "17" in one stroke), and
    not across either digit's ink (a 3 ends at its foot, left: the way up to a 1's top would cross
    it; since 2026-12-05 (24): two in five numbers of 2-10 digits had such a link, read 78 % against 92 %)."""
    digits = _digit_strokes(number)
    height = np.ptp([y for s in number.strokes for _, y in s.points])
    out = digits[0]
    for before, digit in zip(digits, digits[1:]):
        (ax, ay), (bx, by) = out[-1].points[-1], digit[0].points[0]
        if (bx > ax and math.hypot(bx - ax, by - ay) < JOIN_REACH * height and rng.random() < share
                and not _crosses((ax, ay), (bx, by), before + digit, JOIN_CLEAR * height)):
            out[-1] = Stroke(out[-1].width, out[-1].points + digit[0].points)
            digit = digit[1:]
        out = out + digit
    return out


def _crosses(a: tuple[float, float], b: tuple[float, float], strokes: list[Stroke], clear: float) -> bool:
    """Whether the straight way from ``a`` to ``b`` passes within half a pen of the ink of ``strokes``
    further than ``clear`` from both its ends (points every unit or so, along both)."""
    way = np.array(resampled([Stroke(0.0, [a, b])], 1.0)[0].points)
    along = np.hypot(*(way - way[0]).T)
    way = way[(along > clear) & (along < along[-1] - clear)]
    ink = np.array([p for s in resampled(strokes, 1.0) for p in s.points])
    if not len(way) or not len(ink):
        return False
    pen = max(s.width for s in strokes)
    return bool(any(np.hypot(*(ink - p).T).min() < pen / 2 for p in way))


def hyphenated(number: Number, rng: np.random.Generator) -> list[Stroke]:
    """The strokes of ``number`` (written in turn, two digits or more) with a hyphen between two of its
    digits, as in a phone number or a date ("12-34"): a stroke 0.2-0.5 of the writing's height long,
    level within 0.15, 0.4-0.6 of the height down, 0-0.2 of it from the digits either side (the digits
    after it moved right to make room), written left to right but one time in ten."""
    digits = _digit_strokes(number)
    after = int(rng.integers(1, len(digits)))
    ys = [y for s in number.strokes for _, y in s.points]
    height = max(ys) - min(ys)
    start = max(x for s in digits[after - 1] for x, _ in s.points) + rng.uniform(0.0, 0.2) * height
    length, level = rng.uniform(0.2, 0.5) * height, min(ys) + rng.uniform(0.4, 0.6) * height
    tilt = rng.uniform(-0.15, 0.15)
    points = [(start + t, level + tilt * t) for t in np.linspace(0.0, length, 10)]
    dash = Stroke(number.strokes[0].width, points[::-1] if rng.random() < 0.1 else points)
    shift = start + length + rng.uniform(0.0, 0.2) * height - min(x for s in digits[after] for x, _ in s.points)
    moved = [Stroke(s.width, [(x + shift, y) for x, y in s.points]) for digit in digits[after:] for s in digit]
    return [s for digit in digits[:after] for s in digit] + [dash] + moved


def drifting(strokes: list[Stroke], slope: float) -> list[Stroke]:
    """``strokes`` written on a line that drifts: each point moved down by ``slope`` times its x (a
    number written uphill: ``slope`` < 0; the digits stay upright), the writing's top a pen below the
    canvas's. A long number may then reach below 280: read it on a canvas ``canvas_height`` high."""
    moved = [Stroke(s.width, [(x, y + slope * x) for x, y in s.points]) for s in strokes]
    return _from_the_top(moved)


def turned(strokes: list[Stroke], degrees: float) -> list[Stroke]:
    """``strokes`` turned by ``degrees`` (counter-clockwise as seen: a page turned as it was written
    on, digits and line alike), the writing's top left a pen from the canvas's edges."""
    a = math.radians(degrees)
    moved = [Stroke(s.width, [(x * math.cos(a) + y * math.sin(a), -x * math.sin(a) + y * math.cos(a))
                              for x, y in s.points]) for s in strokes]
    left = min(x for s in moved for x, _ in s.points)
    pen = max(s.width for s in moved)
    return _from_the_top([Stroke(s.width, [(x - left + pen, y) for x, y in s.points]) for s in moved])


def _from_the_top(strokes: list[Stroke]) -> list[Stroke]:
    top, pen = min(y for s in strokes for _, y in s.points), max(s.width for s in strokes)
    return [Stroke(s.width, [(x, y - top + pen) for x, y in s.points]) for s in strokes]


def canvas_height(strokes: list[Stroke]) -> int:
    """The canvas height (280, or more) that holds all of ``strokes``, their pen included."""
    bottom = max(y for s in strokes for _, y in s.points) + max(s.width for s in strokes)
    return max(LOGICAL_SIZE, int(math.ceil(bottom)))


def leaning(strokes: list[Stroke], lean: float) -> list[Stroke]:
    """``strokes`` leaning ``lean`` more (x per unit of height: > 0 to the right, < 0 back), about the
    writing's foot, its left a pen from the canvas's edge: a writer who leans more, or less."""
    foot, pen = max(y for s in strokes for _, y in s.points), max(s.width for s in strokes)
    moved = [Stroke(s.width, [(x + lean * (foot - y), y) for x, y in s.points]) for s in strokes]
    left = min(x for s in moved for x, _ in s.points)
    return [Stroke(s.width, [(x - left + pen, y) for x, y in s.points]) for s in moved]


def made_small(picture: np.ndarray, height: int) -> np.ndarray:
    """A picture (0..1) made ``height`` pixels high, as a small picture of writing is (a screenshot of
    a number, a crop of a scanned form): filtered as image programs shrink pictures (Lanczos), its aspect kept."""
    image = Image.fromarray((np.clip(picture, 0, 1) * 255).astype(np.uint8))
    return np.asarray(image.resize((max(1, round(image.width * height / image.height)), height), Image.LANCZOS),
                      np.float32) / 255


def in_a_box(picture: np.ndarray, thickness: int = 2, margin: int = 15) -> np.ndarray:
    """A picture (dark ink on light, 0..1) with a box drawn ``margin`` pixels round its ink, its lines
    ``thickness`` thick, as a form prints round a field (the picture as wide and high as it must be)."""
    out = np.pad(picture, margin + thickness, constant_values=1.0)
    columns, rows = np.flatnonzero((out < 0.5).any(axis=0)), np.flatnonzero((out < 0.5).any(axis=1))
    left, right, top, bottom = columns[0] - margin, columns[-1] + margin + 1, rows[0] - margin, rows[-1] + margin + 1
    across = slice(left - thickness, right + thickness)
    out[top - thickness:top, across] = out[bottom:bottom + thickness, across] = 0.0
    out[top:bottom, left - thickness:left] = out[top:bottom, right:right + thickness] = 0.0
    return out


def underlined(picture: np.ndarray, thickness: int = 5, gap: int = 10) -> np.ndarray:
    """A picture (dark ink on light, 0..1) with a line ``thickness`` thick drawn ``gap`` pixels under
    its ink, as wide as it (the picture as high as it must be)."""
    out = np.pad(picture, ((0, gap + thickness + 5), (0, 0)), constant_values=1.0)
    columns, rows = np.flatnonzero((out < 0.5).any(axis=0)), np.flatnonzero((out < 0.5).any(axis=1))
    out[rows[-1] + 1 + gap:rows[-1] + 1 + gap + thickness, columns[0]:columns[-1] + 1] = 0.0
    return out


def on_ruled_paper(picture: np.ndarray, spacing: float = 100.0, thickness: int = 2, darkness: float = 0.5,
                   degrees: float = 0.0, shift: float = 0.0, squared: bool = False) -> np.ndarray:
    """A picture (dark ink on light, 0..1) on ruled paper: level lines ``thickness`` pixels thick and
    ``darkness`` dark (0 black, 1 the paper), ``spacing`` apart, turned ``degrees``, moved ``shift``
    pixels down; ``squared``: upright ones too, as far apart (an exercise book's grid). The picture
    widened by 60 pixels each side (the lines reach past the writing)."""
    page = np.pad(picture, ((0, 0), (60, 60)), constant_values=1.0)
    rows, columns = np.mgrid[0:page.shape[0], 0:page.shape[1]]
    turn = np.tan(np.radians(degrees))
    on_line = np.mod(rows - turn * columns - shift, spacing) < thickness
    if squared:
        on_line |= np.mod(columns + turn * rows - shift, spacing) < thickness
    return np.minimum(page, np.where(on_line, darkness, 1.0)).astype(np.float32)


def on_squared_paper(picture: np.ndarray, spacing: float = 100.0, thickness: int = 2, darkness: float = 0.5,
                     degrees: float = 0.0, shift: float = 0.0) -> np.ndarray:
    """``on_ruled_paper`` with upright lines too: squared paper, an exercise book's grid."""
    return on_ruled_paper(picture, spacing, thickness, darkness, degrees, shift, squared=True)


def with_margin_line(page: np.ndarray, column: int, thickness: int = 2, darkness: float = 0.5) -> np.ndarray:
    """A page (dark ink on light, 0..1) with an upright line down it at ``column``, ``thickness``
    pixels thick and ``darkness`` dark: a ruled notebook's margin line."""
    out = page.copy()
    out[:, column:column + thickness] = np.minimum(out[:, column:column + thickness], darkness)
    return out


def on_dotted_paper(picture: np.ndarray, spacing: float = 60.0, size: int = 2, darkness: float = 0.5,
                    shift: float = 0.0) -> np.ndarray:
    """A picture (dark ink on light, 0..1) on dotted paper (a dot grid): dots ``size`` pixels a side and
    ``darkness`` dark, ``spacing`` apart both ways, the grid moved ``shift`` pixels down and right."""
    rows, columns = np.mgrid[0:picture.shape[0], 0:picture.shape[1]]
    dots = (np.mod(rows - shift, spacing) < size) & (np.mod(columns - shift, spacing) < size)
    return np.minimum(picture, np.where(dots, darkness, 1.0)).astype(np.float32)


def with_dust(picture: np.ndarray, rng: np.random.Generator, count: int = 20) -> np.ndarray:
    """A picture (dark ink on light, 0..1) with ``count`` specks of dust, 1-3 pixels a side and 0-0.5
    dark, anywhere on it (a scan's or a photo's)."""
    out = picture.copy()
    for _ in range(count):
        y, x, side = int(rng.integers(0, out.shape[0] - 3)), int(rng.integers(0, out.shape[1] - 3)), int(rng.integers(1, 4))
        out[y:y + side, x:x + side] = np.minimum(out[y:y + side, x:x + side], rng.uniform(0, 0.5))
    return out
