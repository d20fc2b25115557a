"""Small cases worked out by hand: each optimiser's step, each loss value, activations, schedules, metrics."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from network import SGD, Adam, AdamW, Conv2D, Dense, RMSprop, Sequential, confusion_matrix
from network.activations import get_activation
from network.losses import get_loss
from network.schedules import Constant, CosineDecay, ExponentialDecay, StepDecay, WarmUp


def _run(opt, steps=1, p=(1.0, -2.0), g=(0.5, 0.5), decay=True):
    p, g = np.array(p, np.float64), np.array(g, np.float64)
    opt.bind([p], [g], decay=[decay])
    for _ in range(steps):
        opt.step()
    return p


def test_sgd_step():
    np.testing.assert_allclose(_run(SGD(0.1)), [0.95, -2.05])


def test_sgd_momentum_two_steps():
    # v1 = -0.05, p1 = 0.95; v2 = 0.9 * -0.05 - 0.05 = -0.095, p2 = 0.855
    np.testing.assert_allclose(_run(SGD(0.1, momentum=0.9), steps=2)[0], 0.855)


def test_sgd_nesterov_step():
    # v = -0.05; p += 0.9 * v - 0.1 * 0.5 = -0.095
    np.testing.assert_allclose(_run(SGD(0.1, momentum=0.9, nesterov=True))[0], 0.905)


def test_sgd_l2_weight_decay_only_where_asked():
    # g + wd * p = 0.5 + 0.1 * 1 = 0.6 -> p = 1 - 0.06
    np.testing.assert_allclose(_run(SGD(0.1, weight_decay=0.1))[0], 0.94)
    np.testing.assert_allclose(_run(SGD(0.1, weight_decay=0.1), decay=False)[0], 0.95)


def test_rmsprop_step():
    # s = 0.1 * 0.25 = 0.025; p -= 0.01 * 0.5 / sqrt(0.025)
    np.testing.assert_allclose(_run(RMSprop(0.01))[0], 1 - 0.01 * 0.5 / (math.sqrt(0.025) + 1e-7))


def test_adam_first_step_moves_by_learning_rate():
    # After bias correction m_hat = g and v_hat = g², so the first step is lr * g / |g| = lr.
    np.testing.assert_allclose(_run(Adam(0.001)), [0.999, -2.001], rtol=1e-6)


def test_adam_second_step_by_hand():
    b1, b2, lr, g = 0.9, 0.999, 0.01, 0.5
    m = (1 - b1) * g
    v = (1 - b2) * g * g
    p = 1 - lr * math.sqrt(1 - b2) / (1 - b1) * m / (math.sqrt(v) + 1e-7)
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    p -= lr * math.sqrt(1 - b2**2) / (1 - b1**2) * m / (math.sqrt(v) + 1e-7)
    np.testing.assert_allclose(_run(Adam(lr), steps=2)[0], p, rtol=1e-9)


def test_adamw_decays_weights_not_gradients():
    # p *= 1 - lr * wd, then the Adam step of lr: 1 * (1 - 0.0001) - 0.001
    np.testing.assert_allclose(_run(AdamW(0.001, weight_decay=0.1))[0], 0.9989, rtol=1e-6)


@pytest.mark.parametrize("opt", [SGD(0.1, momentum=0.9), RMSprop(0.01), Adam(0.001), AdamW(0.001)],
                         ids=["sgd", "rmsprop", "adam", "adamw"])
def test_update_scalars_are_python_floats(opt):
    # numpy 2 runs `float32_array *= np.float64(c)` as a float64 loop plus casts (Adam's update
    # ran 1.5x slower so): every scalar an update multiplies by is a Python float, even when a
    # schedule hands the learning rate over as a numpy scalar.
    opt.learning_rate = np.float64(opt.learning_rate)
    _run(opt)
    scalars = {k: v for k, v in vars(opt).items() if isinstance(v, (float, np.floating))}
    assert scalars and all(type(v) is float for v in scalars.values()), scalars


@pytest.mark.parametrize("name,p,y,expected", [
    ("mse", [[1.0, 2.0]], [[0.0, 4.0]], 2.5),
    ("mae", [[1.0, 2.0]], [[0.0, 4.0]], 1.5),
    ("binary_crossentropy", [[0.8]], [[1.0]], -math.log(0.8)),
    ("binary_crossentropy", [[0.8, 0.4]], [[1.0, 0.0]], -(math.log(0.8) + math.log(0.6)) / 2),
    ("categorical_crossentropy", [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], [[1, 0, 0], [0, 0, 1]],
     -(math.log(0.7) + math.log(0.8)) / 2),
])
def test_loss_values(name, p, y, expected):
    assert get_loss(name).value(np.array(p), np.array(y, float)) == pytest.approx(expected)


def test_cross_entropy_of_a_zero_probability_is_finite():
    assert math.isfinite(get_loss("categorical_crossentropy").value(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])))


def test_softmax_values_and_stability():
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(get_activation("softmax").forward(np.array([[1.0, 2.0, 3.0]])), [e / e.sum()])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow would warn
        out = get_activation("softmax").forward(np.array([[1000.0, 1001.0], [-1000.0, -1000.0]]))
        np.testing.assert_allclose(out, [[1 / (1 + math.e), math.e / (1 + math.e)], [0.5, 0.5]])
        s = get_activation("sigmoid").forward(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0])


def test_activations_by_hand():
    z = np.array([-2.0, 0.5])
    np.testing.assert_allclose(get_activation("relu").forward(z.copy()), [0, 0.5])
    np.testing.assert_allclose(get_activation({"name": "leaky_relu", "alpha": 0.1}).forward(z.copy()), [-0.2, 0.5])
    np.testing.assert_allclose(get_activation("tanh").forward(z.copy()), np.tanh(z))
    np.testing.assert_allclose(get_activation("linear").forward(z.copy()), z)


def test_dense_forward_by_hand():
    model = Sequential([Dense(2, "linear", input_dim=3)], seed=0)
    model.build()
    model.set_weights([np.array([[1, 0], [0, 1], [1, 1]], np.float32), np.array([0.5, -0.5], np.float32)])
    np.testing.assert_allclose(model.predict_proba(np.array([[1, 2, 3]])), [[4.5, 4.5]])


def test_conv2d_forward_by_hand():
    """A 2x2 kernel [[1, 0], [0, -1]] (each pixel minus the one below right) over a 3x3 image, bias 1."""
    model = Sequential([Conv2D(1, 2, activation="linear", input_shape=(3, 3))], seed=0)
    model.build()
    # W is (kernel rows x kernel columns x channels, filters): the kernel read row by row
    model.set_weights([np.array([[1], [0], [0], [-1]], np.float32), np.array([1], np.float32)])
    image = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 10]], np.float32)
    np.testing.assert_allclose(model.predict_proba(image[None])[0, :, :, 0], [[1 - 5 + 1, 2 - 6 + 1], [4 - 8 + 1, 5 - 10 + 1]])


def test_conv2d_same_padding_and_strides_by_hand():
    """"same" with stride 2 over a 4x4 image: outputs ceil(4 / 2) = 2 a side, the zero border after
    (bottom, right) as TensorFlow pads; a 3x3 kernel of ones sums each 3x3 patch."""
    model = Sequential([Conv2D(1, 3, strides=2, padding="same", activation="linear", input_shape=(4, 4))], seed=0)
    model.build()
    model.set_weights([np.ones((9, 1), np.float32), np.zeros(1, np.float32)])
    image = np.arange(16, dtype=np.float32).reshape(4, 4)
    expected = [[image[0:3, 0:3].sum(), image[0:3, 2:4].sum()], [image[2:4, 0:3].sum(), image[2:4, 2:4].sum()]]
    assert model.layers[0].output_shape == (2, 2, 1)
    np.testing.assert_allclose(model.predict_proba(image[None])[0, :, :, 0], expected)


def test_schedules_by_hand():
    assert StepDecay(0.1, drop=0.5, every=10)(25) == pytest.approx(0.025)
    assert ExponentialDecay(1.0, rate=0.5)(2) == pytest.approx(0.25)
    assert CosineDecay(1.0, epochs=10)(5) == pytest.approx(0.5)
    assert CosineDecay(1.0, epochs=10, min_learning_rate=0.1)(20) == pytest.approx(0.1)
    warm = WarmUp(Constant(0.2), warmup_epochs=2)
    assert warm(1) == pytest.approx(0.1, rel=1e-2) and warm(3) == 0.2


def test_confusion_matrix_by_hand():
    m = confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1], num_classes=3)
    np.testing.assert_array_equal(m, [[1, 0, 0], [0, 0, 1], [0, 1, 1]])
