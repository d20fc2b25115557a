"""Where the project keeps its files: the project root, the cache and the saved models.

In a checkout they are ``cache/`` and ``saved_models/`` beside the code; installed with pip they
are the user's cache and data folders (``platformdirs``). ``DIGITS_CACHE_DIR`` and
``DIGITS_MODELS_DIR`` move them (the tests point both into a temporary folder); they are read
once, at import.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _folder_setting(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else default


# A checkout (the README's `make run`) keeps its models and caches beside the code; an installed
# copy (`pip install`, `pipx install`) never writes into site-packages: it uses the user's folders.
INSTALLED = not (ROOT / "requirements.txt").is_file()
SHIPPED_MODELS = ROOT / "saved_models"   # the shipped default model, in a checkout or installed


def _user_folder(kind: str, *parts: str) -> Path:
    import platformdirs

    base = platformdirs.user_cache_dir("digit-recogniser") if kind == "cache" else platformdirs.user_data_dir("digit-recogniser")
    return Path(base, *parts)


CACHE_DIR = _folder_setting("DIGITS_CACHE_DIR", _user_folder("cache") if INSTALLED else ROOT / "cache")
MODELS_DIR = _folder_setting("DIGITS_MODELS_DIR", _user_folder("data", "models") if INSTALLED else ROOT / "saved_models")
