"""End-to-end accuracy floor on real MNIST (needs MNIST_NPZ; CI sets it)."""
from __future__ import annotations

import numpy as np

from network import SGD, Dense, Flatten, Sequential


def test_small_tanh_mlp_reaches_97_percent(mnist):
    x = mnist["x_train"].astype(np.float32) / 255
    xt = mnist["x_test"].astype(np.float32) / 255
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(256, "tanh"), Dense(128, "tanh"),
                        Dense(10, "softmax")], seed=0)
    model.compile(optimizer=SGD(0.1, momentum=0.9), lr_schedule={"name": "cosine", "learning_rate": 0.1, "epochs": 4})
    model.fit(x, mnist["y_train"], epochs=4, batch_size=128, verbose=0)
    accuracy = model.evaluate(xt, mnist["y_test"])["accuracy"]
    print(f"MNIST test accuracy {accuracy:.4f}")
    assert accuracy >= 0.97


def test_shared_training_learns_real_digits_like_one_process(mnist):
    # fit's default shares each batch with a helper process on a machine with two cores
    # (network/parallel.py); on real digits it must learn what one process learns.
    x = mnist["x_train"][:20000].astype(np.float32) / 255
    xt = mnist["x_test"].astype(np.float32) / 255
    results = {}
    for workers in (1, 2):
        model = Sequential([Flatten(input_shape=(28, 28)), Dense(256, "tanh"), Dense(10, "softmax")], seed=0)
        model.compile(optimizer=SGD(0.1, momentum=0.9))
        model.fit(x, mnist["y_train"][:20000], epochs=2, batch_size=128, verbose=0, workers=workers)
        results[workers] = (model.evaluate(xt, mnist["y_test"])["accuracy"], model.get_weights())
    print(f"MNIST test accuracy: one process {results[1][0]:.4f}, two {results[2][0]:.4f}")
    assert results[2][0] >= 0.93 and abs(results[2][0] - results[1][0]) <= 0.002
    for shared, plain in zip(results[2][1], results[1][1]):
        np.testing.assert_allclose(shared, plain, rtol=1e-3, atol=1e-4)
