"""The window's logic without a display: strokes to image, the honest reading, model listing."""
from __future__ import annotations

import numpy as np
import pytest

from app.reading.predictor import Predictor, judge
from app.reading.strokes import LOGICAL_SIZE, Drawing, Stroke, right_edge
from network import Dense, Flatten, Sequential


def test_strokes_rasterise_round_and_antialiased():
    d = Drawing()
    assert d.empty and d.array().max() == 0
    d.begin(140, 40, width=20)
    d.extend(140, 240)
    img = d.array()
    assert img.shape == (LOGICAL_SIZE, LOGICAL_SIZE) and img.dtype == np.float32
    assert img[140, 140] == 1.0 and img[140, 100] == 0.0
    assert 0 < img[140, 130] < 1 or 0 < img[140, 150] < 1  # a soft edge, not a hard step
    assert img[32, 140] > 0.5 and img[28, 140] < 0.5  # a round cap of radius 10 above the start point


def test_undo_and_clear_and_clamping():
    d = Drawing()
    d.begin(10, 10)
    d.extend(100, 100)
    one = d.array().copy()
    d.begin(200, 30)
    d.extend(-50, 400)  # off the canvas: clamped to its edge, never an exception
    assert d.strokes[-1].points[-1] == (0.0, float(LOGICAL_SIZE))
    v = d.version
    assert d.undo() and d.version > v
    np.testing.assert_array_equal(d.array(), one)
    d.clear()
    assert d.empty and d.array().max() == 0 and not d.undo()
    assert d.strokes_json() == []


def test_the_right_edge_of_strokes_includes_their_pen():
    """By hand: how far the canvas must reach to show strokes (its widening, an opened drawing file)."""
    assert right_edge([Stroke(10.0, [(5.0, 0.0), (20.0, 3.0)]), Stroke(4.0, [(23.5, 1.0)])]) == 25.5
    assert right_edge([]) == 0.0


def test_extend_without_begin_starts_a_stroke():
    d = Drawing()
    d.extend(50, 50)
    assert len(d.strokes) == 1


def test_judge_is_honest():
    x = np.zeros((28, 28), np.float32)
    sure = judge(np.array([0.01] * 9 + [0.91]), x)
    assert sure.digit == 9 and not sure.unsure and sure.message == "9 (91% sure)"
    low = judge(np.array([0.1] * 5 + [0.5] + [0.0] * 4), x)
    assert low.unsure and low.message == "not sure: maybe 5 (50%)"
    tie = judge(np.array([0.0, 0.62, 0.0, 0.0, 0.38, 0, 0, 0, 0, 0]), x)
    assert tie.unsure and tie.message == "not sure: 1 or 4"
    dot = judge(np.array([0.99] + [0.001] * 9), x, relative_size=0.04)
    assert dot.unsure and "too small" in dot.message


def test_how_sure_a_digit_is_said_is_its_bar():
    """With a not-a-digit output, the percentage said is the digit's share of all outputs, as its bar
    shows it: a 0 at 84 % beside "not a digit" at 16 % is "0 (84% sure)", not "100% sure" (of the
    digits alone); and so when unsure."""
    x = np.zeros((28, 28), np.float32)
    sure = judge(np.array([0.84] + [0.0] * 9 + [0.16]), x)
    assert sure.digit == 0 and not sure.unsure and sure.message == "0 (84% sure)"
    low = judge(np.array([0.1] * 5 + [0.4] + [0.0] * 4 + [0.1]), x)
    assert low.unsure and low.message == "not sure: maybe 5 (40%)"
    # (a dot the network says is no digit is still too small to read: "draw it larger" helps)
    dot = judge(np.array([0.01] + [0.0] * 9 + [0.99]), x, relative_size=0.04, threshold=0.9)
    assert dot.unsure and not dot.rejected and "too small" in dot.message and dot.not_digit == pytest.approx(0.99)
    big = judge(np.array([0.01] + [0.0] * 9 + [0.99]), x, threshold=0.9)
    assert big.rejected and big.message.startswith("not a digit")
    dash = judge(np.array([0.99] + [0.001] * 9), x, aspect=4.0)
    assert dash.unsure and "does not look like a digit" in dash.message


@pytest.fixture
def tiny_predictor():
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(10, "softmax")], seed=0)
    model.compile()
    return Predictor(model)


def test_predictor_on_empty_and_drawn_pictures(tiny_predictor):
    d = Drawing()
    empty = tiny_predictor.read(d.array())
    assert empty.digit is None and empty.message == "draw a digit" and empty.network_input is None
    d.begin(100, 50)
    d.extend(180, 230)
    reading = tiny_predictor.read(d.array())
    assert reading.network_input.shape == (28, 28) and reading.probabilities.shape == (10,)
    assert reading.probabilities.sum() == pytest.approx(1, abs=1e-5) and reading.seconds > 0


def test_a_remembered_window_place_off_the_screen_keeps_only_its_size_by_hand():
    from app.settings import on_screen

    assert on_screen("700x600+20+30", 1400, 1000) == "700x600+20+30"
    assert on_screen("700x600+1380+30", 1400, 1000) == "700x600"      # (a monitor unplugged: its place is gone)
    assert on_screen("700x600+20+-40", 1400, 1000) == "700x600"       # (above the screen)
    assert on_screen("700x600", 1400, 1000) == "700x600"
