"""The augmentation preview grid: originals beside augmented versions, as a Pillow image.

Shared by ``data.py --preview-png`` and the Tk visualiser (``app/gui/augment_viewer.py``). The pen
digits' sheet is ``app/pen/preview.py``.
"""
from __future__ import annotations

import numpy as np

from app.data.augment import AugmentParams, augment_batch
from app.pixels import comparison_sheet


def preview_grid(images: np.ndarray, labels: np.ndarray, params: AugmentParams, seed: int = 0, rows: int = 6,
                 per_row: int = 6, scale: int = 3, class_names: tuple[str, ...] | None = None):
    """A Pillow image: each row is one original (left, framed) then ``per_row`` augmented versions."""
    pick = np.random.default_rng(seed).choice(len(images), size=rows, replace=False)
    sheet_rows = []
    for i in pick:
        original = np.asarray(images[i])
        versions = augment_batch(np.repeat(original[None], per_row, axis=0), params, np.random.default_rng([seed, int(i)]))
        name = class_names[int(labels[i])] if class_names else str(int(labels[i]))
        sheet_rows.append((name, [original, *versions]))
    return comparison_sheet(sheet_rows, ("original", "augmented"), scale)
