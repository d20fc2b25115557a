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
