"""Weight initialisation matched to the activation that follows.

Glorot/Xavier (uniform, limit sqrt(6 / (fan_in + fan_out))) keeps the variance of
tanh and sigmoid layers stable in both directions; He (normal, std sqrt(2 / fan_in))
compensates for ReLU zeroing half its inputs. All draws come from an explicit
``numpy.random.Generator``, so the same seed gives the same weights, bit for bit.
"""
from __future__ import annotations

import numpy as np

from .registry import lookup


def glorot_uniform(fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
    return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype)


def lecun_normal(fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
    return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)).astype(dtype)


INITIALIZERS = {"glorot_uniform": glorot_uniform, "he_normal": he_normal, "lecun_normal": lecun_normal}

# The sensible default for each activation.
DEFAULT_FOR_ACTIVATION = {
    "tanh": "glorot_uniform",
    "sigmoid": "glorot_uniform",
    "softmax": "glorot_uniform",
    "linear": "glorot_uniform",
    "relu": "he_normal",
    "leaky_relu": "he_normal",
}


def get_initializer(name: str):
    return lookup("initializer", INITIALIZERS, name)
