"""Opening a file the user named, safely: a regular file of bounded size, or one clear line.

A FIFO would block the read forever, a device or a huge (even sparse) file would take forever to
read or hash, so every file we are given is checked with ``regular_file`` before it is opened.
"""
from __future__ import annotations

import os
import stat

from app.errors import AppError, DataError


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
