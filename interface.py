"""Start the digit app: ``python interface.py`` opens the drawing window (see app/gui/window.py)."""
import os
import sys

# One BLAS thread: a single drawing is a matrix-vector product, where a second thread only adds
# hand-off latency (and spins against anything else running on the machine). Set before numpy loads.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from app.gui.window import main  # noqa: E402


def run() -> int:
    """The ``digits`` command of an installed copy (pyproject.toml): the same window."""
    return main()


if __name__ == "__main__":
    sys.exit(run())
