"""The calls that differ between Linux, macOS and Windows, each with its fallback, in one place.

- ``try_lock(fd)``, ``unlock(fd)``: an exclusive lock on an open file, released when the file is
  closed or the process ends however it ends (``fcntl.flock`` on Unix, ``msvcrt.locking`` on
  Windows; with neither, the owner's tag in the file, stale once its process is gone).
- ``NOFOLLOW``: the ``os.open`` flag that refuses a symbolic link as the last part of a path (0
  where there is none; then ``open_no_follow`` checks with ``lstat`` first).
- ``reserve(fd, size)``: room on disk now, so a full disk is an error now, not a crash later
  (``posix_fallocate`` where it exists, else writing the last byte and checking the free space).
- ``shared_folder()``: where a file two processes map lives (``/dev/shm``, else the temp folder).

Nothing else in the project names ``fcntl``, ``msvcrt``, ``O_NOFOLLOW`` or ``posix_fallocate``.
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile

try:
    import fcntl
except ImportError:   # Windows
    fcntl = None
try:
    import msvcrt
except ImportError:   # Unix
    msvcrt = None

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def try_lock(fd: int) -> bool:
    """Lock the open file ``fd`` exclusively without waiting: True if we hold it now, False if
    another process does."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EACCES):
                return False
            raise
    if msvcrt is not None:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    return _tag_lock(fd)


_TAG_HELD: set[tuple[int, int]] = set()   # (device, inode) of the lock files this process holds by tag


def _tag_lock(fd: int) -> bool:
    """The last resort, with neither fcntl nor msvcrt: the lock file holds its owner's tag (process
    id and start time); a tag whose process is gone is stale. Unlike an OS lock, two processes
    starting in the very same instant could both take it: a system with no file locks at all."""
    from .owners import TAG, alive, own_tag

    info = os.fstat(fd)
    key = (info.st_dev, info.st_ino)
    if key in _TAG_HELD:   # held here already (an OS lock refuses a second open file too)
        return False
    os.lseek(fd, 0, os.SEEK_SET)
    found = TAG.fullmatch(os.read(fd, 64).decode("ascii", "replace").strip())
    if found and int(found[1]) != os.getpid() and alive(int(found[1]), int(found[2])):
        return False
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, own_tag().encode("ascii"))
    _TAG_HELD.add(key)
    return True


def unlock(fd: int) -> None:
    """Give up a lock taken with ``try_lock`` (then close the file): an OS lock goes with the file; a
    tag lock is cleared here (and a process that dies leaves a stale tag, which is not a lock)."""
    info = os.fstat(fd)
    key = (info.st_dev, info.st_ino)
    if key in _TAG_HELD:
        _TAG_HELD.discard(key)
        os.ftruncate(fd, 0)


def open_no_follow(path, flags: int, mode: int = 0o644) -> int:
    """``os.open`` that never opens through a symbolic link at ``path`` itself."""
    if not NOFOLLOW:
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                raise OSError(errno.ELOOP, "a symbolic link", str(path))
        except FileNotFoundError:
            pass
    return os.open(path, flags | NOFOLLOW, mode)


def reserve(fd: int, size: int, folder) -> None:
    """Room for ``size`` bytes in the open file ``fd`` (in ``folder``), or OSError (ENOSPC) now."""
    if hasattr(os, "posix_fallocate"):
        os.posix_fallocate(fd, 0, size)
        return
    if size > shutil.disk_usage(folder).free:   # the fallback: measure, then make the file that long
        raise OSError(errno.ENOSPC, "No space left on device")
    if size:
        os.lseek(fd, size - 1, os.SEEK_SET)
        os.write(fd, b"\0")
        os.lseek(fd, 0, os.SEEK_SET)


def shared_folder() -> str:
    """Where the shared files go: /dev/shm (memory) where there is one, else the temporary folder."""
    return "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
