"""Installed like a Python tool: ``pip install`` of the checkout into a fresh virtual environment
gives ``digits-models`` and ``digits-data`` that work from any folder, with the shipped default
model, and keep models, caches and settings in the user's folders, never in site-packages.

It builds the project and installs it with its dependencies from the package index (about 20 s).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures import DIGIT_STROKES, draw_digit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not (ROOT / "saved_models" / "default" / "model.json").exists():
        pytest.skip("no shipped model")
    root = tmp_path_factory.mktemp("install")
    source = root / "source"   # a copy: a build writes build/ and *.egg-info beside the sources it builds
    skip = {".git", ".venv", "cache", "build", "tests", "benchmarks", "__pycache__", ".pytest_cache", ".ruff_cache"}
    shutil.copytree(ROOT, source, ignore=lambda folder, names: [
        n for n in names if n in skip or n.endswith(".egg-info")
        or (Path(folder).name == "saved_models" and n not in ("default", "README.md"))])
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    run = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          str(source)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    return bin_dir


def test_installed_commands_work_from_any_folder(installed, tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGITS_")}
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"), XDG_CONFIG_HOME=str(home / "config"),
               HOME=str(home))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    picture = elsewhere / "seven.png"
    draw_digit(DIGIT_STROKES[7]).save(picture)

    def digits(command: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(installed / command), *args], cwd=elsewhere, env=env, capture_output=True,
                              text=True, timeout=120)

    listed = digits("digits-models", "list")
    assert listed.returncode == 0 and listed.stdout.splitlines()[1].startswith("default "), listed.stdout + listed.stderr
    predicted = digits("digits-models", "predict", str(picture), "--json")
    assert predicted.returncode == 0, predicted.stderr
    assert json.loads(predicted.stdout)["text"] == "7"
    info = digits("digits-data", "--info")
    assert info.returncode == 0, info.stderr
    # The shipped model was copied to the user's data folder; nothing was written beside the code.
    assert (home / "data" / "digit-recogniser" / "models" / "default" / "model.json").is_file()
    assert (home / "data" / "digit-recogniser" / "models" / "default" / "pairs" / "weights.npz").is_file()   # its pair reader
    site = subprocess.run([str(installed / "python"), "-c", "import app, pathlib; print(pathlib.Path(app.__file__).parent.parent)"],
                          cwd=elsewhere, capture_output=True, text=True, check=True).stdout.strip()
    assert not (Path(site) / "cache").exists() and sorted(p.name for p in (Path(site) / "saved_models").iterdir()) == ["default"]
    assert digits("digits", "--help").returncode == 0   # the window's command is there (no display needed for --help)
