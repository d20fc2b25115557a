"""Inside the network: explanations (activations, saliency, receptive fields), their colours, and
``ModelManager.py explain``. The input gradient itself is checked in test_gradients.py."""
from __future__ import annotations

import numpy as np
import pytest
from fixtures import DIGIT_STROKES, draw_digit
from PIL import Image

import ModelManager as mm
from app.models import explain as ex
from network import Dense, Flatten, Sequential


def small_model(activation="relu"):
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(32, activation), Dense(16, activation),
                        Dense(10, "softmax")], seed=0)
    model.compile()
    return model


def test_explanation_of_a_different_architecture():
    model = small_model("relu")
    image = np.zeros((28, 28), np.float32)
    image[5:23, 13:15] = 1
    e = ex.explain(model, image)
    assert [h.name for h in e.hidden] == ["hidden 1 (32 relu)", "hidden 2 (16 relu)"]
    assert e.saliency_top.shape == e.saliency_second.shape == (28, 28)
    assert e.top != e.second and e.probabilities[e.top] == e.probabilities.max()
    np.testing.assert_allclose(e.probabilities, model.predict_proba(image), rtol=1e-5)
    lo, hi = e.hidden[0].value_range
    assert lo == 0 and hi == pytest.approx(float(e.hidden[0].values.max()))      # ReLU: 0 to the largest
    assert ex.value_range("tanh", np.zeros(3)) == (-1.0, 1.0)
    assert ex.receptive_field(model, 3).shape == (28, 28)
    np.testing.assert_array_equal(ex.receptive_field(model, 3), model.layers[1].params["W"][:, 3].reshape(28, 28))
    assert abs(e.hidden[0].values[e.most_active[0]]) == np.abs(e.hidden[0].values).max()


def test_the_explanation_reuses_the_predictions_forward_pass():
    model = small_model("tanh")
    image = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    _, outputs = model.trace(image[None])
    a, b = ex.explain(model, image, outputs), ex.explain(model, image)
    np.testing.assert_array_equal(a.hidden[1].values, b.hidden[1].values)
    np.testing.assert_allclose(a.saliency_top, b.saliency_top)


def test_diverging_colours_by_hand():
    rgb = ex.diverging_rgb(np.array([-1.0, 0.0, 1.0, 2.0]), -1, 1)
    assert rgb[1].tolist() == [255, 255, 255]                  # zero is white
    assert rgb[0, 2] == 255 and rgb[0, 0] < 100                # negative is blue
    assert rgb[2, 0] == 255 and rgb[2, 2] < 100                # positive is red
    assert rgb[3].tolist() == rgb[2].tolist()                  # beyond the range: clipped
    assert ex.grid_shape(1024) == (23, 46) and ex.grid_shape(10) == (2, 5)
    layer = ex.LayerActivity("h", "tanh", np.array([-1, 0, 1, 0.5, 0.2], np.float32), (-1, 1))
    grid = ex.unit_grid(layer)   # 5 units: 2 rows of 4
    assert grid.shape == (2, 4, 3) and grid[1, 1:].tolist() == [[200, 200, 200]] * 3   # past the last unit: grey
    assert grid[0, 1].tolist() == [255, 255, 255]
    overlay = ex.saliency_overlay(np.zeros((28, 28)), np.zeros((28, 28)))
    assert overlay.shape == (28, 28, 3)


def test_explain_command_writes_a_figure(tmp_path, capsys):
    models = tmp_path / "models"
    small_model("tanh").save(models / "small")
    image = tmp_path / "seven.png"
    draw_digit(DIGIT_STROKES[7]).save(image)
    out = tmp_path / "why.png"
    assert mm.main(["explain", str(image), "--model", "small", "--png", str(out), "--models-dir", str(models)]) == 0
    assert "runner-up" in capsys.readouterr().out
    picture = np.asarray(Image.open(out).convert("RGB"))
    assert picture.shape[0] > 200 and picture.shape[1] > 800
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 50        # not blank: pictures, grids, bars
    blank = tmp_path / "blank.png"
    draw_digit([]).save(blank)
    assert mm.main(["explain", str(blank), "--model", "small", "--png", str(out), "--models-dir", str(models)]) == 2
    assert "blank" in capsys.readouterr().err
