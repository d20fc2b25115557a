"""MNIST and Fashion-MNIST sources: download (pooch, verified), read (Keras .npz or IDX files), validate.

MNIST is Keras's ``mnist.npz`` (same address and SHA-256 as Keras), fetched once into
``cache/downloads/``; Fashion-MNIST comes from Debian's ``dataset-fashion-mnist`` if installed,
else from the same Keras address, checked by the published MD5s. A local ``--source`` (a
Keras-layout ``.npz`` or a folder of the four IDX files) is read and checked instead.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from app.errors import DataError
from app.files import keep_copy, regular_file, sha256_of
from app.paths import CACHE_DIR

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
KERAS_MNIST = Path("~/.keras/datasets/mnist.npz").expanduser()
FASHION_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
# The published MD5s of the Fashion-MNIST files (zalandoresearch/fashion-mnist README).
FASHION_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
IDX_FILES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
DATASETS = ("mnist", "fashion")          # image data sets; "pendigits" (pen trajectories) is app/pen/pen_data.py
FASHION_CLASSES = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot")


def fetch_mnist(cache_dir: Path = CACHE_DIR, url: str | None = None, sha256: str = MNIST_SHA256,
                keras_copy: Path | None | bool = True, progress: bool = True) -> Path:
    """The path of a verified ``mnist.npz``: Keras's copy if the user has it (``keras_copy``: True for
    ``~/.keras``, a path, or None for none), else downloaded once into the cache."""
    url = url or MNIST_URL
    keras_copy = KERAS_MNIST if keras_copy is True else keras_copy
    if keras_copy and keras_copy.is_file() and sha256_of(keras_copy) == sha256:
        return keras_copy
    return _download(url, f"sha256:{sha256}", "mnist.npz", Path(cache_dir) / "downloads", progress)


def fetch_fashion(cache_dir: Path = CACHE_DIR, url: str = FASHION_URL, progress: bool = True,
                  local_dir: Path | None = FASHION_DEBIAN_DIR) -> Path:
    """A folder with the four Fashion-MNIST IDX files: Debian's package if installed, else downloaded."""
    if local_dir is not None and all((local_dir / name).is_file() for name in FASHION_MD5):
        return local_dir
    folder = Path(cache_dir) / "downloads" / "fashion"
    for name, md5 in FASHION_MD5.items():
        _download(url.rstrip("/") + "/" + name, f"md5:{md5}", name, folder, progress)
    return folder


def _download(url: str, known_hash: str, fname: str, folder: Path, progress: bool) -> Path:
    """Fetch with pooch into ``folder``: verified by hash, kept, and never fetched again. A failed or
    mismatched download leaves nothing behind (pooch writes a temporary file, moved only once verified)."""
    import pooch

    try:
        return Path(pooch.retrieve(url, known_hash=known_hash, fname=fname, path=folder, progressbar=progress))
    except ValueError as e:  # pooch's hash mismatch
        raise DataError(f"download of {url} failed verification: {e}") from None
    except Exception as e:  # network errors of every kind (requests, urllib3, OSError)
        raise DataError(f"could not download {url}: {type(e).__name__}: {e}") from None


def _read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (the original MNIST format), gzipped or not, never more than ``MAX_SOURCE_BYTES``
    (a small gzip file can expand to any size; its header's sizes are checked before they are trusted)."""
    check_file(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as e:   # gzip.BadGzipFile is an OSError; a damaged stream, zlib.error
        raise DataError(f"{path}: cannot be read ({type(e).__name__}: {e})") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise DataError(f"{path}: more than {MAX_SOURCE_BYTES >> 20} MB of data, larger than any digit data set")
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08 or not 1 <= data[3] <= 3:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    size = 1
    for d in dims:
        size *= d   # Python integers: no overflow, whatever the header says
    if len(data) != header + size:
        raise DataError(f"{path}: holds {len(data) - header} bytes of data, its header says {size}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def check_file(path: Path, limit: int | None = None) -> None:
    """A regular file of at most ``limit`` bytes (default ``MAX_SOURCE_BYTES``), or DataError: a FIFO
    would block the read, a device or a huge sparse file would take forever to hash."""
    regular_file(path, MAX_SOURCE_BYTES if limit is None else limit, "a digit data set")


def _idx_path(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataError(f"{folder}: missing {stem}[.gz] (need the four IDX files: {', '.join(IDX_FILES.values())})")


def read_source(path: Path) -> dict[str, np.ndarray]:
    """Arrays ``x_train, y_train, x_test, y_test`` from a Keras-layout ``.npz`` or a folder of IDX files."""
    path = Path(path)
    if path.is_dir():
        arrays = {key: _read_idx(_idx_path(path, stem)) for key, stem in IDX_FILES.items()}
    elif path.is_file():
        check_file(path)
        try:
            with np.load(path, allow_pickle=False) as npz:
                missing = [k for k in IDX_FILES if k not in npz.files]
                if missing:
                    raise DataError(f"{path}: missing arrays {missing} (has {sorted(npz.files)})")
                # Sizes from the zip directory, before anything is unpacked: 3 MB can unpack to gigabytes.
                unpacked = sum(i.file_size for i in npz.zip.infolist()) if npz.zip is not None else 0
                if unpacked > MAX_SOURCE_BYTES:
                    raise DataError(f"{path}: unpacks to {unpacked / 1e9:.1f} GB, more than a digit data set "
                                    f"({MAX_SOURCE_BYTES / 1e9:.1f} GB; MNIST is 0.05 GB)")
                arrays = {k: npz[k] for k in IDX_FILES}
        except DataError:
            raise
        except Exception as e:
            raise DataError(f"{path}: not a readable .npz ({type(e).__name__}: {e})") from None
    else:
        raise DataError(f"{path}: no such file or folder")
    validate(arrays, path)
    return arrays


def validate(arrays: dict[str, np.ndarray], origin: Path | str = "data") -> None:
    """Shapes (n, 28, 28) uint8 images, integer labels 0-9, matching counts; else a DataError saying what is wrong."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{origin}: x_{split} is {x.dtype} {x.shape}, expected uint8 (n, 28, 28)")
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{origin}: y_{split} is {y.dtype} {y.shape}, expected integer labels (n,)")
        if len(x) != len(y) or len(x) == 0:
            raise DataError(f"{origin}: x_{split} has {len(x)} images but y_{split} has {len(y)} labels")
        if y.min() < 0 or y.max() > 9:
            raise DataError(f"{origin}: y_{split} has labels from {y.min()} to {y.max()}, expected 0-9")


MAX_SOURCE_BYTES = 1 << 30            # MNIST is 55 MB uncompressed; a source over 1 GB is not one
GIVEN_COPY = "{dataset}-given.npz"   # in cache/downloads: the last local .npz the user gave, kept for offline use


def source_for(dataset: str, source: Path | None, cache_dir: Path = CACHE_DIR, progress: bool = True) -> Path:
    """Where the data comes from: ``source``; else ``$DIGITS_MNIST_SOURCE``; else a copy already in
    the cache (downloaded, or given before with ``--source``); else a download. A ``.npz`` given
    once is kept in ``cache/downloads/``, so later commands and the window work offline."""
    if source is not None:
        source = Path(source)
        if not source.exists():
            raise DataError(f"{source}: no such file or folder")
        if source.is_dir():
            return source
        check_file(source)
        # A complete data set given once is kept, so later commands and the window work offline. Only
        # a complete one, and never over the one kept before: a small or altered file given to one
        # command (evaluate --source small.npz) is used by that command alone, never silently later.
        kept = Path(cache_dir) / "downloads" / GIVEN_COPY.format(dataset=dataset)
        if not kept.exists():
            keep_copy(source, kept, acceptable=lambda path: is_complete(read_source(path)))
        return source
    if dataset not in DATASETS:
        raise DataError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
    if dataset == "mnist" and os.environ.get("DIGITS_MNIST_SOURCE"):  # a local copy the user (or CI) points to
        return source_for(dataset, Path(os.environ["DIGITS_MNIST_SOURCE"]), cache_dir, progress)
    downloads = Path(cache_dir) / "downloads"
    given = downloads / GIVEN_COPY.format(dataset=dataset)
    if dataset == "mnist" and not (downloads / "mnist.npz").is_file() and given.is_file():
        return given
    try:
        return fetch_mnist(cache_dir, progress=progress) if dataset == "mnist" else fetch_fashion(cache_dir, progress=progress)
    except DataError as e:
        hint = "a local mnist.npz" if dataset == "mnist" else "a folder of the four Fashion-MNIST IDX files"
        env = " or DIGITS_MNIST_SOURCE" if dataset == "mnist" else ""
        raise DataError(f"{e}; without the internet, give {hint} with --source{env}") from None


FULL_COUNTS = {"x_train": 60000, "x_test": 10000}   # MNIST and Fashion-MNIST alike


def is_complete(arrays: dict[str, np.ndarray]) -> bool:
    """Whether ``arrays`` are a whole data set (as published), not a part or a sample of one."""
    return all(len(arrays[key]) == n for key, n in FULL_COUNTS.items())


def source_hash(path: Path) -> str:
    """SHA-256 of the source file, or of the four IDX files in a fixed order."""
    path = Path(path)
    if path.is_file():
        return sha256_of(path)
    h = hashlib.sha256()
    for stem in IDX_FILES.values():
        h.update(sha256_of(_idx_path(path, stem)).encode())
    return h.hexdigest()
