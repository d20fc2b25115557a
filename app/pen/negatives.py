"""What is not a digit, to teach the network to say so: pen-written letters and symbols, and
generated marks (scribbles, hatching, two digits squeezed into one picture, pieces of digits).

A softmax over ten digits cannot answer "none of these"; a model trained with an eleventh class,
``NOT_A_DIGIT``, can. Its examples must look like what people draw on the canvas, so they are
strokes, drawn by the same renderer and stroke-level augmentation as the pen digits
(``app.pen.pendigits.render``).

- **Letters and symbols**: the UNIPEN train_r01_v07 characters in ``unipen-letters-train.unipen``
  (``A C E F H K M N P R U V W X Y a c e f h k m n r t u v w x y + = * # % & @ ? ! < > ~``; letters
  a person would mean as a digit, O l I S Z B b g q, are left out of the file on purpose). The
  public distribution is the International Unipen Foundation's train_r01_v07 (1999; cite Guyon,
  Schomaker, Plamondon, Liberman & Janet, ICPR 1994); there is no download we can verify, so the
  file is given with ``--letters-source`` (or ``DIGITS_LETTERS_SOURCE``), checked against its
  SHA-256 and kept in ``cache/downloads/`` for later runs. Without it training still works, with
  the generated negatives alone, and says what is missing.
- **Generated**: made from the pen digits' own strokes, so their pen dynamics are real.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path

import numpy as np

from app.cachefolder import open_folder, write_folder
from app.errors import DataError
from app.files import keep_copy, regular_file, sha256_of
from app.paths import CACHE_DIR
from app.pen.pen_data import ARRAYS, CACHE_FORMAT_VERSION, COUNTS, RENDER_VERSION, PenData, intact_cache, keyed_folder, render_copies
from app.pen.pendigits import MAX_FILE_BYTES, NOT_A_DIGIT, PenAugment, PenDigit, read_unipen

LETTERS_SHA256 = "48a9477ff08ec5b9bf9d252d9de9e1a36846ab0114e6b8c4aebcb08d749e4651"
LETTERS_ENV = "DIGITS_LETTERS_SOURCE"
LETTERS_NAME = "unipen-letters-train.unipen"
KINDS = ("scribble", "hatching", "two digits", "piece of a digit")


def letters_source(source: Path | None, cache_dir: Path) -> Path | None:
    """The letters file: ``source``, else ``$DIGITS_LETTERS_SOURCE``, else the copy kept in
    ``cache/downloads/``; None when there is none (training goes on with generated negatives)."""
    source = source or (Path(os.environ[LETTERS_ENV]) if os.environ.get(LETTERS_ENV) else None)
    kept = Path(cache_dir) / "downloads" / LETTERS_NAME
    if source is None:
        return kept if kept.is_file() else None
    source = Path(source)
    regular_file(source, MAX_FILE_BYTES, "a UNIPEN letters file")
    keep_copy(source, kept, acceptable=lambda path: sha256_of(path) == LETTERS_SHA256)
    return source


def read_letters(path: Path) -> list[PenDigit]:
    """The characters of a letters file that are not digits (all of the real file's)."""
    letters = [c for c in read_unipen(path, any_character=True) if c.label == NOT_A_DIGIT]
    if not letters:
        raise DataError(f"{path}: no characters other than digits in it")
    return letters


# ---------------------------------------------------------------------------
# Generated negatives, in tablet-like units (a digit is about 100 across), y down
# ---------------------------------------------------------------------------

def _scribble(rng: np.random.Generator) -> list[np.ndarray]:
    """A tangle: a smooth random walk that turns back on itself."""
    n = int(rng.integers(25, 60))
    heading = np.cumsum(rng.normal(0, 0.9, n)) + rng.uniform(0, 2 * math.pi)
    steps = np.stack([np.cos(heading), np.sin(heading)], axis=1) * rng.uniform(8, 16)
    return [np.cumsum(steps, axis=0)]


def _hatching(rng: np.random.Generator) -> list[np.ndarray]:
    """Crossing out: a zigzag back and forth, or several parallel strokes across each other."""
    width, height = rng.uniform(60, 120), rng.uniform(50, 110)
    if rng.random() < 0.5:
        rows = int(rng.integers(4, 9))
        ys = np.linspace(0, height, rows)
        xs = np.where(np.arange(rows) % 2 == 0, 0.0, width)
        return [np.stack([xs, ys], axis=1) + rng.normal(0, 3, (rows, 2))]
    angle = rng.uniform(-0.6, 0.6)
    strokes = []
    for k in range(int(rng.integers(3, 6))):
        y = k * height / 4
        strokes.append(np.array([[0.0, y], [width, y + math.tan(angle) * width]]) + rng.normal(0, 3, (2, 2)))
    cross = np.array([[width * 0.1, -5.0], [width * 0.9, height + 5.0]])
    return strokes + [cross]


def _two_digits(digits: list[PenDigit], rng: np.random.Generator) -> list[np.ndarray]:
    """Two digits written close together, seen as one picture (what a number reader must not accept
    as a single digit)."""
    a, b = (digits[int(i)] for i in rng.integers(0, len(digits), 2))
    left = [s - np.concatenate(a.strokes).min(axis=0) for s in a.strokes]
    right = [s - np.concatenate(b.strokes).min(axis=0) for s in b.strokes]
    width = float(np.concatenate(left)[:, 0].max())
    gap = width * rng.uniform(0.55, 1.05)   # from overlapping to just touching
    return left + [s + (gap, rng.normal(0, 8)) for s in right]


def _piece(digits: list[PenDigit], rng: np.random.Generator) -> list[np.ndarray]:
    """A part of a digit's path (a third to a half of it, from its start or its end): half a 0, the
    bar of a 7 alone, the loop of a 9 without its tail. Not from a 1, whose every part is a 1."""
    while True:
        digit = digits[int(rng.integers(0, len(digits)))]
        if digit.label != 1:
            break
    path = np.concatenate(digit.strokes)
    keep = max(2, int(len(path) * rng.uniform(0.3, 0.5)))
    return [path[:keep] if rng.random() < 0.5 else path[-keep:]]


def generated_negatives(digits: list[PenDigit], count: int, seed: int) -> list[PenDigit]:
    """``count`` generated marks from the pen ``digits``' strokes, of each kind in ``SHARES``."""
    rng = np.random.default_rng([seed, 21])
    makers = (lambda: _scribble(rng), lambda: _hatching(rng), lambda: _two_digits(digits, rng),
              lambda: _piece(digits, rng))
    shares = np.array(SHARES if digits else SHARES[:2] + (0.0, 0.0))   # without digits: scribbles and hatching
    kinds = rng.choice(len(makers), size=count, p=shares / shares.sum())
    out = []
    for kind in kinds:
        while True:
            strokes = [np.asarray(s, np.float64) for s in makers[kind]()]
            width, height = np.ptp(np.concatenate(strokes), axis=0)
            # A tall thin mark is how people write 1: never a negative. A piece of a digit must be
            # wide (an arc, a bar) to be safely no digit at all.
            if width >= MIN_WIDTH[kind] * height:
                break
        out.append(PenDigit(NOT_A_DIGIT, None, tuple(strokes), KINDS[kind]))
    return out


SHARES = (0.3, 0.25, 0.3, 0.15)    # scribbles, hatching, two digits, pieces
MIN_WIDTH = (0.45, 0.45, 0.45, 0.8)   # of the height, per kind


# ---------------------------------------------------------------------------
# The rendered negatives, cached like the pen digits
# ---------------------------------------------------------------------------

NEGATIVES_VERSION = 1   # bump when what a negative is changes: old caches are then unused


def build_negative_cache(letters_file: Path | None, pen_file: Path, copies: int = 5, generated: int = 5000,
                         seed: int = 0, cache_dir: Path | None = None, progress: bool = True,
                         workers: int | None = None, log=print) -> PenData:
    """Letters (when ``letters_file`` is given) and ``generated`` marks, each drawn plainly and in
    ``copies`` augmented versions, all labelled ``NOT_A_DIGIT``; reused from the cache if intact.
    ``writers`` holds each letter's writer (held-out writers validate) and -1 for generated marks."""
    if not 0 <= copies <= 100 or not 0 <= generated <= 1_000_000:
        raise ValueError(f"negatives: copies must be 0-100 and generated 0-1000000, got {copies} and {generated}")
    cache_dir = Path(cache_dir if cache_dir is not None else CACHE_DIR)
    letters_hash = sha256_of(letters_file) if letters_file else "none"
    spec = {"letters": letters_hash, "pen": sha256_of(pen_file), "copies": copies, "generated": generated, "seed": seed,
            "params": dataclasses.asdict(PenAugment()), "version": NEGATIVES_VERSION, "render_version": RENDER_VERSION}
    folder = keyed_folder(cache_dir, "negatives", spec)
    found = intact_cache(folder, log=log)
    if found is not None:
        return found
    start = time.perf_counter()
    letters = read_letters(letters_file) if letters_file else []
    marks = generated_negatives(read_unipen(pen_file), generated, seed)
    items = letters + marks
    log(f"rendering {len(items) * (1 + copies):,} negatives ({len(letters)} letters and symbols, {len(marks)} generated "
        f"marks, {1 + copies} renderings each)")
    x = render_copies(items, copies, seed, PenAugment(), progress, workers)
    writers = np.array([-1 if c.writer is None else c.writer for c in items], np.int16)
    meta = {"format_version": CACHE_FORMAT_VERSION, "dataset": "negatives", "source": str(letters_file or ""),
            "source_sha256": letters_hash, "params": spec, "copies": copies, "seed": seed,
            "counts": {"digits": len(items), "train": len(x), "writers": int(len(np.unique(writers[writers >= 0]))),
                       "letters": len(letters), "generated": len(marks)},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "build_seconds": round(time.perf_counter() - start, 2)}
    write_folder(folder, {"x": x, "y": np.full(len(x), NOT_A_DIGIT, np.uint8), "writers": np.tile(writers, copies + 1)},
                 meta)
    arrays, meta = open_folder(folder, ARRAYS, CACHE_FORMAT_VERSION, verify=False, counts=COUNTS)
    return PenData(**arrays, meta=meta, path=folder)
