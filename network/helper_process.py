"""Helper processes for shared training (network/parallel.py): started once, kept between fits.

A helper is ``python -c`` running ``network.parallel_helper.serve``: it takes commands as JSON lines on its
stdin and answers on its stdout, so no pickling and no re-import of the user's main script (as
multiprocessing's spawn would do). It is in a session of its own, so Ctrl-C goes to the training
process alone, and it exits when its stdin closes, that is when the training process ends.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import subprocess
import sys
import threading
from pathlib import Path

from .errors import ParallelTrainingError

START_TIMEOUT_S = 60.0

_BOOT = ("import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); sys.path.insert(0, sys.argv[1]); "
         "from network.parallel_helper import serve; serve()")


class Helper:
    """A helper process: commands as JSON lines on its stdin, answers on its stdout."""

    def __init__(self) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        root = str(Path(__file__).resolve().parent.parent)
        try:
            self.proc = subprocess.Popen([sys.executable, "-c", _BOOT, root], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
                                         start_new_session=True)   # Ctrl-C is for the training process
        except OSError as e:
            raise ParallelTrainingError(f"cannot start a helper process: {e}") from None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, message: dict) -> None:
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
        except OSError:
            self.check()
            raise ParallelTrainingError("the helper process does not listen") from None

    def _answer(self, timeout: float) -> dict | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        try:
            return json.loads(line) if line else None
        except ValueError:
            return {"error": f"an answer that is not JSON: {line[:80]!r}"}

    def expect_ready(self) -> None:
        answer = self._answer(START_TIMEOUT_S)
        if answer is None or "error" in answer:
            self.check()
            raise ParallelTrainingError(f"the helper process could not join: "
                                        f"{answer['error'] if answer else 'no answer'}")

    def check(self) -> None:
        """Raise if the helper died or reported a failure."""
        if not self.alive():
            raise ParallelTrainingError(f"the helper process stopped (exit code {self.proc.returncode}); "
                                        "train with workers=1 (ModelManager.py: --workers 1)")
        answer = self._answer(0)
        if answer and "error" in answer:
            raise ParallelTrainingError(f"the helper process failed: {answer['error']}")

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _Pool:
    """Helpers kept between fits (starting one costs ~0.2 s); one training at a time uses them."""

    def __init__(self) -> None:
        self.idle: list[Helper] = []
        self.lock = threading.Lock()
        self.busy = False

    def take(self, count: int) -> list[Helper]:
        with self.lock:
            if self.busy:
                raise ParallelTrainingError("another training in this process is using the helpers")
            self.busy = True
            self.idle = [h for h in self.idle if h.alive()]
            try:
                while len(self.idle) < count:
                    self.idle.append(Helper())
            except BaseException:
                self.busy = False
                raise
            taken, self.idle = self.idle[:count], self.idle[count:]
            return taken

    def give_back(self, helpers: list[Helper], broken: bool = False) -> None:
        with self.lock:
            for helper in helpers:
                if broken or not helper.alive():
                    helper.stop()
                else:
                    self.idle.append(helper)
            self.busy = False

    def shutdown(self) -> None:
        with self.lock:
            for helper in self.idle:
                helper.stop()
            self.idle = []


POOL = _Pool()
atexit.register(POOL.shutdown)
