"""Opening a file the user named, safely: a regular file of bounded size, or one clear line.

A FIFO would block the read forever, a device or a huge (even sparse) file would take forever to
read or hash, so every file we are given is checked with ``regular_file`` before it is opened.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO

from app.errors import AppError, DataError
from network.atomic import atomic_write


def regular_file(path: str | os.PathLike, limit: int, what: str, error: type[AppError] = DataError) -> os.stat_result:
    """``os.stat(path)`` if ``path`` is a regular file of at most ``limit`` bytes; else ``error`` with
    one line naming the file and the problem (``what`` says what kind of file was expected)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as e:
        raise error(f"{path}: cannot be read ({e.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{path}: not a regular file")
    if info.st_size > limit:
        raise error(f"{path}: {info.st_size} bytes, too large for {what} (limit {limit})")
    return info


def keep_copy(source: Path, copy: Path, acceptable: Callable[[Path], bool]) -> None:
    """Keep a copy of a file the user gave in the cache (atomically), so later commands find it
    offline; only if ``acceptable(source)`` and the same bytes are not there already. A failure
    is not an error: the given file itself is used this time."""
    try:
        if copy.is_file() and copy.stat().st_size == Path(source).stat().st_size and \
                _same_bytes(copy, Path(source)):
            return
        if not acceptable(Path(source)):
            return
        with open(source, "rb") as src, atomic_write(copy) as dst:
            shutil.copyfileobj(src, dst)
    except (OSError, AppError):
        pass


def _same_bytes(a: Path, b: Path) -> bool:
    return sha256_of(a) == sha256_of(b)


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def check_output(path: str | os.PathLike, what: str, error: type[AppError] = AppError) -> Path:
    """``path`` if a command may write a file there: nothing there yet, or a regular file (never a
    device, a FIFO, a folder or a symbolic link, which a write as root would replace or follow)."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as e:
        raise error(f"{path}: cannot be written ({e.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "a folder" if stat.S_ISDIR(info.st_mode) else \
            "not a regular file"
        raise error(f"{path}: {kind}; not writing the {what} over it")
    return path


def write_picture(path: str | os.PathLike, save: Callable[[IO], None], what: str = "picture") -> Path:
    """Write a PNG at exactly ``path`` (no extension added) through ``save(file)``, atomically: a full
    disk or Ctrl-C leaves the old file or none, never half of one."""
    path = check_output(path, what)
    with atomic_write(path) as f:
        save(f)
    return path
