"""The user's settings: one small JSON file in the platform's config folder (``DIGITS_SETTINGS``
moves it), read with bounds and written atomically. What the window remembers (the last model,
the brush, its size and place) and where the personal drawings live are kept here.

A damaged file is never fatal: it reads as no settings, and ``read_settings_noting`` says so in a
sentence the window can show. Each value is checked where it is used.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from app.errors import AppError
from app.files import regular_file
from network.atomic import atomic_write

APP_NAME = "digit-recogniser"
MAX_SETTINGS_BYTES = 1 << 20   # a few lines of JSON; a FIFO, a device or /dev/zero is not read at all
GEOMETRY = re.compile(r"^\d{2,5}x\d{2,5}[+-]-?\d{1,5}[+-]-?\d{1,5}$")   # Tk's "WxH+X+Y"


class SettingsError(AppError):
    """The settings file could not be read or written; the message says why."""


def settings_path() -> Path:
    import platformdirs

    return Path(os.environ.get("DIGITS_SETTINGS", Path(platformdirs.user_config_dir(APP_NAME)) / "settings.json"))


def read_settings_noting() -> tuple[dict, str | None]:
    """The settings file's object, and a sentence when it was there but could not be used."""
    path = settings_path()
    if not os.path.lexists(path):
        return {}, None
    try:
        regular_file(path, MAX_SETTINGS_BYTES, "a settings file", SettingsError)
        with open(path, "rb") as f:
            settings = json.loads(f.read(MAX_SETTINGS_BYTES + 1))
    except (SettingsError, OSError, ValueError, RecursionError) as e:
        return {}, f"settings ignored: {path} could not be read ({str(e)[:80]})"
    if not isinstance(settings, dict):
        return {}, f"settings ignored: {path} does not hold a JSON object"
    return settings, None


def read_settings() -> dict:
    """The settings file's object, or {} when it is missing, damaged, or not a small regular file."""
    return read_settings_noting()[0]


def update_settings(**values) -> None:
    """Set ``values`` in the settings file (others kept), atomically: a crash leaves the old file."""
    settings = read_settings()
    settings.update(values)
    path = settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "w") as f:
            json.dump(settings, f, indent=2)
    except OSError as e:
        raise SettingsError(f"cannot write the settings file {path}: {e.strerror or e}") from None


def window_settings(settings: dict, brush_range: tuple[float, float]) -> dict:
    """What the window may take from ``settings``: each value only if it is of the right kind."""
    out = {}
    model = settings.get("last_model")
    if isinstance(model, str) and 0 < len(model) <= 200:
        out["last_model"] = model
    brush = settings.get("brush")
    if isinstance(brush, (int, float)) and not isinstance(brush, bool) and brush_range[0] <= brush <= brush_range[1]:
        out["brush"] = float(brush)
    geometry = settings.get("geometry")
    if isinstance(geometry, str) and GEOMETRY.match(geometry):
        out["geometry"] = geometry
    return out


def on_screen(geometry: str, screen_width: int, screen_height: int) -> str:
    """A remembered window size and place ("WxH+X+Y"); the size alone if the place is off a screen that
    large (a monitor unplugged since)."""
    size, _, place = geometry.partition("+")
    x, _, y = place.partition("+")
    if x.lstrip("-").isdigit() and y.lstrip("-").isdigit() and \
            0 <= int(x) < screen_width - 50 and 0 <= int(y) < screen_height - 50:
        return geometry
    return size
