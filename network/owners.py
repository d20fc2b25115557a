"""Who made a temporary file or folder: its name carries the owner's process id and start time
(``<pid>-<start>``), so anyone can later tell a file whose process is gone (left behind by a kill)
from one that is still being written, and remove only the first kind."""
from __future__ import annotations

import os
import re

TAG = re.compile(r"(\d+)-(\d+)")


def process_start(pid: int) -> int:
    """When process ``pid`` started, in clock ticks since boot (Linux), 0 where that cannot be known.
    With the pid it names a process for good: a pid is reused, a (pid, start) pair is not."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[19])   # field 22, counted after the name
    except (OSError, ValueError, IndexError):
        return 0


def own_tag() -> str:
    """This process's tag, ``<pid>-<start>``, to put in the names of the temporary things it makes."""
    pid = os.getpid()
    return f"{pid}-{process_start(pid)}"


def alive(pid: int, start: int) -> bool:
    """Whether the process that made a tag ``<pid>-<start>`` still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's process: it runs
        pass
    except OverflowError:
        return False
    now = process_start(pid)
    return not (start and now and now != start)   # the same pid, started at another time: not the owner
