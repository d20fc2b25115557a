"""Augmentation throughput and peak memory.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/augment_speed.py [--source mnist.npz] [--json]

Times rotation + zoom + shift + noise, and the same with elastic distortion, over
60000 images (MNIST if given, else random strokes), and the peak resident memory
of building the default cache (5 copies) in a temporary folder.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.data import augment as augmentation
from app.data import mnist_cache, mnist_source


def images(source: Path | None) -> np.ndarray:
    if source:
        return mnist_source.read_source(source)["x_train"]
    rng = np.random.default_rng(0)
    return (rng.random((60000, 28, 28)) > 0.8).astype(np.uint8) * 255


def rate(x: np.ndarray, params: augmentation.AugmentParams) -> float:
    augmentation.augment(x[:2000], params, seed=1)  # warm-up
    t = time.perf_counter()
    augmentation.augment(x, params, seed=0)
    return len(x) / (time.perf_counter() - t)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--source", type=Path)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    x = images(args.source)
    affine = augmentation.AugmentParams(elastic_alpha=0)
    results = {"images": len(x),
               "affine_noise_images_per_second": round(rate(x, affine)),
               "affine_noise_elastic_images_per_second": round(rate(x, augmentation.AugmentParams()))}
    if args.source:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            mnist_cache.build_cache(source=args.source, copies=5, cache_dir=Path(tmp), progress=False)
            results["default_cache_build_seconds"] = round(time.perf_counter() - t, 1)
            results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(json.dumps(results))
    else:
        for k, v in results.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
