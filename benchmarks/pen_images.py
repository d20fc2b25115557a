"""Accuracy on pen-drawn digits delivered as image files, the way another program would draw them.

    python benchmarks/pen_images.py --source pendigits-train.unipen [--models default other] [--writers 9,15,18,23]

Each trajectory is drawn with Pillow as a plain polyline (dark ink on white paper, no smoothing,
several pen widths), saved as a PNG and read back through ``ModelManager.py predict``'s path
(``app.models.evaluation.predict_files``): a check of a model on digits that did not go through our own
canvas renderer. By default the writers a model held out are used, so nothing was trained on.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.models.evaluation import predict_files  # noqa: E402
from app.models.model_store import load  # noqa: E402
from app.pen.pendigits import as_arrays, read_unipen  # noqa: E402

WIDTHS = (4, 8, 14)   # pen widths on a 300-pixel page


def draw(digit, width: int, size: int = 300) -> Image.Image:
    points = np.concatenate(digit.strokes)
    lo, hi = points.min(axis=0), points.max(axis=0)
    scale = 0.7 * size / max(float((hi - lo).max()), 1.0)
    offset = (size - (hi - lo) * scale) / 2
    page = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(page)
    for stroke in digit.strokes:
        xy = [tuple(p) for p in (stroke - lo) * scale + offset]
        if len(xy) == 1:
            xy = xy * 2
        pen.line(xy, fill=20, width=width, joint="curve")
    return page


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, required=True)
    p.add_argument("--models", nargs="+", default=["default"])
    p.add_argument("--writers", help="comma-separated writers (default: those the first model held out)")
    args = p.parse_args()
    digits = read_unipen(args.source)
    labels, writers = as_arrays(digits)
    models = {name: load(name) for name in args.models}
    if args.writers:
        held = [int(w) for w in args.writers.split(",")]
    else:
        held = models[args.models[0]].metadata.get("pen", {}).get("held_out_writers") or sorted(set(writers.tolist()))
    rows = np.flatnonzero(np.isin(writers, held))
    print(f"{len(rows)} pen digits of writers {held}, drawn as PNG files with pen widths {WIDTHS}")
    with tempfile.TemporaryDirectory() as tmp:
        paths, truth = [], []
        for i in rows:
            for w in WIDTHS:
                path = Path(tmp) / f"{i}-{w}.png"
                draw(digits[i], w).save(path)
                paths.append(str(path))
                truth.append(labels[i])
        truth = np.array(truth)
        for name, model in models.items():
            predicted = np.array([r.get("digit", -1) for r in predict_files(model, paths)])
            per_width = [np.mean(predicted[k::len(WIDTHS)] == truth[k::len(WIDTHS)]) for k in range(len(WIDTHS))]
            print(f"{name:>20}: {np.mean(predicted == truth):.2%} "
                  f"(by width {', '.join(f'{w}px {a:.1%}' for w, a in zip(WIDTHS, per_width))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
