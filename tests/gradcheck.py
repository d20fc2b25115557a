"""Central-difference gradient checking in float64 (a helper for the tests)."""
from __future__ import annotations

import numpy as np


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, perturbing ``x`` in place one entry at a time."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def assert_close(analytic, numeric, tol: float = 1e-6) -> None:
    """Relative error max|a - n| / max(|a| + |n|) below ``tol``."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(np.abs(analytic).max() + np.abs(numeric).max(), 1e-12)
    err = np.abs(analytic - numeric).max() / scale
    assert err < tol, f"gradient mismatch: relative error {err:.2e}\nanalytic\n{analytic}\nnumeric\n{numeric}"
