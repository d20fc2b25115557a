"""Activation functions, each with its forward and backward side by side.

Every backward here needs only the activation's *output* ``a`` (not its input):
tanh' = 1 - a², sigmoid' = a(1 - a), relu' = [a > 0], and the softmax
Jacobian-vector product is a * (g - sum(g * a)). So a layer keeps just one
array per batch for the backward pass, and both passes can work in place.
"""
from __future__ import annotations

import numpy as np

from .registry import from_spec


class ActivationFunction:
    """Base class. ``forward`` may overwrite ``z``; ``backward`` may overwrite ``grad``."""

    name = "activation"

    def forward(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return dL/dz given the output ``a`` and dL/da (``grad``)."""
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(ActivationFunction):
    name = "linear"

    def forward(self, z):
        return z

    def backward(self, a, grad):
        return grad


class Tanh(ActivationFunction):
    name = "tanh"

    def forward(self, z):
        return np.tanh(z, out=z)

    def backward(self, a, grad):
        # grad * (1 - a²), computed as grad - grad * a * a without temporaries.
        tmp = a * a
        tmp *= grad
        np.subtract(grad, tmp, out=grad)
        return grad


class Sigmoid(ActivationFunction):
    name = "sigmoid"

    def forward(self, z):
        # 1 / (1 + e^-z) overflows for very negative z; 0.5 * (1 + tanh(z / 2)) is
        # the same function and stable everywhere.
        z *= 0.5
        np.tanh(z, out=z)
        z += 1.0
        z *= 0.5
        return z

    def backward(self, a, grad):
        grad *= a
        grad *= 1.0 - a
        return grad


class ReLU(ActivationFunction):
    name = "relu"

    def forward(self, z):
        return np.maximum(z, 0, out=z)

    def backward(self, a, grad):
        grad *= a > 0
        return grad


class LeakyReLU(ActivationFunction):
    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        if not 0 < alpha < 1:
            raise ValueError(f"LeakyReLU alpha must be in (0, 1), got {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, z):
        # max(z, alpha * z) is z for z > 0 and alpha * z otherwise (alpha < 1).
        return np.maximum(z, self.alpha * z, out=z)

    def backward(self, a, grad):
        # a > 0 exactly when z > 0, because alpha > 0.
        grad *= np.where(a > 0, 1.0, self.alpha).astype(grad.dtype, copy=False)
        return grad

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class Softmax(ActivationFunction):
    name = "softmax"

    def forward(self, z):
        # Subtracting the row maximum leaves softmax unchanged and keeps exp() finite.
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def backward(self, a, grad):
        # Jacobian-vector product of softmax: a * (g - <g, a>), row by row.
        dot = np.einsum("ij,ij->i", grad, a)[:, None]
        grad -= dot
        grad *= a
        return grad


ACTIVATIONS: dict[str, type[ActivationFunction]] = {
    cls.name: cls for cls in (Linear, Tanh, Sigmoid, ReLU, LeakyReLU, Softmax)
}


def get_activation(spec: str | dict | ActivationFunction | None) -> ActivationFunction:
    """Turn ``"tanh"``, ``{"name": "leaky_relu", "alpha": 0.1}``, an instance or None into an activation function."""
    return Linear() if spec is None else from_spec("activation", ACTIVATIONS, spec, ActivationFunction)
