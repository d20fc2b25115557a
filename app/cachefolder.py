"""A verified folder of arrays: what a data cache is made of.

A cache folder holds one ``.npy`` file per array and ``meta.json`` (the settings it was built
with, and the size and SHA-256 of every file). It is written into a temporary folder beside its
final place (after checking the free space) and renamed when complete, so a reader sees all of
it or none of it; a failed build removes its temporary folder, and one left by a killed process
is removed by the next build of the same cache. On opening, the sizes (and, unless told
otherwise, the hashes) are checked, so a truncated or altered cache is reported and built again
instead of being trusted.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from app.errors import DataError
from app.files import regular_file, sha256_of
from network.owners import alive, own_tag
from network.portable import reserve

MAX_META_BYTES = 1 << 20
DOWNLOADS = "downloads"   # the verified downloads and the kept copies of files the user gave
# What every cache's meta.json holds (and what listing and loading rely on).
META_SCHEMA = {"dataset": str, "counts": dict, "copies": int, "seed": int, "params": dict, "created": str,
               "source_sha256": str}


@contextlib.contextmanager
def building(folder: Path, needs_bytes: int = 0) -> Iterator[Path]:
    """A temporary folder beside ``folder`` to build it in; removed if the block fails (a full disk,
    Ctrl-C, any error). ``needs_bytes`` is checked against the free space first. Finish with ``seal``."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(folder.parent)
    free = shutil.disk_usage(folder.parent).free
    if needs_bytes and free < needs_bytes * 1.05 + (16 << 20):
        raise DataError(f"not enough free space in {folder.parent} to build {folder.name}: it needs about "
                        f"{needs_bytes / 1e6:.0f} MB, {free / 1e6:.0f} MB are free")
    # Named after its builder (pid and start time): another build of the same cache at the same
    # time leaves it alone; once its builder is gone it is a leftover, for the next build to remove.
    # It is named before it is made, so that a signal coming just as it is made (Ctrl-C, SIGTERM)
    # still removes it (mkdtemp's folder has no name until it returns).
    tmp = folder.parent / f".{folder.name}.{own_tag()}.{secrets.token_hex(8)}"
    try:
        tmp.mkdir(mode=0o700)
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def allocate(path: Path, nbytes: int) -> None:
    """Reserve ``nbytes`` for ``path`` before it is written through a memory map: on a full disk the
    reservation fails with ENOSPC, where writing into an unbacked memory map would crash with SIGBUS."""
    with open(path, "r+b") as f:
        reserve(f.fileno(), nbytes, Path(path).parent)


def seal(tmp: Path, folder: Path, meta: dict) -> dict:
    """Hash the arrays in ``tmp``, write ``meta.json``, flush it all to disk and rename ``tmp`` to
    ``folder`` (replacing an old, damaged one). Returns the meta as written."""
    names = sorted(p.stem for p in tmp.glob("*.npy"))
    meta = dict(meta, files={name: {"size": (tmp / f"{name}.npy").stat().st_size,
                                    "sha256": sha256_of(tmp / f"{name}.npy")} for name in names})
    with open(tmp / "meta.json", "w") as f:
        f.write(json.dumps(meta, indent=2) + "\n")
    for path in tmp.iterdir():
        with open(path, "rb") as f:
            os.fsync(f.fileno())
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)  # the whole folder appears at once, complete
    return meta


def write_folder(folder: Path, arrays: dict[str, np.ndarray], meta: dict) -> dict:
    """Write ``arrays`` and ``meta`` (plus the file sizes and hashes) to ``folder``, atomically;
    returns the meta as written. Nothing is left behind if anything fails."""
    folder = Path(folder)
    with building(folder, needs_bytes=sum(a.nbytes for a in arrays.values())) as tmp:
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        return seal(tmp, folder, meta)


def cache_folders(cache_dir: Path, datasets: tuple[str, ...]) -> list[Path]:
    """The complete cache folders of these data sets in ``cache_dir`` (named ``<dataset>-<key>``)."""
    return sorted(folder for folder in Path(cache_dir).glob("*-*")
                  if folder.is_dir() and not folder.is_symlink() and folder.name.split("-", 1)[0] in datasets)


def folder_size(folder: Path) -> int:
    """Bytes in the regular files below ``folder``."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def clear_cache(cache_dir: Path, datasets: tuple[str, ...], downloads: bool = False) -> int:
    """Remove what the cache made in ``cache_dir``, and nothing else: the complete cache folders of
    ``datasets`` (each holds its meta.json), the leftovers of interrupted builds and, only if asked,
    the kept downloads. Links are never followed. Returns the bytes freed."""
    cache_dir = Path(cache_dir)
    if not cache_dir.is_dir() or cache_dir.is_symlink():
        return 0
    doomed = [f for f in cache_folders(cache_dir, datasets) if (f / "meta.json").is_file()] + leftovers(cache_dir)
    if downloads and (cache_dir / DOWNLOADS).is_dir() and not (cache_dir / DOWNLOADS).is_symlink():
        doomed.append(cache_dir / DOWNLOADS)
    freed = 0
    for path in doomed:
        freed += folder_size(path)
        shutil.rmtree(path, ignore_errors=True)
    return freed


def leftovers(cache_dir: Path) -> list[Path]:
    """Temporary folders of interrupted builds in ``cache_dir``: those whose builder no longer runs
    (a killed process cannot clean up after itself), and those of an older version, which named no
    builder. A build still running is never one."""
    found = []
    for path in Path(cache_dir).glob(".*-*.*"):
        if not path.is_dir() or path.is_symlink():
            continue
        owner = _BUILDER.search(path.name)
        if owner is None or not alive(int(owner.group(1)), int(owner.group(2))):
            found.append(path)
    return sorted(found)


_BUILDER = re.compile(r"\.(\d+)-(\d+)\.[^.]*$")


def remove_leftovers(cache_dir: Path) -> None:
    for path in leftovers(cache_dir):
        shutil.rmtree(path, ignore_errors=True)


def open_folder(folder: Path, names: tuple[str, ...], format_version: int,
                verify: bool = True, counts: tuple[str, ...] = ("train",)) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays (memory-mapped, read-only) and meta of a complete cache folder, or ``DataError``."""
    folder = Path(folder)
    meta_path = folder / "meta.json"
    regular_file(meta_path, MAX_META_BYTES, "a cache description")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError, RecursionError) as e:
        raise DataError(f"{folder}: meta.json unreadable ({type(e).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format_version") != format_version:
        raise DataError(f"{folder}: not a cache of format {format_version}")
    for key, kind in META_SCHEMA.items():
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            raise DataError(f"{folder}: meta.json has no valid {key!r}")
    if not all(isinstance(meta["counts"].get(k), int) for k in counts):
        raise DataError(f"{folder}: meta.json has invalid counts")
    files = meta.get("files")
    arrays = {}
    for name in names:
        path = folder / f"{name}.npy"
        expected = files.get(name) if isinstance(files, dict) else None
        if not isinstance(expected, dict):
            raise DataError(f"{folder}: meta.json does not describe {name}.npy")
        if not path.is_file():
            raise DataError(f"{path}: missing")
        if path.stat().st_size != expected.get("size"):
            raise DataError(f"{path}: {path.stat().st_size} bytes, expected {expected.get('size')} (truncated?)")
        if verify and sha256_of(path) != expected.get("sha256"):
            raise DataError(f"{path}: SHA-256 differs from meta.json (corrupted)")
        try:
            arrays[name] = np.load(path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as e:
            raise DataError(f"{path}: not a readable array ({e})") from None
    return arrays, meta
