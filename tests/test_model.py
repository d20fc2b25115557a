"""The Sequential model end to end: learning, determinism, callbacks, save/load and every bad file."""
from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest

from network import (
    SGD,
    Adam,
    Conv2D,
    Dense,
    Dropout,
    EarlyStopping,
    Flatten,
    ModelCheckpoint,
    ModelFileError,
    Sequential,
    TrainingDiverged,
    load_model,
)

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def xor_model(seed=0):
    model = Sequential([Dense(8, "tanh", input_dim=2), Dense(2, "softmax")], seed=seed)
    model.compile(loss="categorical_crossentropy", optimizer=SGD(0.5, momentum=0.9))
    return model


def blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 4)).astype(np.float32) * 0.5 + np.eye(3, 4)[y] * 3
    return x, y


def test_xor_is_learned():
    model = xor_model()
    model.fit(XOR_X, XOR_Y, epochs=300, batch_size=4, verbose=0)
    np.testing.assert_array_equal(model.predict(XOR_X), XOR_Y)


def test_xor_with_a_single_sigmoid_output_and_bce():
    model = Sequential([Dense(8, "tanh", input_dim=2), Dense(1, "sigmoid")], seed=1)
    model.compile(loss="binary_crossentropy", optimizer=Adam(0.05))
    model.fit(XOR_X, XOR_Y.astype(np.float32), epochs=300, batch_size=4, verbose=0)
    np.testing.assert_array_equal(model.predict(XOR_X), XOR_Y)
    assert model.evaluate(XOR_X, XOR_Y.astype(np.float32))["accuracy"] == 1.0


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "adam", "adamw", {"name": "sgd", "momentum": 0.9, "nesterov": True}])
def test_every_optimizer_learns(optimizer):
    x, y = blobs()
    model = Sequential([Dense(16, "relu", input_dim=4), Dropout(0.1), Dense(3, "softmax")], seed=0)
    model.compile(optimizer=optimizer)
    if isinstance(optimizer, str) and optimizer == "sgd":
        model.optimizer.learning_rate = 0.1
    model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert model.evaluate(x, y)["accuracy"] > 0.95


def test_same_seed_same_model_bit_for_bit():
    x, y = blobs()
    a, b = [Sequential([Dense(16, "tanh", input_dim=4), Dropout(0.2), Dense(3, "softmax")], seed=42) for _ in range(2)]
    for m in (a, b):
        m.compile(optimizer="adam")
        m.fit(x, y, epochs=3, batch_size=32, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        assert wa.tobytes() == wb.tobytes()
    c = Sequential([Dense(16, "tanh", input_dim=4), Dense(3, "softmax")], seed=43)
    c.build()
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_history_validation_split_and_lr_schedule():
    x, y = blobs()
    model = Sequential([Dense(8, "tanh", input_dim=4), Dense(3, "softmax")], seed=0)
    model.compile(optimizer=SGD(0.1), lr_schedule={"name": "step", "learning_rate": 0.1, "drop": 0.5, "every": 1})
    history = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, verbose=0)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}
    assert len(history["loss"]) == 3 and history["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_early_stopping_restores_the_best_weights():
    x, y = blobs()
    model = Sequential([Dense(8, "tanh", input_dim=4), Dense(3, "softmax")], seed=0)
    model.compile(optimizer=SGD(0.05))
    seen = []

    class Spy(EarlyStopping):
        def on_epoch_end(self, epoch, logs):
            super().on_epoch_end(epoch, logs)
            seen.append((logs["val_loss"], model.get_weights()))

    stopper = Spy(monitor="val_loss", patience=2)
    # A validation set with flipped labels: val_loss gets worse as the model learns.
    model.fit(x, y, epochs=50, batch_size=32, validation_data=(x, (y + 1) % 3), callbacks=[stopper], verbose=0)
    assert stopper.stopped_epoch is not None and len(seen) < 50
    best_loss, best_weights = min(seen, key=lambda s: s[0])
    for w, b in zip(model.get_weights(), best_weights):
        np.testing.assert_array_equal(w, b)


def test_divergence_stops_with_a_clear_message():
    x, y = blobs()
    model = Sequential([Dense(8, "relu", input_dim=4), Dense(3, "linear")], seed=0)
    model.compile(loss="mse", optimizer=SGD(1e4))
    with pytest.raises(TrainingDiverged, match="learning rate"):
        model.fit(x * 1e3, np.eye(3)[y], epochs=5, batch_size=32, verbose=0)


def test_predict_single_sample_and_flatten_of_images():
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(10, "tanh"), Dense(10, "softmax")], seed=0)
    model.compile()
    image = np.random.default_rng(0).random((28, 28), dtype=np.float32)
    p = model.predict_proba(image)
    assert p.shape == (10,) and p.dtype == np.float32 and p.sum() == pytest.approx(1, abs=1e-5)
    assert model.predict(image) == int(p.argmax())
    np.testing.assert_allclose(model.predict_proba(image[None])[0], p)
    many = np.random.default_rng(1).random((2500, 28, 28), dtype=np.float32)
    assert model.predict_proba(many).shape == (2500, 10)


def test_dropout_is_off_at_inference():
    model = Sequential([Dense(50, "tanh", input_dim=4), Dropout(0.5), Dense(3, "softmax")], seed=0)
    model.compile()
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(model.predict_proba(x), model.predict_proba(x))


def test_errors_show_the_value_received():
    with pytest.raises(ValueError, match="-3"):
        Dense(-3)
    with pytest.raises(ValueError, match="swish"):
        Dense(3, activation="swish")
    with pytest.raises(ValueError, match="1.5"):
        Dropout(1.5)
    model = xor_model()
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        model.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="from 0 to 7"):
        model.fit(XOR_X, np.array([0, 1, 7, 0]), verbose=0)


def test_summary_lists_layers_and_parameter_counts():
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(256, "tanh"), Dense(10, "softmax")])
    text = model.summary(print_fn=None)
    assert "Dense(256, tanh)" in text and "200,960" in text and "Total params: 203,530" in text


def test_fit_with_progress_bar_and_per_epoch_lines(capsys):
    x, y = blobs(64)
    model = xor_model()
    model = Sequential([Dense(4, "tanh", input_dim=4), Dense(3, "softmax")], seed=0)
    model.compile()
    model.fit(x, y, epochs=1, verbose=1)
    model.fit(x, y, epochs=1, verbose=2)
    out = capsys.readouterr()
    assert "Epoch 1/1" in out.err and "Epoch 1/1: loss" in out.out


# -- save and load -------------------------------------------------------

def trained(tmp_path):
    model = xor_model()
    model.fit(XOR_X, XOR_Y, epochs=50, batch_size=4, verbose=0)
    path = tmp_path / "xor"
    model.save(path, metadata={"note": "test"})
    return model, path


def test_save_load_round_trip_predicts_identically(tmp_path):
    model, path = trained(tmp_path)
    loaded = load_model(path)
    assert loaded.predict_proba(XOR_X).tobytes() == model.predict_proba(XOR_X).tobytes()
    assert loaded.metadata["note"] == "test" and loaded.history["loss"] == model.history["loss"]
    assert sorted(p.name for p in path.iterdir()) == ["model.json", "weights.npz"]  # no temp files left
    # The optimiser state comes back too, so training resumes where it stopped.
    assert loaded.optimizer.iterations == model.optimizer.iterations
    np.testing.assert_array_equal(loaded.optimizer.state["velocity"][0], model.optimizer.state["velocity"][0])
    loaded.fit(XOR_X, XOR_Y, epochs=1, batch_size=4, verbose=0)


def test_a_convolutional_model_learns_saves_and_loads(tmp_path):
    """Bars that are vertical or horizontal, anywhere in a 6x6 picture: two small convolutions learn
    them (in one process: the shared step knows dense layers only); saved and loaded, it predicts
    the same, and its summary names the convolutions."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 256)
    x = np.zeros((256, 6, 6), np.float32)
    for picture, label, at in zip(x, y, rng.integers(0, 6, 256)):
        picture[:, at] = 1 if label else 0
        picture[at, :] += 0 if label else 1
    x += rng.normal(0, 0.1, x.shape).astype(np.float32)
    model = Sequential([Conv2D(4, 3, padding="same", activation="relu", input_shape=(6, 6)),
                        Conv2D(4, 3, strides=2, activation="relu"), Flatten(), Dense(2, "softmax")], seed=0)
    model.compile(optimizer=Adam(0.01))
    with pytest.raises(ValueError, match=r"workers > 1 needs the library's own dense layers \(no Conv2D\)"):
        model.fit(x, y, epochs=1, batch_size=32, verbose=0, workers=2)
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert model.evaluate(x, y)["accuracy"] == 1.0
    assert "Conv2D(4, 3x3/2, relu)" in model.summary(print_fn=None)
    model.save(tmp_path / "conv")
    assert load_model(tmp_path / "conv").predict_proba(x).tobytes() == model.predict_proba(x).tobytes()


def test_ctrl_c_during_a_save_finishes_the_save_and_then_stops(tmp_path, monkeypatch):
    """Ctrl-C inside np.savez left a half-written zip whose closing error replaced the interrupt: the
    checkpoint was lost and train ended with that error. Now the save completes first."""
    import os
    import signal

    import network.serialization as serialization

    model, path = trained(tmp_path)
    savez = np.savez_compressed

    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)   # Ctrl-C arrives in the middle of the save
        return savez(*args, **kwargs)

    monkeypatch.setattr(serialization.np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.save(tmp_path / "during-ctrl-c")
    loaded = load_model(tmp_path / "during-ctrl-c")
    assert loaded.predict_proba(XOR_X).tobytes() == model.predict_proba(XOR_X).tobytes()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler   # the handler is back


def test_checkpoint_callback_writes_a_loadable_model(tmp_path):
    x, y = blobs()
    model = Sequential([Dense(8, "tanh", input_dim=4), Dense(3, "softmax")], seed=0)
    model.compile()
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.1, callbacks=[ModelCheckpoint(tmp_path / "ck", save_best_only=True)])
    assert load_model(tmp_path / "ck").metadata["epoch"] >= 1


def _rewrite_json(path, change):
    desc = json.loads((path / "model.json").read_text())
    change(desc)
    (path / "model.json").write_text(json.dumps(desc))


def _set_weights_file(path, data: bytes):
    (path / "weights.npz").write_bytes(data)
    _rewrite_json(path, lambda d: d["weights"].__setitem__("sha256", hashlib.sha256(data).hexdigest()))


def _bad_cases():
    def missing_json(p):
        (p / "model.json").unlink()

    def missing_weights(p):
        (p / "weights.npz").unlink()

    def truncated_weights(p):
        data = (p / "weights.npz").read_bytes()
        (p / "weights.npz").write_bytes(data[: len(data) // 2])

    def tampered_weights(p):
        data = bytearray((p / "weights.npz").read_bytes())
        data[-40] ^= 0xFF
        (p / "weights.npz").write_bytes(bytes(data))

    def truncated_json(p):
        text = (p / "model.json").read_text()
        (p / "model.json").write_text(text[: len(text) // 2])

    def newer_version(p):
        _rewrite_json(p, lambda d: d.__setitem__("format_version", 99))

    def not_a_model(p):
        (p / "model.json").write_text("[1, 2, 3]")

    def unknown_layer(p):
        _rewrite_json(p, lambda d: d["layers"][0].__setitem__("class", "os.system"))

    def shape_mismatch(p):
        _rewrite_json(p, lambda d: d["layers"][0]["config"].__setitem__("units", 9))

    def pickled_object_array(p):
        buf = io.BytesIO()
        np.savez(buf, **{"layer0.W": np.array([{"evil": 1}], dtype=object)})
        _set_weights_file(p, buf.getvalue())

    def nan_weights(p):
        with np.load(p / "weights.npz") as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["layer0.W"][0, 0] = np.nan
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        _set_weights_file(p, buf.getvalue())

    def weights_outside_folder(p):
        _rewrite_json(p, lambda d: d["weights"].__setitem__("file", "../../etc/passwd"))

    return {
        "missing_json": (missing_json, "model.json: file not found"),
        "missing_weights": (missing_weights, "weights.npz: file not found"),
        "truncated_weights": (truncated_weights, "SHA-256 differs"),
        "tampered_weights": (tampered_weights, "SHA-256 differs"),
        "truncated_json": (truncated_json, "not valid JSON"),
        "newer_version": (newer_version, "format version 99"),
        "not_a_model": (not_a_model, "not a saved model"),
        "unknown_layer": (unknown_layer, "unknown layer class 'os.system'"),
        "shape_mismatch": (shape_mismatch, "layer0.W"),
        "pickled_object_array": (pickled_object_array, "not a valid weights archive"),
        "nan_weights": (nan_weights, "NaN"),
        "weights_outside_folder": (weights_outside_folder, "only 'weights.npz' in its own folder"),
    }


@pytest.mark.parametrize("case", sorted(_bad_cases()))
def test_every_bad_file_gets_a_clear_one_line_error(tmp_path, case):
    _, path = trained(tmp_path)
    damage, message = _bad_cases()[case]
    damage(path)
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    text = str(info.value)
    assert message in text and "\n" not in text and str(path) in text


def test_a_failed_save_leaves_the_old_model_intact(tmp_path, monkeypatch):
    model, path = trained(tmp_path)
    before = (path / "weights.npz").read_bytes()
    import network.serialization as ser

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(ser.json, "dumps", boom)
    with pytest.raises(OSError):
        model.save(path)
    assert (path / "weights.npz").read_bytes() == before
    assert sorted(p.name for p in path.iterdir()) == ["model.json", "weights.npz"]
    load_model(path)


def test_copy_is_independent_and_trainable():
    model = xor_model()
    clone = model.copy()
    clone.compile(optimizer=SGD(0.5, momentum=0.9))
    before = model.get_weights()
    clone.fit(XOR_X, XOR_Y, epochs=300, batch_size=4, verbose=0)
    np.testing.assert_array_equal(clone.predict(XOR_X), XOR_Y)  # the clone learned
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # and the original did not move
