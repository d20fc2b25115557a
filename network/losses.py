"""Loss functions: value and gradient with respect to the network's output, side by side.

Every loss is a mean over the batch (and over outputs), so gradients are divided
by the number of elements. Cross-entropies pair with the activation that makes
them simple: softmax + categorical cross-entropy has gradient ``p - y`` with
respect to the logits, sigmoid + binary cross-entropy the same. The model uses
that fused gradient whenever the last layer has the matching activation: it is
exact, cheaper, and cannot blow up when a probability saturates at 0 or 1.
"""
from __future__ import annotations

import numpy as np

from .registry import from_spec

# Probabilities are clipped into [EPS, 1 - EPS] before a log: log(0) = -inf would
# poison the mean and the gradient.
EPS = 1e-7


class Loss:
    name = "loss"
    fused_activation: str | None = None  # activation whose gradient folds into this loss

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        raise NotImplementedError

    def gradient(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """dL/dy_pred."""
        raise NotImplementedError

    def fused_gradient(self, y_pred: np.ndarray, y_true: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """dL/dz for z the input of ``fused_activation`` (``out=y_pred`` works in place)."""
        raise NotImplementedError(f"{self.name} has no fused activation")

    def __call__(self, y_pred, y_true):
        return self.value(y_pred, y_true)


class MeanSquaredError(Loss):
    name = "mse"

    def value(self, y_pred, y_true):
        d = y_pred - y_true
        return float(np.mean(d * d))

    def gradient(self, y_pred, y_true):
        return (2.0 / y_pred.size) * (y_pred - y_true)


class MeanAbsoluteError(Loss):
    name = "mae"

    def value(self, y_pred, y_true):
        return float(np.mean(np.abs(y_pred - y_true)))

    def gradient(self, y_pred, y_true):
        return np.sign(y_pred - y_true) * (1.0 / y_pred.size)


class BinaryCrossEntropy(Loss):
    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def value(self, y_pred, y_true):
        p = np.clip(y_pred, EPS, 1 - EPS)
        return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log1p(-p)))

    def gradient(self, y_pred, y_true):
        p = np.clip(y_pred, EPS, 1 - EPS)
        return (p - y_true) / (p * (1 - p)) * (1.0 / y_pred.size)

    def fused_gradient(self, y_pred, y_true, out=None):
        # d/dz of the mean BCE of sigmoid(z): (p - y) / number of elements.
        g = np.subtract(y_pred, y_true, out=out)
        g *= 1.0 / y_pred.size
        return g


class CategoricalCrossEntropy(Loss):
    """Cross-entropy for one-hot targets (the model one-hot encodes integer labels)."""

    name = "categorical_crossentropy"
    fused_activation = "softmax"

    def value(self, y_pred, y_true):
        # Only the probability of the true class counts: sum over the row of p * y.
        p_true = np.einsum("ij,ij->i", y_pred, y_true)
        return float(-np.mean(np.log(np.maximum(p_true, EPS))))

    def gradient(self, y_pred, y_true):
        return -y_true / np.maximum(y_pred, EPS) * (1.0 / y_pred.shape[0])

    def fused_gradient(self, y_pred, y_true, out=None):
        # d/dz of the mean CCE of softmax(z): (p - y) / batch size.
        g = np.subtract(y_pred, y_true, out=out)
        g *= 1.0 / y_pred.shape[0]
        return g


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MeanSquaredError, MeanAbsoluteError, BinaryCrossEntropy, CategoricalCrossEntropy)
}
ALIASES = {"mean_squared_error": "mse", "mean_absolute_error": "mae", "bce": "binary_crossentropy",
           "cce": "categorical_crossentropy", "crossentropy": "categorical_crossentropy",
           "sparse_categorical_crossentropy": "categorical_crossentropy"}


def get_loss(spec: str | Loss) -> Loss:
    return from_spec("loss", LOSSES, spec, Loss, ALIASES)
