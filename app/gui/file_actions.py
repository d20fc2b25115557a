"""The drawing window's File menu: open a picture as if drawn, save the drawing as a PNG, copy the
number read to the clipboard, and give the data files a feature needs (MNIST, the pen digits),
validated and kept for offline use exactly as ``data.py --source`` keeps them.

``FileActionsMixin`` is part of ``app.gui.window.DigitApp`` (kept here so each file has one role).
Each file action takes a path (tests and tools pass one) or asks for it with Tk's file dialog; every
problem is one sentence in the window, with the details behind the Details button.
"""
from __future__ import annotations

import threading
from pathlib import Path
from tkinter import filedialog

import numpy as np

from app.errors import AppError
from app.files import write_picture
from app.paths import CACHE_DIR
from app.reading import drawing_files
from app.reading.preprocess import ImageError, ink_map, load_image
from app.reading.strokes import LOGICAL_SIZE, right_edge

PICTURE_TYPES = [("Pictures and drawing files", "*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.json"), ("All files", "*")]
SAVE_TYPES = [("PNG picture", "*.png"), ("Drawing file: the strokes (.json)", "*.json")]
PICTURE_HEIGHT = 0.6   # an opened picture's ink is this share of a digit's canvas high, as people draw,
MOST_PICTURE_WIDTH = 16 * LOGICAL_SIZE   # and at most this wide (more than the canvas shows zoomed out: a line 3 pixels
                                         # high and 40000 long shown 0.6 of 280 high was 2.4 million units wide, 1.7 GB)
OPENED = "opened "     # the teach line that names an opened picture (Clear takes it away with the picture)
COPIED = "copied "     # the teach line that says what was copied (gone when the drawing changes)


class FileActionsMixin:
    def open_picture(self, path: str | None = None) -> None:
        """File > Open...: a picture's ink shown on the canvas (a clear one), read as a drawing is; or
        a drawing file's strokes (``.json``), as if just drawn."""
        path = path or filedialog.askopenfilename(parent=self.root, title="Open a picture or a drawing file",
                                                  filetypes=PICTURE_TYPES)
        if not path:
            return
        if Path(path).suffix.lower() == ".json":
            self._open_drawing_file(path)
            return
        try:
            grey = load_image(path)
            ink = ink_map(grey)
        except (ImageError, AppError, OSError, ValueError) as e:
            self._say(f"Could not open {Path(path).name}: not a picture this app can read.", str(e))
            return
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        if not rows.size:
            self._say(f"{Path(path).name} is blank: no ink to read.", "")
            return
        ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        from PIL import Image

        self.clear()
        left, top = 0.1 * LOGICAL_SIZE, (1 - PICTURE_HEIGHT) / 2 * LOGICAL_SIZE
        scale = min(PICTURE_HEIGHT * LOGICAL_SIZE / ink.shape[0], MOST_PICTURE_WIDTH / ink.shape[1])
        self.canvas.zoom_to_fit(left + ink.shape[1] * scale)   # a long number: zoom out until it fits,
        # and past the farthest zoom drawn smaller, all of it in view (a picture of a long number was cut off)
        scale = min(scale, (self.canvas.WIDEN_AT * self.drawing.width - left) / ink.shape[1])
        size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
        ink = np.asarray(Image.fromarray(ink, mode="F").resize(size, Image.BILINEAR), np.float32)
        # (the file itself is read while nothing is drawn on it: the window says what predict says)
        self.drawing.set_picture(ink, left, top, (grey, scale, left - scale * cols[0], top - scale * rows[0]))
        self.canvas.refresh()
        self.teach_message, self.teach_details = OPENED + Path(path).name, str(path)
        self.predict_now(final=True)

    def _open_drawing_file(self, path: str) -> None:
        """A drawing file's strokes on a clear canvas, zoomed out until they fit (as far as it zooms)."""
        try:
            strokes = drawing_files.load_drawing(path)
        except (AppError, OSError) as e:
            self._say(f"Could not open {Path(path).name}: not a drawing file this app can read.", str(e))
            return
        if not any(s.points for s in strokes):
            self._say(f"{Path(path).name} is blank: no strokes to read.", "")
            return
        self.clear()
        self.canvas.zoom_to_fit(right_edge(strokes))
        self.drawing.set_strokes(strokes)
        self.canvas.refresh()
        self.teach_message, self.teach_details = OPENED + Path(path).name, str(path)
        self.predict_now(final=True)

    def save_drawing(self, path: str | None = None) -> None:
        """File > Save drawing...: the canvas as it is shown (white ink on black, any width) as a PNG,
        or its strokes as a drawing file (a name ending in .json), which ``predict`` reads as the
        window does and Open... opens again."""
        if self.drawing.empty:
            self._say("Nothing to save: the canvas is empty.", "")
            return
        path = path or filedialog.asksaveasfilename(parent=self.root, title="Save the drawing",
                                                    defaultextension=".png", filetypes=SAVE_TYPES)
        if not path:
            return
        strokes = Path(path).suffix.lower() == ".json"
        if strokes and self.drawing.picture is not None:
            self._say("A drawing with a picture in it is saved as a PNG only.", "")
            return
        try:
            if strokes:
                drawing_files.save_drawing(path, self.drawing.strokes)
            else:
                image = self.drawing.image()
                write_picture(path, lambda f: image.save(f, format="PNG"), "drawing")
        except (AppError, OSError) as e:
            self._say(f"Could not save {Path(path).name}.", str(e))
            return
        self._say(f"saved the drawing as {Path(path).name}", str(path))

    def copy_number(self) -> None:
        """File > Copy the number (Ctrl+C): the number read to the clipboard, as the large type shows
        it: an unsure digit is copied as "?", never as a guess the user was not shown."""
        text = self.number.text if self.number is not None else ""
        if not text:
            empty = self.number is None or self.number.status == "empty"
            self._say("Nothing to copy: " + ("the canvas is empty." if empty else "no digit is read."), "")
            return
        self.root.clipboard_clear()
        self.root.clipboard_append(text)
        unsure = text.count("?")
        self._say(COPIED + text + (f" ({unsure} unsure digit{'s' * (unsure > 1)} copied as ?)" if unsure else ""), text)

    def use_data_file(self, kind: str, path: str | None = None) -> None:
        """File > Use MNIST file... / Use pen-digit file...: checked and kept in cache/downloads/
        for every later command and the window, offline (off the event loop: it reads the file)."""
        what = {"mnist": "MNIST (mnist.npz, Keras layout)", "pendigits": "the UCI pen digits (pendigits-train.unipen)"}[kind]
        path = path or filedialog.askopenfilename(parent=self.root, title=f"Choose {what}")
        if not path:
            return
        self._say(f"checking {Path(path).name}...", "")
        job: dict = {}

        def work() -> None:
            try:
                job["kept"] = _keep_data_file(kind, Path(path))
            except (AppError, OSError, ValueError) as e:
                job["error"] = e

        thread = threading.Thread(target=work, daemon=True)
        thread.start()

        def check() -> None:
            if thread.is_alive():
                self.root.after(100, check)
            elif "error" in job:
                self._say(f"{Path(path).name} is not {what}.", str(job["error"]))
            else:
                self._say(f"{Path(path).name} is kept for offline use", str(job["kept"]))

        check()

    def _say(self, message: str, details: str) -> None:
        self.teach_message, self.teach_details = message, details
        self.show(self.reading)


def _keep_data_file(kind: str, path: Path) -> Path:
    """Check ``path`` and keep a copy as ``data.py --source`` does; where it is kept, or the reason not."""
    if kind == "mnist":
        from app.data.mnist_source import GIVEN_COPY, is_complete, read_source, source_for, validate

        arrays = read_source(path)
        validate(arrays, path)
        if not is_complete(arrays):   # the rule data.py --source keeps a copy by
            raise AppError(f"{path}: {len(arrays['x_train'])} training and {len(arrays['x_test'])} test images; "
                           "the whole of MNIST has 60000 and 10000")
        source_for("mnist", path, CACHE_DIR, progress=False)
        return CACHE_DIR / "downloads" / GIVEN_COPY.format(dataset="mnist")
    from app.files import regular_file, sha256_of
    from app.pen.pen_data import EXTRACTED_NAME, PENDIGITS_SHA256, pen_source
    from app.pen.pendigits import MAX_FILE_BYTES

    regular_file(path, MAX_FILE_BYTES, "a pen-digit file")
    if sha256_of(path) != PENDIGITS_SHA256:
        raise AppError(f"{path}: not the UCI pen-digit file (its SHA-256 is not the one published)")
    pen_source(path, CACHE_DIR, progress=False)
    return CACHE_DIR / "downloads" / EXTRACTED_NAME
