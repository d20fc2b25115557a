"""Digits as the number readers see them: the candidates they read in whole numbers, labelled by
whose ink each holds, to train the network on (``--number-candidates``).

The number readers (``app/reading/numbers.py``, ``number_pictures.py``) read every stretch of a
number that could be a digit and keep the best cutting of the whole. A network taught lone digits
never saw half a digit, or the halves of two, and reads some of them as a digit, sure of it; then
a wrong cutting wins. These are those candidates, with the answer the network should give:

- **Numbers**: composed as ``app/reading/synthetic_numbers.py`` composes them (2 to 6 digits,
  touching, overlapping or apart), from the pen digits of the training writers only: the held-out
  writers' numbers are what measures the readers. And, if asked (``--mnist-number-candidates``),
  numbers of MNIST's training originals laid out alike (``mine_pictures``): pictures only, as they
  have no strokes; each digit's own picture says whose ink is whose.
- **Candidates**: every run of pieces the stroke reader reads, and every stretch of ink between two
  cut lines the picture reader may read (vertical and slanted cuts in every blob: which of them it
  reads depends on what a network finds unsure, and none is asked here).
- **Labels**, from the ink each candidate holds (each digit's strokes are known): most of it
  (``WHOLE``) one digit's, and most of that digit -> the digit; a quarter or more of two digits' ink
  each -> not a digit; ``PIECE`` or less of one digit and nothing else -> not a digit when it is wide
  (as a generated piece must be: a tall, narrow piece may well be a 1, or a 7 without its bar);
  anything between -> left out, as unclear. (For strokes: a whole digit is all its strokes; a
  piece's share is its length.)
- **Kept**: every whole digit, and at most ``NOT_DIGITS_PER_DIGIT`` times as many not-digits of each
  reader, at random.

Cached like the pen digits (``cache/numbers-<key>/``, ``cache/digit-numbers-<key>/``), made by a pool
of processes; the result is the same for any number of them.
"""
from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from app.cachefolder import open_folder, write_folder
from app.errors import DataError
from app.files import sha256_of
from app.paths import CACHE_DIR
from app.pen.negatives import MIN_WIDTH
from app.pen.pen_data import ARRAYS, CACHE_FORMAT_VERSION, COUNTS, RENDER_VERSION, PenData, intact_cache, keyed_folder
from app.pen.pendigits import NOT_A_DIGIT, PenDigit, read_unipen
from app.reading import number_pictures as pictures
from app.reading import numbers as strokes_reader
from app.reading.fast_input import fast_mnist
from app.reading.ink_blobs import Blob
from app.reading.joined_strokes import TRAINED
from app.reading.preprocess import ink_map
from app.reading.stroke_inputs import fast_crop
from app.reading.strokes import LOGICAL_SIZE, Drawing, Stroke
from app.reading.synthetic_numbers import compose, lay_out_pictures
from app.signals import worker_start
from app.words import plural

WHOLE = 0.85                 # of a candidate's ink from one digit, and of that digit's ink: that digit
                             # (0.75 for digits that cross, taught as digits, did not pay: docs/default-model.md)
TWO_DIGITS = 0.25            # of each of two digits' ink: two digits' parts, not a digit
PIECE = 0.5                  # of one digit's ink at most (and nothing else): a piece of it, not a digit
PIECE_WIDTH = MIN_WIDTH[3]   # of its height at least, as a generated piece: a narrow piece may be a 1
NOT_DIGITS_PER_DIGIT = 2     # not-digits kept per whole digit, for each reader
LENGTHS = (2, 6)             # digits per number
CHUNK = 50                   # numbers per task handed to a worker process
CANDIDATES_VERSION = 7       # bump when what a candidate is, or its label, changes: old caches are then unused
                             # (2: a rising link of a joined stroke is no candidate alone; 4: stroke candidates
                             # made inputs by fast_mnist, as the reader now makes them; 5: a densely sampled
                             # stroke drawn whole; 6: a stroke wider than 1.2 heights cut at gentler corners,
                             # a bar run on into a link no candidate alone; 7: a stroke 0.7-0.9 heights wide cut
                             # where it turns up into a link)
WHOLE_DIGIT, A_PIECE, PARTS_OF_TWO = 0, 1, 2   # what a candidate holds


def _label(owned: np.ndarray, totals: np.ndarray, wide: bool) -> tuple[int, int] | None:
    """(label, what it holds) of a candidate holding ``owned`` ink of each digit, whose whole ink is
    ``totals``; None when it is unclear."""
    ink = owned.sum()
    share = owned / np.maximum(totals, 1e-9)
    q = int(np.argmax(owned))
    if ink <= 0:
        return None
    if owned[q] >= WHOLE * ink and share[q] >= WHOLE:
        return q, WHOLE_DIGIT
    if (share >= TWO_DIGITS).sum() >= 2:
        return NOT_A_DIGIT, PARTS_OF_TWO
    if owned[q] >= WHOLE * ink and share[q] <= PIECE and wide:
        return NOT_A_DIGIT, A_PIECE
    return None


def _wide(crop: np.ndarray) -> bool:
    """Whether the ink of a crop is at least ``PIECE_WIDTH`` of its height wide."""
    rows, columns = np.flatnonzero(crop.any(axis=1)), np.flatnonzero(crop.any(axis=0))
    return len(rows) > 0 and np.ptp(columns) + 1 >= PIECE_WIDTH * (np.ptp(rows) + 1)


def stroke_candidates(strokes: list[Stroke], digit_of: list[int]) -> list[tuple[np.ndarray, int, int]]:
    """(28x28 input, digit of it or None, what it holds) of each candidate the stroke reader reads
    in a number's ``strokes``, ``digit_of`` saying whose each stroke is (the index of its digit)."""
    height = strokes_reader._writing_height(strokes)
    # (cut as the default model's training candidates were: the readers' cuts wait for a retrain to weigh them)
    pieces, owners = strokes_reader._pieces(strokes, height, TRAINED)
    lengths = [_length(piece) for piece in pieces]
    boxes = strokes_reader._boxes(pieces)   # (each piece's, once)
    runs = [(i, j) for i, j in strokes_reader._runs(owners)
            if strokes_reader._group_cost(pieces, owners, i, j, height, boxes) is not None]
    crops = [fast_crop(pieces[i:j]) for i, j in runs]
    inked = [(run, crop) for run, crop in zip(runs, crops) if crop.size]
    out = []
    for (i, j), image in zip([run for run, _ in inked], fast_mnist([crop for _, crop in inked])):
        digits = {digit_of[owners[p]] for p in range(i, j)}
        if len(digits) > 1:
            out.append((image, None, PARTS_OF_TWO))
            continue
        q = digits.pop()
        its = [p for p in range(len(pieces)) if digit_of[owners[p]] == q]
        if its == list(range(i, j)):
            out.append((image, q, WHOLE_DIGIT))
        elif sum(lengths[i:j]) <= PIECE * sum(lengths[p] for p in its) and _wide(image > 0.2):
            out.append((image, None, A_PIECE))
    return out


def _length(stroke: Stroke) -> float:
    """How much ink a stroke lays down, in pen widths' lengths: its path, and a dot for a tap."""
    points = np.asarray(stroke.points, float)
    return float(np.hypot(*np.diff(points, axis=0).T).sum()) + stroke.width


def picture_candidates(strokes: list[Stroke], digit_of: list[int], digits: int) -> list[tuple[np.ndarray, int, int]]:
    """(28x28 input, digit of it or None, what it holds) of each candidate the picture reader may read
    in the number's picture; each digit drawn alone says which of the ink is its."""
    width = int(np.ceil(max(x for s in strokes for x, _ in s.points) + max(s.width for s in strokes) + 4))

    def ink_of(chosen: Iterable[int]) -> np.ndarray:
        wanted = set(chosen)
        drawn = [s for s, d in zip(strokes, digit_of) if d in wanted]
        return ink_map(Drawing.from_strokes(drawn, size=LOGICAL_SIZE, width=width).array(), ink_is_bright=True)
    return candidates_in_picture(ink_of, digits)


def candidates_in_picture(ink_of: Callable[[Iterable[int]], np.ndarray], digits: int) -> list[tuple[np.ndarray, int, int]]:
    """``picture_candidates`` of a number's picture that ``ink_of`` draws as an ink map, of any of its
    ``digits`` (their indices): all of them, and each alone."""
    found, blobs, height, smallest = pictures._ready(ink_of(range(digits)))
    if not blobs:
        return []
    everywhere = {index: [(-np.inf, np.inf)] for index in range(len(blobs))}   # slanted cuts in every blob
    bounds = pictures._boundaries(blobs, everywhere)
    pairs = [(bounds[i], bounds[j]) for i, j in pictures._candidates(blobs, bounds, height, as_trained=True)]
    crops = [crop for crop, _ in pictures._crops(blobs, pairs)]
    inked = pictures._readable(crops, pairs, smallest)
    if not inked:
        return []
    owned, totals = np.zeros((len(inked), digits)), np.zeros(digits)
    for q in range(digits):   # the same cuts through the ink of digit q alone
        alone = ink_of([q])
        mine = [Blob(alone, lo, hi, mask, blobs[0].k) for lo, hi, mask in found]
        totals[q] = sum(float(blob.ink.sum()) for blob in mine)
        owned[:, q] = [float(crop.sum()) for crop, _ in pictures._crops(mine, [pairs[k] for k in inked])]
    labels = [_label(owned[n], totals, _wide(crops[k] > 0.35)) for n, k in enumerate(inked)]
    chosen = [(k, label) for k, label in zip(inked, labels) if label is not None]
    if not chosen:
        return []
    images = fast_mnist([crops[k] for k, _ in chosen])
    return [(image, q if kind == WHOLE_DIGIT else None, kind) for image, (_, (q, kind)) in zip(images, chosen)]


def mine(digits: list[PenDigit], count: int, seed: int, chunk: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kept candidates of ``count`` numbers (task ``chunk`` of a run): 28x28 uint8 pictures,
    labels (a digit or ``NOT_A_DIGIT``) and what each holds."""
    rng = np.random.default_rng([seed, 31, chunk])
    kept = []
    for _ in range(count):
        used = [digits[int(i)] for i in rng.integers(0, len(digits), int(rng.integers(LENGTHS[0], LENGTHS[1] + 1)))]
        strokes, _ = compose(used, rng)
        digit_of = [q for q, digit in enumerate(used) for _ in digit.strokes]
        for found in (stroke_candidates(strokes, digit_of), picture_candidates(strokes, digit_of, len(used))):
            kept += _kept(found, [digit.label for digit in used], rng)
    return _stacked(kept)


def mine_pictures(images: np.ndarray, labels: np.ndarray, count: int, seed: int,
                  chunk: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``mine`` for numbers of digit pictures (MNIST's, ``synthetic_numbers.lay_out_pictures``):
    the candidates of their pictures (they have no strokes)."""
    rng = np.random.default_rng([seed, 37, chunk])
    kept = []
    for _ in range(count):
        chosen = rng.integers(0, len(labels), int(rng.integers(LENGTHS[0], LENGTHS[1] + 1)))
        draw, text = lay_out_pictures(list(images[chosen]), list(labels[chosen]), rng)
        found = candidates_in_picture(lambda digits, draw=draw: ink_map(draw(digits), ink_is_bright=False), len(text))
        kept += _kept(found, [int(c) for c in text], rng)
    return _stacked(kept)


def _kept(found: list[tuple[np.ndarray, int, int]], digits: list[int], rng: np.random.Generator) -> list[tuple]:
    """Of one reader's candidates in a number of ``digits``: every whole digit, and at most
    ``NOT_DIGITS_PER_DIGIT`` times as many others at random, as (uint8 picture, label, what it holds)."""
    whole = [(image, digits[q], kind) for image, q, kind in found if kind == WHOLE_DIGIT]
    others = [(image, NOT_A_DIGIT, kind) for image, _, kind in found if kind != WHOLE_DIGIT]
    keep = rng.permutation(len(others))[:NOT_DIGITS_PER_DIGIT * len(whole)]
    return [(np.clip(np.rint(image * 255), 0, 255).astype(np.uint8), label, kind)
            for image, label, kind in whole + [others[k] for k in sorted(keep)]]


def _stacked(kept: list[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not kept:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), np.zeros(0, np.uint8)
    return np.stack([k[0] for k in kept]), np.array([k[1] for k in kept], np.uint8), np.array([k[2] for k in kept], np.uint8)


# ---------------------------------------------------------------------------
# Cached, made by a pool of processes
# ---------------------------------------------------------------------------

def build_candidate_cache(pen_file: Path, held_writers: list[int], numbers: int, seed: int = 0,
                          cache_dir: Path | None = None, progress: bool = True, workers: int | None = None,
                          log=print) -> PenData:
    """The kept candidates of ``numbers`` numbers written with the pen digits of ``pen_file`` whose
    writers are not ``held_writers``; reused from the cache if intact. ``writers`` is -1 throughout
    (a number has several digits' writers); ``meta["counts"]`` says what the candidates hold."""
    spec = {"pen": sha256_of(pen_file), "held_writers": sorted(int(w) for w in held_writers), "numbers": numbers,
            "seed": seed, "version": CANDIDATES_VERSION, "render_version": RENDER_VERSION}

    def task():
        held = set(spec["held_writers"])
        digits = [d for d in read_unipen(pen_file) if d.writer not in held]
        if not digits:
            raise DataError(f"{pen_file}: no pen digits of writers other than the held-out ones {spec['held_writers']}")
        return functools.partial(mine, digits)
    return _cached("numbers", spec, str(pen_file), spec["pen"], task, "the pen digits of the training writers",
                   cache_dir, progress, workers, log)


def build_picture_candidate_cache(images: np.ndarray, labels: np.ndarray, source: str, source_sha256: str,
                                  numbers: int, seed: int = 0, cache_dir: Path | None = None, progress: bool = True,
                                  workers: int | None = None, log=print) -> PenData:
    """``build_candidate_cache`` for numbers of digit pictures: ``images`` (uint8, bright ink on dark)
    and their ``labels``, MNIST's training originals that are not held out for validation."""
    chosen = hashlib.sha256(np.ascontiguousarray(images).tobytes() + np.asarray(labels, np.uint8).tobytes()).hexdigest()
    spec = {"digits": source_sha256, "pictures": chosen, "numbers": numbers, "seed": seed,
            "version": CANDIDATES_VERSION}
    return _cached("digit-numbers", spec, source, source_sha256,
                   lambda: functools.partial(mine_pictures, np.asarray(images), np.asarray(labels, np.uint8)),
                   f"{len(labels):,} digit pictures", cache_dir, progress, workers, log)


def _cached(kind: str, spec: dict, source: str, source_sha256: str, task, written_with: str, cache_dir: Path | None,
            progress: bool, workers: int | None, log) -> PenData:
    """The candidates of ``spec["numbers"]`` numbers, mined by ``task()(count, seed, chunk)`` in a pool,
    in the cache folder of ``kind`` and ``spec``; reused from it if intact."""
    numbers, seed = spec["numbers"], spec["seed"]
    if not 1 <= numbers <= 1_000_000:
        raise ValueError(f"number candidates: numbers must be 1-1000000, got {numbers}")
    folder = keyed_folder(Path(cache_dir if cache_dir is not None else CACHE_DIR), kind, spec)
    found = intact_cache(folder, log=log)
    if found is not None:
        return found
    start = time.perf_counter()
    mine_chunk = task()
    log(f"cutting {numbers:,} numbers written with {written_with} into the candidates the number readers read, "
        "once for these settings")
    x, y, kinds = mine_all(mine_chunk, numbers, seed, progress, workers)
    meta = {"format_version": CACHE_FORMAT_VERSION, "dataset": kind, "source": source,
            "source_sha256": source_sha256, "params": spec, "copies": 0, "seed": seed,
            "counts": {"digits": len(y), "train": len(y), "writers": 0, "numbers": numbers,
                       "whole digits": int((kinds == WHOLE_DIGIT).sum()), "pieces": int((kinds == A_PIECE).sum()),
                       "parts of two": int((kinds == PARTS_OF_TWO).sum())},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "build_seconds": round(time.perf_counter() - start, 2)}
    write_folder(folder, {"x": x, "y": y, "writers": np.full(len(y), -1, np.int16)}, meta)
    arrays, meta = open_folder(folder, ARRAYS, CACHE_FORMAT_VERSION, verify=False, counts=COUNTS)
    log(f"number candidates: {plural(meta['counts']['whole digits'], 'whole digit')}, "
        f"{meta['counts']['pieces'] + meta['counts']['parts of two']:,} not digits")
    return PenData(**arrays, meta=meta, path=folder)


def mine_all(mine_chunk, numbers: int, seed: int, progress: bool, workers: int | None, what: str = "number candidates",
             chunk: int = CHUNK, unit: str = "number"):
    """``mine_chunk(count, seed, chunk)`` over ``numbers`` in chunks of ``chunk``, in a pool of ``workers``
    processes (one per core by default), its arrays joined in chunk order: the same for any number of
    workers. (Each task carries ``mine_chunk``'s arguments to its worker: a big chunk pays that once for many.)"""
    tasks = [(k, min(chunk, numbers - start)) for k, start in enumerate(range(0, numbers, chunk))]
    results: dict[int, tuple] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=numbers, desc=what, unit=unit, leave=False)
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for k, count in tasks:
            results[k] = mine_chunk(count, seed, k)
            if bar is not None:
                bar.update(count)
    else:
        # As for rendering: workers ignore Ctrl-C, the main process stops the pool.
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, initializer=worker_start)
        try:
            futures = {pool.submit(mine_chunk, count, seed, k): (k, count) for k, count in tasks}
            for future in concurrent.futures.as_completed(futures):
                k, count = futures[future]
                results[k] = future.result()
                if bar is not None:
                    bar.update(count)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    if bar is not None:
        bar.close()
    parts = [results[k] for k in sorted(results)]
    return tuple(np.concatenate([part[n] for part in parts]) for n in range(3))
