"""Metrics: accuracy for one-hot/softmax and for single-output sigmoid models, and the confusion matrix."""
from __future__ import annotations

import numpy as np

from .registry import lookup


def to_labels(y: np.ndarray) -> np.ndarray:
    """Class labels from one-hot rows, probability rows or a single probability column."""
    y = np.asarray(y)
    if y.ndim == 1:
        return y.astype(np.int64) if np.issubdtype(y.dtype, np.integer) else (y >= 0.5).astype(np.int64)
    if y.shape[1] == 1:
        return (y[:, 0] >= 0.5).astype(np.int64)
    return y.argmax(axis=1)


def categorical_accuracy(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    return float(np.mean(y_pred.argmax(axis=1) == to_labels(y_true)))


def binary_accuracy(y_pred: np.ndarray, y_true: np.ndarray, threshold: float = 0.5) -> float:
    return float(np.mean((y_pred >= threshold) == (y_true >= 0.5)))


def accuracy(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """Categorical accuracy for several outputs, binary accuracy for one."""
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return categorical_accuracy(y_pred, y_true)
    return binary_accuracy(y_pred.reshape(len(y_pred), -1), np.asarray(y_true).reshape(len(y_pred), -1))


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """``m[i, j]`` counts samples of true class i predicted as j (labels, one-hot or probabilities)."""
    t, p = to_labels(y_true), to_labels(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred hold different numbers of samples: {t.shape[0]} vs {p.shape[0]}")
    k = num_classes or int(max(t.max(initial=0), p.max(initial=0)) + 1)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


METRICS = {"accuracy": accuracy, "acc": accuracy, "categorical_accuracy": categorical_accuracy,
           "binary_accuracy": binary_accuracy}


def get_metric(name: str):
    return lookup("metric", METRICS, name)
