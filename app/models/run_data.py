"""The data of a training run: everything ``train`` feeds the network, as one float32 array, and
the validation sets beside it.

MNIST with ``copies`` augmented copies (``app/data/mnist_cache.py``), the pen digits rendered as
canvas drawings (``app/pen/pen_data.py``) and, for a model that says "not a digit", the negatives
(``app/pen/negatives.py``), minus the held-out validation data: MNIST originals, and whole pen and
letter writers, none of whose copies is trained on.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from app.data.augment import augment
from app.data.mnist_cache import build_cache
from app.models.train_config import ConfigError, TrainConfig
from app.paths import CACHE_DIR
from app.pen.negatives import build_negative_cache, letters_source
from app.pen.number_candidates import build_candidate_cache, build_picture_candidate_cache
from app.pen.pen_data import build_pen_cache, pen_source
from app.pixels import to_unit_float32
from app.resources import require_memory
from app.words import plural


def split_validation(n_originals: int, copies: int, validation: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation indices into the cache (originals, then ``copies`` augmented copies).

    Validation uses originals only, and none of their augmented copies is trained on: a copy of a
    validation digit in the training set would make the validation score a lie.
    """
    total = n_originals * (1 + copies)
    if validation <= 0:
        return np.arange(total), np.array([], dtype=np.int64)
    if validation >= n_originals:
        raise ConfigError(f"validation {validation} must be smaller than the {n_originals} training images")
    held = np.random.default_rng(seed).choice(n_originals, validation, replace=False)
    mask = np.ones(total, bool)
    for c in range(copies + 1):
        mask[held + c * n_originals] = False
    return np.flatnonzero(mask), np.sort(held)


# ---------------------------------------------------------------------------
# The data of a run
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class RunData:
    x: np.ndarray
    y: np.ndarray
    validation: tuple[np.ndarray, np.ndarray] | None
    pen_validation: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray]
    metadata: dict
    negative_validation: tuple[np.ndarray, np.ndarray] | None = None
    plain_rows: np.ndarray | None = None   # rows of x that are plain pictures (no augmented copy): the polish


def prepare_data(config: TrainConfig, cache_dir: Path = CACHE_DIR, progress: bool = True, log=print) -> RunData:
    """Everything ``train`` feeds the network, as float32, with a description for ``model.json``."""
    params = config.augment_params()
    if config.pen_copies:   # a missing pen-digit file is said now, with train's flag, not after the MNIST cache
        config = dataclasses.replace(config, pen_source=str(pen_source(
            config.pen_source and Path(config.pen_source), cache_dir, progress, flag="--pen-source")))
    dataset = build_cache(config.dataset, config.source and Path(config.source), config.copies, params, config.seed,
                          cache_dir, progress=progress, log=log)
    train_idx, val_idx = split_validation(dataset.meta["counts"]["originals"], config.copies, config.validation,
                                          config.seed)
    pen, pen_train, pen_val, held = _pen_rows(config, cache_dir, progress, log)
    neg, neg_train, neg_val, neg_held = _negative_rows(config, cache_dir, progress, log)
    numbers = _number_rows(config, held, cache_dir, progress, log) if neg is not None else None
    pictured = _pictured_number_rows(config, dataset, train_idx, cache_dir, progress, log) if neg is not None else None
    number_sets = [found for found in (numbers, pictured) if found is not None]
    number_rows = sum(len(found.y) for found in number_sets)
    # One float32 array for everything trained on, filled in place from the uint8 caches: the
    # whole cache as float32 and then a selection of it would hold two float copies at once.
    rows = len(train_idx) + len(pen_train) + len(neg_train) + number_rows
    require_memory(rows * 28 * 28 * 4, f"training on {rows:,} images", "use fewer --copies or --pen-copies")
    x = np.empty((rows, 28, 28), np.float32)
    dataset.float32(rows=train_idx, out=x[:len(train_idx)])
    y = np.asarray(dataset.y_train)[train_idx]
    metadata = {"data": {"cache": dataset.path.name, "source_sha256": dataset.meta["source_sha256"],
                         "copies": config.copies, "validation_images": len(val_idx)}}
    pen_validation = None
    if pen is not None:
        to_unit_float32(pen.x, pen_train, out=x[len(train_idx):len(train_idx) + len(pen_train)])
        y = np.concatenate([y, np.asarray(pen.y)[pen_train]])
        if len(pen_val):
            pen_validation = (to_unit_float32(pen.x, pen_val), np.asarray(pen.y)[pen_val])
        metadata["pen"] = {"cache": pen.path.name, "source_sha256": pen.meta["source_sha256"],
                           "copies": config.pen_copies, "train_images": int(len(pen_train)),
                           "validation_images": int(len(pen_val)), "held_out_writers": held}
    negative_validation = None
    if neg is not None:
        to_unit_float32(neg.x, neg_train, out=x[len(train_idx) + len(pen_train):rows - number_rows])
        y = np.concatenate([y, np.asarray(neg.y)[neg_train]])
        negative_validation = (to_unit_float32(neg.x, neg_val), np.asarray(neg.y)[neg_val]) if len(neg_val) else None
        metadata["negatives"] = {"cache": neg.path.name, "letters_sha256": neg.meta["source_sha256"],
                                 "letters": neg.meta["counts"]["letters"], "generated": neg.meta["counts"]["generated"],
                                 "copies": config.negative_copies, "train_images": int(len(neg_train)),
                                 "validation_images": int(len(neg_val)), "held_out_writers": neg_held}
    at = rows - number_rows
    for found in number_sets:
        to_unit_float32(found.x, out=x[at:at + len(found.y)])
        y = np.concatenate([y, np.asarray(found.y)])
        at += len(found.y)
    if config.personal:
        x, y = _with_personal(x, y, config.copies, params, config.seed, log)
    metadata["data"]["train_images"] = len(x)
    validation = (dataset.float32(rows=val_idx), np.asarray(dataset.y_train)[val_idx]) if len(val_idx) else None
    log(f"training {config.layers} {config.activation} on {len(x)} images ({len(train_idx)} {config.dataset} with "
        f"{plural(config.copies, 'augmented copy', 'augmented copies')}, {plural(len(pen_train), 'pen-digit rendering')}, "
        f"{len(neg_train)} that are not digits, {number_rows} number candidates), "
        f"validating on {len(val_idx)} "
        f"{config.dataset} and {plural(len(pen_val), 'pen digit')} of held-out writers, for {plural(config.epochs, 'epoch')}")
    # The plain pictures among the rows trained on: MNIST's originals, each pen digit and each negative
    # drawn plainly (their copy 0); the polish after the main epochs uses them alone.
    plain = [np.flatnonzero(train_idx < dataset.meta["counts"]["originals"])]
    offset = len(train_idx)
    if pen is not None:
        plain.append(offset + np.flatnonzero(pen_train < pen.digits))
        offset += len(pen_train)
    if neg is not None:
        plain.append(offset + np.flatnonzero(neg_train < len(neg.y) // (config.negative_copies + 1)))
    if number_sets:
        plain.append(rows - number_rows + _number_polish(config, numbers, pictured, sum(len(p) for p in plain), metadata))
    return RunData(x, y, validation, pen_validation, (dataset.float32("x_test"), np.asarray(dataset.y_test)), metadata,
                   negative_validation, np.concatenate(plain))


def _pen_rows(config: TrainConfig, cache_dir: Path, progress: bool, log):
    """The rendered pen digits (or None with ``pen_copies`` 0), their training rows, the validation
    rows of the held-out writers, and those writers."""
    if not config.pen_copies:
        return None, np.array([], np.int64), np.array([], np.int64), []
    pen = build_pen_cache(config.pen_source and Path(config.pen_source), config.pen_copies, seed=config.seed,
                          cache_dir=cache_dir, progress=progress, log=log)
    pen_train, pen_val, held = pen.split(config.pen_validation_writers, config.seed)
    log(f"pen digits: {pen.digits} by {pen.meta['counts']['writers']} writers, {plural(config.pen_copies, 'augmented rendering')} "
        f"each; writers {held} held out for validation")
    return pen, pen_train, pen_val, held


def _negative_rows(config: TrainConfig, cache_dir: Path, progress: bool, log):
    """The rendered negatives (or None without them), their training rows, the validation rows (the
    letters of held-out writers) and those writers."""
    if config.outputs == 10:
        if config.negatives:
            log("not a digit: not learned (it is taught with the pen digits, and --pen-copies is 0)")
        return None, np.array([], np.int64), np.array([], np.int64), []
    letters = letters_source(config.letters_source and Path(config.letters_source), cache_dir)
    if letters is None:
        log("not a digit: no letters file (--letters-source FILE or DIGITS_LETTERS_SOURCE), so it is learned from "
            "generated marks alone; with the UNIPEN letters it also learns letters and symbols")
    neg = build_negative_cache(letters, Path(config.pen_source), config.negative_copies, config.generated,
                               config.seed, cache_dir, progress=progress, log=log)
    train_rows, val_rows, held = neg.split(config.letters_validation_writers if letters else 0, config.seed)
    return neg, train_rows, val_rows, held


def _number_rows(config: TrainConfig, held: list[int], cache_dir: Path, progress: bool, log):
    """The number readers' candidates (``app/pen/number_candidates.py``) cut from numbers written by the
    training writers, all trained on; None with ``number_candidates`` 0."""
    if not config.number_candidates:
        return None
    return build_candidate_cache(Path(config.pen_source), held, config.number_candidates, config.seed, cache_dir,
                                 progress=progress, log=log)


def _pictured_number_rows(config: TrainConfig, dataset, train_idx: np.ndarray, cache_dir: Path, progress: bool, log):
    """The picture reader's candidates cut from numbers written with MNIST's training originals (none of
    the validation ones), all trained on; None with ``mnist_number_candidates`` 0, and for another
    dataset than MNIST (Fashion-MNIST's pictures are no digits to write numbers with)."""
    if not config.mnist_number_candidates or config.dataset != "mnist":
        return None
    originals = np.sort(train_idx[train_idx < dataset.meta["counts"]["originals"]])
    return build_picture_candidate_cache(np.asarray(dataset.x_train[originals]), np.asarray(dataset.y_train[originals]),
                                         dataset.path.name, dataset.meta["source_sha256"], config.mnist_number_candidates,
                                         config.seed, cache_dir, progress=progress, log=log)


def _number_polish(config: TrainConfig, numbers, pictured, others: int, metadata: dict) -> np.ndarray:
    """The number candidates (of pen numbers, then of MNIST numbers) the polish takes besides the
    ``others`` plain pictures (they are all plain: read as they are): ``number_polish_share`` of the
    polish, at random from both; said in ``metadata`` (``polish_images``: of both, with the first)."""
    share, total = config.number_polish_share, sum(len(found.y) for found in (numbers, pictured) if found is not None)
    wanted = min(total, int(round(share / (1 - share) * others)))
    chosen = np.sort(np.random.default_rng([config.seed, 41]).permutation(total)[:wanted])
    for key, found in (("numbers", numbers), ("mnist numbers", pictured)):
        if found is not None:
            metadata[key] = {"cache": found.path.name, "numbers": found.meta["counts"]["numbers"],
                             "train_images": len(found.y),
                             **{k: found.meta["counts"][k] for k in ("whole digits", "pieces", "parts of two")}}
    metadata["numbers" if numbers is not None else "mnist numbers"]["polish_images"] = int(wanted)
    return chosen


def _with_personal(x: np.ndarray, y: np.ndarray, copies: int, params, seed: int, log) -> tuple[np.ndarray, np.ndarray]:
    """Add the user's saved drawings, augmented as many times as MNIST is, to the training set."""
    from app.personal import PersonalDataset

    store = PersonalDataset()
    images, labels = store.require_arrays()
    extra = [images] + [augment(images, params, seed=seed * 1000 + 500 + c) for c in range(copies)]
    log(f"adding {plural(len(labels), 'personal drawing')} x {copies + 1} from {store.folder}")
    x = np.concatenate([x, to_unit_float32(np.concatenate(extra))])
    return x, np.concatenate([y, np.tile(labels, copies + 1)])
