"""Memory a step will need, estimated and checked before it starts: a setting that asks for more than
the machine has (``--copies 1000``, a data set a thousand times MNIST's size) is refused at once with
the figures, not after minutes of work with a MemoryError or the system's out-of-memory killer."""
from __future__ import annotations

import os

from app.errors import AppError


class NotEnoughMemory(AppError):
    """A step would need more memory than the machine has available."""


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def require_memory(nbytes: int, what: str, hint: str) -> None:
    """NotEnoughMemory naming ``what``, the figures and ``hint`` when ``nbytes`` is more than is available."""
    free = available_memory()
    if free is not None and nbytes > free:
        raise NotEnoughMemory(f"{what} needs about {nbytes / 1e9:.1f} GB of memory, {free / 1e9:.1f} GB are "
                              f"available; {hint}")
