"""The settings of a training run: ``TrainConfig``, the one description of it.

The command line builds it, it is checked when it is made (every value, with the value shown),
stored in ``model.json`` as ``train_args``, and a resumed run is rebuilt from the stored one. Its
defaults are the recipe of the shipped model (docs/default-model.md).
"""
from __future__ import annotations

import dataclasses
import math

from app.data.augment import AugmentParams
from app.errors import AppError
from app.models.model_store import DEFAULT_MODEL, model_path

PREPROCESSING_VERSION = 1
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
    patience: int = 0                 # the cosine schedule runs its course: its last epochs are the best
    polish_epochs: int = 2            # then a few epochs on the plain (un-augmented) pictures, gently
    seed: int = 0
    dataset: str = "mnist"
    source: str | None = None
    augment: dict = dataclasses.field(default_factory=lambda: {"thickness": 0.3})
    pen_copies: int = 30
    pen_source: str | None = None
    pen_validation_writers: int = 4
    personal: bool = False
    negatives: bool = True            # an eleventh output, "not a digit", taught by letters and generated marks
    negative_copies: int = 5          # augmented renderings of each negative, besides its plain one
    generated: int = 5000             # generated marks (scribbles, hatching, two digits, pieces of digits)
    letters_source: str | None = None   # the UNIPEN letters file (app/pen/negatives.py)
    letters_validation_writers: int = 4
    number_candidates: int = 3000     # numbers cut into what the number readers read (app/pen/number_candidates.py)
    number_polish_share: float = 0.25   # of the polish's pictures that are those candidates
    mnist_number_candidates: int = 3000   # numbers of MNIST training digits cut likewise (their pictures' candidates; MNIST runs only)
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
        _number("number_polish_share", self.number_polish_share, 0, 0.9)
        for key, low, high in (("epochs", 1, 10000), ("batch_size", 1, 65536), ("copies", 0, 1000),
                               ("validation", 0, 10**6), ("patience", 0, 10000), ("seed", 0, 2**32 - 1),
                               ("pen_copies", 0, 1000), ("pen_validation_writers", 0, 1000),
                               ("negative_copies", 0, 100), ("generated", 0, 1_000_000),
                               ("letters_validation_writers", 0, 1000), ("polish_epochs", 0, 100),
                               ("number_candidates", 0, 1_000_000), ("mnist_number_candidates", 0, 1_000_000)):
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
        return cls(**{"pen_copies": 0, "negatives": False, "number_candidates": 0, **{k: v for k, v in stored.items() if k in known}})

    @property
    def outputs(self) -> int:
        """10 digits, and the not-a-digit output when negatives are learned (they need the pen digits)."""
        return 11 if self.negatives and self.pen_copies else 10


def _number(key: str, value, low: float, high: float, low_open: bool = False, high_open: bool = False) -> None:
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          and (low < value if low_open else low <= value) and (value < high if high_open else value <= high))
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ConfigError(f"{key} must be a number in {interval}, got {value!r}")
