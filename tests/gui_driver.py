"""Drive the real app window with xdotool, as a person would with a mouse (a helper for the GUI tests)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def xdo(*args: str) -> str:
    return subprocess.run(["xdotool", *args], check=True, capture_output=True, text=True).stdout.strip()


class AppWindow:
    """``python interface.py`` in a subprocess, its state file, and mouse and keyboard actions."""

    def __init__(self, models_dir: Path, state_file: Path, extra_env: dict | None = None) -> None:
        self.state_file = state_file
        state_file.unlink(missing_ok=True)  # never mistake an old window's state for this one's
        # Each window its own settings file (what one test's window remembers is not the next one's).
        env = {**os.environ, "DIGITS_SETTINGS": str(state_file.with_name("settings.json")), **(extra_env or {})}
        xdo("mousemove", "0", "0")  # start with the pointer off the canvas
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "interface.py"), "--models-dir", str(models_dir),
                                      "--state-file", str(state_file)], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Settled: laid out, and grown to its minimum size (the menu bar is not in the window's height).
        self.state = self.wait_for(lambda s: s["canvas"][2] > 100 and s["chooser"][2] > 10
                                   and s["window"][3] >= s["minsize"][1] - 60, timeout=20)
        self.window = xdo("search", "--sync", "--pid", str(self.proc.pid), "--name", "Digit recogniser").splitlines()[0]

    def read_state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def wait_for(self, condition, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited with {self.proc.returncode}: {self.proc.stderr.read()}")
            state = self.read_state()
            if state is not None and condition(state):
                self.state = state
                return state
            time.sleep(0.05)
        raise AssertionError(f"timed out; the window shows {self.read_state()}")

    def draw(self, strokes, margin: float = 0.18, pause: float = 0.003) -> dict:
        """Drag the mouse along each stroke (unit-square coordinates) on the canvas's left square,
        ``pause`` seconds between motion events (as a hand moves, not as fast as xdotool can: on a
        loaded machine Tk merges the motion events it has not handled yet, and a hatching kept only
        some of its corners was not said "not a digit" once, as ``pen`` found a 3 read as a 7)."""
        self.state = self.read_state() or self.state   # where the canvas is now (the window may have resized)
        x0, y0, side = self.state["canvas"][:3]
        span = side * (1 - 2 * margin)
        return self.drag([[(x0 + side * margin + x * span, y0 + side * margin + y * span) for x, y in stroke]
                          for stroke in strokes], pause)

    def drag(self, strokes, pause: float = 0.0, every_pixel: bool = False) -> dict:
        """Drag the mouse along each stroke (screen pixels): four motion events a segment, or one
        every pixel (``every_pixel``: a slow hand, or a tablet, gives a point every pixel or so)."""
        before = self.state["strokes"]
        for stroke in strokes:
            points = [(round(x), round(y)) for x, y in stroke]
            xdo("mousemove", str(points[0][0]), str(points[0][1]))
            xdo("mousedown", "1")
            for (ax, ay), (bx, by) in zip(points, points[1:]):
                steps = max(4, round(max(abs(bx - ax), abs(by - ay)))) if every_pixel else 4
                for t in (k / steps for k in range(1, steps + 1)):  # intermediate motion events, as a real hand makes
                    xdo("mousemove", str(round(ax + (bx - ax) * t)), str(round(ay + (by - ay) * t)))
                    time.sleep(pause)
                # A hand slows at a corner; and a Tk busy (or descheduled) while the pointer passes one
                # merges its motion event into the next, so the corner is lost (CI read a 7 whose
                # corner was lost as a 1 once): a dwell lets the window take the corner's event first.
                time.sleep(max(pause, 0.02))
            xdo("mouseup", "1")
        # Settled: every stroke recorded, the button released, and the reading made after it.
        return self.wait_for(lambda s: s["strokes"] == before + len(strokes) and not s["drawing"])

    def key(self, *keys: str) -> None:
        x0, y0, side = self.state["canvas"][:3]
        xdo("mousemove", str(x0 + side // 2), str(y0 + side // 2))  # focus follows the pointer here
        xdo("windowfocus", "--sync", self.window)
        xdo("key", *keys)

    def write(self, digits: list, size: float = 0.35, gap: float = 0.15, late: tuple = (), every_pixel: bool = False) -> dict:
        """Write a number as a person does: each digit (a list of unit-square strokes, drawn 0.7 as
        wide as high) beside the one before, on the same line and of the same size as the first,
        ``size`` of the canvas's height high at first and ``gap`` of a digit's height apart. The
        canvas zooms out as the writing nears its right edge; the hand follows what it sees. The
        strokes ``late`` names ((digit, stroke) pairs) are left out, and added once the number is
        written, where they belong: a 4's stem, a 7's cross added last. ``every_pixel``: see ``drag``."""
        first = None   # the first digit's top and height, in canvas units
        placed = []    # each digit's left, top and height, in canvas units
        for number, strokes in enumerate(digits):
            self.state = self.read_state() or self.state
            x0, y0, side = self.state["canvas"][:3]
            scale = side / (280 * self.state["zoom"])   # screen pixels per canvas unit
            if first is None:
                height = side * size
                left, top = x0 + 0.1 * side, y0 + (side - height) / 2
                first = ((top - y0) / scale, height / scale)
            else:
                height = first[1] * scale
                left = x0 + max(d["box"][2] for d in self.state["digits"]) * scale + gap * height
                top = y0 + first[0] * scale
            placed.append(((left - x0) / scale, (top - y0) / scale, height / scale))
            self.pen([stroke for k, stroke in enumerate(strokes) if (number, k) not in late], placed[-1], every_pixel)
            time.sleep(0.8)   # as a hand pauses between digits: the canvas may zoom out meanwhile
        for number, k in late:
            self.pen([digits[number][k]], placed[number], every_pixel)
            time.sleep(0.8)
        return self.wait_for(lambda s: not s["drawing"])

    def pen(self, strokes: list, place: tuple[float, float, float], every_pixel: bool = False,
            pause: float = 0.003) -> None:
        """Draw unit-square strokes at ``place`` (left, top, height in canvas units), at a hand's pace
        (``pause``, 3 ms, between motion events): as fast as xdotool can, a loaded machine's Tk merges
        the motion events it has not handled yet, and a 3 kept only some of its corners (CI read
        "1374017" as "1774017" once; either model reads a 3 with a fifth of its points as a 7 now and
        then). Each stroke is placed where the canvas shows ``place`` when it begins, as a hand follows
        what it sees: should the canvas zoom out between two strokes of a digit (a loaded machine may
        take longer between them than the window waits), its next stroke still lands on it (CI read a
        4's stem drawn at the old zoom as "1374017" -> "137?017" once)."""
        for stroke in strokes:
            self.state = self.read_state() or self.state
            x0, y0, side = self.state["canvas"][:3]
            scale = side / (280 * self.state["zoom"])
            left, top, height = (x0 + place[0] * scale, y0 + place[1] * scale, place[2] * scale)
            self.drag([[(left + 0.7 * x * height, top + y * height) for x, y in stroke]], pause=pause, every_pixel=every_pixel)

    def right_click_canvas(self) -> None:
        x0, y0, side = self.state["canvas"][:3]
        xdo("mousemove", str(x0 + side // 2), str(y0 + side // 2), "click", "3")

    def screenshot(self, path: Path) -> None:
        subprocess.run(["import", "-window", self.window, str(path)], check=True)

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=10)


def click(geometry: list[int]) -> None:
    x, y, w, h = geometry
    xdo("mousemove", str(x + w // 2), str(y + h // 2), "click", "1")
