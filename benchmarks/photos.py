"""Photos: digits and numbers read from pictures of paper as a phone takes them, with the paper found
as ``app/reading/paper.py`` finds it and, side by side, the plain way (one paper level for the whole
picture, the median of its border, as a scan's; no lines nor specks left out).

    .venv/bin/python benchmarks/photos.py --mnist mnist.npz --pen pendigits-train.unipen [--count 200]

The pages: MNIST test digits drawn 280 pixels high on a 400 x 400 page (also with a marker's bold
strokes), and numbers of the held-out pen writers (2-5 digits, ``synthetic_numbers``) with a margin.
Photographed: the light falling off across the page (to 0.45-0.7 of its brightness at the far
side, a little downwards too) and the ink darkening with it; the number's also blurred, noisy and
saved as JPEG; the page lying on a darker desk (0.15-0.45, with a grain), turned up to 10
degrees, in even light and in uneven (the desk darkening with the page); on ruled paper, also with a
margin line (1-3 pixels, 0.3-0.6 dark, 10-40 pixels from the page's left edge); and on squared paper
(an exercise book's grid: lines 1-3 pixels, 0.3-0.6 dark, 60-150 apart both ways, turned up to 3
degrees), evenly and unevenly lit; on dotted paper (dots 1-2 pixels, 0.3-0.6 dark, 40-100 apart); with
5-30 specks of dust (1-3 pixels, 0-0.5 dark) anywhere.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.models.model_store import load  # noqa: E402
from app.pen import pendigits  # noqa: E402
from app.reading import number_pictures, preprocess, synthetic_numbers  # noqa: E402
from app.reading.number_pictures import read_picture  # noqa: E402


def lit(page: np.ndarray, rng: np.random.Generator, ink: float = 0.12) -> np.ndarray:
    """``page`` (dark ink on light paper, 0..1) with the light falling off across it."""
    h, w = page.shape
    rows, columns = np.mgrid[0:h, 0:w]
    light = 0.95 - rng.uniform(0.25, 0.5) * columns / w - rng.uniform(0, 0.2) * rows / h
    return light * page + ink * light * (1 - page)


def on_a_desk(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``page`` lying on a darker desk, with some wood grain, the photo turned a little."""
    h, w = page.shape
    level, grow = rng.uniform(0.15, 0.45), rng.uniform(1.3, 1.6)
    height, width = int(h * grow), int(w * grow)
    desk = level + rng.normal(0, 0.03, (height, width)) + 0.06 * np.sin(np.arange(width) / rng.uniform(5, 15))[None, :]
    top, left = (height - h) // 2 + int(rng.integers(-10, 11)), (width - w) // 2 + int(rng.integers(-10, 11))
    desk[top:top + h, left:left + w] = 0.9 * page
    return ndimage.rotate(desk.astype(np.float32), rng.uniform(-10, 10), reshape=False, order=1, cval=level)


def ruled(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``page`` written on ruled paper: lines 1-3 pixels thick, 0.3-0.6 dark, 90-150 apart, turned up
    to 3 degrees, with a margin left and right past the writing (``synthetic_numbers.on_ruled_paper``)."""
    spacing, degrees = rng.uniform(90, 150), rng.uniform(-3, 3)
    shift, thickness = rng.uniform(0, spacing), int(rng.integers(1, 4))
    return synthetic_numbers.on_ruled_paper(page, spacing, thickness, rng.uniform(0.3, 0.6), degrees, shift)


def squared(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``page`` written on squared paper (``synthetic_numbers.on_squared_paper``)."""
    return synthetic_numbers.on_squared_paper(page, rng.uniform(60, 150), int(rng.integers(1, 4)), rng.uniform(0.3, 0.6),
                                              rng.uniform(-3, 3), rng.uniform(0, 150))


def as_jpeg(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = np.clip(page + rng.normal(0, 0.02, page.shape), 0, 1)
    picture = Image.fromarray((noisy * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.2))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=70)
    return np.asarray(Image.open(buffer), np.float32) / 255


def pictures(mnist: Path, pen: Path, count: int, model) -> dict[str, list[tuple[np.ndarray, str]]]:
    """Each kind of picture, with the text it holds."""
    rng, grid_rng, dust_rng = np.random.default_rng(0), np.random.default_rng(1), np.random.default_rng(2)
    kinds: dict[str, list] = {}
    with np.load(mnist, allow_pickle=False) as data:
        x, y = data["x_test"][:count], data["y_test"][:count]
    for image, label in zip(x, y):
        page = np.pad(1 - np.clip(ndimage.zoom(image.astype(np.float32) / 255, 10, order=1), 0, 1), 60,
                      constant_values=1.0)
        bold = ndimage.grey_erosion(page, size=(15, 15))
        for kind, picture in (("digit, even light", page), ("digit, uneven light", lit(page, rng)),
                              ("digit, on a desk", on_a_desk(page, rng)), ("digit, ruled paper", ruled(page, rng)),
                              ("bold digit, even light", bold), ("bold digit, uneven light", lit(bold, rng))):
            kinds.setdefault(kind, []).append((picture, str(label)))
    held = set((model.metadata.get("pen") or {}).get("held_out_writers") or [])
    every = pendigits.read_unipen(pen)
    digits = [d for d in every if d.writer in held] or every   # (a file without those writers: all of it)
    for number in synthetic_numbers.numbers(digits, count, 5, (2, 5)):
        page = np.pad(synthetic_numbers.picture(number.strokes), 40, constant_values=1.0)
        for kind, picture in (("number, even light", page), ("number, uneven light", lit(page, rng)),
                              ("number, uneven light, JPEG", as_jpeg(lit(page, rng), rng)),
                              ("number, on a desk", on_a_desk(page, rng)), ("number, ruled paper", ruled(page, rng)),
                              ("number, on a desk, uneven light", lit(on_a_desk(page, rng), rng)),
                              # (squared paper with draws of its own: the rows above as before it)
                              ("number, squared paper", squared(page, grid_rng)),
                              ("number, ruled paper, a margin line", synthetic_numbers.with_margin_line(
                                  ruled(page, grid_rng), int(grid_rng.integers(10, 40)), int(grid_rng.integers(1, 4)),
                                  grid_rng.uniform(0.3, 0.6))),
                              ("number, squared paper, uneven light", lit(squared(page, grid_rng), grid_rng)),
                              ("number, dotted paper", synthetic_numbers.on_dotted_paper(
                                  page, dust_rng.uniform(40, 100), int(dust_rng.integers(1, 3)), dust_rng.uniform(0.3, 0.6),
                                  dust_rng.uniform(0, 40))),
                              ("number, dust", synthetic_numbers.with_dust(page, dust_rng, int(dust_rng.integers(5, 30))))):
            kinds.setdefault(kind, []).append((picture, number.text))
    return kinds


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="default")
    p.add_argument("--mnist", type=Path, required=True, help="a Keras-layout mnist.npz")
    p.add_argument("--pen", type=Path, required=True, help="the UCI pen digits (UNIPEN)")
    p.add_argument("--count", type=int, default=200, help="MNIST test digits and held-out numbers of each kind")
    args = p.parse_args()
    model = load(args.model)
    kinds = pictures(args.mnist, args.pen, args.count, model)
    # The plain way: one paper level (a scan's), no lines nor specks left out.
    places = [(preprocess, "paper_map", lambda grey, light: None), (preprocess, "on_the_page", lambda grey: grey),
              (preprocess, "without_ruled_lines", lambda ink: ink), (preprocess, "without_upright_lines", lambda ink: ink),
              (number_pictures, "without_dust", lambda ink: ink)]
    found = [getattr(module, name) for module, name, _ in places]
    plain = [way for _, _, way in places]
    print(f"{'pictures':34s} {'read right':>12s} {'plain way':>10s}")
    for kind, items in kinds.items():
        right = []
        for ways in (found, plain):
            for (module, name, _), way in zip(places, ways):
                setattr(module, name, way)
            right.append(np.mean([read_picture(model, picture).text == text for picture, text in items]))
        for (module, name, _), way in zip(places, found):
            setattr(module, name, way)
        print(f"{kind:34s} {100 * right[0]:11.1f}% {100 * right[1]:9.1f}%   ({len(items)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
