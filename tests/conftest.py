"""Shared test fixtures.

Real MNIST is found only through the explicit ``MNIST_NPZ`` setting (``.ci/run`` sets
it), so the suite passes on a fresh machine without the file; with
``REQUIRE_MNIST=1`` (also set by CI) a missing file fails instead of skipping.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def mnist():
    path = os.environ.get("MNIST_NPZ")
    if not path or not Path(path).is_file():
        if os.environ.get("REQUIRE_MNIST") == "1":
            pytest.fail(f"REQUIRE_MNIST=1 but MNIST_NPZ={path!r} is not a file")
        pytest.skip("set MNIST_NPZ=/path/to/mnist.npz to run the tests on real MNIST")
    with np.load(path, allow_pickle=False) as d:
        return {k: d[k] for k in ("x_train", "y_train", "x_test", "y_test")}
