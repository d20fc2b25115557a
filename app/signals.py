"""How a command ends when it is told to stop: Ctrl-C, ``kill`` (SIGTERM) and a closed terminal
(SIGHUP) all unwind the same way, so temporary files are removed and a training saves its
checkpoint; helper processes end with the process that started them."""
from __future__ import annotations

import os
import signal
import threading
import time


def stop_like_ctrl_c() -> None:
    """In a command's main thread: SIGTERM and SIGHUP raise KeyboardInterrupt, as Ctrl-C does (by
    default they end the process at once, leaving a half-built cache of many GB behind)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def end_quietly_when_output_closes() -> None:
    """For a command that only reads and prints: when what reads its output stops early (``| head``),
    end at once and silently, as Unix tools do (Python's default is a "Broken pipe" error). Not for a
    command that trains: its helpers talk through pipes too, and it must stop as Ctrl-C stops it."""
    if hasattr(signal, "SIGPIPE") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def worker_start() -> None:
    """For a pool's worker process: Ctrl-C is the parent's to handle (it stops the pool), SIGTERM
    and SIGHUP end the worker, and so does its parent's end, however it ends (even SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.2)
            if os.getppid() != parent:   # the parent is gone: we were handed to init
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
