"""Shared test fixtures.

Real MNIST is found only through the explicit ``MNIST_NPZ`` setting, and the real pen digits
through ``PENDIGITS_UNIPEN`` (``.ci/run`` sets both), so the suite passes on a fresh machine
without the files; with ``REQUIRE_MNIST=1`` / ``REQUIRE_PENDIGITS=1`` (also set by CI) a missing
file fails instead of skipping.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Tests never touch the real cache/ or saved_models/: both point into a temporary folder.
_TMP = Path(tempfile.mkdtemp(prefix="digits-tests-"))
# Removed when the run ends: each run's caches and models (tens of MB) would otherwise pile up in /tmp.
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ["DIGITS_CACHE_DIR"] = str(_TMP / "cache")
os.environ["DIGITS_MODELS_DIR"] = str(_TMP / "saved_models")
os.environ["DIGITS_PERSONAL_DIR"] = str(_TMP / "personal")
os.environ["DIGITS_SETTINGS"] = str(_TMP / "settings.json")


def required_file(setting: str, require: str, what: str) -> Path:
    """The file named by the environment ``setting``; skip without it, or fail if ``require`` is 1."""
    path = os.environ.get(setting)
    if not path or not Path(path).is_file():
        if os.environ.get(require) == "1":
            pytest.fail(f"{require}=1 but {setting}={path!r} is not a file")
        pytest.skip(f"set {setting}=/path/to/{what} to run the tests on real data")
    return Path(path)


@pytest.fixture(scope="session")
def mnist():
    with np.load(required_file("MNIST_NPZ", "REQUIRE_MNIST", "mnist.npz"), allow_pickle=False) as d:
        return {k: d[k] for k in ("x_train", "y_train", "x_test", "y_test")}


@pytest.fixture(scope="session")
def pendigits_file():
    """The real UCI pen digits (UNIPEN), found through ``PENDIGITS_UNIPEN`` (``.ci/run`` sets it)."""
    return required_file("PENDIGITS_UNIPEN", "REQUIRE_PENDIGITS", "pendigits-train.unipen")


@pytest.fixture(scope="module")
def model():
    """The shipped default model (``saved_models/default``), as the number readers use it."""
    shipped = ROOT / "saved_models" / "default"
    if not (shipped / "model.json").exists():
        pytest.skip("no shipped model")
    from app.models.model_store import load

    return load("default", shipped.parent)   # (with its pair reader, as the commands load it)


@pytest.fixture(scope="session")
def letters_file():
    """The real UNIPEN letters and symbols, found through ``LETTERS_UNIPEN`` (``.ci/run`` sets it)."""
    return required_file("LETTERS_UNIPEN", "REQUIRE_LETTERS", "unipen-letters-train.unipen")


@pytest.fixture(scope="session")
def display():
    """An X display for GUI tests: a private Xvfb when available (CI installs it).

    With ``REQUIRE_GUI=1`` (set by CI) a missing Xvfb fails instead of skipping.
    """
    if not shutil.which("Xvfb"):
        if os.environ.get("REQUIRE_GUI") == "1":
            pytest.fail("REQUIRE_GUI=1 but Xvfb is not installed")
        pytest.skip("Xvfb not installed (apt-get install xvfb xdotool)")
    for number in range(91, 120):
        if not os.path.exists(f"/tmp/.X{number}-lock"):
            break
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1920x1200x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    name = f":{number}"
    for _ in range(100):
        if os.path.exists(f"/tmp/.X11-unix/X{number}"):
            break
        time.sleep(0.05)
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = name
    yield name
    proc.terminate()
    proc.wait(timeout=5)
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old


@pytest.fixture
def models_dir(tmp_path):
    """A models folder holding a copy of the shipped default model (the window tests start with it)."""
    shipped = ROOT / "saved_models" / "default"
    if not (shipped / "model.json").exists():
        pytest.skip("no shipped model in saved_models/default")
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copytree(shipped, folder / "default")
    return folder
