"""The MNIST / Fashion-MNIST training cache: originals plus augmented copies, on disk, verified.

``cache/<dataset>-<key>/`` holds uint8 ``.npy`` files (originals first, then the copies) and
``meta.json``; the key hashes the data set, its SHA-256, the augmentation settings, the number of
copies and the seed. The folder is built in a temporary folder and renamed when complete; on
load, sizes and hashes are checked and a damaged cache is reported and rebuilt.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from app.cachefolder import allocate, building, cache_folders, folder_size, open_folder, seal
from app.data.augment import AugmentParams, augment
from app.data.mnist_source import DATASETS, read_source, source_for, source_hash
from app.errors import DataError
from app.paths import CACHE_DIR
from app.pixels import to_unit_float32
from app.words import plural

CACHE_FORMAT_VERSION = 1


@dataclasses.dataclass
class Dataset:
    """Training and test arrays (uint8, memory-mapped from the cache) and the cache's metadata."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    meta: dict
    path: Path

    def float32(self, name: str = "x_train", rows: np.ndarray | None = None, out: np.ndarray | None = None,
                chunk: int = 65536) -> np.ndarray:
        """One array (or the given ``rows`` of it) as float32 in [0, 1], converted chunk by chunk
        from the memory map (into ``out`` if given): no float64 and no copy of unwanted rows."""
        return to_unit_float32(getattr(self, name), rows, out, chunk)

    def batches(self, batch_size: int = 128, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Shuffled float32 training batches in [0, 1], for training without converting the whole set."""
        order = np.random.default_rng(seed).permutation(len(self.x_train))
        for s in range(0, len(order), batch_size):
            idx = np.sort(order[s:s + batch_size])  # sorted: sequential reads from the memory map
            yield to_unit_float32(self.x_train, idx), self.y_train[idx]


def cache_key(dataset: str, src_hash: str, params: AugmentParams, copies: int, seed: int) -> str:
    spec = {"dataset": dataset, "source": src_hash, "params": dataclasses.asdict(params), "copies": copies,
            "seed": seed, "format_version": CACHE_FORMAT_VERSION}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")


def open_cache(folder: Path, verify: bool = True) -> Dataset:
    """A complete cache folder, checked; DataError saying what is wrong with it otherwise."""
    arrays, meta = open_folder(folder, ARRAY_NAMES, CACHE_FORMAT_VERSION, verify, counts=("originals", "train", "test"))
    return Dataset(**arrays, meta=meta, path=folder)


def build_cache(dataset: str = "mnist", source: Path | None = None, copies: int = 5,
                params: AugmentParams | None = None, seed: int = 0, cache_dir: Path = CACHE_DIR,
                rebuild: bool = False, verify: bool = True, progress: bool = True, log=print) -> Dataset:
    """The cached dataset for these settings: reused if present and intact, else built.

    x_train holds the originals first, then ``copies`` augmented copies of them;
    y_train repeats the labels to match. The test set is never augmented.
    """
    params = params or AugmentParams()
    if not 0 <= copies <= 1000:
        raise ValueError(f"copies must be between 0 and 1000, got {copies}")
    cache_dir = Path(cache_dir)
    src = source_for(dataset, source, cache_dir, progress)
    src_hash = source_hash(src)
    folder = cache_dir / f"{dataset}-{cache_key(dataset, src_hash, params, copies, seed)}"
    if folder.exists() and not rebuild:
        try:
            return open_cache(folder, verify)
        except DataError as e:
            log(f"cache {folder.name} is damaged ({e}); rebuilding it")
    larger = None if rebuild else _larger_cache(cache_dir, dataset, src_hash, params, copies, seed, verify)
    if larger is not None:
        log(f"{dataset}: the first {plural(copies, 'augmented copy', 'augmented copies')} of {larger.path.name} "
            "(made with the same settings)")
        return larger
    start = time.perf_counter()
    arrays = read_source(src)
    x, y = arrays["x_train"], arrays["y_train"].astype(np.uint8)
    n = len(x)
    shape = (n * (1 + copies), 28, 28)
    with building(folder, needs_bytes=int(np.prod(shape)) + arrays["x_test"].nbytes) as tmp:
        # Written straight into the .npy file through a memory map: peak memory stays one copy's worth.
        xt = np.lib.format.open_memmap(tmp / "x_train.npy", mode="w+", dtype=np.uint8, shape=shape)
        allocate(tmp / "x_train.npy", xt.offset + xt.nbytes)
        xt[:n] = x
        for c in range(copies):
            augment(x, params, seed=seed * 1000 + c, out=xt[n * (c + 1): n * (c + 2)], progress=progress,
                    desc=f"copy {c + 1}/{copies}")
        xt.flush()
        del xt
        np.save(tmp / "y_train.npy", np.tile(y, 1 + copies))
        np.save(tmp / "x_test.npy", arrays["x_test"])
        np.save(tmp / "y_test.npy", arrays["y_test"].astype(np.uint8))
        seal(tmp, folder, {
            "format_version": CACHE_FORMAT_VERSION, "dataset": dataset, "source": str(src),
            "source_sha256": src_hash, "params": dataclasses.asdict(params), "copies": copies, "seed": seed,
            "counts": {"originals": n, "train": n * (1 + copies), "test": len(arrays["x_test"])},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "build_seconds": round(time.perf_counter() - start, 2)})
    return open_cache(folder, verify=False)


def _larger_cache(cache_dir: Path, dataset: str, src_hash: str, params: AugmentParams, copies: int, seed: int,
                  verify: bool) -> Dataset | None:
    """A cache of more copies made with the same source, settings and seed, cut to ``copies``: copy c
    is made from the seed and c alone, so the first copies of a larger cache are this one's."""
    wanted = {"dataset": dataset, "source_sha256": src_hash, "params": json.loads(json.dumps(dataclasses.asdict(params))),
              "seed": seed, "format_version": CACHE_FORMAT_VERSION}
    found = sorted((meta["copies"], path) for path, meta, _ in cached_entries(cache_dir)
                   if meta and all(meta.get(k) == v for k, v in wanted.items())
                   and isinstance(meta.get("copies"), int) and meta["copies"] > copies)
    for _, folder in found:
        try:
            d = open_cache(folder, verify)
        except DataError:
            continue
        rows = int(d.meta["counts"]["originals"]) * (copies + 1)
        meta = {**d.meta, "copies": copies, "counts": {**d.meta["counts"], "train": rows}, "taken_from": folder.name}
        return Dataset(d.x_train[:rows], d.y_train[:rows], d.x_test, d.y_test, meta, d.path)
    return None


def cached_entries(cache_dir: Path = CACHE_DIR) -> list[tuple[Path, dict | None, int]]:
    """(folder, meta or None if damaged, size in bytes) for every MNIST and Fashion-MNIST cache folder."""
    entries = []
    for folder in cache_folders(cache_dir, tuple(DATASETS)):
        try:
            meta = open_cache(folder, verify=False).meta
        except DataError:
            meta = None
        entries.append((folder, meta, folder_size(folder)))
    return entries


def load_raw(dataset: str = "mnist", source: Path | None = None, cache_dir: Path = CACHE_DIR,
             progress: bool = True) -> dict[str, np.ndarray]:
    """The validated, unaugmented arrays (x_train, y_train, x_test, y_test), fetched if needed."""
    return read_source(source_for(dataset, source, cache_dir, progress))


def raw_or_cached_originals(dataset: str = "mnist", source: Path | None = None, cache_dir: Path = CACHE_DIR,
                            progress: bool = True) -> tuple[np.ndarray, np.ndarray, str]:
    """Original training images for the visualiser: from a cache when one exists, else the raw set."""
    for folder, meta, _ in cached_entries(cache_dir):
        if meta and meta["dataset"] == dataset and source is None:
            d = open_cache(folder, verify=False)
            n = meta["counts"]["originals"]
            return d.x_train[:n], d.y_train[:n], f"cache {folder.name}"
    src = source_for(dataset, source, cache_dir, progress)
    arrays = read_source(src)
    return arrays["x_train"], arrays["y_train"], str(src)
