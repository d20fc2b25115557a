"""Named arrays in one shared-memory file, mapped by the training process and its helpers.

The file goes in /dev/shm (memory, not disk) where there is one, gets all its room at once
(``posix_fallocate``: a full /dev/shm is an error now, not a crash at the first write), and is
unlinked by the trainer as soon as every helper has mapped it, so nothing is left behind even if a
process is killed. Arrays start on 64-byte boundaries, so no two processes' rows share a cache line
more than they must.
"""
from __future__ import annotations

import mmap
import os
import tempfile

import numpy as np

from .errors import ParallelTrainingError


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
        folder = "/dev/shm" if os.path.isdir("/dev/shm") else None
        fd, path = tempfile.mkstemp(prefix="network-train-", dir=folder)
        try:
            try:
                os.posix_fallocate(fd, 0, size)   # room now, or an error now (not SIGBUS at the first write)
            except OSError as e:
                raise ParallelTrainingError(f"no room for {size / 1e6:.0f} MB of shared memory in "
                                            f"{folder or tempfile.gettempdir()}: {e.strerror}") from None
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
