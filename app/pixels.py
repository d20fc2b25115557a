"""Pixels and network inputs: the one place where uint8 images become float32 in [0, 1], and back."""
from __future__ import annotations

import numpy as np

SCALE = np.float32(1 / 255)


def to_unit_float32(images: np.ndarray, rows: np.ndarray | None = None, out: np.ndarray | None = None,
                    chunk: int = 65536) -> np.ndarray:
    """``images`` (or the given ``rows`` of them) as float32 in [0, 1], converted chunk by chunk, so
    a memory-mapped uint8 array never becomes a float64 or a whole float32 copy of unused rows.
    ``out`` (float32, the right shape) is filled in place when given."""
    n = len(images) if rows is None else len(rows)
    if out is None:
        out = np.empty((n,) + images.shape[1:], np.float32)
    for s in range(0, n, chunk):
        block = images[s:s + chunk] if rows is None else images[rows[s:s + chunk]]
        np.multiply(block, SCALE, out=out[s:s + chunk])
    return out


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Network inputs in [0, 1] as uint8 pixels, rounded to the nearest (NaN as 0, out of range clipped)."""
    unit = np.nan_to_num(np.asarray(images, np.float32))
    return np.clip(np.rint(unit * 255), 0, 255).astype(np.uint8)


def comparison_sheet(rows: list[tuple[str, list[np.ndarray]]], headings: tuple[str, str], scale: int = 3):
    """A Pillow image of 28x28 uint8 pictures (white ink on black), one row per ``(label, pictures)``:
    the first picture framed on the left (an original), the rest beside it (its variants), drawn
    black on light grey; ``headings`` name the two columns. The preview sheets of every data set."""
    from PIL import Image, ImageDraw  # here, for start-up time: only previews draw sheets

    per_row = max(len(pictures) for _, pictures in rows) - 1
    cell, gap = 28 * scale, 4
    label_w = max(70, 6 * max(len(str(label)) for label, _ in rows) + 12)
    sheet = Image.new("L", (label_w + (per_row + 1) * (cell + gap) + 2 * gap, len(rows) * (cell + gap) + gap + 18), 235)
    draw = ImageDraw.Draw(sheet)
    draw.text((label_w + gap, 2), headings[0], fill=0)
    draw.text((label_w + cell + 3 * gap, 2), headings[1], fill=0)
    for r, (label, pictures) in enumerate(rows):
        y = 18 + r * (cell + gap)
        draw.text((6, y + cell // 2 - 6), label if len(str(label)) > 2 else f"label {label}", fill=0)
        for c, img in enumerate(pictures):
            x = label_w + c * (cell + gap) + (gap if c else 0)
            sheet.paste(Image.fromarray(255 - np.asarray(img, np.uint8)).resize((cell, cell), Image.NEAREST), (x, y))
            if c == 0:
                draw.rectangle([x - 1, y - 1, x + cell, y + cell], outline=0)
    return sheet
