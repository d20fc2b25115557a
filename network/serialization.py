"""Save and load models without pickle: ``model.json`` describes, ``weights.npz`` holds the numbers.

``model.json`` carries a format version, the architecture (layer classes from a
fixed whitelist, with plain JSON configs), the training set-up, the history,
free-form metadata and the SHA-256 of ``weights.npz``. The arrays are read with
``allow_pickle=False``, so a file can never run code. Every way a file can be
wrong (missing, truncated, edited, swapped, from a newer version) ends in one
``ModelFileError`` that names the file and the problem.

This module knows the files, not the model class: ``save_model`` reads what any built model offers
(its layers, their configs and arrays), ``read_model`` gives back checked layers and arrays, and
``Sequential.save`` / ``Sequential.load`` (network/model.py, above this module) call them.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_write, deferred_interrupts
from .errors import ModelFileError
from .layers import Conv2D, Dense, Flatten, layer_from_config

FORMAT = "numpy-mlp-model"
FORMAT_VERSION = 1
CONFIG_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
MAX_CONFIG_BYTES = 16 << 20       # model.json: architecture, history and metadata are a few kB
MAX_PARAMETERS = 200_000_000      # 800 MB of float32: beyond what training allows (74 M), the default has 1.3 M
MAX_UNITS = 100_000               # per layer


def _model_paths(path) -> tuple[Path, Path]:
    path = Path(path)
    if path.suffix == ".json":
        return path, path.with_name(WEIGHTS_FILE)
    return path / CONFIG_FILE, path / WEIGHTS_FILE


def save_model(model, path, metadata: dict | None = None, include_optimizer: bool = True) -> None:
    """Write the model to the directory ``path`` (created if needed); both files atomically.

    The weights are written first and the description last, with the weights'
    hash inside it, so an interruption between the two is detected on load.
    """
    if not model.built:
        model.build()
    config_path, weights_path = _model_paths(path)
    arrays = {f"layer{i}.{k}": p for i, layer in enumerate(model.layers) for k, p in layer.params.items()}
    description = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": model.name,
        "seed": model.seed,
        "dtype": model.dtype.name,
        "input_shape": list(model.input_shape),
        "layers": [{"class": type(layer).__name__, "config": layer.get_config()} for layer in model.layers],
    }
    if model.compiled:
        opt = model.optimizer
        description["compile"] = {
            "loss": model.loss.name,
            "optimizer": opt.get_config(),
            "metrics": list(model.metrics),
            "lr_schedule": model.lr_schedule.get_config() if model.lr_schedule else None,
            "iterations": opt.iterations if include_optimizer else 0,
        }
        if include_optimizer:
            for name, states in opt.state.items():
                for j, s in enumerate(states):
                    arrays[f"optimizer.{name}.{j}"] = s
    model.metadata.update(metadata or {})
    description["history"] = model.history
    description["metadata"] = model.metadata

    with deferred_interrupts():   # Ctrl-C as a checkpoint is written: the checkpoint first, then the stop
        _write(arrays, description, config_path, weights_path)


def _write(arrays: dict, description: dict, config_path: Path, weights_path: Path) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # about 7 % smaller for trained float32 weights
    data = buffer.getvalue()
    description["weights"] = {
        "file": weights_path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "arrays": {k: {"shape": list(v.shape), "dtype": v.dtype.name} for k, v in arrays.items()},
    }
    text = json.dumps(description, indent=2, default=_json_default, allow_nan=False)
    with atomic_write(weights_path) as f:
        f.write(data)
    with atomic_write(config_path, "w") as f:
        f.write(text + "\n")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in model.json")


def _read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; a FIFO, a device or a huge file is
    refused before it is opened for reading (a FIFO would block forever)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ModelFileError(path, "file not found") from None
    except OSError as e:
        raise ModelFileError(path, f"cannot be read ({e.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError(path, "is not a regular file")
    if info.st_size > limit:
        raise ModelFileError(path, f"is {info.st_size} bytes, more than a model file may be ({limit})")
    try:
        with open(path, "rb") as f:
            return f.read(limit + 1)
    except OSError as e:
        raise ModelFileError(path, f"cannot be read ({e.strerror})") from None


def read_description(path) -> dict:
    """The parsed, checked ``model.json`` of a saved model (without loading its weights)."""
    config_path, _ = _model_paths(path)
    raw = _read_bounded(config_path, MAX_CONFIG_BYTES)
    try:
        desc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelFileError(config_path, "is not UTF-8 text") from None
    except RecursionError:
        raise ModelFileError(config_path, "is nested too deeply to be a model description") from None
    except json.JSONDecodeError as e:
        raise ModelFileError(config_path, f"is not valid JSON ({e.msg} at line {e.lineno}): truncated or edited?") from None
    if not isinstance(desc, dict) or desc.get("format") != FORMAT:
        raise ModelFileError(config_path, f"is not a saved model (expected format {FORMAT!r})")
    version = desc.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(config_path, f"has an invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(config_path, f"has format version {version}, newer than this program reads "
                                          f"({FORMAT_VERSION}); update the program")
    for key, kind in (("layers", list), ("weights", dict), ("input_shape", list)):
        if not isinstance(desc.get(key), kind):
            raise ModelFileError(config_path, f"has no valid {key!r} entry")
    for key, kind in (("history", dict), ("metadata", dict), ("compile", dict)):
        if key in desc and desc[key] is not None and not isinstance(desc[key], kind):
            raise ModelFileError(config_path, f"has an invalid {key!r} entry ({type(desc[key]).__name__})")
    history = desc.get("history") or {}
    if not all(isinstance(v, list) and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in v)
               for v in history.values()):
        raise ModelFileError(config_path, "has an invalid 'history' entry (each metric must be a list of numbers)")
    arrays = desc["weights"].get("arrays")
    if not isinstance(arrays, dict) or not all(
            isinstance(a, dict) and isinstance(a.get("shape"), list) and all(type(d) is int and 0 <= d for d in a["shape"])
            for a in arrays.values()):
        raise ModelFileError(config_path, "has no valid list of weight arrays")
    total = sum(math.prod(a["shape"]) for a in arrays.values())
    if total > MAX_PARAMETERS:
        raise ModelFileError(config_path, f"describes {total} numbers, more than a model may hold ({MAX_PARAMETERS})")
    return desc


def _read_arrays(config_path: Path, weights_path: Path, expected: dict) -> dict[str, np.ndarray]:
    wanted = expected.get("arrays", {})
    # The file can be no larger than its arrays stored uncompressed in float64, plus headers.
    limit = sum(8 * math.prod(a["shape"]) + 1024 for a in wanted.values()) + 4096
    if not weights_path.exists():
        raise ModelFileError(weights_path, "file not found (model.json refers to it)")
    data = _read_bounded(weights_path, limit)
    if hashlib.sha256(data).hexdigest() != expected.get("sha256"):
        raise ModelFileError(weights_path, f"does not match {config_path.name} (SHA-256 differs): "
                                           "the file was truncated, modified or replaced")
    try:
        # Names and sizes from the zip directory, before anything is decompressed.
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                if name not in wanted:
                    raise ModelFileError(weights_path, f"holds an array {name!r} that {config_path.name} does not list")
                if info.file_size > 8 * math.prod(wanted[name]["shape"]) + 1024:
                    raise ModelFileError(weights_path, f"array {name!r} is larger than its listed shape")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ModelFileError:
        raise
    except Exception as e:   # numpy and zipfile raise many kinds: a malformed .npy header, a TokenError, a MemoryError
        raise ModelFileError(weights_path, f"is not a valid weights archive ({type(e).__name__}: {e})") from None
    if set(arrays) != set(wanted):
        raise ModelFileError(weights_path, f"holds arrays {sorted(arrays)} but {config_path.name} lists {sorted(wanted)}")
    for k, a in arrays.items():
        if a.dtype.kind != "f" or list(a.shape) != wanted[k].get("shape"):
            raise ModelFileError(weights_path, f"array {k!r} is {a.dtype}{list(a.shape)}, expected float{wanted[k].get('shape')}")
        if not np.isfinite(a).all():
            raise ModelFileError(weights_path, f"array {k!r} contains NaN or infinity")
    return arrays


@dataclass
class SavedModel:
    """A checked saved model, read but not yet a model: its description, its layers (built from the
    whitelist, their sizes bounded) and its arrays. ``Sequential.load`` makes the model and hands it
    to ``restore``; this module never needs the model class, so it sits below it."""
    description: dict
    layers: list
    input_shape: tuple[int, ...]
    arrays: dict[str, np.ndarray]
    config_path: Path
    weights_path: Path

    @property
    def seed(self):
        return self.description.get("seed")

    @property
    def name(self) -> str:
        return str(self.description.get("name", "model"))

    def restore(self, model) -> None:
        """Build ``model`` (made from ``layers``) and give it the saved weights, history, metadata,
        training set-up and optimiser state."""
        desc, arrays = self.description, self.arrays
        try:
            model.build(self.input_shape)
        except (ValueError, TypeError, RuntimeError) as e:
            raise ModelFileError(self.config_path, f"describes an invalid model: {e}") from None
        for i, layer in enumerate(model.layers):
            for k in layer.params:
                key = f"layer{i}.{k}"
                if key not in arrays or arrays[key].shape != layer.params[k].shape:
                    raise ModelFileError(self.weights_path, f"array {key!r} does not fit layer {i} ({type(layer).__name__})")
                layer.params[k][...] = arrays[key]
        history = desc.get("history")
        model.history = {k: list(v) for k, v in history.items()} if isinstance(history, dict) else {}
        model.metadata = desc.get("metadata") if isinstance(desc.get("metadata"), dict) else {}
        setup = desc.get("compile")
        if isinstance(setup, dict):
            self._restore_training_setup(model, setup)

    def _restore_training_setup(self, model, setup: dict) -> None:
        try:
            model.compile(loss=setup["loss"], optimizer=setup["optimizer"], metrics=setup.get("metrics", ["accuracy"]),
                          lr_schedule=setup.get("lr_schedule"))
        except (ValueError, TypeError, KeyError) as e:
            raise ModelFileError(self.config_path, f"has an invalid training set-up: {e}") from None
        opt = model.optimizer
        for name, states in opt.state.items():
            for j, s in enumerate(states):
                key = f"optimizer.{name}.{j}"
                if key in self.arrays and self.arrays[key].size == s.size:
                    s[...] = self.arrays[key].reshape(s.shape)
        iterations = setup.get("iterations", 0)
        opt.iterations = int(iterations) if isinstance(iterations, int) and not math.isnan(iterations) else 0


def read_model(path) -> SavedModel:
    """Read and check a saved model's two files: its layers are built (sizes bounded before any
    weight is allocated) and its arrays read; ``Sequential.load`` turns the result into a model."""
    config_path, weights_path = _model_paths(path)
    desc = read_description(path)
    if desc["weights"].get("file") != WEIGHTS_FILE:
        raise ModelFileError(config_path, f"names weights file {desc['weights'].get('file')!r}; "
                                          f"only {WEIGHTS_FILE!r} in its own folder is read")
    try:
        input_shape = tuple(int(d) for d in desc["input_shape"])
        if not 0 < math.prod(input_shape) <= MAX_UNITS:
            raise ValueError(f"input shape {input_shape} is not a size a model can have")
        layers, shape, parameters = [], input_shape, 0
        for i, entry in enumerate(desc["layers"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
                raise ValueError(f"layer {i} has no config")
            if isinstance(entry["config"].get("units"), int) and entry["config"]["units"] > MAX_UNITS:
                raise ValueError(f"layer {i} has {entry['config']['units']} units, more than {MAX_UNITS}")
            layer = layer_from_config(str(entry.get("class")), entry["config"])
            # Sizes checked and weights counted, layer by layer, before any is allocated.
            if isinstance(layer, Dense):
                parameters += (math.prod(shape) + 1) * layer.units
                shape = (layer.units,)
            elif isinstance(layer, Conv2D):
                channels = shape[2] if len(shape) == 3 else 1
                parameters += (layer.kernel_size ** 2 * channels + 1) * layer.filters
                shape = layer.shape_after(shape)
                if math.prod(shape) > MAX_UNITS:
                    raise ValueError(f"layer {i} has {math.prod(shape)} outputs, more than {MAX_UNITS}")
            elif isinstance(layer, Flatten):
                shape = (math.prod(shape),)
            if parameters > MAX_PARAMETERS:
                raise ValueError(f"its layers hold over {parameters:,} numbers, more than a model may ({MAX_PARAMETERS:,})")
            layers.append(layer)
    except (ValueError, TypeError, RuntimeError) as e:
        raise ModelFileError(config_path, f"describes an invalid model: {e}") from None
    arrays = _read_arrays(config_path, weights_path, desc["weights"])
    return SavedModel(desc, layers, input_shape, arrays, config_path, weights_path)
