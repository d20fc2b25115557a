"""Training a digit model: the settings (``TrainConfig``) and the recipe (``train``).

``TrainConfig`` is the one description of a training run: the command line builds it, it is
checked when it is made (every value, with the value shown), stored in ``model.json`` as
``train_args``, and a resumed run is rebuilt from the stored one. Its defaults are the recipe of
the shipped model (docs/default-model.md).

The recipe: MNIST with ``copies`` augmented copies (``app/data/mnist_cache.py``), plus real pen-drawn
digits rendered as canvas drawings (``app/pen/pen_data.py``), minus the held-out validation data (MNIST
originals, and whole pen writers, none of whose copies is trained on); SGD with momentum and a
cosine schedule; early stopping on the MNIST validation accuracy; a checkpoint after every epoch
and every few minutes, and on Ctrl-C; the finished model swapped in only at the end, and only if it
learned something.
"""
from __future__ import annotations

import dataclasses
import math
import shutil
import time
from pathlib import Path

import numpy as np

from app.data.augment import AugmentParams, augment
from app.data.mnist_cache import build_cache
from app.errors import AppError
from app.models.model_store import CHECKPOINTS, DEFAULT_MODEL, ModelStoreError, exists, model_lock, model_path, own_folder, save_final
from app.models.plots import save_learning_curves
from app.paths import CACHE_DIR, MODELS_DIR
from app.pen.pen_data import build_pen_cache
from app.pixels import to_unit_float32
from app.resources import require_memory

PREPROCESSING_VERSION = 1
CHANCE_MARGIN = 0.2          # a model under 20 % on ten classes has learned (almost) nothing: not saved
CHECKPOINT_EVERY_S = 180.0   # a checkpoint at least this often, inside long epochs too
CHOICES = {"activation": ("tanh", "relu", "sigmoid", "leaky_relu"), "loss": ("categorical_crossentropy", "mse"),
           "optimizer": ("sgd", "rmsprop", "adam", "adamw"), "schedule": ("constant", "cosine", "step", "exponential"),
           "dataset": ("mnist", "fashion")}
MAX_UNITS = 8192             # per hidden layer: 784-8192-8192-10 is 74 M weights, already more than 2 cores train
MAX_HIDDEN_LAYERS = 8


class ConfigError(AppError, ValueError):
    """A training setting out of range; the message names it and shows the value received."""


@dataclasses.dataclass
class TrainConfig:
    name: str = DEFAULT_MODEL
    layers: str = "784,800,800,10"
    activation: str = "tanh"
    loss: str = "categorical_crossentropy"
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    schedule: str = "cosine"
    warmup: float = 0.0
    weight_decay: float = 0.0
    dropout: float = 0.2
    epochs: int = 16
    batch_size: int = 128
    copies: int = 25
    validation: int = 5000
    patience: int = 4
    seed: int = 0
    dataset: str = "mnist"
    source: str | None = None
    augment: dict = dataclasses.field(default_factory=lambda: {"thickness": 0.3})
    pen_copies: int = 30
    pen_source: str | None = None
    pen_validation_writers: int = 4
    personal: bool = False
    workers: int | str = "auto"   # processes sharing each batch (network/parallel.py); changes speed, not results

    def __post_init__(self) -> None:
        model_path(self.name)  # the name rules, whatever the folder
        for key, options in CHOICES.items():
            if getattr(self, key) not in options:
                raise ConfigError(f"{key} must be one of {', '.join(options)}, got {getattr(self, key)!r}")
        _number("lr", self.lr, 0, 10, low_open=True)
        _number("momentum", self.momentum, 0, 1, high_open=True)
        _number("warmup", self.warmup, 0, 1000)
        _number("weight_decay", self.weight_decay, 0, 1)
        _number("dropout", self.dropout, 0, 0.9)
        for key, low, high in (("epochs", 1, 10000), ("batch_size", 1, 65536), ("copies", 0, 1000),
                               ("validation", 0, 10**6), ("patience", 0, 10000), ("seed", 0, 2**32 - 1),
                               ("pen_copies", 0, 1000), ("pen_validation_writers", 0, 1000)):
            value = getattr(self, key)
            if type(value) is not int or not low <= value <= high:
                raise ConfigError(f"{key} must be a whole number from {low} to {high}, got {value!r}")
        if self.workers != "auto" and (type(self.workers) is not int or not 1 <= self.workers <= 64):
            raise ConfigError(f'workers must be "auto" or a whole number from 1 to 64, got {self.workers!r}')
        self.layer_sizes()
        self.augment_params()

    # -- derived settings ------------------------------------------------
    def layer_sizes(self) -> list[int]:
        try:
            sizes = [int(s) for s in str(self.layers).split(",")]
        except ValueError:
            raise ConfigError(f"layers must be comma-separated integers like 784,800,800,10, got {self.layers!r}") from None
        if len(sizes) < 2 or sizes[0] != 784 or sizes[-1] != 10:
            raise ConfigError(f"layers must start with 784 (28x28 inputs) and end with 10 (digits), got {self.layers!r}")
        hidden = sizes[1:-1]
        if len(hidden) > MAX_HIDDEN_LAYERS or any(not 1 <= u <= MAX_UNITS for u in hidden):
            raise ConfigError(f"layers: at most {MAX_HIDDEN_LAYERS} hidden layers of 1 to {MAX_UNITS} units, "
                              f"got {self.layers!r}")
        return sizes

    def augment_params(self) -> AugmentParams:
        if not isinstance(self.augment, dict):
            raise ConfigError(f"augment must be a JSON object like {{\"rotation\": 15}}, got {self.augment!r}")
        known = {f.name for f in dataclasses.fields(AugmentParams)}
        unknown = sorted(set(self.augment) - known)
        if unknown:
            raise ConfigError(f"augment: unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        for key, value in self.augment.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"augment: {key} must be a number, got {value!r}")
        try:
            return AugmentParams(**self.augment)
        except ValueError as e:
            raise ConfigError(f"augment: {e}") from None

    def optimizer_spec(self) -> dict:
        spec = {"name": self.optimizer, "learning_rate": self.lr}
        if self.optimizer == "sgd":
            spec["momentum"] = self.momentum
        if self.weight_decay:
            spec["weight_decay"] = self.weight_decay
        return spec

    def schedule_spec(self) -> dict | None:
        lr = self.lr
        schedule = {
            "constant": None,
            "cosine": {"name": "cosine", "learning_rate": lr, "epochs": self.epochs, "min_learning_rate": lr * 0.01},
            "step": {"name": "step", "learning_rate": lr, "drop": 0.5, "every": max(1, self.epochs // 4)},
            "exponential": {"name": "exponential", "learning_rate": lr, "rate": 0.9},
        }[self.schedule]
        if self.warmup:
            schedule = {"name": "warmup", "schedule": schedule or {"name": "constant", "learning_rate": lr},
                        "warmup_epochs": self.warmup}
        return schedule

    # -- storage -----------------------------------------------------------
    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, stored: dict) -> TrainConfig:
        """The settings stored in a model's ``train_args`` (runs from before pen digits had none)."""
        if not isinstance(stored, dict):
            raise ConfigError(f"stored training settings are not a JSON object: {str(stored)[:40]!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{"pen_copies": 0, **{k: v for k, v in stored.items() if k in known}})


def _number(key: str, value, low: float, high: float, low_open: bool = False, high_open: bool = False) -> None:
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          and (low < value if low_open else low <= value) and (value < high if high_open else value <= high))
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ConfigError(f"{key} must be a number in {interval}, got {value!r}")


def build_model(config: TrainConfig):
    from network import Dense, Dropout, Flatten, Sequential

    sizes = config.layer_sizes()
    model = Sequential([Flatten(input_shape=(28, 28))], seed=config.seed, name="digits")
    for units in sizes[1:-1]:
        model.add(Dense(units, config.activation))
        if config.dropout:
            model.add(Dropout(config.dropout))
    model.add(Dense(10, "softmax"))
    model.build()
    model.compile(loss=config.loss, optimizer=config.optimizer_spec(), lr_schedule=config.schedule_spec())
    return model


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


def prepare_data(config: TrainConfig, cache_dir: Path = CACHE_DIR, progress: bool = True, log=print) -> RunData:
    """Everything ``train`` feeds the network, as float32, with a description for ``model.json``."""
    params = config.augment_params()
    dataset = build_cache(config.dataset, config.source and Path(config.source), config.copies, params, config.seed,
                          cache_dir, progress=progress, log=log)
    train_idx, val_idx = split_validation(dataset.meta["counts"]["originals"], config.copies, config.validation,
                                          config.seed)
    pen, pen_train, pen_val, held = _pen_rows(config, cache_dir, progress, log)
    # One float32 array for everything trained on, filled in place from the uint8 caches: the
    # whole cache as float32 and then a selection of it would hold two float copies at once.
    rows = len(train_idx) + len(pen_train)
    require_memory(rows * 28 * 28 * 4, f"training on {rows:,} images", "use fewer --copies or --pen-copies")
    x = np.empty((rows, 28, 28), np.float32)
    dataset.float32(rows=train_idx, out=x[:len(train_idx)])
    y = np.asarray(dataset.y_train)[train_idx]
    metadata = {"data": {"cache": dataset.path.name, "source_sha256": dataset.meta["source_sha256"],
                         "copies": config.copies, "validation_images": len(val_idx)}}
    pen_validation = None
    if pen is not None:
        to_unit_float32(pen.x, pen_train, out=x[len(train_idx):])
        y = np.concatenate([y, np.asarray(pen.y)[pen_train]])
        if len(pen_val):
            pen_validation = (to_unit_float32(pen.x, pen_val), np.asarray(pen.y)[pen_val])
        metadata["pen"] = {"cache": pen.path.name, "source_sha256": pen.meta["source_sha256"],
                           "copies": config.pen_copies, "train_images": int(len(pen_train)),
                           "validation_images": int(len(pen_val)), "held_out_writers": held}
    if config.personal:
        x, y = _with_personal(x, y, config.copies, params, config.seed, log)
    metadata["data"]["train_images"] = len(x)
    validation = (dataset.float32(rows=val_idx), np.asarray(dataset.y_train)[val_idx]) if len(val_idx) else None
    log(f"training {config.layers} {config.activation} on {len(x)} images ({len(train_idx)} {config.dataset} with "
        f"{config.copies} augmented copies, {len(pen_train)} pen-digit renderings), validating on {len(val_idx)} "
        f"{config.dataset} and {len(pen_val)} pen digits of held-out writers, for {config.epochs} epochs")
    return RunData(x, y, validation, pen_validation, (dataset.float32("x_test"), np.asarray(dataset.y_test)), metadata)


def _pen_rows(config: TrainConfig, cache_dir: Path, progress: bool, log):
    """The rendered pen digits (or None with ``pen_copies`` 0), their training rows, the validation
    rows of the held-out writers, and those writers."""
    if not config.pen_copies:
        return None, np.array([], np.int64), np.array([], np.int64), []
    pen = build_pen_cache(config.pen_source and Path(config.pen_source), config.pen_copies, seed=config.seed,
                          cache_dir=cache_dir, progress=progress, log=log)
    pen_train, pen_val, held = pen.split(config.pen_validation_writers, config.seed)
    log(f"pen digits: {pen.digits} by {pen.meta['counts']['writers']} writers, {config.pen_copies} augmented "
        f"renderings each; writers {held} held out for validation")
    return pen, pen_train, pen_val, held


def _with_personal(x: np.ndarray, y: np.ndarray, copies: int, params, seed: int, log) -> tuple[np.ndarray, np.ndarray]:
    """Add the user's saved drawings, augmented as many times as MNIST is, to the training set."""
    from app.personal import PersonalDataset

    store = PersonalDataset()
    images, labels = store.require_arrays()
    extra = [images] + [augment(images, params, seed=seed * 1000 + 500 + c) for c in range(copies)]
    log(f"adding {len(labels)} personal drawings x {copies + 1} from {store.folder}")
    x = np.concatenate([x, to_unit_float32(np.concatenate(extra))])
    return x, np.concatenate([y, np.tile(labels, copies + 1)])


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

class TrainingFailed(AppError):
    """Training ended without a model worth keeping (nothing was saved)."""


class TrainingInterrupted(AppError):
    """Ctrl-C during training: what was learned is in a checkpoint, and the message says how to go on."""


def checkpoint_path(name: str, models_dir: Path = MODELS_DIR) -> Path:
    """Where the interrupted run ``name`` keeps its checkpoint: never through a symbolic link (the
    checkpoint is written there and deleted at the end; through a link that would be elsewhere)."""
    path = own_folder(models_dir, CHECKPOINTS) / model_path(name, models_dir).name
    if path.is_symlink():
        raise ModelStoreError(f"{path} is a symbolic link; remove it (checkpoints are written and deleted there)")
    return path


def resume_config(name: str, models_dir: Path = MODELS_DIR):
    """The interrupted run ``name``: its checkpointed model and its settings."""
    from network import ModelFileError, load_model

    checkpoint = checkpoint_path(name, models_dir)
    if not (checkpoint / "model.json").exists():
        raise ModelStoreError(f"no interrupted run named {name!r} to resume (looked in {checkpoint})")
    try:
        model = load_model(checkpoint)
        config = TrainConfig.from_json(model.metadata.get("train_args"))
        # The run is the one asked for: a checkpoint folder renamed (rr -> rr-keep) finishes as
        # rr-keep, under the lock taken for that name, never as the name written inside it.
        return model, dataclasses.replace(config, name=name)
    except (ModelFileError, ConfigError, TypeError) as e:
        raise ModelStoreError(f"the checkpoint of {name!r} cannot be resumed ({e}); delete {checkpoint} "
                              "and train again") from None


def train(config: TrainConfig, models_dir: Path = MODELS_DIR, overwrite: bool = False, resume: bool = False,
          quiet: bool = False, log=print, cache_dir: Path = CACHE_DIR) -> Path:
    """Train as ``config`` says (or continue the interrupted run of that name); returns the saved model."""
    from network import EarlyStopping, ExtraValidation, ModelCheckpoint

    models_dir = Path(models_dir)
    with model_lock(config.name, models_dir):
        if resume:
            model, config = resume_config(config.name, models_dir)
            overwrite = overwrite or bool(model.metadata.get("overwrite"))
            log(f"resuming {config.name!r} after epoch {len(model.history.get('loss', []))} of {config.epochs}")
        else:
            model = build_model(config)
        if exists(config.name, models_dir) and not overwrite:   # said now, not after hours of training
            raise ModelStoreError(f"a model named {config.name!r} exists already; choose another --name or "
                                  "replace it with --overwrite")
        run = prepare_data(config, cache_dir, progress=not quiet, log=log)
        model.metadata.update(run.metadata)
        model.metadata.update({"train_args": config.to_json(), "overwrite": overwrite})
        model.summary(print_fn=None if quiet else log)
        checkpoint = checkpoint_path(config.name, models_dir)
        callbacks = [ExtraValidation("pen", *run.pen_validation)] if run.pen_validation else []
        if run.validation is not None and config.patience:
            callbacks.append(EarlyStopping(monitor="val_accuracy", patience=config.patience, restore_best_weights=True))
        callbacks.append(ModelCheckpoint(checkpoint, every_seconds=CHECKPOINT_EVERY_S))
        seconds = _fit(model, config, run, callbacks, checkpoint, quiet, log)
        return _finish(model, config, run, seconds, models_dir, overwrite, checkpoint, log)


def _fit(model, config: TrainConfig, run: RunData, callbacks, checkpoint: Path, quiet: bool, log) -> float:
    started = time.perf_counter()
    previous = float(model.metadata.get("training_seconds", 0.0))
    try:
        model.fit(run.x, run.y, epochs=config.epochs, batch_size=config.batch_size, validation_data=run.validation,
                  callbacks=callbacks, verbose=0 if quiet else 1, initial_epoch=len(model.history.get("loss", [])),
                  workers=config.workers)
    except KeyboardInterrupt:   # Ctrl-C: keep what was learned so far, and say how to go on
        model.metadata["training_seconds"] = previous + time.perf_counter() - started
        model.save(checkpoint)
        epochs = len(model.history.get("loss", []))
        raise TrainingInterrupted(f"interrupted: checkpoint saved after {epochs} epoch{'s' * (epochs != 1)} in {checkpoint}; "
                                  f"continue with: .venv/bin/python ModelManager.py train --resume {config.name}") from None
    return previous + time.perf_counter() - started


def _finish(model, config: TrainConfig, run: RunData, seconds: float, models_dir: Path, overwrite: bool,
            checkpoint: Path, log) -> Path:
    result = model.evaluate(*run.test)
    if result["accuracy"] < CHANCE_MARGIN:
        raise TrainingFailed(f"the model reached only {result['accuracy']:.1%} on the test set (chance is 10 %): "
                             f"not saved; try a smaller --lr (it was {config.lr:g}) or more --epochs")
    if run.pen_validation is not None:
        model.metadata["pen"]["validation_accuracy"] = round(model.evaluate(*run.pen_validation)["accuracy"], 5)
    model.metadata.pop("overwrite", None)
    model.metadata.update({
        "test_accuracy": round(result["accuracy"], 5), "test_loss": round(result["loss"], 5),
        "training_seconds": round(seconds, 1), "preprocessing_version": PREPROCESSING_VERSION,
        "created": time.strftime("%Y-%m-%d %H:%M"), "dataset": config.dataset,
    })
    path = save_final(model, config.name, models_dir, overwrite=overwrite,
                      extra=lambda folder: save_learning_curves(model.history, folder / "curves.png", title=config.name))
    shutil.rmtree(checkpoint, ignore_errors=True)
    pen = model.metadata.get("pen", {})
    pen_figure = f", held-out pen digits {pen['validation_accuracy']:.4f}" if "validation_accuracy" in pen else ""
    log(f"{config.dataset} test accuracy {result['accuracy']:.4f}{pen_figure} ({seconds / 60:.1f} min); saved {path}")
    return path
