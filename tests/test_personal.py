"""The personal dataset (saving, crash safety, export/import, moving) and fine-tuning with its guard."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import ModelManager as mm
from app.models.finetune import fine_tune, split_held_out
from app.personal import ARRAYS, LINES, PersonalDataset, move_personal_dir
from network import SGD, Dense, Flatten, Sequential

ROOT = Path(__file__).resolve().parent.parent


def digit_image(k: int) -> np.ndarray:
    img = np.zeros((28, 28), np.uint8)
    img[4:24, 10 + k % 8] = 255
    return img


def test_add_and_read_back(tmp_path):
    store = PersonalDataset(tmp_path / "p")
    assert store.count() == 0 and store.arrays()[0].shape == (0, 28, 28)
    for k in range(5):
        store.add(digit_image(k), k, strokes=[{"width": 24, "points": [[1, 2], [3, 4]]}])
    store.add(np.full((28, 28), 0.5, np.float32), 9)  # float 0..1 input works too
    images, labels = store.arrays()
    assert images.dtype == np.uint8 and images.shape == (6, 28, 28) and labels.tolist() == [0, 1, 2, 3, 4, 9]
    assert images[5, 0, 0] == 128 and store.entries()[0]["strokes"][0]["points"] == [[1, 2], [3, 4]]
    assert store.counts_by_digit() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 1]
    with pytest.raises(ValueError, match="0-9, got 12"):
        store.add(digit_image(0), 12)


def test_torn_line_and_stale_arrays_are_repaired(tmp_path):
    store = PersonalDataset(tmp_path)
    store.add(digit_image(1), 1)
    store.add(digit_image(2), 2)
    with open(tmp_path / LINES, "a") as f:
        f.write('{"label": 3, "image": "00ff')  # a crash in the middle of a line
    (tmp_path / ARRAYS).write_bytes(b"garbage")  # and a damaged array file
    images, labels = store.arrays()
    assert labels.tolist() == [1, 2]
    store.add(digit_image(4), 4)  # the next save starts on a fresh line
    assert store.arrays()[1].tolist() == [1, 2, 4]


WRITER = """
import sys, numpy as np
sys.path.insert(0, {root!r})
from app.personal import PersonalDataset
store = PersonalDataset({folder!r})
img = np.zeros((28, 28), np.uint8)
for k in range(100000):
    img[k % 28, (3 * k) % 28] = 255
    n = store.add(img, k % 10, strokes=[{{"width": 20, "points": [[k, k]] * 50}}])
    print(n, flush=True)
"""


def test_killing_the_app_mid_write_loses_and_corrupts_nothing(tmp_path):
    folder = tmp_path / "p"
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), folder=str(folder))],
                            stdout=subprocess.PIPE, text=True)
    confirmed = 0
    deadline = time.monotonic() + 20
    while confirmed < 25 and time.monotonic() < deadline:
        confirmed = int(proc.stdout.readline())
    time.sleep(0.013)  # land the kill somewhere inside a later save
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = PersonalDataset(folder)
    images, labels = store.arrays()
    assert len(labels) >= confirmed, "a save that was confirmed is gone"
    assert labels.tolist() == [k % 10 for k in range(len(labels))]
    assert images.shape == (len(labels), 28, 28)
    store.add(digit_image(0), 0)
    assert store.count() == len(labels) + 1


def test_export_import_and_move(tmp_path, monkeypatch):
    a = PersonalDataset(tmp_path / "a")
    for k in range(7):
        a.add(digit_image(k), k % 3, strokes=[{"width": 18, "points": [[k, k]]}])
    assert a.export(tmp_path / "mine.npz") == 7
    b = PersonalDataset(tmp_path / "b")
    assert b.import_file(tmp_path / "mine.npz") == (7, 0)
    assert b.import_file(tmp_path / "mine.npz") == (0, 7)   # twice: nothing doubled
    np.testing.assert_array_equal(b.arrays()[0], a.arrays()[0])
    assert b.entries()[3]["strokes"] == a.entries()[3]["strokes"]
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(ValueError, match="not a personal-dataset export"):
        b.import_file(tmp_path / "bad.npz")
    monkeypatch.delenv("DIGITS_PERSONAL_DIR")
    monkeypatch.setenv("DIGITS_SETTINGS", str(tmp_path / "settings.json"))
    json.dump({"personal_dir": str(tmp_path / "a")}, open(tmp_path / "settings.json", "w"))
    assert move_personal_dir(tmp_path / "moved") == (tmp_path / "moved", 7)
    assert PersonalDataset().folder == tmp_path / "moved" and PersonalDataset().count() == 7
    assert PersonalDataset(tmp_path / "a").count() == 0
    assert move_personal_dir(tmp_path / "moved") == (tmp_path / "moved", 0)   # already there: a no-op
    assert PersonalDataset().count() == 7


def test_damaged_lines_are_skipped_reported_and_never_block_a_save(tmp_path):
    store = PersonalDataset(tmp_path)
    store.add(digit_image(1), 1)
    good = (tmp_path / LINES).read_bytes()
    with open(tmp_path / LINES, "ab") as f:
        f.write(good.replace(b'"label": 1', b'"label": 1e400'))        # line 2: a label no int can hold
        f.write(b'{"label": 2, "image": "\xff\xfe"}\n')                # line 3: not UTF-8
        f.write(good.replace(b'"label": 1', b'"label": Infinity'))     # line 4: not JSON numbers
        f.write(b"[" * 100000 + b"\n")                                   # line 5: nested too deeply
        f.write(good.replace(b'"label": 1', b'"label": true'))         # line 6: not a digit
        f.write(b'{"label": 3, "image": "00"}\n')                       # line 7: a picture too small
    for attempt in range(3):
        assert store.add(digit_image(2), 2) == 2 + attempt
        assert PersonalDataset(tmp_path).count() == 2 + attempt       # a fresh reader agrees: no duplicates
    skipped = PersonalDataset(tmp_path).skipped()
    assert [n for n, _ in skipped] == [2, 3, 4, 5, 6, 7]
    assert "label" in skipped[0][1] and "UTF-8" in skipped[1][1] and "JSON" in skipped[2][1]
    images, labels = PersonalDataset(tmp_path).arrays()
    assert labels.tolist() == [1, 2, 2, 2] and images.shape == (4, 28, 28)


def test_a_save_that_cannot_be_written_leaves_no_trace(tmp_path, monkeypatch):
    import errno

    store = PersonalDataset(tmp_path)
    store.add(digit_image(1), 1)
    before = (tmp_path / LINES).read_bytes()
    real_write = os.write

    def full_disk(fd, data):
        real_write(fd, bytes(data)[:10])   # part of the line gets out, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(ValueError, match="No space left on device; nothing was saved"):
        store.add(digit_image(2), 2)
    monkeypatch.setattr(os, "write", real_write)
    assert (tmp_path / LINES).read_bytes() == before
    assert store.add(digit_image(3), 3) == 2 and PersonalDataset(tmp_path).arrays()[1].tolist() == [1, 3]


def test_import_is_all_or_nothing_and_fast(tmp_path):
    source = PersonalDataset(tmp_path / "src")
    def unique_image(k):
        img = digit_image(k)
        img[0, :2] = k % 256, k // 256
        return img

    entries = [{"label": k % 10, "strokes": [], "image": unique_image(k).tobytes().hex(), "created": f"t{k}"}
               for k in range(3000)]
    assert source.add_entries(entries) == (3000, 0)     # one write for all of them
    assert source.add_entries(entries[:10]) == (0, 10)
    source.export(tmp_path / "all.npz")
    target = PersonalDataset(tmp_path / "dst")
    target.add_entries(entries[:1])                      # already has the first drawing
    assert target.import_file(tmp_path / "all.npz") == (2999, 1)
    assert target.count() == 3000 and target.arrays()[0].shape == (3000, 28, 28)
    # a file with one damaged drawing imports nothing at all
    damaged = tmp_path / "damaged.npz"
    lines = b"".join(json.dumps(e).encode() + b"\n" for e in entries[:5]) + b'{"label": 12}\n'
    np.savez(damaged, format=np.frombuffer(b"digit-recogniser-personal", np.uint8),
             drawings_jsonl=np.frombuffer(lines, np.uint8))
    empty = PersonalDataset(tmp_path / "empty")
    with pytest.raises(ValueError, match="line 6 is damaged .*nothing was imported"):
        empty.import_file(damaged)
    assert empty.count() == 0
    with pytest.raises(ValueError, match="not a regular file"):
        empty.import_file(tmp_path)


def test_move_refuses_what_it_cannot_do(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="DIGITS_PERSONAL_DIR is set"):
        move_personal_dir(tmp_path / "elsewhere")
    monkeypatch.delenv("DIGITS_PERSONAL_DIR")
    monkeypatch.setenv("DIGITS_SETTINGS", str(tmp_path / "settings.json"))
    json.dump({"personal_dir": str(tmp_path / "a")}, open(tmp_path / "settings.json", "w"))
    PersonalDataset(tmp_path / "a").add(digit_image(1), 1)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is not a folder"):
        move_personal_dir(tmp_path / "file")
    PersonalDataset(tmp_path / "full").add(digit_image(2), 2)
    with pytest.raises(ValueError, match="already holds 1 drawing;"):
        move_personal_dir(tmp_path / "full")
    assert PersonalDataset(tmp_path / "a").count() == 1   # nothing moved, nothing lost


def test_move_keeps_a_drawing_saved_twice(tmp_path, monkeypatch):
    """The same picture saved twice is two drawings (a move is not an import, which skips repeats):
    before, the move stopped with "copied 1 of 2 drawings"."""
    monkeypatch.delenv("DIGITS_PERSONAL_DIR")
    monkeypatch.setenv("DIGITS_SETTINGS", str(tmp_path / "settings.json"))
    json.dump({"personal_dir": str(tmp_path / "a")}, open(tmp_path / "settings.json", "w"))
    PersonalDataset(tmp_path / "a").add(digit_image(3), 3)
    PersonalDataset(tmp_path / "a").add(digit_image(3), 3)
    assert move_personal_dir(tmp_path / "b") == (tmp_path / "b", 2)
    assert PersonalDataset(tmp_path / "b").count() == 2 and PersonalDataset(tmp_path / "b").arrays()[1].tolist() == [3, 3]


def test_held_out_split_keeps_every_fifth_per_digit():
    labels = np.array([1] * 10 + [2] * 3 + [3])
    train, held = split_held_out(labels)
    assert sorted(np.concatenate([train, held]).tolist()) == list(range(14))
    assert labels[held].tolist() == [1, 1, 2]


def test_personal_cli_export_and_evaluate(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DIGITS_PERSONAL_DIR", str(tmp_path / "p"))
    store = PersonalDataset()
    for k in range(6):
        store.add(digit_image(k), k)
    assert mm.main(["personal"]) == 0
    assert "6 drawings" in capsys.readouterr().out
    assert mm.main(["personal", "--export", str(tmp_path / "x.npz")]) == 0
    assert (tmp_path / "x.npz").exists()
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(10, "softmax")], seed=0)
    model.compile()
    model.save(tmp_path / "models" / "m")
    capsys.readouterr()
    assert mm.main(["evaluate", "--model", "m", "--personal", "--json", "--models-dir", str(tmp_path / "models")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["data"] == "personal" and 0 <= result["accuracy"] <= 1


# -- fine-tuning on real MNIST -----------------------------------------------

@pytest.fixture(scope="module")
def base_and_mnist(mnist):
    x = mnist["x_train"][:20000].astype(np.float32) / 255
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(128, "tanh"), Dense(10, "softmax")], seed=0)
    model.compile(optimizer=SGD(0.1, momentum=0.9))
    model.fit(x, mnist["y_train"][:20000], epochs=3, batch_size=64, verbose=0)
    return model, mnist


def mirrored_personal(mnist, per_digit=20):
    """A "person" who writes 3, 4 and 7 mirrored: digits an MNIST model gets wrong."""
    x, y = mnist["x_train"][30000:], mnist["y_train"][30000:]
    idx = np.concatenate([np.flatnonzero(y == d)[:per_digit] for d in (3, 4, 7)])
    return x[idx][:, :, ::-1].copy(), y[idx].astype(np.int64)


def test_fine_tuning_learns_the_users_digits_and_keeps_mnist(base_and_mnist):
    base, mnist = base_and_mnist
    images, labels = mirrored_personal(mnist)
    before_weights = base.get_weights()
    progress = []
    result = fine_tune(base, images, labels, mnist, epochs=3, report=lambda f, t: progress.append(f))
    print(f"personal {result.personal_before:.2f} -> {result.personal_after:.2f}; {result.reason}")
    assert result.personal_after > result.personal_before + 0.2
    assert result.accepted and result.mnist_before - result.mnist_after <= 0.003
    assert progress[-1] == 1.0
    for a, b in zip(base.get_weights(), before_weights):
        np.testing.assert_array_equal(a, b)  # the base model is never modified


def test_the_forgetting_guard_rejects_a_model_that_forgot_mnist(base_and_mnist):
    base, mnist = base_and_mnist
    images, labels = mirrored_personal(mnist)
    # Far too high a learning rate and no replay: MNIST accuracy collapses, and the guard says no.
    result = fine_tune(base, images, labels, mnist, epochs=2, replay=10, learning_rate=0.5)
    assert not result.accepted and "dropped" in result.reason


def test_finetune_command_saves_a_personal_model(base_and_mnist, tmp_path, capsys, monkeypatch):
    base, mnist = base_and_mnist
    monkeypatch.setenv("DIGITS_PERSONAL_DIR", str(tmp_path / "p"))
    store = PersonalDataset()
    images, labels = mirrored_personal(mnist)
    for img, lab in zip(images, labels):
        store.add(img, lab)
    base.metadata["test_accuracy"] = 0.9
    base.save(tmp_path / "models" / "default")
    code = mm.main(["finetune", "--models-dir", str(tmp_path / "models"), "--source", os.environ["MNIST_NPZ"],
                    "--epochs", "3", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "saved as personal" in out and "held-out drawings" in out
    meta = json.loads((tmp_path / "models" / "personal" / "model.json").read_text())["metadata"]
    assert meta["fine_tuned_from"] == "default" and meta["personal"]["drawings"] == 60
