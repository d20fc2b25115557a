"""The second adversary pass: each case an attacker or a careless user found, as a test (numbered
as in the issue). Every command answers with one line and a non-zero exit, or does the right thing;
nothing outside the project's folders is written or deleted; no process outlives its command."""
from __future__ import annotations

import errno
import io
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fixtures import DIGIT_STROKES, draw_digit, make_arrays, make_unipen, run_command, tiny_workspace

import data
import ModelManager as mm
from app import cachefolder
from app.data import mnist_cache, mnist_source
from app.errors import AppError, DataError
from app.models import model_store, plots
from app.pen import pen_data, pendigits
from app.personal import PersonalDataError, PersonalDataset, make_entry, read_settings
from network import ModelFileError, load_model, read_description

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return tiny_workspace(tmp_path_factory.mktemp("adversary"), 200, 60, "--layers", "784,16,10", "--epochs", "1",
                          "--copies", "0", "--validation", "20")


def run_script(*argv, timeout=60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, **kwargs)


def one_line_error(result) -> bool:
    return result.returncode != 0 and "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0


# -- data loss or damage ----------------------------------------------------------------------

def test_01_clear_removes_only_what_the_cache_made(tmp_path, capsys):
    """--clear --cache-dir . in a checkout removed the code, .git and the models."""
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "code.py").write_text("print('mine')\n")
    (checkout / "saved_models" / "m").mkdir(parents=True)
    (checkout / "notes-2024").mkdir()   # named like a cache folder, but not one
    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays())
    built = mnist_cache.build_cache(source=source, copies=1, cache_dir=checkout, progress=False)
    assert data.main(["--clear", "--cache-dir", str(checkout)]) == 0
    assert not built.path.exists()
    assert sorted(p.name for p in checkout.iterdir()) == [".git", "code.py", "notes-2024", "saved_models"]


def test_02_a_drawing_with_spaces_in_its_hex_is_never_stored(tmp_path):
    image = np.zeros((28, 28), np.uint8)
    good = make_entry(image, 3)
    spaced = dict(good, image=" ".join([good["image"][:1000], good["image"][1001:]]))   # 1568 characters, 783 bytes
    assert len(spaced["image"]) == 1568
    lines = (json.dumps(good) + "\n" + json.dumps(spaced) + "\n").encode()
    export = tmp_path / "mine.npz"
    np.savez(export, format=np.frombuffer(b"digit-recogniser-personal", np.uint8), drawings_jsonl=np.frombuffer(lines, np.uint8))
    store = PersonalDataset(tmp_path / "personal")
    with pytest.raises(PersonalDataError, match="line 2 is damaged"):
        store.import_file(export)
    assert store.count() == 0   # all or nothing
    with pytest.raises(PersonalDataError, match="not valid"):
        store._append([spaced])   # the one way every drawing is stored checks it too
    store.add(image, 3)
    (store.folder / "drawings.jsonl").open("a").write(json.dumps(spaced) + "\n")   # written by hand
    assert store.arrays()[1].tolist() == [3] and store.skipped()[0][0] == 2   # skipped, never a crash


def test_05_export_never_writes_over_the_drawings_or_anything_not_a_file(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "personal"
    monkeypatch.setenv("DIGITS_PERSONAL_DIR", str(folder))
    PersonalDataset(folder).add(np.zeros((28, 28), np.uint8), 1)
    before = (folder / "drawings.jsonl").read_bytes()
    code, _, err = run_command(capsys, "personal", "--export", str(folder / "drawings.jsonl"))
    assert code == 2 and "where your drawings" in err
    assert (folder / "drawings.jsonl").read_bytes() == before
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)   # like a device: a write as root would replace it
    code, _, err = run_command(capsys, "personal", "--export", str(fifo))
    assert code == 2 and "not a regular file" in err and fifo.is_fifo()


def test_04_a_swap_in_progress_is_not_recovered_under_a_training(tmp_path):
    """list (or the window's poll) recovered a .NAME.new that a training was still writing."""
    models = tmp_path / "models"
    (models / ".m.new").mkdir(parents=True)
    (models / ".m.new" / "model.json").write_text("{}")
    with model_store.model_lock("m", models):   # a training holds it while it saves
        assert model_store.recover(models) == []
        assert (models / ".m.new").exists() and not (models / "m").exists()
    assert model_store.recover(models) == ["recovered m from .m.new"]


def test_04_two_builds_of_one_cache_leave_each_other_alone(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    from network.owners import own_tag

    me = own_tag()
    live = cache / f".mnist-abc.{me}.x1"          # another build of the same cache, running now
    dead = cache / ".mnist-abc.999999999-1.x2"     # its builder is gone
    live.mkdir()
    dead.mkdir()
    with cachefolder.building(cache / "mnist-abc") as tmp:
        assert live.exists() and not dead.exists()
        assert me in tmp.name
    assert cachefolder.leftovers(cache) == []


def test_06_resume_of_a_renamed_checkpoint_saves_under_the_new_name(trained, capsys):
    import shutil

    models = trained["models"]
    before = (models / "tiny" / "weights.npz").read_bytes()
    checkpoints = models / ".checkpoints"
    checkpoints.mkdir(exist_ok=True)
    shutil.copytree(models / "tiny", checkpoints / "tiny-keep")   # the name inside is still "tiny"
    code, _, err = run_command(capsys, "train", "--resume", "tiny-keep", "--models-dir", str(models), "--quiet")
    assert code == 0, err
    assert (models / "tiny-keep" / "model.json").is_file()
    assert (models / "tiny" / "weights.npz").read_bytes() == before


def test_07_a_full_disk_leaves_the_old_picture_whole(tmp_path, monkeypatch):
    target = tmp_path / "confusion.png"
    target.write_bytes(b"the old picture")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("network.atomic.os.fsync", full)
    with pytest.raises(OSError, match="No space"):
        plots.save_confusion_png(np.eye(10, dtype=int), target, "t")
    assert target.read_bytes() == b"the old picture" and [p.name for p in tmp_path.iterdir()] == ["confusion.png"]


def test_07_sigterm_during_a_cache_build_leaves_no_temporary_folder(tmp_path):
    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays(n_train=3000, n_test=10))
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, str(ROOT / "data.py"), "--source", str(source), "--copies", "300",
                             "--cache-dir", str(cache), "--quiet"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(cache.glob(".mnist-*")):
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert list(cache.glob(".mnist-*")) == [] and list(cache.glob("mnist-*")) == []


# -- writes and deletes outside where they belong -------------------------------------------------

def test_08_planted_links_are_never_written_or_deleted_through(trained, tmp_path, capsys):
    models, outside = trained["models"], tmp_path / "Documents"
    outside.mkdir()
    (outside / "letter.txt").write_text("keep me")
    figures = tmp_path / "figures"
    figures.mkdir()
    link = figures / "confusion.png"
    link.symlink_to(outside / "letter.txt")
    code, _, err = run_command(capsys, "evaluate", "--model", "tiny", "--models-dir", str(models),
                               "--source", str(trained["source"]), "--png-dir", str(figures))
    assert code == 2 and "symbolic link" in err   # refused, in one line: the link is not followed
    assert (outside / "letter.txt").read_text() == "keep me"
    link.unlink()
    checkpoints = models / ".checkpoints"
    import shutil
    shutil.rmtree(checkpoints, ignore_errors=True)
    checkpoints.symlink_to(outside)
    try:
        code, _, err = run_command(capsys, "train", "--name", "Documents", "--layers", "784,8,10", "--epochs", "1",
                                   "--copies", "0", "--pen-copies", "0", "--source", str(trained["source"]),
                                   "--models-dir", str(models), "--validation", "20", "--quiet")
        assert code == 2 and "symbolic link" in err
        assert sorted(p.name for p in outside.iterdir()) == ["letter.txt"]
    finally:
        checkpoints.unlink()


def test_09_explain_writes_exactly_the_path_it_names(trained, tmp_path, capsys):
    image = tmp_path / "seven.png"
    draw_digit(DIGIT_STROKES[7]).save(image)
    out = tmp_path / "why"   # no extension
    code, stdout, err = run_command(capsys, "explain", str(image), "--model", "tiny", "--models-dir",
                                    str(trained["models"]), "--png", str(out))
    assert code == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not (tmp_path / "why.png").exists()
    assert f"wrote {out}" in stdout


# -- hangs -----------------------------------------------------------------------------------

def test_10_a_fifo_or_dev_zero_as_settings_never_blocks(tmp_path, monkeypatch):
    fifo = tmp_path / "settings.json"
    os.mkfifo(fifo)
    monkeypatch.setenv("DIGITS_SETTINGS", str(fifo))
    result = {}
    reader = threading.Thread(target=lambda: result.update(settings=read_settings()), daemon=True)
    reader.start()
    reader.join(5)
    assert result == {"settings": {}}
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    monkeypatch.setenv("DIGITS_SETTINGS", str(zero))
    assert read_settings() == {}
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)   # 13g: nested too deeply for the JSON reader
    monkeypatch.setenv("DIGITS_SETTINGS", str(deep))
    assert read_settings() == {}


WORKERS_THAT_HANG = """
import os, sys, time
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
from fixtures import make_unipen
from app.pen import pen_data, pendigits
slow = pendigits.render_many
def render_many(*args, **kwargs):
    os.write(1, f"worker {os.getpid()}\\n".encode())   # one write: the two workers' lines never mix
    time.sleep(60)
    return slow(*args, **kwargs)
pendigits.render_many = render_many
digits = pendigits.parse_unipen(make_unipen(writers=2), "fixture")
pen_data.render_copies(digits, 2, 0, pendigits.PenAugment(), workers=2)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"   # a zombie has ended
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_11_render_workers_end_with_their_parent(how):
    tests = Path(__file__).resolve().parent
    parent = subprocess.Popen([sys.executable, "-c", WORKERS_THAT_HANG, str(ROOT), str(tests)],
                              stdout=subprocess.PIPE, text=True)
    workers = [int(parent.stdout.readline().split()[1]) for _ in range(2)]
    parent.send_signal(how)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone(pid) for pid in workers):
        time.sleep(0.05)
    alive = [pid for pid in workers if not _gone(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive


def test_12_finetune_epochs_are_checked_first(trained, capsys):
    for epochs in ("0", "-1", "1000000"):
        code, _, err = run_command(capsys, "finetune", "--model", "tiny", "--name", "t2", "--epochs", epochs,
                                   "--models-dir", str(trained["models"]))
        assert code == 2 and "--epochs must be" in err


# -- tracebacks instead of one line -----------------------------------------------------------------

def test_13a_a_dds_picture_of_an_unknown_pixel_format(trained, tmp_path, capsys):
    header = (b"DDS " + struct.pack("<7I", 124, 0x1007, 4, 4, 0, 0, 0) + b"\0" * 44 + struct.pack("<2I", 32, 0)
              + b"\0" * 24 + struct.pack("<5I", 0x1000, 0, 0, 0, 0))
    (tmp_path / "x.dds").write_bytes(header + b"\0" * 64)
    draw_digit(DIGIT_STROKES[7]).save(tmp_path / "seven.png")
    code, out, err = run_command(capsys, "predict", str(tmp_path / "x.dds"), str(tmp_path / "seven.png"),
                                 "--models-dir", str(trained["models"]), "--model", "tiny")
    assert code == 1 and "not a readable image" in err + out and "seven.png" in out   # the other file is read


@pytest.mark.parametrize("history", [{"loss": 5}, {"loss": [1, "x"]}, None, "text"])
def test_13b_a_bad_history_in_model_json(trained, tmp_path, history, capsys):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(trained["models"] / "tiny", models / "m")
    desc = json.loads((models / "m" / "model.json").read_text())
    desc["history"] = history
    (models / "m" / "model.json").write_text(json.dumps(desc))
    if history is None:   # no history is a model that was never trained by fit: it loads
        assert load_model(models / "m").history == {}
        return
    with pytest.raises(ModelFileError, match="history"):
        read_description(models / "m")
    assert model_store.list_models(models)[0].error is not None   # listed as damaged, never "healthy"


def _weights_with(tmp_path, trained, npy: bytes) -> Path:
    import hashlib
    import shutil
    import zipfile

    folder = tmp_path / "m"
    shutil.copytree(trained["models"] / "tiny", folder)
    buf = io.BytesIO()
    with zipfile.ZipFile(folder / "weights.npz") as z, zipfile.ZipFile(buf, "w") as out:
        for info in z.infolist():
            out.writestr(info.filename, npy if info.filename == "layer1.W.npy" else z.read(info))
    (folder / "weights.npz").write_bytes(buf.getvalue())
    desc = json.loads((folder / "model.json").read_text())
    desc["weights"]["sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    (folder / "model.json").write_text(json.dumps(desc))
    return folder


@pytest.mark.parametrize("header", [b"{'descr': '<f4', 'fortran_order': False, 'shape': (784, 16), ",   # cut short
                                    b"{'descr': '<f4', 'fortran_order': False, 'shape': (10000000000, 10000000), }"])
def test_13c_a_malformed_or_huge_npy_header_in_the_weights(trained, tmp_path, header):
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header) + 1) + header + b"\n"
    folder = _weights_with(tmp_path, trained, npy + b"\0" * 64)
    with pytest.raises(ModelFileError, match="weights"):
        load_model(folder)


def test_13d_a_writer_number_too_large(tmp_path):
    text = make_unipen(writers=1).replace(".COMMENT 0  1", ".COMMENT 0 40000", 1)
    with pytest.raises(DataError, match="writer number 40000"):
        pendigits.as_arrays(pendigits.parse_unipen(text, "f"))


def test_13e_a_damaged_gzip_stream(tmp_path):
    import gzip

    folder = tmp_path / "idx"
    folder.mkdir()
    raw = gzip.compress(b"\0\0\x08\x01" + struct.pack(">I", 1000) + bytes(1000))
    for stem in mnist_source.IDX_FILES.values():
        (folder / f"{stem}.gz").write_bytes(raw[:20] + bytes(b ^ 0x5A for b in raw[20:40]) + raw[40:])
    with pytest.raises(DataError, match="cannot be read"):
        mnist_source.read_source(folder)


def test_13f_the_largest_shift_with_the_largest_zoom(tmp_path, capsys):
    from app.data.augment import resample

    images = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    out = resample(images, np.array([45, 0, 90, -45]), np.full(4, 0.1), np.array([[10, 10], [-10, -10], [10, -10], [-10, 10]]))
    assert out.shape == (4, 28, 28) and np.isfinite(out).all()   # before: IndexError (the padding ignored shift / zoom)
    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays())
    assert data.main(["--source", str(source), "--copies", "2", "--zoom", "0.9", "--shift", "10", "--rotation", "180",
                      "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 0


def test_13h_a_personal_npz_with_a_huge_header(tmp_path):
    store = PersonalDataset(tmp_path)
    store.add(np.zeros((28, 28), np.uint8), 4)
    header = b"{'descr': '|u1', 'fortran_order': False, 'shape': (100000000000, 28, 28), }"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header) + 1) + header + b"\n"
    buf = io.BytesIO()
    import zipfile
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("images.npy", npy)
        z.writestr("labels.npy", npy)
    (tmp_path / "personal.npz").write_bytes(buf.getvalue())
    assert PersonalDataset(tmp_path).arrays()[1].tolist() == [4]   # rebuilt from the lines


@pytest.mark.parametrize("script", ["ModelManager.py", "data.py"])
def test_13i_ctrl_c_while_a_command_starts(script):
    proc = subprocess.Popen([sys.executable, str(ROOT / script), "--info" if script == "data.py" else "list"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.15)   # numpy and the rest are still loading
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err
    assert proc.returncode in (0, 130)   # finished already, or one line and 130
    if proc.returncode == 130:
        assert err.strip().startswith("interrupted")


def test_13j_a_state_file_that_is_a_folder(tmp_path):
    result = run_script(ROOT / "interface.py", "--state-file", tmp_path, env={**os.environ, "DISPLAY": ""})
    assert result.returncode == 2 and "a folder" in result.stderr and one_line_error(result)


def test_14_memory_error_is_one_line(tmp_path, monkeypatch, capsys):
    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(data, "_build", no_memory)
    assert data.main(["--copies", "3", "--cache-dir", str(tmp_path)]) == 1
    assert "not enough memory" in capsys.readouterr().err
    monkeypatch.setattr(mm, "list_models", no_memory)
    code, _, err = run_command(capsys, "list")
    assert code == 1 and "not enough memory" in err


# -- resource exhaustion ------------------------------------------------------------------------

def test_15_layer_sizes_are_bounded_before_any_weight_is_allocated(trained, tmp_path):
    import shutil
    import tracemalloc

    shutil.copytree(trained["models"] / "tiny", tmp_path / "m")
    desc = json.loads((tmp_path / "m" / "model.json").read_text())
    desc["layers"][1]["config"]["units"] = 100000
    desc["layers"][-1]["config"]["units"] = 10000
    desc["layers"].insert(-1, dict(desc["layers"][-1], config=dict(desc["layers"][-1]["config"], units=10000)))
    (tmp_path / "m" / "model.json").write_text(json.dumps(desc))
    tracemalloc.start()
    with pytest.raises(ModelFileError, match="more than a model may"):
        load_model(tmp_path / "m")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 << 20


def test_15_a_convolution_s_sizes_are_bounded_too(tmp_path):
    """A convolution whose outputs (height x width x filters) would be huge, or whose next dense layer
    would be: refused from the description, before any weight is allocated."""
    from network import Conv2D, Dense, Flatten, Sequential

    model = Sequential([Conv2D(4, 3, input_shape=(28, 56)), Flatten(), Dense(3, "softmax")], seed=0)
    model.build()
    model.save(tmp_path / "m")
    desc = json.loads((tmp_path / "m" / "model.json").read_text())
    wide = json.loads(json.dumps(desc))
    wide["layers"][0]["config"]["filters"] = 1000   # 26 x 54 x 1000 outputs a picture
    (tmp_path / "m" / "model.json").write_text(json.dumps(wide))
    with pytest.raises(ModelFileError, match="outputs, more than"):
        load_model(tmp_path / "m")
    deep = json.loads(json.dumps(desc))
    deep["layers"][0]["config"]["filters"] = 60     # 84,240 outputs, each joined to 10,000 units
    deep["layers"][-1]["config"]["units"] = 10000
    (tmp_path / "m" / "model.json").write_text(json.dumps(deep))
    with pytest.raises(ModelFileError, match="more than a model may"):
        load_model(tmp_path / "m")
    bad = json.loads(json.dumps(desc))
    bad["layers"][0]["config"]["kernel_size"] = 99
    (tmp_path / "m" / "model.json").write_text(json.dumps(bad))
    with pytest.raises(ModelFileError, match="kernel_size must be an integer 1-15, got 99"):
        load_model(tmp_path / "m")
    bad["layers"][0]["config"].update(kernel_size=3, input_shape="abc")
    (tmp_path / "m" / "model.json").write_text(json.dumps(bad))
    with pytest.raises(ModelFileError, match=r"input_shape must be \(height, width\[, channels\]\), got 'abc'"):
        load_model(tmp_path / "m")


def test_15_an_import_that_unpacks_to_gigabytes_is_refused(tmp_path):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        fmt = io.BytesIO()
        np.save(fmt, np.frombuffer(b"digit-recogniser-personal", np.uint8))
        z.writestr("format.npy", fmt.getvalue())
        with z.open("drawings_jsonl.npy", "w", force_zip64=True) as f:
            block = b"\n" * (1 << 20)
            for _ in range(300):   # 300 MB of newlines, a few hundred kB packed
                f.write(block)
    (tmp_path / "bomb.npz").write_bytes(buf.getvalue())
    assert (tmp_path / "bomb.npz").stat().st_size < 2 << 20
    with pytest.raises(PersonalDataError, match="unpack to 314572800 bytes, more than an export holds"):
        PersonalDataset(tmp_path / "p").import_file(tmp_path / "bomb.npz")


def test_15_a_data_set_that_unpacks_past_the_limit_is_refused(tmp_path, monkeypatch):
    source = tmp_path / "digits.npz"
    np.savez_compressed(source, **make_arrays(n_train=2000))
    monkeypatch.setattr(mnist_source, "MAX_SOURCE_BYTES", 1 << 20)   # as if 2,000,000 images against 1 GB
    with pytest.raises(DataError, match="unpacks to"):
        mnist_source.read_source(source)


def test_15_renderings_and_training_estimate_their_memory_first(tmp_path, monkeypatch, capsys):
    import app.resources as resources

    monkeypatch.setattr(resources, "available_memory", lambda: 10 << 20)   # a machine with 10 MB free
    digits = pendigits.parse_unipen(make_unipen(writers=3), "f")
    with pytest.raises(AppError, match=r"needs about .* GB of memory, 0\.0 GB are available"):
        pen_data.render_copies(digits * 200, 10, 0, pendigits.PenAugment(), workers=1)
    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays(n_train=2000))
    code, _, err = run_command(capsys, "train", "--name", "big", "--copies", "3", "--pen-copies", "0", "--validation", "100",
                               "--source", str(source), "--models-dir", str(tmp_path / "models"), "--quiet")
    assert code == 2 and "memory" in err and "fewer --copies" in err
    assert not (tmp_path / "models" / "big").exists()


def test_09_a_signal_just_as_the_build_folder_is_made_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C or SIGTERM can come the moment the temporary folder exists, before the build holds it:
    the folder goes all the same (the SIGTERM test met this on a loaded machine)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    made = os.mkdir

    def mkdir_then_interrupted(path, *args, **kwargs):
        made(path, *args, **kwargs)
        if os.path.basename(path).startswith(".mnist-abc."):
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "mkdir", mkdir_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        with cachefolder.building(cache / "mnist-abc"):
            pass
    monkeypatch.undo()
    assert list(cache.iterdir()) == []
