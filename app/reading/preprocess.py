"""Turn any picture of a digit into what an MNIST-trained network expects. One implementation,
used by the drawing window and by ``ModelManager.py predict``.

MNIST digits were made like this: the ink was fitted into a 20x20 box keeping its aspect ratio
(with antialiasing), and the box placed in a 28x28 field so that the ink's centre of mass sits
in the middle. Light ink on a dark background, values 0..1. We do the same:

1. greyscale (transparent pixels count as paper); decide which of ink and paper is darker from
   the border, and invert dark-on-light pictures so ink is bright;
2. subtract the paper level (in a photo, ``app/reading/paper.py``: of the sheet, not the desk it
   lies on; where it is lit unevenly, its level where it lies) and scale so the ink's brightest
   part is 1; faint marks, paper texture and shadows under 25 % of that are dropped, and so are a
   ruled sheet's lines;
3. crop to the ink's bounding box; scale its longer side to 20 pixels with a box filter (an exact
   area average, so thin strokes fade instead of vanishing); a tall thin 1 stays thin;
4. paste into 28x28 and shift by whole pixels so the centre of mass lands on (14, 14), where
   MNIST's is.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from app.errors import AppError
from app.files import regular_file
from app.reading.paper import on_the_page, paper_map, without_ruled_lines, without_upright_lines

BOX = 20                 # MNIST's box for the longer side
FIELD = 28
MNIST_CENTRE = 14.0      # measured: the mean centre of mass of MNIST digits is (13.99, 14.00)
INK_THRESHOLD = 0.25     # fraction of the ink's contrast under which a pixel counts as paper
MIN_CONTRAST = 0.08      # below this, in 0..1 units, the picture has no ink at all
MIN_SHADE = 0.2          # ink differs from unevenly lit paper by at least this (a share of its level), or there is none
LIGHT_INK = 0.75         # a transparent picture that draws nothing darker than this is light ink (laid on black)
MAX_PIXELS = 40_000_000  # a 40-megapixel photo of a digit is plenty; larger is refused before decoding
MAX_FILE_BYTES = 64 << 20


class ImageError(AppError):
    """A file that is not a readable image."""


@dataclasses.dataclass
class Preprocessed:
    """The 28x28 float32 network input (None when there is no ink) and what was found."""

    image: np.ndarray | None
    bbox: tuple[int, int, int, int] | None = None   # top, left, bottom, right of the ink in the source
    source_size: tuple[int, int] = (0, 0)            # height, width

    @property
    def empty(self) -> bool:
        return self.image is None

    @property
    def aspect(self) -> float:
        """Width over height of the ink. MNIST digits are taller than wide: over 1.8 is 1 in 2000."""
        if self.bbox is None:
            return 0.0
        top, left, bottom, right = self.bbox
        return (right - left) / max(bottom - top, 1)

    @property
    def relative_size(self) -> float:
        """The ink's longer side as a fraction of the picture's longer side (small = a dot)."""
        if self.bbox is None:
            return 0.0
        top, left, bottom, right = self.bbox
        return max(bottom - top, right - left) / max(self.source_size)


def load_image(path: str | Path) -> np.ndarray:
    """Greyscale float32 in 0..1 from any image file Pillow reads; transparency counts as white paper
    (black, when all the picture draws is light: ``_on_paper``).

    Only regular files of at most ``MAX_FILE_BYTES`` are opened (a FIFO would block), and the pixel
    count is checked from the header before anything is decoded (a small file can hold a huge image)."""
    regular_file(path, MAX_FILE_BYTES, "a picture of a digit", ImageError)
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                raise ImageError(f"{path}: {im.width}x{im.height} pixels, more than the {MAX_PIXELS // 10**6} million "
                                 "a picture of a digit needs")
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                im = _on_paper(im.convert("RGBA"))
            grey = np.asarray(im.convert("L"), dtype=np.float32) / 255
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except ImageError:
        raise
    except MemoryError:
        raise ImageError(f"{path}: too large to decode in the memory there is") from None
    except Exception as e:   # Pillow's decoders raise many kinds (a DDS of an unknown pixel format: NotImplementedError)
        raise ImageError(f"{path}: not a readable image ({type(e).__name__}: {e})") from None
    if grey.size == 0:
        raise ImageError(f"{path}: the image is empty (0 pixels)")
    return grey


def _on_paper(rgba: Image.Image) -> Image.Image:
    """A picture with transparency laid on white paper; or on black, when all it draws is light (white
    ink on a transparent ground, as a drawing app on a dark theme saves it: on white it was blank).
    Dark ink anywhere (a sheet of paper with writing, in a transparent frame) keeps the white paper."""
    drawn = np.asarray(rgba.getchannel("A")) > 127
    light = drawn.any() and np.asarray(rgba.convert("L"))[drawn].min() >= LIGHT_INK * 255
    ground = Image.new("RGBA", rgba.size, (0, 0, 0, 255) if light else (255, 255, 255, 255))
    return Image.alpha_composite(ground, rgba)


_ROWS = np.arange(FIELD, dtype=float)[:, None]      # each pixel's row and column (float64: centres of mass)
_COLUMNS = np.arange(FIELD, dtype=float)[None, :]


def ink_map(grey: np.ndarray, ink_is_bright: bool | None = None) -> np.ndarray:
    """Ink strength 0..1 (bright ink on black), whatever the polarity of the picture.

    The paper's level is the median of the border, unless ``ink_is_bright`` says it is black. In a
    photo of a sheet lying on something darker, the paper is the sheet's (``on_the_page``). Where the
    paper is unevenly lit (light falling off to one side), its level is taken where it lies
    (``paper_map``), and dark ink is measured against it as a share of it: ink in the shade is as
    dark a share of its paper as ink in the light.
    """
    grey = np.asarray(grey, dtype=np.float32)
    if ink_is_bright:
        paper: float | np.ndarray = 0.0
        light = False
    else:
        grey = on_the_page(grey)   # (a photo of a sheet lying on a desk: the desk is no ink)
        paper = float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
        light = paper > 0.5
        local = paper_map(grey, light)
        if local is not None:
            paper = local
    # The ink is whatever differs from the paper: darker on light paper, lighter on dark.
    least = MIN_CONTRAST
    if isinstance(paper, np.ndarray):
        ink = (paper - grey) / np.maximum(paper, 0.05) if light else grey - paper
        least = MIN_SHADE   # (the paper's level, found on a slope, is itself a few hundredths off)
    elif ink_is_bright:
        ink = np.maximum(grey, 0)   # (grey - 0, in one pass: a number's picture has some ten digits to prepare)
    else:
        ink = paper - grey if light else grey - paper
    np.maximum(ink, 0, out=ink)
    peak = float(ink.max())
    if peak < least:
        return np.zeros_like(ink)
    ink /= peak
    np.multiply(ink, ink >= INK_THRESHOLD, out=ink)   # (faint ink is paper: as ink[ink < INK_THRESHOLD] = 0)
    if not ink_is_bright:   # (the canvas has no ruled lines)
        ink = without_ruled_lines(without_upright_lines(ink))
    return ink.astype(np.float32, copy=False)


def to_mnist(grey: np.ndarray, ink_is_bright: bool | None = None) -> Preprocessed:
    """The MNIST-style 28x28 input for a greyscale picture (2-D array, 0..1 or 0..255).

    ``ink_is_bright=True`` skips the polarity guess (the drawing canvas knows its ink is bright).
    """
    grey = np.asarray(grey, dtype=np.float32)
    if grey.ndim != 2 or grey.size == 0:
        raise ValueError(f"expected a 2-D greyscale image, got shape {grey.shape}")
    if grey.max() > 1.0:
        grey = grey / 255
    ink = ink_map(grey, ink_is_bright)
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    if rows.size == 0:
        return Preprocessed(None, source_size=grey.shape)
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = ink[top:bottom, left:right]
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL wants (width, height)
    box = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.BOX), dtype=np.float32)
    field = np.zeros((FIELD, FIELD), np.float32)
    y0, x0 = (FIELD - box.shape[0]) // 2, (FIELD - box.shape[1]) // 2
    field[y0:y0 + box.shape[0], x0:x0 + box.shape[1]] = box
    # The centre of mass, as ndimage.center_of_mass works it out (the same sums: the same pixels), faster.
    total = field.sum()
    cy, cx = float((field * _ROWS).sum() / total), float((field * _COLUMNS).sum() / total)
    dy, dx = int(round(MNIST_CENTRE - cy)), int(round(MNIST_CENTRE - cx))
    # Never shift ink off the field: clamp to the free margin on each side (so moving it is placing it).
    dy = min(max(dy, -y0), FIELD - (y0 + box.shape[0]))
    dx = min(max(dx, -x0), FIELD - (x0 + box.shape[1]))
    field = np.zeros((FIELD, FIELD), np.float32)
    field[y0 + dy:y0 + dy + box.shape[0], x0 + dx:x0 + dx + box.shape[1]] = box
    np.clip(field, 0, 1, out=field)
    return Preprocessed(field, (int(top), int(left), int(bottom), int(right)), grey.shape)


def on_square(crop: np.ndarray, side: int) -> Preprocessed:
    """``to_mnist`` of a crop of bright ink as if it lay in the middle of a square of ``side`` (at least
    as large): the size of the ink relative to the picture then says, as for a drawing, whether it is
    a digit or a speck. Only the crop is prepared (the square around it holds no ink)."""
    square = (max(side, crop.shape[0]), max(side, crop.shape[1]))
    return within(to_mnist(crop, ink_is_bright=True), (square[0] - crop.shape[0]) // 2,
                  (square[1] - crop.shape[1]) // 2, square)


def within(prep: Preprocessed, top: int, left: int, size: tuple[int, int]) -> Preprocessed:
    """``prep`` of a part of a larger picture that holds all of its ink (the part's top left at
    ``top``, ``left``; the picture ``size`` high and wide): as the whole picture's would be."""
    if prep.bbox is not None:
        t, l, b, r = prep.bbox
        prep.bbox = (t + top, l + left, b + top, r + left)
    prep.source_size = size
    return prep
