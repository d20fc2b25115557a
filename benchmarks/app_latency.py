"""How fast the window starts and how fast a stroke turns into a prediction on screen.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/app_latency.py [--model default] [--json]

Needs a display (DISPLAY, e.g. Xvfb). Measures:
- start: from launching ``python interface.py`` to the window mapped with the model loaded;
- read: rasterise + preprocess + predict for one motion event (the measured part of the 15 ms budget);
- event to screen: a synthetic <B1-Motion> event on the real canvas until the display is updated;
- network view: one update of Tools > Network view (explanation, saliency, grids, receptive
  fields, redrawn widgets), run for every motion event of the same strokes;
- with ``--pen pendigits-train.unipen``: a ten-digit number written on the canvas (synthetic numbers of
  the pen writers the default model never saw, every other point of each stroke a motion event): each
  event until the whole number is read again and the display updated (the issue's "stroke change to
  screen"), the canvas zoomed out so the number fits.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as interface.py does, before numpy loads

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def startup_seconds(models_dir: Path, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "state.json"
            start = time.perf_counter()
            proc = subprocess.Popen([sys.executable, str(ROOT / "interface.py"), "--models-dir", str(models_dir),
                                     "--state-file", str(state)], cwd=ROOT)
            while True:
                try:
                    s = json.loads(state.read_text())
                    if s["canvas"][2] > 100 and s["model"]:
                        break
                except (OSError, ValueError, KeyError):
                    pass
                if time.perf_counter() - start > 30:
                    raise RuntimeError("the window did not come up in 30 s")
                time.sleep(0.005)
            times.append(time.perf_counter() - start)
            proc.terminate()
            proc.wait()
    return min(times)


def stroke_points(n: int = 200):
    t = np.linspace(0, 2 * np.pi, n)
    return np.stack([140 + 80 * np.sin(t), 140 - 100 * np.cos(t)], 1)


def latencies(model_name: str, models_dir: Path) -> tuple[list[float], list[float]]:
    import tkinter as tk

    from app.gui.window import DigitApp

    root = tk.Tk()
    app = DigitApp(root, models_dir)
    root.update()
    canvas = app.canvas.widget
    pts = stroke_points() * app.canvas.scale
    read, screen = [], []
    for k in range(3):  # three strokes of 200 motion events
        canvas.event_generate("<ButtonPress-1>", x=int(pts[0][0]), y=int(pts[0][1]))
        for x, y in pts[1:]:
            t = time.perf_counter()
            canvas.event_generate("<B1-Motion>", x=int(x) + k, y=int(y), state=0x100)
            app.predict_now()          # what the after() callback does, without waiting for it
            root.update_idletasks()    # redraw the widgets
            screen.append(time.perf_counter() - t)
            read.append(app.reading.seconds)
        canvas.event_generate("<ButtonRelease-1>", x=int(pts[-1][0]), y=int(pts[-1][1]))
        app.clear()
    app.quit()
    return read, screen


def number_latencies(model_name: str, models_dir: Path, pen: Path, count: int = 10) -> list[float]:
    """Each motion event of ``count`` ten-digit numbers until the number is read again and shown."""
    import tkinter as tk

    from app.gui.window import DigitApp
    from app.models.model_store import load
    from app.pen import pendigits
    from app.reading import synthetic_numbers

    held = set(load(model_name, models_dir).metadata["pen"]["held_out_writers"])
    digits = [d for d in pendigits.read_unipen(pen) if d.writer in held]
    root = tk.Tk()
    app = DigitApp(root, models_dir)
    root.geometry("1400x700")   # a wide window: the number fits at a zoom the canvas allows
    root.update()
    canvas, times = app.canvas.widget, []
    for strokes, *_ in synthetic_numbers.numbers(digits, count, 5, (10, 10)):
        right = max(x for s in strokes for x, _ in s.points) + 40
        app.canvas.widen(max(1.0, right / app.drawing.width * app.canvas.zoom))
        root.update()
        for stroke in strokes:
            pts = [(x * app.canvas.scale, y * app.canvas.scale) for x, y in stroke.points[::2]]
            canvas.event_generate("<ButtonPress-1>", x=int(pts[0][0]), y=int(pts[0][1]))
            for x, y in pts[1:]:
                t = time.perf_counter()
                canvas.event_generate("<B1-Motion>", x=int(x), y=int(y), state=0x100)
                app.predict_now()
                root.update_idletasks()
                times.append(time.perf_counter() - t)
            canvas.event_generate("<ButtonRelease-1>", x=int(pts[-1][0]), y=int(pts[-1][1]))
        app.clear()
    app.quit()
    return times


def view_updates(models_dir: Path) -> list[float]:
    import tkinter as tk

    from app.gui.network_view import NetworkView
    from app.gui.window import DigitApp

    root = tk.Tk()
    app = DigitApp(root, models_dir)
    app.open_network_view()
    view: NetworkView = app.network_view
    root.update()
    canvas = app.canvas.widget
    pts = stroke_points() * app.canvas.scale
    times = []
    canvas.event_generate("<ButtonPress-1>", x=int(pts[0][0]), y=int(pts[0][1]))
    for x, y in pts[1:]:
        canvas.event_generate("<B1-Motion>", x=int(x), y=int(y), state=0x100)
        app.predict_now()
        t = time.perf_counter()
        view.update()              # what the view's after() callback does
        root.update_idletasks()    # and the redraw of its widgets
        times.append(time.perf_counter() - t)
    app.quit()
    return times


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="default")
    p.add_argument("--models-dir", type=Path, default=ROOT / "saved_models")
    p.add_argument("--json", action="store_true")
    p.add_argument("--pen", type=Path, help="pendigits-train.unipen: also ten-digit numbers written on the canvas")
    args = p.parse_args()
    if not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        sys.exit("app_latency: needs a display (DISPLAY is not set; on a server: Xvfb :99 & DISPLAY=:99 ...)")
    # The windows opened here keep their settings (size, brush) in a file of their own, not the user's.
    os.environ["DIGITS_SETTINGS"] = str(Path(tempfile.mkdtemp()) / "settings.json")
    read, screen = latencies(args.model, args.models_dir)
    result = {
        "startup_seconds": round(startup_seconds(args.models_dir), 3),
        "read_ms": {"median": round(float(np.median(read)) * 1e3, 2), "p99": round(float(np.percentile(read, 99)) * 1e3, 2)},
        "event_to_screen_ms": {"median": round(float(np.median(screen)) * 1e3, 2),
                               "p99": round(float(np.percentile(screen, 99)) * 1e3, 2)},
    }
    view = view_updates(args.models_dir)
    result["network_view_update_ms"] = {"median": round(float(np.median(view)) * 1e3, 2),
                                        "p99": round(float(np.percentile(view, 99)) * 1e3, 2)}
    if args.pen:
        number = number_latencies(args.model, args.models_dir, args.pen)
        result["ten_digit_number_event_to_screen_ms"] = {"median": round(float(np.median(number)) * 1e3, 2),
                                                         "p99": round(float(np.percentile(number, 99)) * 1e3, 2)}
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
