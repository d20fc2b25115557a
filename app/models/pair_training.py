"""Teach a model its pair reader (``ModelManager.py train-pairs``): the small second network that
reads two crossing digits at once (``app/reading/digit_pairs.py``), kept in the model's folder as
``pairs/`` (``model.json`` and ``weights.npz`` like any model) and loaded with it.

The recipe: crops of numbers written with the pen digits of the model's training writers, some
with letters among them (``app/pen/pair_data.py``; the writers it holds out stay out, so the number
benchmarks still measure writers never trained on); a small convolutional network (three strided
convolutions, then a dense layer of ``UNITS`` with dropout: two digits may stand anywhere in a crop,
and a convolution finds a stroke wherever it is, where a dense layer must learn each place apart),
Adam with a cosine schedule; the accuracy on as many crops of the held-out writers is reported.
Nothing is written until it is done: Ctrl-C leaves the model as it was, and a pair reader it had is
replaced only with ``overwrite``, or when told to go on from it (``go_on``: ``--continue``), as the
shipped reader of threes went on from the shipped pair reader (``threes``: ``widened``).
"""
from __future__ import annotations

import dataclasses
import functools
import time
from pathlib import Path

import numpy as np

from app.errors import AppError
from app.files import sha256_of
from app.models.model_store import PAIRS, load, model_lock, model_path, save_pair_reader
from app.pen.negatives import read_letters
from app.pen.number_candidates import mine_all
from app.pen.pair_data import mine_pairs
from app.pen.pendigits import read_unipen
from app.pixels import to_unit_float32
from app.reading.digit_pairs import FIRST_THREE, NOT_A_PAIR, PAIR_SHAPE, THREES, reads_threes
from app.resources import require_memory
from network import Adam, Conv2D, CosineDecay, Dense, Dropout, Flatten, Sequential

FILTERS = (32, 64, 64)  # the convolutions' filters (5x5, 3x3, 3x3, each with stride 2: 28x56 -> 14x28 -> 7x14 -> 4x7)
UNITS = 256             # the dense layer's width
DROPOUT = 0.2
LEARNING_RATE = 1e-3
BATCH = 128
HELD_OUT_CROPS = 4000   # crops of the held-out writers' numbers, to report the accuracy on
MOST_CROPS = 2_000_000  # 18.5 GB of memory at the most, here (12.5 of them the float32 the network trains on)
CHUNK = 1_000           # crops a worker cuts per task: each task carries all the pen digits to it


@dataclasses.dataclass
class PairResult:
    path: Path
    trained_on: int
    held_out_accuracy: float | None
    seconds: float


def pair_network(seed: int, threes: bool = False) -> Sequential:
    """The pair reader, untrained: ``PAIR_SHAPE`` in, the 100 pairs and "not a pair" out (and with
    ``threes`` the 1000 threes of digits after them)."""
    return Sequential([Conv2D(FILTERS[0], 5, strides=2, padding="same", activation="relu", input_shape=PAIR_SHAPE),
                       Conv2D(FILTERS[1], 3, strides=2, padding="same", activation="relu"),
                       # a third stride leaves 4x7 places of 64 filters: the dense layer after it has 1792 inputs
                       # instead of 6272 (a third of the weights) and reads better (docs/default-model.md)
                       Conv2D(FILTERS[2], 3, strides=2, padding="same", activation="relu"), Flatten(),
                       Dense(UNITS, "relu"), Dropout(DROPOUT),
                       Dense(FIRST_THREE + THREES if threes else NOT_A_PAIR + 1, "softmax")], seed=seed)


def widened(reader: Sequential, seed: int) -> Sequential:
    """A reader of threes too, started from the pair reader ``reader``: all it learnt kept (its outputs
    keep their odds to one another), and the outputs for the threes new: small random weights (each
    must learn its own), and the bias of "not a pair" less log 1000 (the three digits a pair reader saw
    were "not a pair" to it)."""
    net = pair_network(seed, threes=True)
    net.build()
    weights = [w.copy() for w in reader.get_weights()]
    rng = np.random.default_rng(seed)
    kernel, bias = weights[-2], weights[-1]
    weights[-2] = np.concatenate([kernel, rng.normal(0, 0.01, (len(kernel), THREES)).astype(kernel.dtype)], axis=1)
    weights[-1] = np.concatenate([bias, np.full(THREES, bias[NOT_A_PAIR] - np.log(THREES), bias.dtype)])
    net.set_weights(weights)
    return net


def check_settings(crops: int, epochs: int, learning_rate: float = LEARNING_RATE) -> None:
    """ValueError, naming the setting and the value, for settings ``train_pairs`` cannot run with."""
    if not 1e-5 <= learning_rate <= 1e-2:   # (NaN fails this too)
        raise ValueError(f"learning-rate must be 0.00001-0.01, got {learning_rate}")
    if not 1_000 <= crops <= MOST_CROPS:
        raise ValueError(f"crops must be 1000-{MOST_CROPS}, got {crops}")
    if not 1 <= epochs <= 200:
        raise ValueError(f"epochs must be 1-200, got {epochs}")


def train_pairs(name: str, pen_file: Path, models_dir: Path, crops: int = 250_000, epochs: int = 6, seed: int = 0,
                overwrite: bool = False, letters_file: Path | None = None, workers: int | None = None,
                progress: bool = True, log=print, threes: bool = False, go_on: bool = False,
                learning_rate: float = LEARNING_RATE) -> PairResult:
    """Train the pair reader of model ``name`` on ``crops`` crops of numbers of ``pen_file``'s
    training writers (those the model does not hold out), some with letters of ``letters_file``'s
    training writers among the digits, and save it in the model's folder. With ``threes`` it reads
    three digits too; with ``go_on`` it starts from the pair reader the model has (and replaces it)."""
    check_settings(crops, epochs, learning_rate)
    start = time.perf_counter()
    with model_lock(name, models_dir):
        model = load(name, models_dir)
        folder = model_path(name, models_dir)
        current = model.pair_reader
        if go_on and current is None:
            raise AppError(f"model {name!r} has no pair reader to go on from; train one first (without --continue)")
        if go_on and reads_threes(current) and not threes:
            raise AppError(f"the pair reader of {name!r} reads three digits too; go on with --threes")
        if (folder / PAIRS).exists() and not (overwrite or go_on):
            raise AppError(f"model {name!r} has a pair reader already; replace it with --overwrite")
        held = set((model.metadata.get("pen") or {}).get("held_out_writers") or [])
        digits = read_unipen(pen_file)
        train = [d for d in digits if d.writer not in held]
        if not train:
            raise AppError(f"{pen_file}: no pen digits of writers other than the held-out ones {sorted(held)}")
        letters, held_letters = _letters(letters_file, model.metadata)
        # the crops as uint8 while they are cut and joined, then as float32 (never two float copies:
        # ``to_unit_float32``): 9.4 KB a crop, what 2000000 took here at the most (18.5 GB)
        # (and the answers as the network trains on them, 4 bytes an output: 4 KB a crop more for threes)
        require_memory(crops * (int(np.prod(PAIR_SHAPE)) * 6 + (4 * THREES if threes else 0)),
                       f"training on {crops:,} crops", "ask for fewer with --crops")
        log(f"cutting {crops:,} crops of numbers written by {len({d.writer for d in train})} writers"
            + (f", {len(letters):,} letters among them" if letters else ""))
        x, y, _ = mine_all(functools.partial(mine_pairs, train, letters=letters, threes=threes), crops, seed, progress, workers,
                           "pair crops", CHUNK, "crop")
        validation = None
        tested = [d for d in digits if d.writer in held]
        if tested:
            vx, vy, _ = mine_all(functools.partial(mine_pairs, tested, letters=held_letters, threes=threes), HELD_OUT_CROPS, seed + 1,
                                 False, workers, chunk=CHUNK)
            validation = (to_unit_float32(vx), vy.astype(np.int64))
        if not go_on:
            net = pair_network(seed, threes)
        else:   # (the reader loaded: the one on disk stays as it was until this one is saved)
            net = widened(current, seed) if threes and not reads_threes(current) else current
        net.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate),
                    lr_schedule=CosineDecay(learning_rate, epochs))
        x = to_unit_float32(x)   # a slice at a time: never two float copies of them all
        net.fit(x, y.astype(np.int64), epochs=epochs, batch_size=BATCH,
                validation_data=validation, verbose=1 if progress else 0)
        accuracy = None if validation is None else float(np.mean(net.predict_proba(validation[0]).argmax(axis=1) == validation[1]))
        before = dict(current.metadata) if go_on else None   # (what it went on from, and so on back)
        net.metadata = {"crops": len(y), "epochs": epochs, "seed": seed, "filters": list(FILTERS), "units": UNITS,
                        "threes": threes, "learning_rate": learning_rate, "continued_from": before,
                        "pen": Path(pen_file).name, "pen_sha256": sha256_of(pen_file),
                        "held_out_writers": sorted(held), "letters": Path(letters_file).name if letters_file else "",
                        "letters_trained_on": len(letters), "held_out_accuracy": accuracy,
                        "seconds": round(time.perf_counter() - start, 1)}
        path = save_pair_reader(net, folder)
    return PairResult(path, len(y), accuracy, time.perf_counter() - start)


def _letters(letters_file: Path | None, metadata: dict) -> tuple[list, list]:
    """The letters of the training writers and of the held-out ones (as the model's not-a-digit
    training split them), none without a file."""
    if letters_file is None:
        return [], []
    held = set((metadata.get("negatives") or {}).get("held_out_writers") or [])
    letters = read_letters(letters_file)
    return [c for c in letters if c.writer not in held], [c for c in letters if c.writer in held]
