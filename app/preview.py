"""The augmentation preview grid: originals beside augmented versions, as a Pillow image.

Shared by ``data.py --preview-png`` and the Tk visualiser (``app/gui/augment_viewer.py``); the
same for pen digits, plain and augmented at the stroke level (``data.py --dataset pendigits
--preview-png``).
"""
from __future__ import annotations

import numpy as np

from app.augment import AugmentParams, augment_batch
from app.pendigits import PenDigit, render


def preview_grid(images: np.ndarray, labels: np.ndarray, params: AugmentParams, seed: int = 0, rows: int = 6,
                 per_row: int = 6, scale: int = 3, class_names: tuple[str, ...] | None = None):
    """A Pillow image: each row is one original (left, framed) then ``per_row`` augmented versions."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(images), size=rows, replace=False)
    cell, gap, label_w = 28 * scale, 4, 70
    width = label_w + (per_row + 1) * (cell + gap) + gap * 2
    height = rows * (cell + gap) + gap + 18
    canvas = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(canvas)
    draw.text((label_w + gap, 2), "original", fill=0)
    draw.text((label_w + cell + 3 * gap, 2), "augmented", fill=0)
    for r, i in enumerate(pick):
        original = np.asarray(images[i])
        versions = augment_batch(np.repeat(original[None], per_row, axis=0), params, np.random.default_rng([seed, int(i)]))
        y = 18 + r * (cell + gap)
        name = class_names[int(labels[i])] if class_names else str(int(labels[i]))
        draw.text((6, y + cell // 2 - 6), f"label {name}", fill=0)
        for c, img in enumerate([original, *versions]):
            x = label_w + c * (cell + gap) + (gap if c else 0)
            canvas.paste(Image.fromarray(255 - img).resize((cell, cell), Image.NEAREST), (x, y))
            if c == 0:
                draw.rectangle([x - 1, y - 1, x + cell, y + cell], outline=0)
    return canvas


def pen_preview_grid(digits: list[PenDigit], seed: int = 0, rows: int = 6, per_row: int = 8, scale: int = 3):
    """A Pillow image: each row one pen digit, plain (framed) and then ``per_row`` augmented renderings."""
    from PIL import Image, ImageDraw

    pick = np.random.default_rng(seed).choice(len(digits), size=min(rows, len(digits)), replace=False)
    cell, gap, label_w = 28 * scale, 4, 70
    sheet = Image.new("L", (label_w + (per_row + 1) * (cell + gap) + 2 * gap, len(pick) * (cell + gap) + gap + 18), 235)
    draw = ImageDraw.Draw(sheet)
    draw.text((label_w + gap, 2), "plain", fill=0)
    draw.text((label_w + cell + 3 * gap, 2), "augmented at the stroke level", fill=0)
    for r, i in enumerate(pick):
        digit = digits[int(i)]
        y = 18 + r * (cell + gap)
        draw.text((6, y + cell // 2 - 6), f"label {digit.label}", fill=0)
        images = [render(digit)] + [render(digit, np.random.default_rng([seed, c, int(i)])) for c in range(1, per_row + 1)]
        for c, img in enumerate(images):
            x = label_w + c * (cell + gap) + (gap if c else 0)
            sheet.paste(Image.fromarray(255 - img).resize((cell, cell), Image.NEAREST), (x, y))
            if c == 0:
                draw.rectangle([x - 1, y - 1, x + cell, y + cell], outline=0)
    return sheet
