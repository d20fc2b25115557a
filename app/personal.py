"""The user's own drawings, kept with their labels so a model can learn their handwriting.

This is user data, not a cache: it lives in the user's data directory (``platformdirs``), outside
the project, so ``data.py --clear`` or a reinstall never touches it. Where, is a setting:
``DIGITS_PERSONAL_DIR``, else ``personal_dir`` in the settings file, else the platform default.

The format, plain and documented:

- ``drawings.jsonl``: one JSON object per line, appended and fsync'ed per drawing:
  ``{"label": 7, "strokes": [{"width": 24, "points": [[x, y], ...]}, ...], "image": "<784 hex bytes>",
  "created": "2026-11-23T10:00:00"}``. A line cut short by a crash is ignored on reading.
- ``personal.npz``: ``images`` (n, 28, 28) uint8 and ``labels`` (n,) uint8, the same drawings as
  the network sees them, rewritten atomically after each save. If it is missing or behind the JSON
  lines (a crash between the two writes), it is rebuilt from them: nothing is ever lost.
"""
from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import numpy as np

from network.atomic import atomic_write

APP_NAME = "digit-recogniser"
LINES = "drawings.jsonl"
ARRAYS = "personal.npz"
EXPORT_FORMAT = "digit-recogniser-personal"


def settings_path() -> Path:
    import platformdirs

    return Path(os.environ.get("DIGITS_SETTINGS", Path(platformdirs.user_config_dir(APP_NAME)) / "settings.json"))


def read_settings() -> dict:
    try:
        settings = json.loads(settings_path().read_text())
        return settings if isinstance(settings, dict) else {}
    except (OSError, ValueError):
        return {}


def personal_dir() -> Path:
    """Where the personal dataset lives (see the module docstring for the order of settings)."""
    import platformdirs

    if os.environ.get("DIGITS_PERSONAL_DIR"):
        return Path(os.environ["DIGITS_PERSONAL_DIR"])
    configured = read_settings().get("personal_dir")
    if configured:
        return Path(configured)
    return Path(platformdirs.user_data_dir(APP_NAME)) / "personal"


def move_personal_dir(new_dir: Path) -> Path:
    """Move the dataset to ``new_dir`` and remember the place in the settings file."""
    old = PersonalDataset(personal_dir())
    new = PersonalDataset(Path(new_dir))
    if new.count() and Path(new_dir).resolve() != old.folder.resolve():
        raise ValueError(f"{new_dir} already holds {new.count()} drawings; choose an empty folder")
    for entry in old.entries():
        new.add(np.frombuffer(bytes.fromhex(entry["image"]), np.uint8).reshape(28, 28), entry["label"],
                entry.get("strokes", []), entry.get("created"))
    settings = read_settings()
    settings["personal_dir"] = str(Path(new_dir).resolve())
    with atomic_write(settings_path(), "w") as f:
        json.dump(settings, f, indent=2)
    if old.folder.resolve() != Path(new_dir).resolve():
        for name in (LINES, ARRAYS):
            (old.folder / name).unlink(missing_ok=True)
    return Path(new_dir)


class PersonalDataset:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else personal_dir()

    # -- writing ---------------------------------------------------------
    def add(self, image: np.ndarray, label: int, strokes: list | None = None, created: str | None = None) -> int:
        """Keep one drawing (its 28x28 network input, 0..1 float or uint8) with its label; returns the count."""
        label = int(label)
        if not 0 <= label <= 9:
            raise ValueError(f"label must be a digit 0-9, got {label}")
        image = np.asarray(image)
        if image.shape != (28, 28):
            raise ValueError(f"image must be 28x28, got {image.shape}")
        pixels = image if image.dtype == np.uint8 else np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
        entry = {"label": label, "strokes": strokes or [], "image": pixels.tobytes().hex(),
                 "created": created or time.strftime("%Y-%m-%dT%H:%M:%S")}
        self.folder.mkdir(parents=True, exist_ok=True)
        # The JSON line is the record of truth: appended and flushed to disk before anything else.
        with open(self.folder / LINES, "a", encoding="utf-8") as f:
            if f.tell() and not self._ends_with_newline():
                f.write("\n")  # a previous crash left half a line: start clean after it
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        images, labels = self._arrays_from_lines()
        self._write_arrays(images, labels)
        return len(labels)

    def _ends_with_newline(self) -> bool:
        with open(self.folder / LINES, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def _write_arrays(self, images: np.ndarray, labels: np.ndarray) -> None:
        buf = io.BytesIO()
        np.savez(buf, images=images, labels=labels)
        with atomic_write(self.folder / ARRAYS) as f:
            f.write(buf.getvalue())

    # -- reading ---------------------------------------------------------
    def entries(self) -> list[dict]:
        """Every complete saved drawing, in order; a torn last line is skipped."""
        path = self.folder / LINES
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                if isinstance(entry, dict) and len(bytes.fromhex(entry["image"])) == 784 and 0 <= int(entry["label"]) <= 9:
                    out.append(entry)
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def _arrays_from_lines(self) -> tuple[np.ndarray, np.ndarray]:
        entries = self.entries()
        images = np.array([np.frombuffer(bytes.fromhex(e["image"]), np.uint8).reshape(28, 28) for e in entries],
                          dtype=np.uint8).reshape(-1, 28, 28)
        return images, np.array([e["label"] for e in entries], dtype=np.uint8)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(images (n, 28, 28) uint8, labels (n,) uint8), from the .npz when it is complete and intact."""
        path = self.folder / ARRAYS
        expected = len(self.entries())
        try:
            with np.load(path, allow_pickle=False) as npz:
                images, labels = npz["images"], npz["labels"]
            if len(labels) == expected and images.shape == (expected, 28, 28):
                return images, labels
        except (OSError, ValueError, KeyError, EOFError):
            pass
        images, labels = self._arrays_from_lines()  # missing, damaged or behind: rebuild
        if expected:
            self._write_arrays(images, labels)
        return images, labels

    def count(self) -> int:
        return len(self.entries())

    def counts_by_digit(self) -> list[int]:
        labels = [e["label"] for e in self.entries()]
        return np.bincount(np.array(labels, dtype=np.int64), minlength=10).tolist() if labels else [0] * 10

    # -- moving between machines ----------------------------------------
    def export(self, path: Path) -> int:
        """Everything in one ``.npz``: images, labels, and the JSON lines as bytes (no pickle)."""
        images, labels = self.arrays()
        lines = "".join(json.dumps(e) + "\n" for e in self.entries()).encode()
        buf = io.BytesIO()
        np.savez_compressed(buf, format=np.frombuffer(EXPORT_FORMAT.encode(), np.uint8), images=images, labels=labels,
                            drawings_jsonl=np.frombuffer(lines, np.uint8))
        with atomic_write(path) as f:
            f.write(buf.getvalue())
        return len(labels)

    def import_file(self, path: Path) -> int:
        """Add the drawings of an exported file; returns how many were added."""
        try:
            with np.load(path, allow_pickle=False) as npz:
                if bytes(npz["format"]).decode() != EXPORT_FORMAT:
                    raise ValueError("not a personal-dataset export")
                lines = bytes(npz["drawings_jsonl"]).decode().splitlines()
        except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError) as e:
            raise ValueError(f"{path}: not a personal-dataset export ({e})") from None
        added = 0
        for line in lines:
            entry = json.loads(line)
            self.add(np.frombuffer(bytes.fromhex(entry["image"]), np.uint8).reshape(28, 28), entry["label"],
                     entry.get("strokes", []), entry.get("created"))
            added += 1
        return added
