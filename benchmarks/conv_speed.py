"""How fast ``Conv2D`` trains: the pair reader's network against its GEMM ceiling and the plain way.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/conv_speed.py [--rounds 5] [--batch 128]

The network is the pair reader's (``app/models/pair_training.pair_network``: 28 x 56 -> three strided
convolutions -> dense 256 -> 101). Each figure is the median time of one training step (forward,
backward, Adam) on a batch of random crops, the rounds interleaved, because these machines drift:

- **ours**: ``Sequential``'s own step, as ``fit`` takes it (one process: a model with a convolution
  is not shared between processes).
- **the GEMM ceiling**: the step's matrix products alone (each layer's forward, dW and dX, the
  first layer's dX left out as ours leaves it out), on arrays made beforehand: what the step would
  cost if laying the patches out (im2col), adding their gradients back (col2im), the activations and
  the optimiser were free.
- **the plain way** of a convolution in numpy: no patch matrix, the kernel's k x k offsets each a
  shifted multiply-add over the whole image (``np.einsum`` per offset), forward and backward, for the
  three convolutions alone (compare with ours' convolutions alone, printed too).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_speed import machine  # noqa: E402

from app.models.pair_training import pair_network  # noqa: E402
from network import Adam, Conv2D  # noqa: E402


def gemm_step(model, batch: int):
    """The matrix products of one training step, on arrays of the right shapes made beforehand."""
    rng = np.random.default_rng(0)
    products = []
    first = True
    for layer in model.layers:
        if "W" not in layer.params:
            continue
        w = layer.params["W"]
        rows = batch * (int(np.prod(layer.output_shape[:2])) if isinstance(layer, Conv2D) else 1)
        a = rng.random((rows, w.shape[0]), dtype=np.float32)
        dz = rng.random((rows, w.shape[1]), dtype=np.float32)
        products.append((a, w, dz, not first))
        first = False

    def step():
        for a, w, dz, with_dx in products:
            a @ w
            a.T @ dz
            if with_dx:
                dz @ w.T
    return step


def convolutions_alone(model, x):
    """Ours: the two convolutions' forward and backward (weights and input gradients), nothing else."""
    convs = [layer for layer in model.layers if isinstance(layer, Conv2D)]

    def step():
        out = x
        for layer in convs:
            out = layer.forward(out, training=True)
        grad = np.ones_like(out)
        for layer in convs[::-1]:
            grad = layer.backward(grad)
    return step


def plain_convolutions(model, x):
    """The same two convolutions the plain way: per kernel offset, a shifted multiply-add."""
    convs = [layer for layer in model.layers if isinstance(layer, Conv2D)]
    kernels = [layer.params["W"].reshape(layer.kernel_size, layer.kernel_size, layer.channels, layer.filters) for layer in convs]

    def conv(image, kernel, stride, pads):
        (top, bottom), (left, right) = pads
        padded = np.pad(image, ((0, 0), (top, bottom), (left, right), (0, 0)))
        k = kernel.shape[0]
        out_h, out_w = (padded.shape[1] - k) // stride + 1, (padded.shape[2] - k) // stride + 1
        out = np.zeros((image.shape[0], out_h, out_w, kernel.shape[3]), np.float32)
        for i in range(k):
            for j in range(k):
                out += np.einsum("nhwc,cf->nhwf", padded[:, i:i + stride * out_h:stride, j:j + stride * out_w:stride],
                                 kernel[i, j], optimize=True)
        return padded, np.maximum(out, 0)

    def step():
        image, seen = x[..., None], []
        for layer, kernel in zip(convs, kernels):
            padded, image = conv(image, kernel, layer.strides, layer._pads)
            seen.append(padded)
        grad = np.ones_like(image)
        for layer, kernel, padded in zip(convs[::-1], kernels[::-1], seen[::-1]):
            k, s = layer.kernel_size, layer.strides
            out_h, out_w = grad.shape[1:3]
            d_padded = np.zeros_like(padded)
            for i in range(k):
                for j in range(k):
                    window = padded[:, i:i + s * out_h:s, j:j + s * out_w:s]
                    np.einsum("nhwc,nhwf->cf", window, grad, optimize=True)   # dW at this offset
                    d_padded[:, i:i + s * out_h:s, j:j + s * out_w:s] += np.einsum("nhwf,cf->nhwc", grad, kernel[i, j], optimize=True)
            (top, _), (left, _) = layer._pads
            grad = d_padded[:, top:top + layer.input_shape[0], left:left + layer.input_shape[1]]
    return step


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(1)
    x = rng.random((args.batch, 28, 56), dtype=np.float32)
    y = rng.integers(0, 101, args.batch)
    model = pair_network(0)
    model.compile(loss="categorical_crossentropy", optimizer=Adam(1e-3))
    onehot = np.eye(101, dtype=np.float32)[y]   # (fit's step takes the labels one-hot, as fit makes them)
    rows = np.arange(args.batch)
    contenders = {"ours": lambda: model._train_step(x, onehot, rows),
                  "GEMM ceiling": gemm_step(model, args.batch),
                  "ours, convolutions alone": convolutions_alone(model, x),
                  "plain way, convolutions alone": plain_convolutions(model, x)}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():   # warm up (buffers, BLAS threads)
        fn()
    for _ in range(args.rounds):
        for name, fn in contenders.items():
            time.sleep(0.2)
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    print(machine())
    print(f"the pair reader's training step, batch {args.batch}, median of {args.rounds} rounds:")
    for name, ms in median.items():
        print(f"  {name:<32} {ms:8.1f} ms")
    print(f"ours / GEMM ceiling: {median['ours'] / median['GEMM ceiling']:.2f}x the time")
    plain, ours = median["plain way, convolutions alone"], median["ours, convolutions alone"]
    print(f"plain way / ours (the convolutions alone): {plain / ours:.2f}x the time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
