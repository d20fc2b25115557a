"""Every command in the README and in docs/ runs, as written, with tiny settings: the docs cannot drift.

The commands are read from the ```sh blocks and from inline code that starts with
``.venv/bin/python`` or ``env -u``; the ```python examples run as they are. Each runs as a subprocess of this Python, in order, page by
page, in a workspace of its own: fixture data stand in for MNIST and the pen digits (through the
same settings a user has: ``DIGITS_MNIST_SOURCE``, ``DIGITS_PENDIGITS_SOURCE``), a copy of the
shipped model is ``default``, and the user's folders are in a temporary home. "Tiny settings"
means one epoch, one augmented copy, a small network and one benchmark round: the flags
are the documented ones, their values smaller. The few commands that are not run here say which
test or step runs them instead.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fixtures import DIGIT_STROKES, draw_digit, make_arrays, make_letters, make_unipen

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCRIPTS = ("data.py", "ModelManager.py", "interface.py", "benchmarks/")

# Run elsewhere: the reason names where.
NOT_HERE = {
    "make run": "the Makefile's venv step is .ci/run's own; the window it opens is driven by tests/test_gui.py",
    "make test": ".ci/run runs it: it is this test suite",
    "data.py --dataset fashion": "needs Debian's dataset-fashion-mnist; tests/test_data.py reads IDX files like it",
}
# Tiny settings: documented flag -> smaller value; flags added where a command trains or times.
SMALLER = {"--epochs": "1", "--copies": "1", "--pen-copies": "1", "--layers": "784,16,10", "--rounds": "1",
           "--size": "20000", "--negative-copies": "1", "--generated": "50", "--number-candidates": "10",
           "--mnist-number-candidates": "10", "--crops": "1000"}
ADDED = {
    "ModelManager.py train": ["--epochs", "1", "--copies", "1", "--pen-copies", "1", "--layers", "784,16,10",
                              "--validation", "20", "--negative-copies", "1", "--generated", "50", "--number-candidates", "10",
                              "--mnist-number-candidates", "10",
                              "--quiet"],
    "ModelManager.py finetune": ["--epochs", "1"],
    "ModelManager.py train-pairs": ["--crops", "1000", "--epochs", "1", "--quiet"],
    "data.py --dataset pendigits": ["--copies", "1"],
    "benchmarks/train_speed.py": ["--quick", "--rounds", "1"],
    "benchmarks/optimizer_passes.py": ["--size", "20000"],
    "benchmarks/pen_render_speed.py": ["--copies", "1"],
    "benchmarks/photos.py": ["--count", "10"],
    "benchmarks/conv_speed.py": ["--batch", "8"],
    "benchmarks/picture_speed.py": ["--count", "5"],
}
DROPPED = {"--torch"}          # PyTorch is not a dependency: the benchmarks time it only when it is there
WINDOW_FLAGS = {"--preview"}   # opens a window: started on a private Xvfb, it must still be up after a few seconds


def documented_commands(page: Path) -> list[str]:
    text = page.read_text()
    lines = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()]
    lines += re.findall(r"`((?:\.venv/bin/python|env -u) [^`]+)`", text)
    return [re.sub(r"\s+#.*$", "", line).strip() for line in lines if line.strip()]


def skip_reason(command: str) -> str | None:
    return next((why for start, why in NOT_HERE.items()
                 if command.startswith(start) or f"/python {start}" in command), None)


def test_every_documented_command_is_known():
    """Each command calls one of our scripts or make; a new kind of command needs a decision here."""
    for page in PAGES:
        for command in documented_commands(page):
            assert command.startswith(("make ", ".venv/bin/python ", "env -u ")), f"{page.name}: {command}"
            assert command.startswith("make ") or any(s in command for s in SCRIPTS), f"{page.name}: {command}"


def tiny(argv: list[str], script: str) -> list[str]:
    out, skip_next = [], False
    for i, arg in enumerate(argv):
        if skip_next:
            skip_next = False
            continue
        if arg in DROPPED:
            continue
        if arg in SMALLER and i + 1 < len(argv):
            out += [arg, SMALLER[arg]]
            skip_next = True
            continue
        out.append(arg)
    words = " ".join([script, *argv])
    for start, extra in ADDED.items():
        if (words + " ").startswith(start + " "):   # (train's flags are not train-pairs')
            for j in range(0, len(extra)):
                flag = extra[j]
                if flag.startswith("--") and flag not in out:
                    out.append(flag)
                    if j + 1 < len(extra) and not extra[j + 1].startswith("--"):
                        out.append(extra[j + 1])
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A home with fixture data, a copy of the shipped model and a few saved drawings."""
    home = tmp_path_factory.mktemp("docs-home")
    np.savez(home / "mnist.npz", **make_arrays(n_train=300, n_test=60))
    (home / "pendigits-train.unipen").write_text(make_unipen(writers=6, per_digit=2))
    (home / "unipen-letters-train.unipen").write_text(make_letters(writers=6, per_digit=2))
    draw_digit(DIGIT_STROKES[7]).save(home / "my_digit.png")
    draw_digit(DIGIT_STROKES[7]).convert("RGB").save(home / "my_digit.jpg")
    draw_digit(DIGIT_STROKES[1]).save(home / "scan.png")
    number = [{"width": 18, "points": [[40 + 90 * k + 60 * x, 60 + 150 * y] for x, y in DIGIT_STROKES[d][0]]}
              for k, d in enumerate((1, 7, 0))]
    (home / "number.json").write_text(json.dumps({"strokes": number}))
    models = home / "saved_models"
    shutil.copytree(ROOT / "saved_models" / "default", models / "default")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGITS_")}
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"), "XDG_CONFIG_HOME": str(home / ".config"),
                "DIGITS_CACHE_DIR": str(home / "cache"), "DIGITS_MODELS_DIR": str(models),
                "DIGITS_MNIST_SOURCE": str(home / "mnist.npz"),
                "DIGITS_PENDIGITS_SOURCE": str(home / "pendigits-train.unipen"),
                "DIGITS_LETTERS_SOURCE": str(home / "unipen-letters-train.unipen"), "MPLBACKEND": "Agg"})
    env.pop("DISPLAY", None)
    seed = ("import sys; sys.path.insert(0, sys.argv[1]); import numpy as np; from app.personal import PersonalDataset\n"
            "from fixtures import DIGIT_STROKES, draw_digit\nfrom app.reading.preprocess import to_mnist\n"
            "d = PersonalDataset()\n"
            "for i in range(12):\n"
            "    for label in (0, 1, 7):\n"
            "        img = to_mnist(np.asarray(draw_digit(DIGIT_STROKES[label], offset=(i, -i)))).image\n"
            "        d.add((img * 255).round().astype(np.uint8), label)\n")
    subprocess.run([sys.executable, "-c", seed, str(ROOT)], env={**env, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"},
                   cwd=home, check=True, timeout=120)
    return home, env


def documented_argv(command: str) -> list[str]:
    words = shlex.split(command.replace("/path/to/", "./").replace("~/", "./"))
    if words[0] == "env":   # env -u A -u B .venv/bin/python ...: the unsets, then the command
        while words[0] in ("env", "-u") or words[0].startswith("OPENBLAS"):
            words = words[1:]
    assert words[0] == ".venv/bin/python", command
    script, argv = words[1], words[2:]
    return [sys.executable, str(ROOT / script), *tiny(argv, script)]


def interrupt_a_training(name: str, home: Path, env: dict) -> None:
    """What "train --resume NAME  # after Ctrl-C" needs first: a training of NAME stopped by Ctrl-C
    (SIGINT) once it has started, which leaves a checkpoint."""
    argv = [sys.executable, str(ROOT / "ModelManager.py"), "train", "--name", name, "--overwrite", "--epochs", "20",
            "--copies", "1", "--pen-copies", "0", "--layers", "784,1000,1000,10", "--validation", "20"]
    proc = subprocess.Popen(argv, cwd=home, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("Epoch 1/"):   # the first epoch is done
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "train --resume" in err, (out, err)
    assert (Path(env["DIGITS_MODELS_DIR"]) / ".checkpoints" / name / "model.json").is_file()


def run_window(argv: list[str], home: Path, env: dict) -> subprocess.CompletedProcess:
    """A command that opens a window: up and still running after 4 s, then closed."""
    proc = subprocess.Popen(argv, cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=4)
        return subprocess.CompletedProcess(argv, proc.returncode or 1, out, err)   # it should not have ended
    except subprocess.TimeoutExpired:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
        return subprocess.CompletedProcess(argv, 0, out, err)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_documented_commands_run(page, workspace, request):
    home, env = workspace
    ran = 0
    for command in documented_commands(page):
        if skip_reason(command):
            continue
        argv = documented_argv(command)
        if "--resume" in argv:
            interrupt_a_training(argv[argv.index("--resume") + 1], home, env)
        if WINDOW_FLAGS & set(argv):
            result = run_window(argv, home, {**env, "DISPLAY": request.getfixturevalue("display")})
        else:
            result = subprocess.run(argv, cwd=home, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, (f"{page.name}: `{command}` exited {result.returncode}\n"
                                               f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        assert "Traceback" not in result.stderr, f"{page.name}: `{command}`\n{result.stderr[-3000:]}"
        ran += 1
    for code in re.findall(r"```python\n(.*?)```", page.read_text(), re.S):
        result = subprocess.run([sys.executable, "-c", code], cwd=home, env={**env, "PYTHONPATH": str(ROOT)},
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{page.name}: the Python example failed\n{code}\n{result.stderr[-3000:]}"
        ran += 1
    assert ran or page.name in ("architecture.md", "promises.md"), f"{page.name}: no command ran"


def test_every_link_and_picture_in_the_docs_exists():
    missing = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if not target.startswith(("http://", "https://")) and not (page.parent / target).exists():
                missing.append(f"{page.name}: {target}")
    assert not missing


def test_every_promise_names_a_test_that_exists():
    text = (ROOT / "docs" / "promises.md").read_text()
    named = re.findall(r"`(test_\w+\.py)(?:::(test_\w+))?`", text)
    assert len(named) > 15
    for module, test in named:
        source = (ROOT / "tests" / module).read_text()
        assert not test or f"def {test}(" in source, f"{module}::{test} is named in docs/promises.md but does not exist"
