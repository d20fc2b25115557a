"""ModelManager.py end to end through its command line, on a small synthetic data set."""
from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
from fixtures import DIGIT_STROKES, draw_digit, tiny_workspace
from fixtures import run_command as run

import network
from app.models.model_store import CHECKPOINTS, list_models


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A fixture data set and a trained tiny model, shared by the tests of this module."""
    return tiny_workspace(tmp_path_factory.mktemp("mm"), 400, 100, "--layers", "784,32,10", "--epochs", "3",
                          "--copies", "1", "--validation", "50", "--lr", "0.1")


def test_train_saves_model_metadata_and_curves(workspace):
    folder = workspace["models"] / "tiny"
    assert {p.name for p in folder.iterdir()} >= {"model.json", "weights.npz", "curves.png"}
    model = network.load_model(folder)
    meta = model.metadata
    assert [m.architecture for m in list_models(workspace["models"]) if m.name == "tiny"] == ["784-32-10 tanh"]
    assert meta["test_accuracy"] > 0.8, meta["test_accuracy"]   # bars of 10 angles are easy
    assert meta["train_args"]["seed"] == 0 and meta["data"]["source_sha256"]
    assert meta["data"]["train_images"] == (400 - 50) * 2 and meta["preprocessing_version"] == 1
    assert len(model.history["val_accuracy"]) == 3 and meta["training_seconds"] >= 0
    # the polish: 2 epochs on the plain pictures only (the 350 originals trained on, not their copies),
    # kept out of the main history
    assert meta["polish"]["epochs"] == 2 and meta["polish"]["images"] == 400 - 50 and len(meta["polish"]["loss"]) == 2
    assert len(model.history["loss"]) == 3
    assert not (workspace["models"] / CHECKPOINTS / "tiny").exists()  # removed once finished


def test_list_and_evaluate(workspace, capsys):
    models = str(workspace["models"])
    code, out, _ = run(capsys, "list", "--models-dir", models)
    assert code == 0 and "tiny" in out and "784-32-10 tanh" in out and "%" in out
    assert out.splitlines()[1].split()[5] == "-"   # no pair reader (its column)
    code, out, _ = run(capsys, "evaluate", "--model", "tiny", "--source", str(workspace["source"]), "--models-dir", models, "--json")
    result = json.loads(out)
    assert code == 0 and result["model"] == "tiny" and 0.8 < result["accuracy"] <= 1
    assert len(result["per_digit_accuracy"]) == 10 and np.array(result["confusion_matrix"]).sum() == 100
    assert os.path.exists(result["confusion_png"]) and os.path.exists(result["mistakes_png"])
    code, out, _ = run(capsys, "evaluate", "--model", "tiny", "--source", str(workspace["source"]), "--models-dir", models)
    assert "confusion matrix" in out and "per digit" in out


def test_predict_json_and_errors_per_file(workspace, tmp_path, capsys):
    good = tmp_path / "seven.png"
    draw_digit(DIGIT_STROKES[7]).save(good)
    blank = tmp_path / "blank.png"
    draw_digit([]).save(blank)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG but not really")
    code, out, _ = run(capsys, "predict", str(good), str(junk), str(blank), "--model", "tiny",
                       "--models-dir", str(workspace["models"]), "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [r["path"] for r in lines] == [str(good), str(junk), str(blank)]
    assert 0 <= lines[0]["digit"] <= 9 and len(lines[0]["probabilities"]) == 10
    assert abs(sum(lines[0]["probabilities"]) - 1) < 1e-4
    assert "not a readable image" in lines[1]["error"]
    assert lines[2]["status"] == "empty" and lines[2]["text"] == "" and lines[2]["digit"] is None
    assert lines[0]["status"] in ("read", "unsure")   # an unsure digit is its best guess, as "digit" is
    assert lines[0]["text"] == str(lines[0]["digit"])
    assert lines[0]["digits"][0]["digit"] == lines[0]["digit"] and len(lines[0]["digits"][0]["box"]) == 4
    code, out, err = run(capsys, "predict", str(good), "--model", "tiny", "--models-dir", str(workspace["models"]))
    assert code == 0 and out.startswith(f"{good}: ")


@pytest.mark.parametrize("name", ["../evil", "/etc/passwd", "..", ".hidden", "a/b", "x" * 65, ""])
def test_bad_model_names_are_refused(workspace, capsys, name):
    for argv in (["predict", "x.png", "--model", name], ["delete", name], ["train", "--name", name]):
        code, _, err = run(capsys, *argv, "--models-dir", str(workspace["models"]))
        assert code == 2 and "invalid model name" in err
    assert (workspace["models"] / "tiny" / "model.json").exists()


def test_missing_and_damaged_models_get_clear_errors(workspace, tmp_path, capsys):
    code, _, err = run(capsys, "predict", "x.png", "--model", "nothing", "--models-dir", str(workspace["models"]))
    assert code == 2 and "no model named 'nothing'" in err and "tiny" in err
    broken = tmp_path / "models"
    (broken / "bad").mkdir(parents=True)
    (broken / "bad" / "model.json").write_text("{ not json")
    code, _, err = run(capsys, "predict", "x.png", "--model", "bad", "--models-dir", str(broken))
    assert code == 2 and "not valid JSON" in err
    code, out, _ = run(capsys, "list", "--models-dir", str(broken))
    assert "DAMAGED" in out


def test_sigint_saves_a_checkpoint_and_resume_finishes(workspace, monkeypatch, capsys):
    models = workspace["models"]
    before = (models / "tiny" / "weights.npz").read_bytes()

    class SigintAfterSecondEpoch(network.ModelCheckpoint):
        def on_epoch_end(self, epoch, logs):
            super().on_epoch_end(epoch, logs)
            if epoch == 1:
                os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, delivered mid-training

    monkeypatch.setattr(network, "ModelCheckpoint", SigintAfterSecondEpoch)
    code, out, err = run(capsys, "train", "--name", "tiny", "--layers", "784,32,10", "--epochs", "4", "--copies", "1",
                         "--validation", "50", "--source", str(workspace["source"]), "--models-dir", str(models),
                         "--patience", "0", "--pen-copies", "0", "--overwrite", "--quiet")
    # One line on stderr, even with --quiet (before, --quiet said nothing at all)
    assert code == 130 and "checkpoint saved after 2 epochs" in err and "--resume tiny" in err
    # The finished model of the same name is untouched; the checkpoint is loadable.
    assert (models / "tiny" / "weights.npz").read_bytes() == before
    checkpoint = network.load_model(models / CHECKPOINTS / "tiny")
    assert len(checkpoint.history["loss"]) >= 2
    monkeypatch.undo()
    code, out, _ = run(capsys, "train", "--resume", "tiny", "--models-dir", str(models), "--quiet")
    assert code == 0
    resumed = network.load_model(models / "tiny")
    assert len(resumed.history["loss"]) == 4 and resumed.metadata["train_args"]["epochs"] == 4
    assert not (models / CHECKPOINTS / "tiny").exists()
    code, _, err = run(capsys, "train", "--resume", "tiny", "--models-dir", str(models))
    assert code == 2 and "no interrupted run" in err


def test_delete(workspace, capsys, tmp_path):
    import shutil

    shutil.copytree(workspace["models"] / "tiny", workspace["models"] / "copy")
    code, out, _ = run(capsys, "delete", "copy", "--models-dir", str(workspace["models"]))
    assert code == 0 and not (workspace["models"] / "copy").exists()
