"""Every activation, loss, layer and fused combination against central differences (float64)."""
from __future__ import annotations

import numpy as np
import pytest
from gradcheck import assert_close, numerical_gradient

from network import Activation, Conv2D, Dense, Dropout, Flatten, Sequential, precision
from network.activations import ACTIVATIONS, get_activation
from network.layers import input_grad_product
from network.losses import LOSSES, get_loss

ACTIVATION_NAMES = sorted(ACTIVATIONS)


def _inputs(rng, shape, name=None):
    z = rng.normal(size=shape)
    if name in ("relu", "leaky_relu"):
        z[np.abs(z) < 1e-3] = 0.1  # keep clear of the kink, where no derivative exists
    return z


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_gradient(name):
    rng = np.random.default_rng(0)
    z = _inputs(rng, (4, 5), name)
    r = rng.normal(size=(4, 5))  # L = sum(r * f(z)) makes dL/da = r
    act = get_activation(name)
    a = act.forward(z.copy())
    analytic = act.backward(a, r.copy())
    numeric = numerical_gradient(lambda: float(np.sum(r * act.forward(z.copy()))), z)
    assert_close(analytic, numeric)


def _targets(name, rng, shape):
    if name == "categorical_crossentropy":
        return np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    if name == "binary_crossentropy":
        return rng.integers(0, 2, shape).astype(np.float64)
    return rng.normal(size=shape)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradient(name):
    rng = np.random.default_rng(1)
    loss = get_loss(name)
    y = _targets(name, rng, (6, 3))
    if name == "categorical_crossentropy":
        p = get_activation("softmax").forward(rng.normal(size=(6, 3)))
    elif name == "binary_crossentropy":
        p = rng.uniform(0.05, 0.95, size=(6, 3))
    else:
        p = rng.normal(size=(6, 3))
        p[np.abs(p - y) < 1e-3] += 0.1  # MAE has a kink at p == y
    numeric = numerical_gradient(lambda: loss.value(p, y), p)
    assert_close(loss.gradient(p, y), numeric)


@pytest.mark.parametrize("loss_name,act_name", [("categorical_crossentropy", "softmax"),
                                                ("binary_crossentropy", "sigmoid")])
def test_fused_loss_gradient_with_respect_to_logits(loss_name, act_name):
    rng = np.random.default_rng(2)
    z = rng.normal(size=(5, 4)) * 3
    y = _targets(loss_name, rng, (5, 4))
    loss, act = get_loss(loss_name), get_activation(act_name)
    analytic = loss.fused_gradient(act.forward(z.copy()), y)
    numeric = numerical_gradient(lambda: loss.value(act.forward(z.copy()), y), z)
    assert_close(analytic, numeric)
    # ...and it equals the chain rule through the unfused pieces.
    p = act.forward(z.copy())
    assert_close(act.backward(p, loss.gradient(p, y)), analytic, tol=1e-9)


def _check_layer(layer, x, rng, training=False):
    layer.build(x.shape[1:], rng, np.float64)
    out = layer.forward(x, training)
    r = rng.normal(size=out.shape)

    def objective():
        return float(np.sum(r * layer.forward(x, training)))

    dx = layer.backward(r.copy())
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    assert_close(dx, numerical_gradient(objective, x))
    for k, p in layer.params.items():
        assert_close(analytic[k], numerical_gradient(objective, p))


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_dense_gradient(activation):
    rng = np.random.default_rng(3)
    with precision(np.float64):
        layer = Dense(3, activation=activation)
        x = _inputs(rng, (4, 5), activation)
        _check_layer(layer, x, rng)


def test_dense_gradient_through_the_transposed_input_product():
    # 16 rows into 64 units: Dense computes dx as (W @ dz.T).T (layers.input_grad_product)
    rng = np.random.default_rng(8)
    with precision(np.float64):
        _check_layer(Dense(64, activation="tanh"), rng.normal(size=(16, 3)), rng)


@pytest.mark.parametrize("rows,inputs,units", [(1, 5, 800), (16, 30, 64), (32, 800, 800), (64, 256, 256),
                                               (64, 256, 128), (65, 40, 800), (32, 128, 10)])
def test_input_grad_product_is_dz_times_w_transposed(rows, inputs, units):
    rng = np.random.default_rng(9)
    dz, w = rng.normal(size=(rows, units)).astype(np.float32), rng.normal(size=(inputs, units)).astype(np.float32)
    dx = np.empty((rows, inputs), np.float32)
    assert input_grad_product(dz, w, dx, {}) is dx
    np.testing.assert_allclose(dx, dz.astype(np.float64) @ w.T.astype(np.float64), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_activation_layer_gradient(activation):
    rng = np.random.default_rng(4)
    _check_layer(Activation(activation), _inputs(rng, (3, 4), activation), rng)


def test_dropout_gradient_with_a_fixed_mask():
    rng = np.random.default_rng(5)
    layer = Dropout(0.5, seed=7)
    x = rng.normal(size=(6, 5))
    layer.build(x.shape[1:], rng, np.float64)
    out = layer.forward(x, training=True)
    mask = layer._mask.copy()
    assert set(np.unique(mask)) <= {0.0, 2.0}
    r = rng.normal(size=out.shape)
    dx = layer.backward(r.copy())
    numeric = numerical_gradient(lambda: float(np.sum(r * x * mask)), x)
    assert_close(dx, numeric)


def test_flatten_gradient():
    rng = np.random.default_rng(6)
    _check_layer(Flatten(), rng.normal(size=(2, 3, 4)), rng)


@pytest.mark.parametrize("loss,last", [("categorical_crossentropy", "softmax"), ("binary_crossentropy", "sigmoid"),
                                       ("mse", "linear"), ("mae", "tanh"), ("categorical_crossentropy", "sigmoid")])
def test_whole_model_gradient(loss, last):
    """Backprop through a full model (fused or not) matches central differences on every parameter."""
    rng = np.random.default_rng(7)
    with precision(np.float64):
        model = Sequential([Flatten(input_shape=(2, 3)), Dense(5, "tanh"), Dense(4, "sigmoid"), Dense(3, last)], seed=1)
        model.compile(loss=loss, optimizer="sgd")
    x = rng.normal(size=(4, 2, 3))
    y = _targets(model.loss.name, rng, (4, 3))

    def objective():
        return model.loss.value(model._forward(x, training=True), y)

    model._backward(model._forward(x, training=True).copy(), y)
    analytic = [g.copy() for layer in model.layers for g in layer.grads.values()]
    params = [p for layer in model.layers for p in layer.params.values()]
    for a, p in zip(analytic, params):
        assert_close(a, numerical_gradient(objective, p), tol=1e-5)


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,activation", [
    ((7, 9), 3, 3, 1, "valid", "tanh"),          # a 2-D image: one channel
    ((7, 9, 2), 4, 3, 2, "same", "relu"),        # strided, padded (the odd pixel after)
    ((8, 8, 3), 2, 5, 2, "same", "linear"),
    ((6, 10, 1), 3, 2, 3, "valid", "sigmoid"),   # a stride wider than the kernel skips pixels
])
def test_conv2d_gradient(shape, filters, kernel, strides, padding, activation):
    rng = np.random.default_rng(10)
    with precision(np.float64):
        layer = Conv2D(filters, kernel, strides, padding, activation)
        x = _inputs(rng, (3, *shape), activation)
        layer.build(x.shape[1:], rng, np.float64)
        layer.params["b"][:] = rng.normal(size=filters)   # (not zero: the bias gradient is checked too)
        _check_layer(layer, x, rng)


def test_convolutional_model_gradient():
    """Backprop through two convolutions, Flatten and a fused softmax output, every parameter."""
    rng = np.random.default_rng(11)
    with precision(np.float64):
        model = Sequential([Conv2D(3, 3, 1, "same", "tanh", input_shape=(5, 6)), Conv2D(2, 3, 2, "valid", "tanh"),
                            Flatten(), Dense(4, "softmax")], seed=2)
        model.compile(loss="categorical_crossentropy", optimizer="sgd")
    x = rng.normal(size=(3, 5, 6))
    y = _targets(model.loss.name, rng, (3, 4))
    model._backward(model._forward(x, training=True).copy(), y)
    analytic = [g.copy() for layer in model.layers for g in layer.grads.values()]
    params = [p for layer in model.layers for p in layer.params.values()]
    for a, p in zip(analytic, params):
        assert_close(a, numerical_gradient(lambda: model.loss.value(model._forward(x, training=True), y), p), tol=1e-5)
    # The saliency gradient through the convolutions (d logit / d pixels), touching no training gradient.
    for layer in model.layers:
        for g in layer.grads.values():
            g[...] = 0
    analytic = model.input_gradient(x[:1], 2)

    def logit():
        out = x[:1]
        for layer in model.layers[:-1]:
            out = layer.forward(out)
        return float((out @ model.layers[-1].params["W"] + model.layers[-1].params["b"])[0, 2])

    assert_close(analytic, numerical_gradient(logit, x[:1]))
    assert all(not g.any() for layer in model.layers for g in layer.grads.values())


@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid", "leaky_relu"])
@pytest.mark.parametrize("before_activation", [True, False])
def test_input_gradient_matches_central_differences(hidden, before_activation):
    """The saliency map's gradient: d(score of one class)/d(input pixels), with a Flatten in front and
    a stand-alone Activation layer in the middle, for the logit and for the probability."""
    with precision(np.float64):
        model = Sequential([Flatten(input_shape=(3, 4)), Dense(6, hidden), Activation("tanh"), Dense(5, hidden),
                            Dense(4, "softmax")], seed=1)
        model.build()
        x = np.random.default_rng(2).normal(size=(2, 3, 4))
        if hidden in ("relu", "leaky_relu"):
            x += 0.01  # away from kinks
        unit = np.array([1, 3])
        analytic = model.input_gradient(x, unit, before_activation=before_activation)
        assert analytic.shape == x.shape

        def score(i):
            out = x[i:i + 1]
            for layer in model.layers[:-1]:
                out = layer.forward(out)
            last = model.layers[-1]
            z = out @ last.params["W"] + last.params["b"]
            if before_activation:
                return float(z[0, unit[i]])
            p = np.exp(z - z.max())
            return float(p[0, unit[i]] / p.sum())

        for i in range(2):
            numeric = numerical_gradient(lambda i=i: score(i), x[i:i + 1])
            assert_close(analytic[i:i + 1], numeric)
        # explaining touches no training gradient
        assert all(not g.any() for layer in model.layers for g in layer.grads.values())


def test_trace_gives_every_layer_and_the_prediction():
    model = Sequential([Flatten(input_shape=(2, 2)), Dense(3, "tanh"), Dense(2, "softmax")], seed=0)
    x = np.ones((1, 2, 2), np.float32)
    out, layers = model.trace(x)
    assert [a.shape for a in layers] == [(1, 4), (1, 3), (1, 2)]
    np.testing.assert_allclose(out, model.predict_proba(x), rtol=1e-6)
    assert np.all(np.abs(layers[1]) <= 1)
