"""Named arrays in one shared-memory file, mapped by the training process and its helpers.

The file goes in /dev/shm (memory, not disk) where there is one, gets all its room at once
(``portable.reserve``: a full /dev/shm is an error now, not a crash at the first write), and is
unlinked by the trainer as soon as every helper has mapped it. A process killed before that (in the
fraction of a second while its helpers start) leaves the file behind, in memory, until the machine
restarts; so the file is named after its owner (``network-train-<pid>-<start time>-<random>``) and
every training start removes the files whose owner no longer runs (``remove_orphans``), never one
whose owner is alive. Arrays start on 64-byte boundaries, so no two processes' rows share a cache line
more than they must.
"""
from __future__ import annotations

import mmap
import os
import re
import tempfile
import time

import numpy as np

from .errors import ParallelTrainingError
from .owners import alive, own_tag
from .portable import reserve, shared_folder

PREFIX = "network-train-"
_OWNED = re.compile(PREFIX + r"(\d+)-(\d+)-")
ORPHAN_AGE_S = 600   # a file of the old naming (no owner in its name) counts as left behind only this long after


def _mapped_by_a_process(path: str) -> bool:
    """Whether any process maps ``path`` (Linux: /proc/*/maps); True where that cannot be seen."""
    if not os.path.isdir("/proc/self"):
        return True
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/maps") as f:
                if path in f.read():
                    return True
        except OSError:
            continue
    return False


def remove_orphans(folder: str | None = None) -> list[tuple[str, int]]:
    """Remove the shared files of training sessions whose owner no longer runs; returns (path, bytes)
    of each. A file of the old naming, without its owner, goes only if it is old and no process maps it."""
    folder = folder or shared_folder()
    removed = []
    try:
        names = [n for n in os.listdir(folder) if n.startswith(PREFIX)]
    except OSError:
        return removed
    for name in names:
        path = os.path.join(folder, name)
        owner = _OWNED.match(name)
        try:
            info = os.lstat(path)
            if owner:
                if alive(int(owner.group(1)), int(owner.group(2))):
                    continue
            elif info.st_mtime > time.time() - ORPHAN_AGE_S or _mapped_by_a_process(path):
                continue
            os.unlink(path)
        except OSError:   # gone already, or another user's (a sticky /dev/shm): not ours to remove
            continue
        removed.append((path, info.st_size))
    return removed


def _layout(specs: dict[str, tuple[tuple[int, ...], str]]) -> tuple[dict, int]:
    """Offsets for named arrays, each 64-byte aligned (a cache line: no two processes write one line)."""
    layout, offset = {}, 0
    for name, (shape, dtype) in specs.items():
        layout[name] = (offset, list(shape), dtype)
        offset += -(-int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize // 64) * 64
    return layout, max(offset, 64)


class SharedBlock:
    """Named arrays at fixed offsets in one shared mapping, and the control words as memoryviews
    (reading one costs ~40 ns, a tenth of a numpy scalar's)."""

    def __init__(self, fd: int, size: int, layout: dict) -> None:
        self.size, self.layout = size, layout
        self.map = mmap.mmap(fd, size)
        self.arrays = {name: np.frombuffer(self.map, dtype=dtype, count=int(np.prod(shape, dtype=np.int64)),
                                           offset=offset).reshape(shape)
                       for name, (offset, shape, dtype) in layout.items()}
        ctl_at, ctl_shape, _ = layout["ctl"]
        val_at, val_shape, _ = layout["val"]
        self.ctl = memoryview(self.map)[ctl_at:ctl_at + 8 * ctl_shape[0]].cast("q")
        self.val = memoryview(self.map)[val_at:val_at + 8 * val_shape[0]].cast("d")

    @classmethod
    def create(cls, specs: dict) -> tuple["SharedBlock", str]:
        layout, size = _layout(specs)
        folder = shared_folder()
        fd, path = tempfile.mkstemp(prefix=f"{PREFIX}{own_tag()}-", dir=folder)
        try:
            try:
                reserve(fd, size, folder)   # room now, or an error now (not SIGBUS at the first write)
            except OSError as e:
                raise ParallelTrainingError(f"no room for {size / 1e6:.0f} MB of shared memory in "
                                            f"{folder}: {e.strerror}") from None
            return cls(fd, size, layout), path
        except BaseException:
            os.unlink(path)
            raise
        finally:
            os.close(fd)

    @classmethod
    def attach(cls, path: str, size: int, layout: dict) -> "SharedBlock":
        fd = os.open(path, os.O_RDWR)
        try:
            if os.fstat(fd).st_size != size:
                raise ParallelTrainingError(f"{path}: not the shared block we were told of")
            return cls(fd, size, layout)
        finally:
            os.close(fd)

    def release(self) -> None:
        """Forget the mapping here (it lives on while the model's arrays point into it)."""
        self.ctl.release()
        self.val.release()
        self.arrays = {}
