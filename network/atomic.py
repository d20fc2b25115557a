"""Atomic file writes: write a temporary file beside the target, fsync, then ``os.replace``.

A reader sees the old file or the new one, never half of one, even if the
process is killed or the machine loses power mid-write. ``deferred_interrupts``
holds Ctrl-C back until a write that must not be cut (a checkpoint) is done.
"""
from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file for writing; on success it replaces ``path``; on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    # mkstemp makes the file private (0600); give it the permissions a normal new file would get.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Ctrl-C (and SIGTERM or SIGHUP, where a Python handler takes them) arriving inside the block
    takes effect when it ends. A KeyboardInterrupt inside ``np.savez`` leaves its zip file half
    written, and closing that raises an error in place of the interrupt: a checkpoint written as
    Ctrl-C arrives would be lost and the command end with that error. Only in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    handlers = {getattr(signal, name): signal.getsignal(getattr(signal, name)) for name in names}
    handlers = {signum: handler for signum, handler in handlers.items() if callable(handler)}
    arrived: list[tuple[int, object]] = []
    for signum in handlers:
        signal.signal(signum, lambda signum, frame: arrived.append((signum, frame)))
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if arrived:
        signum, frame = arrived[0]
        handlers[signum](signum, frame)   # what the signal would have done: KeyboardInterrupt, as a rule
