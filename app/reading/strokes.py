"""Strokes to image, with no display: what the drawing canvas records and what the network sees.

Points are kept in logical canvas units (a 280x280 square, like a 10x MNIST), whatever size the
window is, so resizing never changes what gets rasterised. The ink is drawn into an off-screen
Pillow image at ``SUPERSAMPLE`` times that resolution with round caps and joins; reducing it
gives antialiased strokes for the screen and the network input alike.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
from PIL import Image, ImageDraw

LOGICAL_SIZE = 280
SUPERSAMPLE = 2
DEFAULT_BRUSH = 24.0  # logical pixels: after scaling to MNIST's 20-pixel box, about MNIST's stroke width
BRUSH_RANGE = (6.0, 36.0)  # what the window's Brush slider offers
BOLDEST = 0.12        # the pen as read: at most this share of a digit's height (DEFAULT_BRUSH on 200),
THINNEST = 0.08       # and at least this (MNIST's digits: a tenth of them under 0.09)


@dataclasses.dataclass
class Stroke:
    width: float
    points: list[tuple[float, float]] = dataclasses.field(default_factory=list)

    def to_json(self) -> dict:
        return {"width": self.width, "points": [[round(x, 2), round(y, 2)] for x, y in self.points]}


MAX_POINTS = 100_000      # in one drawing: a minute of drawing at the mouse's event rate is a few thousand
MAX_STROKES = 1_000       # in one drawing: a long number is tens of strokes (the reader's work grows faster
                          # than the strokes: 1000 dots read in about a second, 4000 took minutes before
                          # ``marks.attach_strays`` kept what it found, 50000 ran out of memory)
MAX_COORDINATE = 100_000  # canvas units


def arc_lengths(points: np.ndarray) -> np.ndarray:
    """How far along its path each point of a stroke, (n, 2), lies from the first."""
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])


def pen_as_read(strokes: list[Stroke]) -> list[Stroke]:
    """The strokes of a digit as the network reads them: the pen no wider than ``BOLDEST`` of their
    height (but never thinned under the thinnest brush) and no thinner than ``THINNEST`` of it; a dot
    or a blob, its ink under two pens long (its line under one), is left be. Small digits written with
    a broad pen are fat blots the network seldom saw: held-out pen digits 84 units high drawn 24 wide
    were read 97.1 % right, 99.4 % thinned; 44 high (a number written small with the window's brush)
    33 % left bold as blobs while their lines were under two pens long, 99 % thinned. Large digits
    written with a fine pen are hairlines, fainter than any MNIST stroke once shrunk to 20 pixels:
    200 high drawn 4 wide, 97.8 % read right, 99.3 % thickened. The canvas still shows them as
    drawn, and training pictures are drawn as they come
    (``prepare_drawing``). (Each candidate digit of a number gets the pen of its own height: what
    the window remembers of a candidate holds however the writing grows.)"""
    if not any(s.points for s in strokes):
        return list(strokes)
    points = np.array([p for s in strokes for p in s.points], float)
    height, extent = np.ptp(points[:, 1]), np.ptp(points, axis=0).max()
    if extent < max(s.width for s in strokes):
        return list(strokes)   # a dot, a blob: no strokes to thin ("too small to read" stays so)
    least, most = THINNEST * height, max(BOLDEST * height, BRUSH_RANGE[0])
    return [s if least <= s.width <= most else Stroke(min(max(s.width, least), most), s.points) for s in strokes]


def right_edge(strokes: list[Stroke]) -> float:
    """Where the strokes' ink ends on the right, their pen included (0 for none): how far the
    canvas must reach to show them."""
    return max((x + s.width / 2 for s in strokes for x, _ in s.points), default=0.0)


def strokes_from_json(strokes) -> list[Stroke]:
    """Strokes as stored (``[{"width": w, "points": [[x, y], ...]}, ...]``, canvas units, y down),
    checked: a list of strokes, a positive width, points [x, y] of finite numbers within range, a
    bounded count. ValueError says what is wrong."""
    if not isinstance(strokes, list):
        raise ValueError("strokes is not a list")
    if len(strokes) > MAX_STROKES:
        raise ValueError(f"more than {MAX_STROKES} strokes ({len(strokes)})")
    out, total = [], 0
    for stroke in strokes:
        if not isinstance(stroke, dict) or not isinstance(stroke.get("points"), list):
            raise ValueError("a stroke has no list of points")
        width = stroke.get("width")
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 1000:
            raise ValueError("a stroke's width is not a positive number")
        points = []
        for point in stroke["points"]:
            if (not isinstance(point, list) or len(point) != 2 or
                    not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                            and abs(v) <= MAX_COORDINATE for v in point)):
                raise ValueError("a stroke's point is not [x, y] within the canvas's range")
            points.append((float(point[0]), float(point[1])))
        total += len(points)
        if total > MAX_POINTS:
            raise ValueError(f"more than {MAX_POINTS} points")
        out.append(Stroke(float(width), points))
    return out


class Drawing:
    """The strokes of a digit or a number and their off-screen raster (white ink on black, like MNIST)."""

    def __init__(self, size: int = LOGICAL_SIZE, width: int | None = None) -> None:
        self.size = size                  # the height, in canvas units
        self.width = width or size        # wider than high for a number
        self.strokes: list[Stroke] = []
        self.picture: tuple[np.ndarray, float, float] | None = None   # an opened picture: ink 0..1, left, top
        # The opened file's own picture, and where its pixels lie on the canvas: (greyscale, scale, dx, dy),
        # canvas x = dx + scale * picture x: read as the commands read the file while nothing is drawn on it.
        self.source: tuple[np.ndarray, float, float, float] | None = None
        self._image = Image.new("L", (self.width * SUPERSAMPLE, size * SUPERSAMPLE), 0)
        self._draw = ImageDraw.Draw(self._image)
        self.version = 0  # bumped on every change, so consumers know when to re-predict

    @classmethod
    def from_strokes(cls, strokes: list[Stroke], size: int = LOGICAL_SIZE, width: int | None = None) -> "Drawing":
        """A drawing of recorded strokes, rasterised exactly as if they had been drawn on the canvas."""
        drawing = cls(size, width)
        drawing.strokes = [Stroke(float(s.width), [drawing._clamp(x, y) for x, y in s.points]) for s in strokes]
        drawing._redraw()
        return drawing

    # -- editing ---------------------------------------------------------
    def begin(self, x: float, y: float, width: float = DEFAULT_BRUSH) -> None:
        self.strokes.append(Stroke(float(width), [self._drawn(x, y)]))
        self._dot(self.strokes[-1].points[0], width)
        self.version += 1

    def extend(self, x: float, y: float) -> None:
        if not self.strokes:
            self.begin(x, y)
            return
        stroke = self.strokes[-1]
        point = self._drawn(x, y)
        if point == stroke.points[-1]:
            return
        self._segment(stroke.points[-1], point, stroke.width)
        stroke.points.append(point)
        self.version += 1

    def undo(self) -> bool:
        """Remove the last stroke; False if there was none."""
        if not self.strokes:
            return False
        self.strokes.pop()
        self._redraw()
        return True

    def set_strokes(self, strokes: list[Stroke]) -> None:
        """The drawing's strokes replaced by recorded ones (a drawing file's), as recorded: a point
        beyond the canvas's edge is kept there (it shows when the canvas widens), not moved onto it."""
        self.strokes = [Stroke(float(s.width), [(float(x), float(y)) for x, y in s.points]) for s in strokes]
        self._redraw()

    def clear(self) -> None:
        self.strokes.clear()
        self.picture = None
        self.source = None
        self._redraw()

    def set_picture(self, ink: np.ndarray, left: float, top: float,
                    source: tuple[np.ndarray, float, float, float] | None = None) -> None:
        """Show a picture's ink (bright on black, 0..1, one pixel a canvas unit) at ``left``, ``top``
        under the strokes: an opened picture, drawn on like a drawing. ``source``: the file's own
        picture and where its pixels lie here (see ``self.source``)."""
        self.picture = (np.clip(np.asarray(ink, np.float32), 0, 1), float(left), float(top))
        self.source = source
        self._redraw()

    def resize(self, width: int, size: int | None = None) -> None:
        """A canvas ``width`` wide (and ``size`` high): the strokes are kept as they are, even those
        now beyond its edge (they come back when it widens again); only the raster changes."""
        size = size or self.size
        if (width, size) == (self.width, self.size):
            return
        self.width, self.size = int(width), int(size)
        self._image = Image.new("L", (self.width * SUPERSAMPLE, self.size * SUPERSAMPLE), 0)
        self._draw = ImageDraw.Draw(self._image)
        self._redraw()

    @property
    def empty(self) -> bool:
        return not self.strokes and self.picture is None

    # -- rasterising -----------------------------------------------------
    def image(self) -> Image.Image:
        """The drawing at logical size, antialiased (box-filtered from the supersampled raster)."""
        return self._image.reduce(SUPERSAMPLE) if SUPERSAMPLE > 1 else self._image.copy()

    def display_image(self, side: int, width: int | None = None) -> Image.Image:
        """The drawing ``side`` screen pixels high (and ``width`` wide), box-filtered from the
        supersampled raster."""
        width = width or round(side * self.width / self.size)
        if (width, side) == (self.width, self.size):
            return self.image()
        return self._image.resize((width, side), Image.BOX)

    def array(self, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """The drawing as float32 in 0..1, bright ink on black; or only its pixels within ``box`` (left,
        top, right, bottom, whole units): the same values, the rest never box-filtered."""
        if box is None:
            return np.asarray(self.image(), dtype=np.float32) / 255
        region = self._image.crop(tuple(v * SUPERSAMPLE for v in box))
        return np.asarray(region.reduce(SUPERSAMPLE) if SUPERSAMPLE > 1 else region, dtype=np.float32) / 255

    def strokes_json(self) -> list[dict]:
        return [s.to_json() for s in self.strokes]

    # -- internals -------------------------------------------------------
    def _drawn(self, x: float, y: float) -> tuple[float, float]:
        """A point drawn on the canvas as it is recorded: on the canvas, to a hundredth of a unit, as
        drawing files keep it (``Stroke.to_json``), so a saved drawing reads exactly as the window read
        it (a lean estimated a hair either side of a step read a flagged 1 as 97 % or 55 %)."""
        x, y = self._clamp(x, y)
        return round(x, 2), round(y, 2)

    def _clamp(self, x: float, y: float) -> tuple[float, float]:
        return (min(max(float(x), 0.0), float(self.width)), min(max(float(y), 0.0), float(self.size)))

    def _dot(self, p: tuple[float, float], width: float) -> None:
        r = width * SUPERSAMPLE / 2
        x, y = p[0] * SUPERSAMPLE, p[1] * SUPERSAMPLE
        self._draw.ellipse([x - r, y - r, x + r, y + r], fill=255)

    def _segment(self, a: tuple[float, float], b: tuple[float, float], width: float) -> None:
        # A thick line plus a disc at the end is a segment with round caps: joins come out round too.
        s = SUPERSAMPLE
        self._draw.line([(a[0] * s, a[1] * s), (b[0] * s, b[1] * s)], fill=255, width=max(1, round(width * s)))
        self._dot(b, width)

    def _redraw(self) -> None:
        self._draw.rectangle([0, 0, self._image.width, self._image.height], fill=0)
        if self.picture is not None:
            ink, left, top = self.picture
            layer = Image.fromarray((ink * 255).astype(np.uint8)).resize(
                (ink.shape[1] * SUPERSAMPLE, ink.shape[0] * SUPERSAMPLE), Image.BILINEAR)
            self._image.paste(layer, (round(left * SUPERSAMPLE), round(top * SUPERSAMPLE)))
        for stroke in self.strokes:   # (as ``_dot`` and ``_segment`` draw it, all its points at once)
            points, r = np.asarray(stroke.points, float).reshape(-1, 2) * SUPERSAMPLE, stroke.width * SUPERSAMPLE / 2
            if len(points) > 1:
                self._draw.line(points.ravel().tolist(), fill=255, width=max(1, round(stroke.width * SUPERSAMPLE)))
            for box in np.concatenate([points - r, points + r], axis=1).tolist():
                self._draw.ellipse(box, fill=255)
        self.version += 1
