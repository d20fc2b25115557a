"""Drawing files: a drawing's strokes as JSON, what ``ModelManager.py predict`` reads besides pictures,
the window saves and opens (File > Save drawing..., Open...), and the personal store keeps with each
digit. A bad file is one clear error, never a traceback."""
from __future__ import annotations

import json

from app.errors import AppError
from app.files import check_output, regular_file
from app.reading.strokes import Stroke, strokes_from_json
from network.atomic import atomic_write

MAX_DRAWING_BYTES = 16 << 20   # a drawing file: strokes as JSON, a long number is tens of kB


class DrawingFileError(AppError):
    """A drawing file that cannot be read: the message names the file and the problem."""


def load_drawing(path) -> list[Stroke]:
    """The strokes of a drawing file: ``{"strokes": [{"width": w, "points": [[x, y], ...]}, ...]}``
    in canvas units (280 high, y down, any width), the format the personal store keeps."""
    regular_file(path, MAX_DRAWING_BYTES, "a drawing file", DrawingFileError)
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read(MAX_DRAWING_BYTES + 1).decode("utf-8"))
    except (OSError, UnicodeDecodeError, RecursionError, ValueError) as e:
        raise DrawingFileError(f"{path}: not a drawing file ({type(e).__name__}: {str(e)[:80]})") from None
    if not isinstance(data, dict) or "strokes" not in data:
        raise DrawingFileError(f'{path}: not a drawing file (expected {{"strokes": [...]}})')
    try:
        return strokes_from_json(data["strokes"])
    except ValueError as e:
        raise DrawingFileError(f"{path}: {e}") from None


def save_drawing(path, strokes: list[Stroke]) -> None:
    """Write ``strokes`` as a drawing file at exactly ``path``, atomically (a full disk leaves the old
    file or none); never over a folder, a device or a symbolic link."""
    text = json.dumps({"strokes": [s.to_json() for s in strokes]}, separators=(",", ":"))
    with atomic_write(check_output(path, "drawing file", DrawingFileError), "w") as f:
        f.write(text + "\n")
