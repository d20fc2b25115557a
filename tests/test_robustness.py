"""Never lose a model, never crash: bad settings, bad files, busy names, interrupted swaps.

Every case ends in one line on stderr and a non-zero exit, never a traceback or a hang, and no
existing model is replaced unless the user said so.
"""
from __future__ import annotations

import json
import os
import shutil
import threading

import numpy as np
import pytest
from fixtures import DIGIT_STROKES, draw_digit, make_arrays, tiny_workspace
from fixtures import run_command as run

import data
import ModelManager as mm
from app.models import model_store, training
from app.models.model_store import list_models, model_lock
from network import ModelFileError, load_model


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return tiny_workspace(tmp_path_factory.mktemp("robust"), 300, 60, "--layers", "784,16,10", "--epochs", "2",
                          "--copies", "0", "--validation", "30")


def one_line_error(err: str) -> bool:
    lines = err.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "epochs must be a whole number from 1"),
    (["--epochs", "-1"], "epochs"),
    (["--lr", "nan"], "lr must be a number in (0, 10], got nan"),
    (["--lr", "-1"], "lr must be"),
    (["--batch-size", "0"], "batch_size"),
    (["--copies", "-1"], "copies"),
    (["--momentum", "2"], "momentum must be a number in [0, 1), got 2.0"),
    (["--weight-decay", "-1"], "weight_decay"),
    (["--seed", "-1"], "seed"),
    (["--augment", "[1]"], "augment must be a JSON object"),
    (["--augment", '{"foo": 1}'], "unknown setting 'foo'"),
    (["--augment", '{"rotation": 1000}'], "rotation must be between 0 and 180, got 1000"),
    (["--augment", '{"rotation": -5}'], "rotation must be between"),
    (["--augment", '{"rotation": "x"}'], "rotation must be a number"),
    (["--layers", "784,10000000,10"], "at most 8 hidden layers of 1 to 8192 units"),
    (["--layers", "784,x,10"], "comma-separated integers"),
    (["--pen-copies", "-2"], "pen_copies"),
    (["--workers", "0"], 'workers must be "auto" or a whole number from 1 to 64, got 0'),
])
def test_bad_settings_are_one_line_errors(trained, capsys, args, message):
    code, _, err = run(capsys, "train", "--name", "new", "--models-dir", str(trained["models"]), *args)
    assert code == 2 and one_line_error(err) and message in err, err
    assert not (trained["models"] / "new").exists()


def test_workers_that_are_not_a_number_are_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as e:
        mm.main(["train", "--workers", "two"])
    assert e.value.code == 2 and "got 'two'" in capsys.readouterr().err


def test_bad_json_for_augment_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as e:
        mm.main(["train", "--augment", "{not json"])
    assert e.value.code == 2 and "not valid JSON" in capsys.readouterr().err


def test_existing_models_are_never_replaced_by_accident(trained, capsys):
    models = trained["models"]
    before = (models / "tiny" / "weights.npz").read_bytes()
    code, _, err = run(capsys, "train", "--name", "tiny", "--layers", "784,16,10", "--epochs", "1", "--copies", "0",
                       "--source", str(trained["source"]), "--models-dir", str(models), "--pen-copies", "0")
    assert code == 2 and "exists already" in err and "--overwrite" in err
    assert (models / "tiny" / "weights.npz").read_bytes() == before
    code, out, _ = run(capsys)   # the bare command shows the help and trains nothing
    assert code == 0 and "train" in out and "evaluate" in out
    code, _, err = run(capsys, "finetune", "--model", "tiny", "--name", "tiny", "--models-dir", str(models))
    assert code == 2 and "name of its own" in err
    assert (models / "tiny" / "weights.npz").read_bytes() == before


def test_a_model_that_learned_nothing_is_not_saved(trained, capsys, monkeypatch):
    monkeypatch.setattr(training, "CHANCE_MARGIN", 1.01)   # every model "fails"
    code, _, err = run(capsys, "train", "--name", "failed", "--layers", "784,16,10", "--epochs", "1", "--copies", "0",
                       "--source", str(trained["source"]), "--models-dir", str(trained["models"]), "--pen-copies", "0",
                       "--validation", "30", "--quiet")
    assert code == 2 and one_line_error(err) and "not saved" in err
    assert not (trained["models"] / "failed").exists()


def test_one_training_per_name_at_a_time(trained, capsys):
    with model_lock("busy", trained["models"]):
        code, _, err = run(capsys, "train", "--name", "busy", "--models-dir", str(trained["models"]), "--pen-copies", "0",
                           "--source", str(trained["source"]))
    assert code == 2 and "being trained or saved by another process" in err
    with model_lock("busy", trained["models"]):   # released: it can be taken again
        pass


def test_delete_refuses_links_and_asks_for_default(trained, capsys, monkeypatch):
    models = trained["models"]
    os.symlink(models / "tiny", models / "alias")
    code, _, err = run(capsys, "delete", "alias", "--models-dir", str(models))
    assert code == 2 and "symbolic link" in err and (models / "tiny" / "model.json").exists()
    os.unlink(models / "alias")
    shutil.copytree(models / "tiny", models / "default")
    monkeypatch.setattr("sys.stdin", open(os.devnull))   # no terminal to ask on
    code, _, err = run(capsys, "delete", "default", "--models-dir", str(models))
    assert code == 2 and "--yes" in err and (models / "default").exists()
    code, out, _ = run(capsys, "delete", "default", "--yes", "--models-dir", str(models))
    assert code == 0 and not (models / "default").exists()


def test_an_interrupted_swap_is_recovered(trained, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(trained["models"] / "tiny", models / ".tiny.old")   # killed between the two renames
    shutil.copytree(trained["models"] / "tiny", models / ".other.new")  # killed before the swap, no old one
    names = [m.name for m in list_models(models)]
    assert names == ["other", "tiny"] and not list(models.glob(".*.old")) and not list(models.glob(".*.new"))
    assert load_model(models / "tiny").metadata["test_accuracy"] > 0


def damaged(models, name, text=None, fifo=False):
    folder = models / name
    folder.mkdir(parents=True)
    if fifo:
        os.mkfifo(folder / "model.json")
    else:
        (folder / "model.json").write_text(text)


def test_one_bad_model_never_takes_the_list_down(trained, tmp_path, capsys):
    models = tmp_path / "models"
    shutil.copytree(trained["models"] / "tiny", models / "good")
    good = json.loads((models / "good" / "model.json").read_text())
    missing = dict(good)
    del missing["input_shape"]
    wrong_type = dict(good, layers="not a list")
    wrong_meta = dict(good, metadata=[1, 2])
    damaged(models, "missing-key", json.dumps(missing))
    damaged(models, "wrong-type", json.dumps(wrong_type))
    damaged(models, "wrong-meta", json.dumps(wrong_meta))
    damaged(models, "nested", "[" * 100000 + "]" * 100000)
    damaged(models, "fifo", fifo=True)
    result = {}
    worker = threading.Thread(target=lambda: result.update(models=list_models(models)), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "listing hung on a FIFO"
    by_name = {m.name: m for m in result["models"]}
    assert by_name["good"].error is None
    for name in ("missing-key", "wrong-type", "wrong-meta", "nested", "fifo"):
        assert by_name[name].error, name
    code, out, _ = run(capsys, "list", "--models-dir", str(models))
    assert code == 0 and out.count("DAMAGED") == 5
    image = tmp_path / "seven.png"
    draw_digit(DIGIT_STROKES[7]).save(image)
    code, out, _ = run(capsys, "predict", str(image), "--model", "good", "--models-dir", str(models))
    assert code == 0 and out.startswith(str(image))


def test_weights_are_checked_before_they_are_decompressed(trained, tmp_path):
    import hashlib
    import io
    import zipfile

    folder = tmp_path / "bomb"
    shutil.copytree(trained["models"] / "tiny", folder)
    desc = json.loads((folder / "model.json").read_text())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with np.load(folder / "weights.npz") as npz:
            for k in npz.files:
                z.writestr(f"{k}.npy", (lambda a: (lambda b: (np.save(b, a), b.getvalue())[1])(io.BytesIO()))(npz[k]))
        z.writestr("extra.npy", b"\0" * (16 << 20))   # 16 MB of zeros: 16 kB compressed
    data_bytes = buf.getvalue()
    (folder / "weights.npz").write_bytes(data_bytes)
    desc["weights"]["sha256"] = hashlib.sha256(data_bytes).hexdigest()
    (folder / "model.json").write_text(json.dumps(desc))
    with pytest.raises(ModelFileError, match="does not list"):
        load_model(folder)
    desc["layers"][-1]["config"]["units"] = 10**7
    (folder / "model.json").write_text(json.dumps(desc))
    with pytest.raises(ModelFileError, match="units"):
        load_model(folder)


def test_predict_refuses_huge_images_and_fifos(trained, tmp_path, capsys):
    from PIL import Image

    huge = tmp_path / "huge.png"
    Image.new("1", (8000, 8000), 1).save(huge)   # 64 Mpx, a few kB on disk
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    good = tmp_path / "seven.png"
    draw_digit(DIGIT_STROKES[7]).save(good)
    code, out, _ = run(capsys, "predict", str(huge), str(fifo), str(good), "--model", "tiny", "--json",
                       "--models-dir", str(trained["models"]))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and "million" in lines[0]["error"] and "not a regular file" in lines[1]["error"]
    assert "digit" in lines[2]


def test_data_command_errors_are_one_line(tmp_path, capsys):
    assert data.main(["--copies", "-1", "--source", str(tmp_path / "x.npz"), "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert one_line_error(err)
    assert data.main(["--rotation", "1000", "--cache-dir", str(tmp_path)]) == 2
    assert "rotation must be between" in capsys.readouterr().err


def test_a_cache_build_that_fails_leaves_nothing(tmp_path, monkeypatch):
    from app import cachefolder
    from app.data import mnist_cache

    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays())
    cache = tmp_path / "cache"

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mnist_cache, "augment", full_disk)
    with pytest.raises(OSError, match="No space"):
        mnist_cache.build_cache(source=source, copies=1, cache_dir=cache, progress=False)
    assert [p.name for p in cache.iterdir()] == []   # no temporary folder left behind
    monkeypatch.setattr(cachefolder.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10, 10, 10))
    with pytest.raises(data.DataError, match="not enough free space"):
        mnist_cache.build_cache(source=source, copies=1, cache_dir=cache, progress=False)


def test_leftovers_of_killed_builds_are_shown_and_removed(tmp_path, capsys):
    from app.data import mnist_cache

    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays())
    cache = tmp_path / "cache"
    built = mnist_cache.build_cache(source=source, copies=1, cache_dir=cache, progress=False)
    stale = cache / f".{built.path.name}.abc123"
    stale.mkdir()
    (stale / "x_train.npy").write_bytes(b"\0" * 1000)
    assert data.main(["--info", "--cache-dir", str(cache)]) == 0
    assert "LEFTOVER" in capsys.readouterr().out
    mnist_cache.build_cache(source=source, copies=1, cache_dir=cache, progress=False, rebuild=True)
    assert not stale.exists()


def test_store_names(tmp_path):
    assert model_store.free_name("x", tmp_path) == "x"
    (tmp_path / "x").mkdir()
    (tmp_path / "x-2").mkdir()
    assert model_store.free_name("x", tmp_path) == "x-3"


def test_ctrl_c_and_fifos_in_data_py_are_one_line(tmp_path, capsys, monkeypatch):
    from app.data import mnist_cache

    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays())
    cache = tmp_path / "cache"

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mnist_cache, "augment", ctrl_c)
    assert data.main(["--source", str(source), "--copies", "1", "--cache-dir", str(cache), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err.strip().startswith("interrupted") and "Traceback" not in err
    monkeypatch.undo()
    built = mnist_cache.build_cache(source=source, copies=1, cache_dir=cache, progress=False)
    (built.path / "meta.json").unlink()
    os.mkfifo(built.path / "meta.json")   # a FIFO where the cache's description should be
    result = {}
    worker = threading.Thread(target=lambda: result.update(code=data.main(["--info", "--cache-dir", str(cache)])),
                              daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "data.py --info hung on a FIFO"
    assert result["code"] == 0 and "DAMAGED" in capsys.readouterr().out
    fifo_source = tmp_path / "fifo.npz"
    os.mkfifo(fifo_source)
    assert data.main(["--source", str(fifo_source), "--cache-dir", str(cache), "--quiet"]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_idx_bombs_and_lying_headers_are_refused(tmp_path, monkeypatch):
    import gzip

    from app.data import mnist_source

    lying = tmp_path / "lying-idx3-ubyte"
    lying.write_bytes(bytes([0, 0, 8, 3]) + (2**31 - 1).to_bytes(4, "big") * 3 + b"\0" * 100)
    with pytest.raises(data.DataError, match="header says"):
        mnist_source._read_idx(lying)
    monkeypatch.setattr(mnist_source, "MAX_SOURCE_BYTES", 1 << 20)
    bomb = tmp_path / "bomb-idx3-ubyte.gz"
    bomb.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + (8 << 20).to_bytes(4, "big") + b"\0" * (8 << 20)))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(data.DataError, match="more than 1 MB"):
        mnist_source._read_idx(bomb)
    sparse = tmp_path / "huge.npz"
    with open(sparse, "wb") as f:
        f.truncate(2 << 20)
    with pytest.raises(data.DataError, match="too large for a digit data set"):
        mnist_source.source_for("mnist", sparse, tmp_path / "cache")


def test_a_cache_description_without_its_keys_is_damaged_not_a_crash(tmp_path, capsys):
    from app.data import mnist_cache

    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays())
    cache = tmp_path / "cache"
    built = mnist_cache.build_cache(source=source, copies=1, cache_dir=cache, progress=False)
    meta = json.loads((built.path / "meta.json").read_text())
    del meta["counts"]
    (built.path / "meta.json").write_text(json.dumps(meta))
    assert data.main(["--info", "--cache-dir", str(cache)]) == 0
    assert "DAMAGED" in capsys.readouterr().out
    messages = []
    again = mnist_cache.build_cache(source=source, copies=1, cache_dir=cache, progress=False, log=messages.append)
    assert "damaged" in messages[0] and again.meta["counts"]["originals"] == 120
