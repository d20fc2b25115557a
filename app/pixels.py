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
