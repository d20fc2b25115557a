"""The saved models: one folder per model in ``saved_models/``, looked up by name.

Every look-up goes through ``model_path``, which accepts 1-64 letters, digits, ``.``, ``_``, ``-``
and nothing that could point outside the folder. Models are never replaced by accident:

- ``save_final`` writes a finished model into ``.NAME.new``, then swaps it in (the old one moves
  to ``.NAME.old`` for the moment of the swap). A process killed in between leaves the model
  hidden in one of those, and ``recover`` (run by ``list_models``) puts it back;
- replacing an existing model needs ``overwrite=True``;
- ``model_lock`` lets one process at a time train or save a given name;
- ``delete_model`` refuses symbolic links (it would delete the real model behind the alias).

A damaged model (a bad ``model.json``, a FIFO where a file should be, anything) is listed with
its problem and never takes the listing, the window or ``predict`` down.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from app.errors import AppError
from app.paths import INSTALLED, MODELS_DIR, SHIPPED_MODELS
from network.portable import open_no_follow, try_lock, unlock

DEFAULT_MODEL = "default"
CHECKPOINTS = ".checkpoints"
LOCKS = ".locks"
PAIRS = "pairs"              # a model's pair reader, in its own folder (``train-pairs``)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ModelStoreError(AppError):
    """A model name that is invalid, missing, taken or busy."""


def model_path(name: str, models_dir: Path = MODELS_DIR) -> Path:
    """``models_dir/name``, after checking that the name cannot point anywhere else."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or ".." in name:
        raise ModelStoreError(f"invalid model name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                              "starting with a letter or digit")
    path = Path(models_dir) / name
    root = Path(models_dir).resolve()
    if path.resolve().parent != root and path.resolve() != root / name:
        raise ModelStoreError(f"invalid model name {name!r}: it points outside {models_dir}")
    return path


@dataclasses.dataclass
class ModelInfo:
    name: str
    path: Path
    architecture: str
    accuracy: float | None
    size_bytes: int
    created: str
    error: str | None = None
    pen_accuracy: float | None = None
    pair_reader: bool = False   # it has one (``pairs/``): pictures of crossing digits read better


def provide_shipped_model(models_dir: Path) -> None:
    """Installed with pip, the models live in the user's data folder: the shipped default is copied
    there the first time (whole, then renamed into place), and never over a model of that name."""
    shipped = SHIPPED_MODELS / DEFAULT_MODEL
    if not INSTALLED or Path(models_dir) != MODELS_DIR or (Path(models_dir) / DEFAULT_MODEL).exists() \
            or not (shipped / "model.json").is_file():
        return
    import shutil
    import tempfile

    Path(models_dir).mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=models_dir))
    try:
        shutil.copytree(shipped, temp / DEFAULT_MODEL)
        os.replace(temp / DEFAULT_MODEL, Path(models_dir) / DEFAULT_MODEL)
    except OSError:
        pass   # another process copied it first, or the disk is full: the listing says what is there
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def list_models(models_dir: Path = MODELS_DIR) -> list[ModelInfo]:
    """Every saved model (damaged ones too, with their problem), default first, then by name."""
    models_dir = Path(models_dir)
    provide_shipped_model(models_dir)
    if not models_dir.is_dir():
        return []
    recover(models_dir)
    infos = [_info(folder) for folder in sorted(models_dir.iterdir())
             if not folder.name.startswith(".") and folder.is_dir() and (folder / "model.json").exists()]
    infos.sort(key=lambda m: (m.name != DEFAULT_MODEL, m.name))
    return infos


def _info(folder: Path) -> ModelInfo:
    from network import ModelFileError, read_description

    pairs = folder / PAIRS
    places = [folder] + ([pairs] if pairs.is_dir() and not pairs.is_symlink() else [])
    size = sum(f.stat().st_size for place in places for f in place.iterdir() if f.is_file())
    try:
        desc = read_description(folder)
        meta = desc.get("metadata") or {}
        accuracy = meta.get("test_accuracy")
        pen = meta.get("pen") if isinstance(meta.get("pen"), dict) else {}
        pen_accuracy = pen.get("validation_accuracy")
        return ModelInfo(folder.name, folder, architecture(desc),
                         float(accuracy) if isinstance(accuracy, (int, float)) else None, size,
                         str(meta.get("created", "")),
                         pen_accuracy=float(pen_accuracy) if isinstance(pen_accuracy, (int, float)) else None,
                         pair_reader=(pairs / "model.json").is_file())
    except ModelFileError as e:
        return ModelInfo(folder.name, folder, "?", None, size, "", error=e.problem)
    except Exception as e:  # a description that passed the file checks but makes no sense
        return ModelInfo(folder.name, folder, "?", None, size, "", error=f"model.json is not usable ({type(e).__name__})")


def architecture(desc: dict) -> str:
    """``784-800-800-10 tanh``: the layer sizes and the hidden activation, from ``model.json``."""
    sizes = [int(np.prod(desc["input_shape"]))]
    acts = []
    for layer in desc["layers"]:
        if layer.get("class") == "Dense":
            sizes.append(int(layer["config"]["units"]))
            acts.append(str(layer["config"]["activation"]["name"]))
    hidden = sorted(set(acts[:-1])) or ["-"]
    return "-".join(map(str, sizes)) + f" {'/'.join(hidden)}"


def load(name: str = DEFAULT_MODEL, models_dir: Path = MODELS_DIR):
    """The saved model ``name``; ModelStoreError if there is none, ModelFileError if it is damaged."""
    from network import load_model

    provide_shipped_model(Path(models_dir))
    path = model_path(name, models_dir)
    if not (path / "model.json").exists():
        recover(Path(models_dir))
    if not (path / "model.json").exists():
        available = ", ".join(m.name for m in list_models(models_dir)) or "none"
        raise ModelStoreError(f"no model named {name!r} in {models_dir} (available: {available})")
    model = load_model(path)
    # A model may come with a pair reader (app/reading/digit_pairs.py: two crossing digits read at once).
    model.pair_reader = _pair_reader(path / PAIRS) if (path / PAIRS / "model.json").is_file() else None
    return model


def _pair_reader(folder: Path):
    """The pair reader saved in ``folder``; ModelFileError if it is damaged or reads something else."""
    from app.reading.digit_pairs import FIRST_THREE, NOT_A_PAIR, PAIR_SHAPE, THREES
    from network import ModelFileError, load_model

    reader = load_model(folder)
    outputs = [(NOT_A_PAIR + 1,), (FIRST_THREE + THREES,)]   # pairs, or pairs and threes
    if tuple(reader.input_shape) != PAIR_SHAPE or tuple(reader.output_shape) not in outputs:
        raise ModelFileError(folder, f"not a pair reader: it reads {tuple(reader.input_shape)} into "
                                     f"{tuple(reader.output_shape)}, not {PAIR_SHAPE} into ({NOT_A_PAIR + 1},) "
                                     f"or ({FIRST_THREE + THREES},)")
    return reader


def exists(name: str, models_dir: Path = MODELS_DIR) -> bool:
    path = model_path(name, models_dir)
    return path.exists() or path.is_symlink()


def free_name(base: str, models_dir: Path = MODELS_DIR) -> str:
    """``base``, or ``base-2``, ``base-3``... : the first name no model has (for the window and finetune)."""
    name, k = base, 1
    while exists(name, models_dir):
        k += 1
        name = f"{base}-{k}"
    return name


def own_folder(models_dir: Path, name: str) -> Path:
    """``models_dir/name``, one of the store's own folders (``.locks``, ``.checkpoints``), made if
    needed; a symbolic link there is refused: writing or deleting through it would reach elsewhere."""
    folder = Path(models_dir) / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mode = os.lstat(folder).st_mode
    except OSError as e:
        raise ModelStoreError(f"cannot use {folder}: {e.strerror}") from None
    if not stat.S_ISDIR(mode):
        raise ModelStoreError(f"{folder} is a symbolic link or a file, not the folder it should be; remove it")
    return folder


def _try_lock(name: str, models_dir: Path) -> int | None:
    """The open, locked lock file of model ``name``, or None while another process holds it."""
    model_path(name, models_dir)
    folder = own_folder(models_dir, LOCKS)
    try:
        fd = open_no_follow(folder / f"{name}.lock", os.O_RDWR | os.O_CREAT)
    except OSError as e:
        raise ModelStoreError(f"cannot lock model {name!r} in {models_dir}: {e.strerror}") from None
    try:
        if try_lock(fd):
            return fd
    except OSError:
        os.close(fd)
        raise
    os.close(fd)
    return None


@contextlib.contextmanager
def model_lock(name: str, models_dir: Path = MODELS_DIR) -> Iterator[None]:
    """Hold the lock of model ``name`` (one per name, released when the process ends, however it ends)."""
    fd = _try_lock(name, models_dir)
    if fd is None:
        raise ModelStoreError(f"model {name!r} is being trained or saved by another process; "
                              "wait for it or choose another --name")
    try:
        yield
    finally:
        unlock(fd)
        os.close(fd)


def _remove(path: Path) -> None:
    """Remove a file, a link (itself, never what it points to) or a folder; nothing if absent."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def save_final(model, name: str, models_dir: Path = MODELS_DIR, overwrite: bool = False,
               extra: Callable[[Path], None] | None = None) -> Path:
    """Write a finished model to a temporary folder, then swap it into place: the old model survives
    any failure, and is replaced only with ``overwrite``. ``extra(folder)`` adds files (plots)."""
    final = model_path(name, models_dir)
    if exists(name, models_dir) and not overwrite:
        raise ModelStoreError(f"a model named {name!r} exists already; choose another name or replace it "
                              "with --overwrite")
    if final.is_symlink():
        raise ModelStoreError(f"{final} is a symbolic link; remove it or choose another name")
    tmp, old = final.with_name(f".{name}.new"), final.with_name(f".{name}.old")
    _remove(tmp)   # a link planted there would take the model's files elsewhere
    if getattr(model, "pair_reader", None) is not None:   # (a model fine-tuned keeps its pair reader;
        # written first: a copy whose model.json is there is complete, as ``recover`` takes it)
        model.pair_reader.save(tmp / PAIRS, metadata=model.pair_reader.metadata, include_optimizer=False)
    model.save(tmp, include_optimizer=False)  # a finished model needs no optimiser state: half the size
    if extra is not None:
        extra(tmp)
    _remove(old)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)   # a kill between these two renames is what ``recover`` mends
    shutil.rmtree(old, ignore_errors=True)
    return final


def save_pair_reader(reader, folder: Path) -> Path:
    """Write a model's pair reader beside, then swap it into ``folder/pairs`` (the model's folder):
    the model keeps a whole pair reader (the old one, or the new) whatever happens on the way."""
    final, tmp, old = folder / PAIRS, folder / f".{PAIRS}.new", folder / f".{PAIRS}.old"
    _remove(tmp)
    _remove(old)
    reader.save(tmp, metadata=reader.metadata, include_optimizer=False)
    if final.exists() or final.is_symlink():
        os.replace(final, old)
    os.replace(tmp, final)
    _remove(old)
    return final


def recover(models_dir: Path) -> list[str]:
    """Put back models hidden by an interrupted swap; returns what was done, one line each. Only
    under the model's lock: a ``.NAME.new`` that a training is still writing is not a leftover."""
    done = []
    for hidden in sorted(Path(models_dir).glob(".*.old")) + sorted(Path(models_dir).glob(".*.new")):
        name = hidden.name[1:-4]
        if not NAME_PATTERN.match(name) or hidden.is_symlink() or not (hidden / "model.json").is_file():
            continue
        try:
            fd = _try_lock(name, models_dir)
        except (ModelStoreError, OSError):   # a store we may not write to: nothing to mend here
            continue
        if fd is None:   # being saved right now
            continue
        try:
            done += _recover_one(hidden, name)
        finally:
            unlock(fd)
            os.close(fd)
    return done


def _recover_one(hidden: Path, name: str) -> list[str]:
    done = []
    final = hidden.with_name(name)
    if not hidden.exists():   # the other hidden copy of the same model took its place already
        return done
    if not final.exists():
        # No model under its name: the newest complete copy takes it (.new is complete once
        # its model.json exists: save writes the weights first and the description last).
        newer = hidden.with_name(f".{name}.new")
        source = newer if (newer / "model.json").is_file() else hidden
        os.replace(source, final)
        done.append(f"recovered {name} from {source.name}")
    elif hidden.suffix == ".old":
        shutil.rmtree(hidden, ignore_errors=True)   # the swap had finished: the old copy is spare
    return done


def delete_model(name: str, models_dir: Path = MODELS_DIR) -> Path:
    """Delete the model folder ``name`` (never through a symbolic link)."""
    path = model_path(name, models_dir)
    if path.is_symlink():
        raise ModelStoreError(f"{path} is a symbolic link to {os.readlink(path)}; deleting it through the link "
                              "would delete the model behind it: remove the link itself instead")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise ModelStoreError(f"no model named {name!r} in {models_dir}") from None
    if not stat.S_ISDIR(mode):
        raise ModelStoreError(f"{path} is not a model folder")
    with model_lock(name, models_dir):
        shutil.rmtree(path)
    return path
