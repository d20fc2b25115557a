"""Small synthetic data sets for the tests (no download, no real MNIST), and the window in-process."""
from __future__ import annotations

import contextlib
import http.server
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def make_arrays(n_train=120, n_test=30, seed=0):
    """Small MNIST-like arrays: a bright bar whose angle depends on the label."""
    rng = np.random.default_rng(seed)

    def images(labels):
        out = np.zeros((len(labels), 28, 28), np.uint8)
        for i, label in enumerate(labels):
            t = np.deg2rad(label * 18)
            for r in np.linspace(-8, 8, 40):
                out[i, int(round(14 + r * np.sin(t))), int(round(14 + r * np.cos(t)))] = 255
        return out

    y_train, y_test = rng.integers(0, 10, n_train).astype(np.uint8), rng.integers(0, 10, n_test).astype(np.uint8)
    return {"x_train": images(y_train), "y_train": y_train, "x_test": images(y_test), "y_test": y_test}



# Strokes of each digit on a unit square (x right, y down), as polylines.
DIGIT_STROKES = {
    0: [[(0.5, 0.05), (0.2, 0.2), (0.12, 0.5), (0.2, 0.8), (0.5, 0.95), (0.8, 0.8), (0.88, 0.5), (0.8, 0.2), (0.5, 0.05)]],
    1: [[(0.42, 0.14), (0.55, 0.05), (0.55, 0.95)]],  # a short flag: a long one reads as a 7
    7: [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]],
}


def draw_digit(strokes, size=280, width=18, margin=0.15, offset=(0, 0), scale=1.0, dark_on_light=True) -> Image.Image:
    """A drawing like a person's: round strokes on a canvas, optionally shifted and scaled."""
    bg, ink = (255, 0) if dark_on_light else (0, 255)
    im = Image.new("L", (size, size), bg)
    d = ImageDraw.Draw(im)
    span = size * (1 - 2 * margin) * scale
    for stroke in strokes:
        pts = [(size * margin + offset[0] + x * span, size * margin + offset[1] + y * span) for x, y in stroke]
        d.line(pts, fill=ink, width=width, joint="curve")
        for x, y in pts:
            d.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=ink)
    return im


class FixtureServer:
    """Serves files from a dict; ``truncate`` names files sent half-way and then cut off."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.truncate, self.requests = files, set(), []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path.lstrip("/"))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path.lstrip("/") in server.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.close()  # the transfer dies mid-way
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def make_unipen(writers: int = 3, per_digit: int = 2, seed: int = 0) -> str:
    """A small UNIPEN file in the layout of the UCI pen digits: the digits 0, 1 and 7 of
    ``DIGIT_STROKES`` by a few writers, each slightly distorted, in tablet units (y up)."""
    rng = np.random.default_rng(seed)
    lines = [".INCLUDE        dene.doc", "", '.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"', ".HIERARCHY      DIGIT", ""]
    k = 0
    for writer in range(1, writers + 1):
        for label, strokes in DIGIT_STROKES.items():
            for _ in range(per_digit):
                lines += [f'.SEGMENT DIGIT {k:4d} ? "{label}"', f".COMMENT {label} {writer:2d} {k:4d}"]
                for stroke in strokes:
                    lines.append(".PEN_DOWN")
                    for x, y in stroke:
                        px = 100 + 300 * x + rng.normal(0, 4)
                        py = 400 - 300 * y + rng.normal(0, 4)  # y grows upwards on the tablet
                        lines.append(f" {int(px):3d}  {int(py):3d}")
                    lines.append(".PEN_UP")
                lines += [".DT 100", ""]
                k += 1
    return "\n".join(lines) + "\n"


def tiny_workspace(root, n_train: int, n_test: int, *train_args: str) -> dict:
    """A fixture data set in ``root`` and a model named "tiny" trained on it by ``ModelManager.py
    train`` with ``train_args`` (the command-line tests' shared starting point)."""
    import ModelManager as mm

    source, models = root / "digits.npz", root / "models"
    np.savez(source, **make_arrays(n_train=n_train, n_test=n_test))
    code = mm.main(["train", "--name", "tiny", *train_args, "--source", str(source), "--models-dir", str(models),
                    "--quiet", "--pen-copies", "0"])
    assert code == 0
    return {"source": source, "models": models}


def run_command(capsys, *argv):
    """``ModelManager.py`` with ``argv``: its exit code, stdout and stderr."""
    import ModelManager as mm

    code = mm.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def phone_photo(page: np.ndarray, path: Path, degrees: float) -> Path:
    """``page`` (dark ink on light, 0..1) as a phone takes it, saved to ``path`` (JPEG): the sheet on a
    grained desk (0.3), the light falling off to one side, the photo turned ``degrees``, blurred, twice
    the size."""
    from PIL import ImageFilter
    from scipy import ndimage

    desk = 0.3 + 0.05 * np.sin(np.arange(page.shape[1] + 300) / 6.0)[None, :] + np.zeros((page.shape[0] + 240, 1))
    desk[120:120 + page.shape[0], 150:150 + page.shape[1]] = 0.92 * page
    desk *= 0.95 - 0.35 * np.arange(desk.shape[1])[None, :] / desk.shape[1]
    photo = ndimage.rotate(desk.astype(np.float32), degrees, reshape=False, order=1, cval=0.24)
    picture = Image.fromarray((np.clip(photo, 0, 1) * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    picture.resize((picture.width * 2, picture.height * 2), Image.BILINEAR).convert("RGB").save(path, quality=80)
    return path


def make_letters(writers: int = 3, per_digit: int = 2, seed: int = 1) -> str:
    """A small UNIPEN letters file, laid out like unipen-letters-train.unipen: the strokes of
    ``make_unipen`` written down as the characters A, x and # (``.SEGMENT CHARACTER``)."""
    import re

    chars = {"0": "A", "1": "x", "7": "#"}
    text = make_unipen(writers, per_digit, seed).replace(".HIERARCHY      DIGIT", ".HIERARCHY      CHARACTER")
    text = re.sub(r'\.SEGMENT DIGIT (\s*\d+) \? "(\d)"', lambda m: f'.SEGMENT CHARACTER {m[1]} ? "{chars[m[2]]}"', text)
    return re.sub(r"\.COMMENT (\d) ", lambda m: f".COMMENT {chars[m[1]]} ", text)


@contextlib.contextmanager
def window_in_process(models_dir):
    """The window in this process, on Tk's own event queue: (root, app, errors), ``errors`` every
    exception a callback raised (a test asserts it stays empty); the window destroyed after."""
    import tkinter as tk

    from app.gui.window import DigitApp

    root = tk.Tk()
    errors: list = []
    root.report_callback_exception = lambda *exc: errors.append(exc)
    try:
        yield root, DigitApp(root, models_dir), errors
    finally:
        root.destroy()
