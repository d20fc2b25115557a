"""The user's own drawings, kept with their labels so a model can learn their handwriting.

This is user data, not a cache: it lives in the user's data directory (``platformdirs``), outside
the project, so ``data.py --clear`` or a reinstall never touches it. Where, is a setting:
``DIGITS_PERSONAL_DIR``, else ``personal_dir`` in the settings file, else the platform default.

The format, plain and documented:

- ``drawings.jsonl``: one JSON object per line, only ever appended to (one write and an fsync per
  save or import): ``{"label": 7, "strokes": [{"width": 24, "points": [[x, y], ...]}, ...],
  "image": "<784 hex bytes>", "created": "2026-11-23T10:00:00"}``. It is the record of truth.
  A line that is not a valid drawing (cut short by a crash, or damaged) is skipped and reported
  with its line number; it never blocks a later save. A save that cannot be written completely
  (a full disk) is undone and reported: the file never keeps half a line of ours.
- ``personal.npz``: ``images`` (n, 28, 28) uint8 and ``labels`` (n,) uint8, the same drawings as
  the network sees them, rewritten atomically after each save. If it is missing or disagrees with
  the JSON lines (a crash between the two writes), it is rebuilt from them: nothing is ever lost.

A drawing's identity is the SHA-256 of its label, picture and strokes: importing a file twice, or
a file that overlaps what is already here, adds each drawing once.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import stat
import time
from pathlib import Path

import numpy as np

from app.errors import AppError
from app.files import check_output, regular_file
from app.pixels import to_uint8
from app.reading.strokes import strokes_from_json
from app.settings import APP_NAME, read_settings, settings_path, update_settings
from app.words import plural
from network.atomic import atomic_write
from network.portable import open_no_follow

LINES = "drawings.jsonl"
ARRAYS = "personal.npz"
EXPORT_FORMAT = "digit-recogniser-personal"
MAX_IMPORT_BYTES = 512 << 20   # an export of 100 000 drawings with their strokes is far smaller
MAX_LINE_BYTES = 1 << 20       # one drawing's line: a long stroke is a few tens of kB
MAX_IMPORT_UNPACKED = 256 << 20   # the drawings' lines of an export, unpacked: 100 000 drawings with strokes


class PersonalDataError(AppError, ValueError):
    """The personal drawings could not be read, saved, imported or moved; the message says why."""


def personal_dir() -> Path:
    """Where the personal dataset lives (see the module docstring for the order of settings)."""
    import platformdirs

    if os.environ.get("DIGITS_PERSONAL_DIR"):
        return Path(os.environ["DIGITS_PERSONAL_DIR"])
    configured = read_settings().get("personal_dir")
    if isinstance(configured, str) and configured:
        return Path(configured)
    return Path(platformdirs.user_data_dir(APP_NAME)) / "personal"


# ---------------------------------------------------------------------------
# One drawing: its line, checked
# ---------------------------------------------------------------------------

def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number a drawing can hold")


def parse_line(raw: bytes) -> dict:
    """The drawing on one line of ``drawings.jsonl``, or ValueError saying what is wrong with it."""
    if len(raw) > MAX_LINE_BYTES:
        raise ValueError(f"{len(raw)} bytes, longer than any drawing")
    try:
        entry = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as e:
        raise ValueError(f"not valid JSON ({str(e)[:60]})") from None
    if not isinstance(entry, dict):
        raise ValueError("not a JSON object")
    label = entry.get("label")
    if type(label) is not int or not 0 <= label <= 9:
        raise ValueError(f"label {str(label)[:20]} is not a digit 0-9")
    image = entry.get("image")
    # Exactly 1568 hex digits: bytes.fromhex alone would skip spaces and decode fewer than 784 bytes.
    if not isinstance(image, str) or not _HEX_IMAGE.fullmatch(image):
        raise ValueError("image is not 784 bytes in hex")
    _check_strokes(entry.get("strokes", []))
    if not isinstance(entry.get("created", ""), str):
        raise ValueError("created is not text")
    return entry


_HEX_IMAGE = re.compile(r"[0-9a-fA-F]{1568}")


def _check_strokes(strokes) -> None:
    """Strokes as the canvas records them (the reader's own check: ``strokes_from_json``)."""
    strokes_from_json(strokes)


def drawing_id(entry: dict) -> str:
    """The identity of a drawing: label, picture and strokes (not when it was saved)."""
    key = json.dumps([entry["label"], entry["image"], entry.get("strokes", [])], separators=(",", ":"))
    return hashlib.sha256(key.encode()).hexdigest()


def make_entry(image: np.ndarray, label: int, strokes: list | None = None, created: str | None = None) -> dict:
    """A checked line for one drawing (its 28x28 network input, 0..1 float or uint8)."""
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
        raise PersonalDataError(f"label must be a digit 0-9, got {label!r}")
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise PersonalDataError(f"image must be 28x28, got {image.shape}")
    pixels = image if image.dtype == np.uint8 else to_uint8(image)
    return {"label": int(label), "strokes": strokes or [], "image": pixels.tobytes().hex(),
            "created": created or time.strftime("%Y-%m-%dT%H:%M:%S")}


def image_of(entry: dict) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(entry["image"]), np.uint8).reshape(28, 28)


@dataclasses.dataclass
class _Scan:
    """What ``drawings.jsonl`` held when last read: its drawings, their ids, and the lines skipped."""

    entries: list[dict]
    ids: set[str]
    skipped: list[tuple[int, str]]
    size: int           # bytes read; a different size means somebody else wrote since
    ends_clean: bool    # the file ends with a newline (or is empty)


class PersonalDataset:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else personal_dir()
        self._scan: _Scan | None = None

    @property
    def lines_path(self) -> Path:
        return self.folder / LINES

    # -- reading ---------------------------------------------------------
    def _read(self) -> _Scan:
        """The drawings on file, re-read only if the file changed since we last read or wrote it."""
        path = self.lines_path
        try:
            info = os.stat(path)
        except FileNotFoundError:
            self._scan = _Scan([], set(), [], 0, True)
            return self._scan
        except OSError as e:
            raise PersonalDataError(f"{path}: cannot be read ({e.strerror})") from None
        if not stat.S_ISREG(info.st_mode):
            raise PersonalDataError(f"{path}: not a regular file")
        if self._scan is not None and self._scan.size == info.st_size:
            return self._scan
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise PersonalDataError(f"{path}: cannot be read ({e.strerror})") from None
        entries, ids, skipped = [], set(), []
        for lineno, line in enumerate(raw.split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                entry = parse_line(line)
            except ValueError as e:
                skipped.append((lineno, str(e)))
                continue
            entries.append(entry)
            ids.add(drawing_id(entry))
        self._scan = _Scan(entries, ids, skipped, len(raw), raw.endswith(b"\n") or not raw)
        return self._scan

    def entries(self) -> list[dict]:
        """Every valid saved drawing, in order (damaged lines are skipped: see ``skipped``)."""
        return list(self._read().entries)

    def skipped(self) -> list[tuple[int, str]]:
        """(line number, reason) for each line of ``drawings.jsonl`` that is not a valid drawing."""
        return list(self._read().skipped)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(images (n, 28, 28) uint8, labels (n,) uint8), from the .npz when it agrees with the lines."""
        entries = self._read().entries
        labels = np.array([e["label"] for e in entries], dtype=np.uint8)
        path = self.folder / ARRAYS
        try:
            if path.is_file() and path.stat().st_size <= 1024 + 800 * len(entries):
                with np.load(path, allow_pickle=False) as npz:
                    if sorted(npz.files) == ["images", "labels"]:
                        images, stored = npz["images"], npz["labels"]
                        if images.shape == (len(entries), 28, 28) and np.array_equal(stored, labels):
                            return images, labels
        except Exception:   # damaged in any way (a huge header: MemoryError): rebuilt from the lines below
            pass
        images = np.array([image_of(e) for e in entries], dtype=np.uint8).reshape(-1, 28, 28)
        if entries:
            self._write_arrays(images, labels)   # missing, damaged or behind: rebuilt from the lines
        return images, labels

    def require_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``arrays()``, or PersonalDataError when there is nothing to learn from or evaluate on."""
        images, labels = self.arrays()
        if not len(labels):
            raise PersonalDataError(f"no saved drawings in {self.folder}: draw digits in the app and save each "
                                    "with its digit key")
        return images, labels

    def count(self) -> int:
        return len(self._read().entries)

    def counts_by_digit(self) -> list[int]:
        labels = [e["label"] for e in self._read().entries]
        return np.bincount(np.array(labels, dtype=np.int64), minlength=10).tolist() if labels else [0] * 10

    # -- writing ---------------------------------------------------------
    def add(self, image: np.ndarray, label: int, strokes: list | None = None, created: str | None = None) -> int:
        """Keep one drawing with its label; returns the number of drawings kept."""
        self._append([make_entry(image, label, strokes, created)])
        return self.count()

    def add_entries(self, entries: list[dict]) -> tuple[int, int]:
        """Add checked entries all at once, skipping drawings already here; (added, duplicates)."""
        known = set(self._read().ids)
        new = []
        for entry in entries:
            key = drawing_id(entry)
            if key not in known:
                known.add(key)
                new.append(entry)
        if new:
            self._append(new)
        return len(new), len(entries) - len(new)

    def _append(self, entries: list[dict]) -> None:
        """Append the lines in one write and fsync, then refresh the arrays. All or nothing: if the
        write fails, the file is cut back to where it was and PersonalDataError says why. Every line
        is checked by the reader's own rule first, so what is stored can always be read back."""
        lines = [json.dumps(e) for e in entries]
        for line in lines:
            try:
                parse_line(line.encode("utf-8"))
            except ValueError as e:
                raise PersonalDataError(f"not saved: the drawing is not valid ({e})") from None
        scan = self._read()
        data = ("" if scan.ends_clean else "\n") + "".join(line + "\n" for line in lines)
        raw = data.encode("utf-8")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = open_no_follow(self.lines_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        except OSError as e:
            raise PersonalDataError(f"cannot save drawings in {self.folder}: {e.strerror}") from None
        try:
            start = os.fstat(fd).st_size
            try:
                view = memoryview(raw)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            except OSError as e:
                os.ftruncate(fd, start)   # leave no partial line behind
                raise PersonalDataError(f"could not save to {self.lines_path}: {e.strerror}; nothing was saved") from None
        finally:
            os.close(fd)
        if self._scan is not None and self._scan.size == start:   # nobody else wrote: update in place
            self._scan.entries.extend(entries)
            self._scan.ids.update(drawing_id(e) for e in entries)
            self._scan.size = start + len(raw)
            self._scan.ends_clean = True
        else:
            self._scan = None
        try:
            self.arrays()
        except OSError:
            pass  # the lines are safe; the arrays are rebuilt from them on the next read

    def delete(self, ids: set[str]) -> list[dict]:
        """Remove the drawings with these ids (``drawing_id``); the removed entries, to undo with ``add_entries``."""
        removed: list[dict] = []
        self._rewrite(lambda entry: removed.append(entry) if drawing_id(entry) in ids else entry)
        return removed

    def relabel(self, key: str, label: int) -> str | None:
        """Give the drawing ``key`` another label (in place); its new id, or None if it is not here."""
        if isinstance(label, bool) or label not in range(10):
            raise PersonalDataError(f"a label is a digit 0-9, got {label!r}")
        found: list[str] = []

        def change(entry: dict) -> dict:
            if drawing_id(entry) != key or found:
                return entry
            entry = {**entry, "label": label}
            found.append(drawing_id(entry))
            return entry

        self._rewrite(change)
        return found[0] if found else None

    def _rewrite(self, change) -> None:
        """Rewrite ``drawings.jsonl`` atomically with ``change(entry)`` (an entry, or None to drop
        it) applied to each drawing. Damaged lines are kept as they are, for a person to look at."""
        path = self.lines_path
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return
        except OSError as e:
            raise PersonalDataError(f"{path}: cannot be read ({e.strerror})") from None
        out = []
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                entry = parse_line(line)
            except ValueError:
                out.append(line)
                continue
            changed = change(entry)
            if changed is not None:
                out.append(json.dumps(changed).encode("utf-8"))
        try:
            with atomic_write(path) as f:
                f.write(b"".join(line + b"\n" for line in out))
        except OSError as e:
            raise PersonalDataError(f"could not rewrite {path}: {e.strerror}; nothing was changed") from None
        self._scan = None
        self.arrays()

    def _write_arrays(self, images: np.ndarray, labels: np.ndarray) -> None:
        buf = io.BytesIO()
        np.savez(buf, images=images, labels=labels)
        with atomic_write(self.folder / ARRAYS) as f:
            f.write(buf.getvalue())

    # -- moving between machines ----------------------------------------
    def export(self, path: Path) -> int:
        """Everything in one ``.npz``: images, labels, and the JSON lines as bytes (no pickle).
        Never written over the drawings themselves, the settings, or anything but a regular file."""
        path = check_output(path, "export", PersonalDataError)
        target = path.resolve()
        if target.parent == self.folder.resolve() or target == settings_path().resolve():
            raise PersonalDataError(f"{path}: that is where your drawings and settings are kept; export to another file")
        images, labels = self.arrays()
        lines = "".join(json.dumps(e) + "\n" for e in self.entries()).encode()
        buf = io.BytesIO()
        np.savez_compressed(buf, format=np.frombuffer(EXPORT_FORMAT.encode(), np.uint8), images=images, labels=labels,
                            drawings_jsonl=np.frombuffer(lines, np.uint8))
        try:
            with atomic_write(path) as f:
                f.write(buf.getvalue())
        except OSError as e:
            raise PersonalDataError(f"cannot write {path}: {e.strerror}") from None
        return len(labels)

    def import_file(self, path: Path) -> tuple[int, int]:
        """Add the drawings of an exported file, all or nothing; returns (added, already here)."""
        entries = read_export(Path(path))
        return self.add_entries(entries)


def read_export(path: Path) -> list[dict]:
    """The drawings of an export file, every one checked; PersonalDataError on the first bad one."""
    regular_file(path, MAX_IMPORT_BYTES, "an export of drawings", PersonalDataError)
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = set(npz.files)
            if not {"format", "drawings_jsonl"} <= names:
                raise ValueError(f"has arrays {sorted(names)[:5]}")
            # Sizes from the zip directory, before anything is decompressed.
            sizes = {i.filename: i.file_size for i in npz.zip.infolist()}
            if sizes.get("drawings_jsonl.npy", 0) > MAX_IMPORT_UNPACKED or sizes.get("format.npy", 0) > 4096:
                raise ValueError(f"its drawings unpack to {sizes.get('drawings_jsonl.npy', 0)} bytes, more than "
                                 f"an export holds ({MAX_IMPORT_UNPACKED})")
            if bytes(npz["format"]).decode() != EXPORT_FORMAT:
                raise ValueError("not a personal-dataset export")
            raw = bytes(npz["drawings_jsonl"])
    except PersonalDataError:
        raise
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError) as e:
        raise PersonalDataError(f"{path}: not a personal-dataset export ({e})") from None
    except Exception as e:  # zipfile and numpy raise many kinds on a damaged file
        raise PersonalDataError(f"{path}: not a personal-dataset export ({type(e).__name__})") from None
    entries = []
    for lineno, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            entries.append(parse_line(line))
        except ValueError as e:
            raise PersonalDataError(f"{path}: drawing on line {lineno} is damaged ({e}); nothing was imported") from None
    return entries


def move_personal_dir(new_dir: Path) -> tuple[Path, int]:
    """Move the dataset to ``new_dir`` and remember the place; returns (folder, drawings moved)."""
    if os.environ.get("DIGITS_PERSONAL_DIR"):
        raise PersonalDataError(f"DIGITS_PERSONAL_DIR is set ({os.environ['DIGITS_PERSONAL_DIR']}) and decides where "
                                "the drawings are: change or unset it instead of moving")
    old = PersonalDataset(personal_dir())
    new_dir = Path(new_dir).expanduser()
    if new_dir.exists() and not new_dir.is_dir():
        raise PersonalDataError(f"{new_dir} is not a folder")
    if new_dir.resolve() == old.folder.resolve():
        return old.folder, 0    # already there: nothing to do, nothing to duplicate
    new = PersonalDataset(new_dir)
    if new.count():
        raise PersonalDataError(f"{new_dir} already holds {plural(new.count(), 'drawing')}; choose an empty folder")
    entries = old.entries()
    new._append(entries)   # every drawing, the same drawing saved twice too: a move is not an import
    if new.count() != len(entries):
        raise PersonalDataError(f"moving to {new_dir} copied {new.count()} of {len(entries)} drawings; "
                                f"the originals are still in {old.folder}")
    try:
        update_settings(personal_dir=str(new_dir.resolve()))
    except AppError as e:
        raise PersonalDataError(str(e)) from None
    # The old files go only once the copy is complete and remembered, and the lines only if every
    # one of them was a valid drawing: damaged lines stay where they are, for a person to look at.
    (old.folder / ARRAYS).unlink(missing_ok=True)
    if not old.skipped():
        old.lines_path.unlink(missing_ok=True)
    return new_dir, len(entries)
