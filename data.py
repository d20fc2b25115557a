"""MNIST and Fashion-MNIST: fetch, validate, augment, and cache on disk for fast training.

    python data.py                       # fetch MNIST, build 5 augmented copies, cache them
    python data.py --copies 10 --rotation 15 --elastic-alpha 0   # other parameters, another cache
    python data.py --dataset fashion     # the same for Fashion-MNIST
    python data.py --source DIR_OR_NPZ   # a local mnist.npz, or a folder of the four IDX files
    python data.py --info | --clear      # what is cached / remove it
    python data.py --preview             # a window: originals beside augmented copies, with sliders
    python data.py --preview-png out.png # the same grid as a PNG, no window

Downloads go through pooch (SHA-256 verified, never fetched twice, progress bar).
Augmentation is one combined affine resampling (rotation, zoom, shift) plus an
optional elastic distortion (Simard et al. 2003) and background noise, computed
for a few hundred images at a time with numpy. The cache is a folder of uint8
``.npy`` files plus ``meta.json``, written atomically and verified on load.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import gzip
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
CACHE_DIR = Path(os.environ.get("DIGITS_CACHE_DIR", ROOT / "cache"))
CACHE_FORMAT_VERSION = 1

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
DATASETS = ("mnist", "fashion")
FASHION_CLASSES = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot")


class DataError(Exception):
    """A data file or cache that cannot be used, with the reason."""


# ---------------------------------------------------------------------------
# Fetching and reading
# ---------------------------------------------------------------------------

def sha256_of(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def fetch_mnist(cache_dir: Path = CACHE_DIR, url: str = MNIST_URL, sha256: str = MNIST_SHA256,
                keras_copy: Path | None = KERAS_MNIST, progress: bool = True) -> Path:
    """The path of a verified ``mnist.npz``: Keras's copy if the user has it, else downloaded once into the cache."""
    if keras_copy is not None and keras_copy.is_file() and sha256_of(keras_copy) == sha256:
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
    """Read one IDX file (the original MNIST format), gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot be read ({e})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(data) != header + int(np.prod(dims)):
        raise DataError(f"{path}: holds {len(data) - header} bytes of data, its header says {int(np.prod(dims))}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


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
        try:
            with np.load(path, allow_pickle=False) as npz:
                missing = [k for k in IDX_FILES if k not in npz.files]
                if missing:
                    raise DataError(f"{path}: missing arrays {missing} (has {sorted(npz.files)})")
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


def source_for(dataset: str, source: Path | None, cache_dir: Path = CACHE_DIR, progress: bool = True) -> Path:
    if source is not None:
        if not Path(source).exists():
            raise DataError(f"{source}: no such file or folder")
        return Path(source)
    if dataset == "mnist":
        if os.environ.get("DIGITS_MNIST_SOURCE"):  # a local copy the user (or CI) points to
            return source_for(dataset, Path(os.environ["DIGITS_MNIST_SOURCE"]), cache_dir, progress)
        return fetch_mnist(cache_dir, progress=progress)
    if dataset == "fashion":
        return fetch_fashion(cache_dir, progress=progress)
    raise DataError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")


def source_hash(path: Path) -> str:
    """SHA-256 of the source file, or of the four IDX files in a fixed order."""
    path = Path(path)
    if path.is_file():
        return sha256_of(path)
    h = hashlib.sha256()
    for stem in IDX_FILES.values():
        h.update(sha256_of(_idx_path(path, stem)).encode())
    return h.hexdigest()


# ---------------------------------------------------------------------------
# Augmentation
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AugmentParams:
    """Ranges of the random transforms; each image draws uniformly within them."""

    rotation: float = 12.0       # degrees, +-
    zoom: float = 0.12           # scale in [1 - zoom, 1 + zoom]
    shift: float = 2.0           # pixels, +- in x and y
    elastic_alpha: float = 16.0  # elastic distortion strength (pixels before smoothing); 0 turns it off
    elastic_sigma: float = 5.0   # smoothness of the field (Simard et al. used alpha 34, sigma 4: strong)
    noise: float = 0.02          # std of Gaussian background noise, as a fraction of full intensity
    thickness: float = 0.0       # share of images whose strokes are made thicker or thinner (half each)

    def __post_init__(self):
        for name, low, high in (("rotation", 0, 180), ("zoom", 0, 0.9), ("shift", 0, 10), ("elastic_alpha", 0, 200),
                                ("elastic_sigma", 0.5, 20), ("noise", 0, 1),
                                ("thickness", 0, 1)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low} and {high}, got {value!r}")


CHUNK = 128  # images per vectorised step: big enough to amortise numpy calls, small enough for the cache
_CENTER = 13.5
_YY, _XX = (g.astype(np.float32) - _CENTER for g in np.mgrid[0:28, 0:28])


def _gaussian_matrix(sigma: float) -> np.ndarray:
    """G with G @ F @ G.T == a 2-D Gaussian blur of F with zero padding (what
    scipy.ndimage.gaussian_filter does with mode='constant'), as two small GEMMs
    over a whole batch of displacement fields."""
    d = np.arange(28)[:, None] - np.arange(28)[None, :]
    g = np.exp(-0.5 * (d / sigma) ** 2)
    g /= np.exp(-0.5 * (np.arange(-60, 61) / sigma) ** 2).sum()
    return g.astype(np.float32)


@functools.lru_cache(maxsize=4)
def _noise_bank(level: float) -> np.ndarray:
    """2**21 normal draws (fixed seed) scaled to ``level`` of full intensity."""
    bank = np.random.default_rng(20031).standard_normal(1 << 21, dtype=np.float32)
    bank *= np.float32(level * 255)
    return bank


def augment_batch(images: np.ndarray, params: AugmentParams, rng: np.random.Generator) -> np.ndarray:
    """Randomly transformed copies of ``images`` (n, 28, 28) uint8, as uint8."""
    n = len(images)
    angle = rng.uniform(-params.rotation, params.rotation, n)
    scale = rng.uniform(1 - params.zoom, 1 + params.zoom, n)
    shift = rng.uniform(-params.shift, params.shift, (n, 2))
    displacement = None
    if params.elastic_alpha:
        g = _gaussian_matrix(params.elastic_sigma)
        field = rng.random((2, n, 28, 28), dtype=np.float32)
        field -= 0.5
        field *= np.float32(2 * params.elastic_alpha)  # uniform in [-alpha, alpha), then smoothed
        displacement = g @ field @ g.T
    if params.thickness:
        images = vary_thickness(images, params.thickness, rng)
    out = resample(images, angle, scale, shift, displacement)
    if params.noise:
        # A window at a random offset into a fixed bank of Gaussian noise: drawing fresh normals
        # for every pixel would cost as much as all the resampling.
        bank = _noise_bank(params.noise)
        m = min(out.size, bank.size)
        offset = int(rng.integers(0, bank.size - m + 1))
        out.reshape(-1)[:m] += bank[offset:offset + m]
        np.clip(out, 0, 255, out=out)
    out += 0.5  # round to nearest on the cast below
    return out.astype(np.uint8)


def vary_thickness(images: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Thicken (grey dilation) a random ``share / 2`` of the images and thin (grey erosion) another
    ``share / 2``, with a 2x2 footprint: people draw with every pen width, MNIST has a narrow range."""
    from scipy import ndimage

    pick = rng.random(len(images))
    thick, thin = pick < share / 2, (pick >= share / 2) & (pick < share)
    if not (thick.any() or thin.any()):
        return images
    out = images.copy()
    if thick.any():
        out[thick] = ndimage.grey_dilation(images[thick], size=(1, 2, 2))
    if thin.any():
        out[thin] = ndimage.grey_erosion(images[thin], size=(1, 2, 2))
    return out


def resample(images: np.ndarray, angle_deg: np.ndarray, scale: np.ndarray, shift: np.ndarray,
             displacement: np.ndarray | None = None) -> np.ndarray:
    """Rotate by ``angle_deg``, zoom by ``scale`` and shift by ``shift`` (dy, dx) about the centre,
    then displace by ``displacement`` (2, n, 28, 28), in one bilinear resampling; float32 result.

    Every output pixel is sampled from the point the inverse transform maps it to,
    gathered from a zero-padded copy for a whole batch at once.
    """
    n = len(images)
    angle = np.deg2rad(np.asarray(angle_deg, np.float32))
    scale = np.asarray(scale, np.float32)
    shift = np.asarray(shift, np.float32).reshape(n, 2)
    cos = (np.cos(angle) / scale)[:, None, None]
    sin = (np.sin(angle) / scale)[:, None, None]
    reach = _CENTER * np.sqrt(2) / float(scale.min(initial=1)) - _CENTER + float(np.abs(shift).max(initial=0))
    if displacement is not None:
        reach += float(np.abs(displacement).max(initial=0))
    pad = int(np.ceil(reach)) + 2
    width = 28 + 2 * pad
    # Inverse map: source = R(-angle) / scale @ (target - centre - shift) + centre, plus the padding.
    ty = _YY[None] - shift[:, 0, None, None]
    tx = _XX[None] - shift[:, 1, None, None]
    sy = cos * ty
    sy += sin * tx
    sy += _CENTER + pad
    sx = cos * tx
    sx -= sin * ty
    sx += _CENTER + pad
    if displacement is not None:
        sy += displacement[0]
        sx += displacement[1]
    canvas = np.zeros((n, width, width), np.float32)
    canvas[:, pad:pad + 28, pad:pad + 28] = images
    flat = canvas.reshape(-1)
    y0, x0 = sy.astype(np.int32), sx.astype(np.int32)  # coordinates are positive: int() is floor()
    sy -= y0  # from here on, the fractional parts
    sx -= x0
    index = y0 * width
    index += x0
    index += (np.arange(n, dtype=np.int32) * width * width)[:, None, None]
    top, top_right = flat.take(index), flat.take(index + 1)
    index += width
    bottom, bottom_right = flat.take(index), flat.take(index + 1)
    top_right -= top
    top_right *= sx
    top += top_right          # top row interpolated along x
    bottom_right -= bottom
    bottom_right *= sx
    bottom += bottom_right    # bottom row interpolated along x
    bottom -= top
    bottom *= sy
    top += bottom             # and the two rows along y
    return top


def augment(images: np.ndarray, params: AugmentParams, seed: int, out: np.ndarray | None = None,
            progress: bool = False, desc: str = "augmenting") -> np.ndarray:
    """Augment every image once, CHUNK at a time. The same seed and parameters give the same bytes:
    each chunk has its own random stream, derived from (seed, chunk start)."""
    out = np.empty_like(images) if out is None else out
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(images), desc=desc, unit="img", leave=False)
    for s in range(0, len(images), CHUNK):
        rng = np.random.default_rng([seed, s])
        out[s:s + CHUNK] = augment_batch(images[s:s + CHUNK], params, rng)
        if bar is not None:
            bar.update(len(out[s:s + CHUNK]))
    if bar is not None:
        bar.close()
    return out


# ---------------------------------------------------------------------------
# The cache
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class Dataset:
    """Training and test arrays (uint8, memory-mapped from the cache) and the cache's metadata."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    meta: dict
    path: Path

    def float32(self, name: str = "x_train", rows: np.ndarray | None = None, chunk: int = 65536) -> np.ndarray:
        """One array (or the given ``rows`` of it) as float32 in [0, 1], converted chunk by chunk
        from the memory map: no float64 and no float32 copy of rows that are not wanted."""
        src = getattr(self, name)
        n = len(src) if rows is None else len(rows)
        out = np.empty((n,) + src.shape[1:], np.float32)
        for s in range(0, n, chunk):
            block = src[s:s + chunk] if rows is None else src[rows[s:s + chunk]]
            np.multiply(block, np.float32(1 / 255), out=out[s:s + chunk])
        return out

    def batches(self, batch_size: int = 128, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Shuffled float32 training batches in [0, 1], for training without converting the whole set."""
        order = np.random.default_rng(seed).permutation(len(self.x_train))
        for s in range(0, len(order), batch_size):
            idx = np.sort(order[s:s + batch_size])  # sorted: sequential reads from the memory map
            yield self.x_train[idx].astype(np.float32) / 255, self.y_train[idx]


def cache_key(dataset: str, src_hash: str, params: AugmentParams, copies: int, seed: int) -> str:
    spec = {"dataset": dataset, "source": src_hash, "params": dataclasses.asdict(params), "copies": copies,
            "seed": seed, "format_version": CACHE_FORMAT_VERSION}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")


def _check_cache(folder: Path, verify: bool) -> dict:
    """meta.json of a complete cache, or DataError saying what is wrong with it."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError) as e:
        raise DataError(f"{folder}: meta.json unreadable ({e})") from None
    if meta.get("format_version") != CACHE_FORMAT_VERSION:
        raise DataError(f"{folder}: cache format {meta.get('format_version')}, expected {CACHE_FORMAT_VERSION}")
    for name in ARRAY_NAMES:
        path = folder / f"{name}.npy"
        expected = meta.get("files", {}).get(name, {})
        if not path.is_file():
            raise DataError(f"{path}: missing")
        if path.stat().st_size != expected.get("size"):
            raise DataError(f"{path}: {path.stat().st_size} bytes, expected {expected.get('size')} (truncated?)")
        if verify and sha256_of(path) != expected.get("sha256"):
            raise DataError(f"{path}: SHA-256 differs from meta.json (corrupted)")
    return meta


def _open_cache(folder: Path, meta: dict) -> Dataset:
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in ARRAY_NAMES}
    return Dataset(**arrays, meta=meta, path=folder)


def build_cache(dataset: str = "mnist", source: Path | None = None, copies: int = 5,
                params: AugmentParams = AugmentParams(), seed: int = 0, cache_dir: Path = CACHE_DIR,
                rebuild: bool = False, verify: bool = True, progress: bool = True, log=print) -> Dataset:
    """The cached dataset for these settings: reused if present and intact, else built.

    x_train holds the originals first, then ``copies`` augmented copies of them;
    y_train repeats the labels to match. The test set is never augmented.
    """
    if copies < 0:
        raise ValueError(f"copies must be >= 0, got {copies}")
    cache_dir = Path(cache_dir)
    src = source_for(dataset, source, cache_dir, progress)
    src_hash = source_hash(src)
    folder = cache_dir / f"{dataset}-{cache_key(dataset, src_hash, params, copies, seed)}"
    if folder.exists() and not rebuild:
        try:
            return _open_cache(folder, _check_cache(folder, verify))
        except (DataError, ValueError, OSError) as e:
            log(f"cache {folder.name} is damaged ({e}); rebuilding it")
    start = time.perf_counter()
    arrays = read_source(src)
    x, y = arrays["x_train"], arrays["y_train"].astype(np.uint8)
    n = len(x)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=cache_dir))
    try:
        # Written straight into the .npy file through a memory map: peak memory stays one copy's worth.
        xt = np.lib.format.open_memmap(tmp / "x_train.npy", mode="w+", dtype=np.uint8, shape=(n * (1 + copies), 28, 28))
        xt[:n] = x
        for c in range(copies):
            augment(x, params, seed=seed * 1000 + c, out=xt[n * (c + 1): n * (c + 2)], progress=progress,
                    desc=f"copy {c + 1}/{copies}")
        xt.flush()
        del xt
        np.save(tmp / "y_train.npy", np.tile(y, 1 + copies))
        np.save(tmp / "x_test.npy", arrays["x_test"])
        np.save(tmp / "y_test.npy", arrays["y_test"].astype(np.uint8))
        meta = {"format_version": CACHE_FORMAT_VERSION, "dataset": dataset, "source": str(src),
                "source_sha256": src_hash, "params": dataclasses.asdict(params), "copies": copies, "seed": seed,
                "counts": {"originals": n, "train": n * (1 + copies), "test": len(arrays["x_test"])},
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "build_seconds": round(time.perf_counter() - start, 2),
                "files": {name: {"size": (tmp / f"{name}.npy").stat().st_size, "sha256": sha256_of(tmp / f"{name}.npy")}
                          for name in ARRAY_NAMES}}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)  # the whole folder appears at once, complete
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _open_cache(folder, meta)


def load_training_data(dataset: str = "mnist", source: Path | None = None, copies: int = 5,
                       params: AugmentParams = AugmentParams(), seed: int = 0, cache_dir: Path = CACHE_DIR,
                       progress: bool = True) -> Dataset:
    """What the trainer calls: the cached (or freshly built) dataset for these settings."""
    return build_cache(dataset, source, copies, params, seed, cache_dir, progress=progress)


def cached_entries(cache_dir: Path = CACHE_DIR) -> list[tuple[Path, dict | None, int]]:
    """(folder, meta or None if damaged, size in bytes) for every cache folder."""
    entries = []
    for folder in sorted(Path(cache_dir).glob("*-*")):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        try:
            meta = _check_cache(folder, verify=False)
        except DataError:
            meta = None
        entries.append((folder, meta, size))
    return entries


def clear_cache(cache_dir: Path = CACHE_DIR) -> int:
    """Remove everything in the cache folder except its README; returns the bytes freed."""
    freed = 0
    for path in Path(cache_dir).iterdir():
        if path.name == "README.md":
            continue
        freed += sum(p.stat().st_size for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return freed


def load_raw(dataset: str = "mnist", source: Path | None = None, cache_dir: Path = CACHE_DIR,
             progress: bool = True) -> dict[str, np.ndarray]:
    """The validated, unaugmented arrays (x_train, y_train, x_test, y_test), fetched if needed."""
    return read_source(source_for(dataset, source, cache_dir, progress))


def raw_or_cached_originals(dataset: str = "mnist", source: Path | None = None, cache_dir: Path = CACHE_DIR,
                            progress: bool = True) -> tuple[np.ndarray, np.ndarray, str]:
    """Original training images for the visualiser: from a cache when one exists, else the raw set."""
    for folder, meta, _ in cached_entries(cache_dir):
        if meta and meta["dataset"] == dataset and source is None:
            d = _open_cache(folder, meta)
            n = meta["counts"]["originals"]
            return d.x_train[:n], d.y_train[:n], f"cache {folder.name}"
    src = source_for(dataset, source, cache_dir, progress)
    arrays = read_source(src)
    return arrays["x_train"], arrays["y_train"], str(src)


# ---------------------------------------------------------------------------
# The preview grid (shared by --preview-png and the Tk visualiser)
# ---------------------------------------------------------------------------

def preview_grid(images: np.ndarray, labels: np.ndarray, params: AugmentParams, seed: int = 0, rows: int = 6,
                 per_row: int = 6, scale: int = 3, class_names: tuple[str, ...] | None = None):
    """A Pillow image: each row is one original (left, framed) then ``per_row`` augmented versions."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(images), size=rows, replace=False)
    cell, gap, label_w = 28 * scale, 4, 70
    width = label_w + (per_row + 1) * (cell + gap) + gap * 2
    height = rows * (cell + gap) + gap + 18
    canvas = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(canvas)
    draw.text((label_w + gap, 2), "original", fill=0)
    draw.text((label_w + cell + 3 * gap, 2), "augmented", fill=0)
    for r, i in enumerate(pick):
        original = np.asarray(images[i])
        versions = augment_batch(np.repeat(original[None], per_row, axis=0), params, np.random.default_rng([seed, int(i)]))
        y = 18 + r * (cell + gap)
        name = class_names[int(labels[i])] if class_names else str(int(labels[i]))
        draw.text((6, y + cell // 2 - 6), f"label {name}", fill=0)
        for c, img in enumerate([original, *versions]):
            x = label_w + c * (cell + gap) + (gap if c else 0)
            canvas.paste(Image.fromarray(255 - img).resize((cell, cell), Image.NEAREST), (x, y))
            if c == 0:
                draw.rectangle([x - 1, y - 1, x + cell, y + cell], outline=0)
    return canvas


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def _params_from(args) -> AugmentParams:
    return AugmentParams(rotation=args.rotation, zoom=args.zoom, shift=args.shift, elastic_alpha=args.elastic_alpha,
                         elastic_sigma=args.elastic_sigma, noise=args.noise, thickness=args.thickness)


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def main(argv: list[str] | None = None) -> int:
    defaults = AugmentParams()
    p = argparse.ArgumentParser(description="Fetch MNIST or Fashion-MNIST, augment it and cache it for training.")
    p.add_argument("--dataset", choices=DATASETS, default="mnist")
    p.add_argument("--source", type=Path, help="a local .npz (Keras layout) or a folder with the four IDX files")
    p.add_argument("--copies", type=int, default=5, help="augmented copies stored in addition to the originals (default 5)")
    p.add_argument("--rotation", type=float, default=defaults.rotation, help="max rotation in degrees (default %(default)s)")
    p.add_argument("--zoom", type=float, default=defaults.zoom, help="max relative zoom in or out (default %(default)s)")
    p.add_argument("--shift", type=float, default=defaults.shift, help="max shift in pixels (default %(default)s)")
    p.add_argument("--elastic-alpha", type=float, default=defaults.elastic_alpha,
                   help="elastic distortion strength, 0 = off (default %(default)s)")
    p.add_argument("--elastic-sigma", type=float, default=defaults.elastic_sigma,
                   help="elastic distortion smoothness (default %(default)s)")
    p.add_argument("--noise", type=float, default=defaults.noise, help="background noise std, 0-1 (default %(default)s)")
    p.add_argument("--thickness", type=float, default=defaults.thickness,
                   help="share of images drawn thicker or thinner, 0-1 (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rebuild", action="store_true", help="build the cache again even if it exists")
    p.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    p.add_argument("--info", action="store_true", help="list what is cached and its size")
    p.add_argument("--clear", action="store_true", help="remove everything cached")
    p.add_argument("--preview", action="store_true", help="open the augmentation visualiser window")
    p.add_argument("--preview-png", type=Path, metavar="FILE", help="write the preview grid to a PNG, no window")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    try:
        params = _params_from(args)
        if args.info:
            entries = cached_entries(args.cache_dir)
            downloads = args.cache_dir / "downloads"
            if not entries and not downloads.exists():
                print(f"nothing cached in {args.cache_dir}")
            for folder, meta, size in entries:
                if meta is None:
                    print(f"{folder.name}  {_human(size)}  DAMAGED (rebuilt on next use)")
                else:
                    print(f"{folder.name}  {_human(size)}  {meta['dataset']}, {meta['counts']['train']} train "
                          f"({meta['copies']} copies), {meta['counts']['test']} test, seed {meta['seed']}, "
                          f"{meta['params']}, created {meta['created']}")
            if downloads.exists():
                size = sum(f.stat().st_size for f in downloads.rglob("*") if f.is_file())
                print(f"downloads  {_human(size)}  {', '.join(sorted(f.name for f in downloads.rglob('*') if f.is_file()))}")
            return 0
        if args.clear:
            print(f"removed {_human(clear_cache(args.cache_dir))} from {args.cache_dir}")
            return 0
        if args.preview or args.preview_png:
            images, labels, origin = raw_or_cached_originals(args.dataset, args.source, args.cache_dir, not args.quiet)
            names = FASHION_CLASSES if args.dataset == "fashion" else None
            if args.preview_png:
                preview_grid(images, labels, params, seed=args.seed, class_names=names).save(args.preview_png)
                print(f"wrote {args.preview_png} ({origin})")
                return 0
            from app.augment_viewer import run_viewer

            run_viewer(images, labels, params, class_names=names, origin=origin)
            return 0
        start = time.perf_counter()
        d = build_cache(args.dataset, args.source, args.copies, params, args.seed, args.cache_dir,
                        rebuild=args.rebuild, progress=not args.quiet)
        size = sum(f.stat().st_size for f in d.path.iterdir())
        print(f"{d.meta['dataset']}: {len(d.x_train)} training images ({d.meta['copies']} augmented copies), "
              f"{len(d.x_test)} test images, in {d.path} ({_human(size)}, {time.perf_counter() - start:.1f} s)")
        return 0
    except (DataError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
