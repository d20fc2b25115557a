"""What one optimiser step costs, pass by pass: where Adam's time goes on this machine.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/optimizer_passes.py [--size 640000] [--torch]

Times, on one core, the library's own update (``Optimizer.step`` over one vector of ``--size``
float32 parameters: by default 640k, what each of the two processes updates for 784-800-800-10)
with its arrays warm in the caches and after 32 MB of other data has gone through them (as in
training, where the matrix products run between two updates); then each kind of numpy pass that
the updates are made of alone, per element, and with ``--torch`` PyTorch's fused Adam over the
same number of parameters (one thread and two). A pass costs what memory traffic and the
instruction behind it cost: the line to read is numpy's float32 square root against a division.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from network import SGD, Adam  # noqa: E402


def median_us(fn, repeats: int = 50, between=None) -> float:
    fn()
    times = []
    for _ in range(repeats):
        if between is not None:
            between()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e6


def bound(optimizer, n: int, rng, consume: bool):
    params, grads = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32) * 1e-3
    return optimizer.bind([params], [grads.copy()], consume_gradients=consume), grads


def refill(opt, gradient: np.ndarray, other: np.ndarray | None = None):
    """Before each timed step: the same gradient as at the start (a step may use it up, and
    training computes it anew), and with ``other``, 32 MB through the caches."""
    def before() -> None:
        opt.grads[0][...] = gradient
        if other is not None:
            np.add(other, 1.0, out=other)
    return before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=640_000, help="parameters in the vector (default 640000)")
    parser.add_argument("--torch", action="store_true", help="also time PyTorch's fused Adam, if installed")
    args = parser.parse_args()
    if args.size < 1:
        parser.error(f"--size must be a positive number of parameters, got {args.size}")
    torch = None
    if args.torch:
        try:
            import torch
        except ImportError:
            parser.error("--torch needs PyTorch in this environment: pip install torch (it is not a dependency)")
    n, rng = args.size, np.random.default_rng(0)
    other = np.ones(8_000_000, np.float32)   # 32 MB

    print(f"{n} float32 parameters, one core; median microseconds per step (warm / caches flushed);")
    print("'in the gradient': bound with consume_gradients=True, as shared training binds it")
    for name, make in (("SGD", lambda: SGD(0.01)), ("SGD momentum", lambda: SGD(0.01, momentum=0.9)),
                       ("Adam", lambda: Adam(0.001))):
        for consume in (False, True):
            opt, gradient = bound(make(), n, rng, consume)

            label = f"{name}{', in the gradient' if consume else ''}"
            print(f"  {label:30s} {median_us(opt.step, between=refill(opt, gradient)):7.0f} / "
                  f"{median_us(opt.step, between=refill(opt, gradient, other)):7.0f}")

    a, b = rng.random(n, dtype=np.float32) + 0.5, rng.random(n, dtype=np.float32) + 0.5
    out = np.empty_like(a)
    passes = {"a *= c": lambda: np.multiply(a, 0.999, out=a), "a += b": lambda: np.add(a, b, out=a),
              "out = a * b": lambda: np.multiply(a, b, out=out), "out = a / b": lambda: np.divide(a, b, out=out),
              "out = sqrt(b)": lambda: np.sqrt(b, out=out), "out = tanh(b)": lambda: np.tanh(b, out=out)}
    print("each pass alone, warm: ns per element")
    for name, fn in passes.items():
        print(f"  {name:13s} {median_us(fn, 200) * 1e3 / n:7.3f}")

    if torch is not None:
        param = torch.nn.Parameter(torch.rand(n))
        param.grad = torch.rand(n) * 1e-3
        fused = torch.optim.Adam([param], lr=0.001, fused=True)
        for threads in (1, 2):
            torch.set_num_threads(threads)
            print(f"PyTorch fused Adam, {threads} thread(s): {median_us(fused.step):7.0f} / "
                  f"{median_us(fused.step, between=lambda: np.add(other, 1.0, out=other)):7.0f}")


if __name__ == "__main__":
    main()
