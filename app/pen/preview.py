"""The pen digits' preview sheets: each digit plain and augmented at the stroke level
(``data.py --dataset pendigits --preview-png``), and the digit styles (``--styles-png``)."""
from __future__ import annotations

import numpy as np

from app.pen.pendigits import PenDigit, render
from app.pen.styles import styled_digits
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


def styles_sheet(digits: list[PenDigit], seed: int = 0, per_row: int = 8, scale: int = 3):
    """A Pillow image: one row per digit style (app/pen/styles.py), the writer's plain digit framed
    on the left, then ``per_row`` styled versions of other digits, each drawn with augmentation."""
    styled = styled_digits(digits, seed, share=1.0)
    rng = np.random.default_rng(seed)
    rows = []
    for name in dict.fromkeys(s.char for s in styled):   # each style once, in the order they come
        of_style = [s for s in styled if s.char == name]
        pick = rng.choice(len(of_style), size=min(per_row + 1, len(of_style)), replace=False)
        plain = next(d for d in digits if d.label == of_style[int(pick[0])].label)
        rows.append((name, [render(plain)] + [render(of_style[int(i)], np.random.default_rng([seed, int(i)]))
                                              for i in pick[1:]]))
    return comparison_sheet(rows, ("plain", "the style, from other writers' digits"), scale)
