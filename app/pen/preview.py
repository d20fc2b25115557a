"""The pen digits' preview sheet: each digit plain and augmented at the stroke level
(``data.py --dataset pendigits --preview-png``)."""
from __future__ import annotations

import numpy as np

from app.pen.pendigits import PenDigit, render
from app.pixels import comparison_sheet


def pen_preview_grid(digits: list[PenDigit], seed: int = 0, rows: int = 6, per_row: int = 8, scale: int = 3):
    """A Pillow image: each row one pen digit, plain (framed) and then ``per_row`` augmented renderings."""
    pick = np.random.default_rng(seed).choice(len(digits), size=min(rows, len(digits)), replace=False)
    sheet_rows = []
    for i in pick:
        digit = digits[int(i)]
        renderings = [render(digit)] + [render(digit, np.random.default_rng([seed, c, int(i)])) for c in range(1, per_row + 1)]
        sheet_rows.append((str(digit.label), renderings))
    return comparison_sheet(sheet_rows, ("plain", "augmented at the stroke level"), scale)
