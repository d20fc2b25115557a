"""Everyday use: what a person runs leaves the checkout as it was, and counts read as words do.

The commands are run as a user runs them, from the checkout, on the shipped model; the caches
and the personal drawings go to a temporary folder, and ``git status`` must not change.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fixtures import DIGIT_STROKES, draw_digit

from app.reading.preprocess import to_mnist
from app.words import plural

ROOT = Path(__file__).resolve().parent.parent


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


def test_commands_leave_the_checkout_as_it_was(tmp_path):
    """``evaluate --personal`` once wrote a one-drawing confusion matrix over the shipped model's
    tracked figures: no command writes into the checkout unless told to."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    if not (ROOT / "saved_models" / "default" / "model.json").exists():
        pytest.skip("no shipped model")
    from app.personal import PersonalDataset

    drawings = tmp_path / "personal"
    store = PersonalDataset(drawings)
    for label in (1, 7):
        store.add(to_mnist(np.asarray(draw_digit(DIGIT_STROKES[label]), np.float32) / 255).image, label)
    picture = tmp_path / "seven.png"
    draw_digit(DIGIT_STROKES[7]).save(picture)
    env = {k: v for k, v in os.environ.items() if k not in ("DIGITS_MODELS_DIR",)}
    env.update(DIGITS_CACHE_DIR=str(tmp_path / "cache"), DIGITS_PERSONAL_DIR=str(drawings),
               DIGITS_SETTINGS=str(tmp_path / "settings.json"))
    before = git_status()
    for command in (["ModelManager.py", "list"], ["ModelManager.py", "predict", str(picture)],
                    ["ModelManager.py", "evaluate", "--personal"],
                    ["ModelManager.py", "explain", str(picture), "--png", str(tmp_path / "why.png")],
                    ["data.py", "--info"]):
        run = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, (command, run.stderr)
    assert git_status() == before
    figures = list((tmp_path / "cache" / "evaluations").glob("default-*/confusion*.png"))
    assert len(figures) == 1, "evaluate's figures go to a folder of their own"


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGPIPE"), reason="no SIGPIPE here")
def test_predict_into_a_reader_that_stops_early_ends_quietly(tmp_path):
    """``predict --json many.png ... | head -c 100``: when the reader stops, predict stops too, and
    says nothing (it said "error: Broken pipe"), as Unix tools do."""
    if not (ROOT / "saved_models" / "default" / "model.json").exists():
        pytest.skip("no shipped model")
    picture = tmp_path / "seven.png"
    draw_digit(DIGIT_STROKES[7]).save(picture)
    env = {k: v for k, v in os.environ.items() if k != "DIGITS_MODELS_DIR"}   # (the shipped model)
    env.update(DIGITS_CACHE_DIR=str(tmp_path / "cache"), DIGITS_SETTINGS=str(tmp_path / "settings.json"))
    run = subprocess.Popen([sys.executable, "ModelManager.py", "predict", "--json", *[str(picture)] * 2000], cwd=ROOT,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert run.stdout.read(100).startswith(b'{"path"')
    run.stdout.close()   # (the reader gone, as head goes after its 100 bytes)
    _, err = run.communicate(timeout=120)
    assert err == b"" and run.returncode != 0


def test_evaluate_writes_its_figures_where_asked(tmp_path, capsys):
    from fixtures import run_command, tiny_workspace

    w = tiny_workspace(tmp_path, 200, 60, "--layers", "784,16,10", "--epochs", "1", "--copies", "1", "--validation", "20")
    out_dir = tmp_path / "figures"
    code, out, _ = run_command(capsys, "evaluate", "--model", "tiny", "--source", str(w["source"]),
                               "--models-dir", str(w["models"]), "--png-dir", str(out_dir))
    assert code == 0 and (out_dir / "confusion.png").exists() and (out_dir / "mistakes.png").exists()
    assert not (w["models"] / "tiny" / "confusion.png").exists()
    (tmp_path / "a-file").write_text("x")
    code, _, err = run_command(capsys, "evaluate", "--model", "tiny", "--source", str(w["source"]),
                               "--models-dir", str(w["models"]), "--png-dir", str(tmp_path / "a-file"))
    assert code != 0 and "a-file" in err and "Traceback" not in err


@pytest.mark.parametrize("count, noun, plural_noun, words", [
    (1, "drawing", None, "1 drawing"), (2, "drawing", None, "2 drawings"), (0, "epoch", None, "0 epochs"),
    (1, "copy", "copies", "1 copy"), (3, "copy", "copies", "3 copies")])
def test_counts_read_as_words_do(count, noun, plural_noun, words):
    assert plural(count, noun, plural_noun) == words


def test_train_names_its_own_flag_before_any_long_work(tmp_path, capsys, monkeypatch):
    """Without the pen digits (and no way to download them), ``train`` says so with its own flag,
    ``--pen-source``, before it builds the MNIST cache."""
    from fixtures import make_arrays, run_command

    from app.pen import pen_data

    real_fetch = pen_data.fetch_pendigits
    monkeypatch.setattr(pen_data, "fetch_pendigits", lambda cache_dir, url, progress, flag: real_fetch(
        cache_dir, "http://127.0.0.1:9/pendigits.zip", progress, flag=flag))   # nothing listens there
    monkeypatch.delenv("DIGITS_PENDIGITS_SOURCE", raising=False)
    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays(n_train=100, n_test=20))
    from app.paths import CACHE_DIR

    before = sorted(CACHE_DIR.glob("mnist-*")) if CACHE_DIR.exists() else []
    code, _, err = run_command(capsys, "train", "--name", "x", "--source", str(source), "--models-dir",
                               str(tmp_path / "models"), "--no-negatives", "--epochs", "1", "--validation", "10")
    assert code != 0 and "--pen-source FILE" in err and "--source FILE" not in err.replace("--pen-source", ""), err
    assert (sorted(CACHE_DIR.glob("mnist-*")) if CACHE_DIR.exists() else []) == before   # no MNIST cache built first
