"""Pen-digit rendering throughput: trajectories to 28x28 network inputs through the canvas's own
rasteriser and preprocessing, and the whole cache build with one process per core.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/pen_render_speed.py \\
        --source ../shared/datasets/pendigits-train.unipen [--copies 10] [--json]

Prints the CPU, the time per rendering on one core (by stage: placing the strokes, drawing them
with Pillow, preprocessing), and the wall time of building ``--copies`` augmented copies of every
digit plus the plain renderings, as ``data.py --dataset pendigits`` does.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.pen import pen_data, pendigits  # noqa: E402
from app.reading.predictor import prepare_drawing  # noqa: E402
from app.reading.strokes import Drawing  # noqa: E402


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, required=True, help="the UNIPEN pen-digit file")
    p.add_argument("--copies", type=int, default=10)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    digits = pendigits.read_unipen(args.source)
    sample = digits[:1000]
    t0 = time.perf_counter()
    strokes = [pendigits.place(d, np.random.default_rng(i)) for i, d in enumerate(sample)]
    t1 = time.perf_counter()
    drawings = [Drawing.from_strokes(s) for s in strokes]
    t2 = time.perf_counter()
    for d in drawings:
        prepare_drawing(d)
    t3 = time.perf_counter()
    per = {"place_ms": (t1 - t0), "draw_ms": (t2 - t1), "preprocess_ms": (t3 - t2)}  # seconds per 1000 = ms each
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        built = pen_data.build_pen_cache(args.source, args.copies, cache_dir=Path(tmp), progress=False)
        seconds = time.perf_counter() - start
        renderings = len(built.x)
    result = {"cpu": cpu_name(), "cores": os.cpu_count(), "digits": len(digits), "copies": args.copies,
              "renderings": renderings, "build_seconds": round(seconds, 1),
              "renderings_per_second": round(renderings / seconds),
              **{k: round(v, 3) for k, v in per.items()}, "total_ms_one_core": round(sum(per.values()), 3)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"CPU: {result['cpu']} ({result['cores']} cores)")
        print(f"one rendering on one core: {result['total_ms_one_core']:.2f} ms (place {per['place_ms']:.2f}, "
              f"draw {per['draw_ms']:.2f}, preprocess {per['preprocess_ms']:.2f})")
        print(f"cache of {len(digits)} digits x (1 plain + {args.copies} copies) = {renderings} renderings: "
              f"{seconds:.1f} s with {result['cores']} processes ({result['renderings_per_second']} per second)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
