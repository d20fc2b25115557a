"""Where the project keeps its files: the project root, the cache and the saved models.

``DIGITS_CACHE_DIR`` and ``DIGITS_MODELS_DIR`` move them (the tests point both into a temporary
folder); they are read once, at import.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _folder_setting(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else default


CACHE_DIR = _folder_setting("DIGITS_CACHE_DIR", ROOT / "cache")
MODELS_DIR = _folder_setting("DIGITS_MODELS_DIR", ROOT / "saved_models")
