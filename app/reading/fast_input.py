"""Candidate digits as network inputs, drawn small and fast: ``to_mnist`` approximately.

Reading a number's picture reads hundreds of candidates (``app/reading/number_pictures.py``), each a
crop of ink between two cuts, and a drawing's reader tens after each stroke (each drawn small:
``app/reading/stroke_inputs.py``); drawing each with ``to_mnist`` would cost more than the network does.
Here crops of about one size are resized together by exact area averages (a batch of small matrix
products), and placed by their centres of mass as ``to_mnist`` places them.
"""
from __future__ import annotations

import functools

import numpy as np

from app.reading.preprocess import BOX, FIELD, MNIST_CENTRE

PAD = 32   # pixels: crops resized together are padded to a multiple of this (fewer, larger batches)

_INDEX = np.arange(BOX, dtype=np.float32)   # pixel positions, for centres of mass


@functools.lru_cache(maxsize=1024)
def area_weights(size: int, new: int) -> np.ndarray:
    """(new, size): each new pixel the exact average of the old pixels it covers (a box filter)."""
    edges = np.arange(new + 1) * (size / new)
    lo, hi = edges[:-1, None], edges[1:, None]
    k = np.arange(size)[None, :]
    return (np.clip(np.minimum(hi, k + 1) - np.maximum(lo, k), 0, None) / (size / new)).astype(np.float32)


@functools.lru_cache(maxsize=4096)
def padded_weights(size: int, new: int, padded: int) -> np.ndarray:
    """(BOX, padded): ``area_weights(size, new)`` in the top left, zeros elsewhere (a crop padded with
    zeros to ``padded`` pixels resized to ``new``; read-only, shared by every call)."""
    weights = np.zeros((BOX, padded), np.float32)
    weights[:new, :size] = area_weights(size, new)
    weights.flags.writeable = False
    return weights


def fast_mnist(crops: list[np.ndarray]) -> np.ndarray:
    """``to_mnist`` of ink crops, approximately and fast (a number's picture has hundreds of
    candidates): each crop's longer side to 20 pixels by an area average, placed in 28x28 with its
    centre of mass at (14, 14); (n, 28, 28). The chosen digits are read again with ``to_mnist`` itself.
    Crops of about one size are resized together, padded with zeros (a batch of small matrix products
    costs about what one does)."""
    out = np.zeros((len(crops), FIELD, FIELD), np.float32)
    shapes = np.array([crop.shape for crop in crops], dtype=np.int64).reshape(-1, 2)
    scale = BOX / shapes.max(axis=1)
    small_shapes = np.maximum(1, np.round(shapes * scale[:, None])).astype(np.int64)   # (round half even, as round())
    sizes = [(h, w, nh, nw) for (h, w), (nh, nw) in zip(shapes.tolist(), small_shapes.tolist())]
    buckets: dict[tuple[int, int], list[int]] = {}
    for k, (h, w, _, _) in enumerate(sizes):   # padded to a multiple of PAD at most
        buckets.setdefault((-(-h // PAD), -(-w // PAD)), []).append(k)
    small = np.empty((len(crops), BOX, BOX), np.float32)   # each crop resized (in the top left BOX x BOX)
    strongest = np.empty(len(crops), np.float64)
    for (bh, bw), members in buckets.items():
        stack = np.zeros((len(members), PAD * bh, PAD * bw), np.float32)
        for slot, k in enumerate(members):
            stack[slot, :sizes[k][0], :sizes[k][1]] = crops[k]
        rows_w = np.stack([padded_weights(sizes[k][0], sizes[k][2], PAD * bh) for k in members])
        cols_w = np.stack([padded_weights(sizes[k][1], sizes[k][3], PAD * bw) for k in members])
        small[members] = rows_w @ stack @ cols_w.transpose(0, 2, 1)
        strongest[members] = stack.max(axis=(1, 2))
    # Its strongest ink 1 (faint ink was dropped from the picture); all crops at once from here.
    small *= (1 / np.maximum(strongest, 1e-6)).astype(np.float32)[:, None, None]
    rows, columns = small.sum(axis=2), small.sum(axis=1)
    total = np.maximum(rows.sum(axis=1).astype(np.float64), 1e-6)
    cy, cx = (rows @ _INDEX[:BOX]) / total, (columns @ _INDEX[:BOX]) / total
    nh, nw = small_shapes[:, 0], small_shapes[:, 1]
    # Where to_mnist would put it: centred, then moved by whole pixels, never off the field.
    y0 = np.clip((FIELD - nh) // 2 + np.round(MNIST_CENTRE - cy - (FIELD - nh) // 2).astype(np.int64), 0, FIELD - nh)
    x0 = np.clip((FIELD - nw) // 2 + np.round(MNIST_CENTRE - cx - (FIELD - nw) // 2).astype(np.int64), 0, FIELD - nw)
    np.minimum(small, 1, out=small)
    for k, (y, x, (_, _, h, w)) in enumerate(zip(y0.tolist(), x0.tolist(), sizes)):
        out[k, y:y + h, x:x + w] = small[k, :h, :w]
    return out
