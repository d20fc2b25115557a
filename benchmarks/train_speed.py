"""Training throughput and single-sample latency of the numpy network.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/train_speed.py [--json] [--torch]

For each model (784-256-128-10, 784-800-800-10), optimiser (SGD, Adam) and batch
size (64, 128) it times one epoch of 60000 random samples (after a warm-up) and
compares it with the GEMM-only ceiling: the same matrix products alone, timed
on this machine. ``--torch`` adds PyTorch on the CPU with the same set-up, if
installed (it is not a dependency). Prints a table, or one JSON list.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from network import SGD, Adam, Dense, Sequential  # noqa: E402

N = 60000
MODELS = {"784-256-128-10": (784, 256, 128, 10), "784-800-800-10": (784, 800, 800, 10)}


def data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((N, 784), dtype=np.float32), rng.integers(0, 10, N)


def build(sizes, optimizer):
    model = Sequential([Dense(sizes[1], "tanh", input_dim=sizes[0])] +
                       [Dense(u, "tanh") for u in sizes[2:-1]] + [Dense(sizes[-1], "softmax")], seed=0)
    model.compile(optimizer=SGD(0.01) if optimizer == "sgd" else Adam(0.001))
    return model


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def numpy_epoch(sizes, optimizer, batch, x, y):
    model = build(sizes, optimizer)
    model.fit(x[:4096], y[:4096], epochs=1, batch_size=batch, verbose=0)  # warm-up: buffers, caches
    return best_of(lambda: model.fit(x, y, epochs=1, batch_size=batch, verbose=0), repeat=2)


def gemm_epoch(sizes, batch):
    """The matrix products of one epoch and nothing else: forward, dW, and dX except for the input layer."""
    rng = np.random.default_rng(0)
    ws = [rng.random((a, b), dtype=np.float32) * 1e-3 for a, b in zip(sizes[:-1], sizes[1:])]
    grads = [np.empty_like(w) for w in ws]
    acts = [rng.random((batch, s), dtype=np.float32) for s in sizes]
    steps = N // batch

    def run():
        for _ in range(steps):
            for i, w in enumerate(ws):
                np.matmul(acts[i], w, out=acts[i + 1])
            for i in reversed(range(len(ws))):
                np.matmul(acts[i].T, acts[i + 1], out=grads[i])
                if i:
                    np.matmul(acts[i + 1], ws[i].T, out=acts[i])

    return best_of(run, repeat=2) * N / (steps * batch)


def torch_epoch(sizes, optimizer, batch, x, y):
    import torch

    torch.set_num_threads(2)
    layers = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [torch.nn.Linear(a, b), torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1]))
    opt = torch.optim.SGD(model.parameters(), lr=0.01) if optimizer == "sgd" else torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def epoch(n=N):
        perm = torch.randperm(n)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(tx[idx]), ty[idx]).backward()
            opt.step()

    epoch(4096)
    return best_of(epoch, repeat=2)


def latency(sizes):
    model = build(sizes, "sgd")
    sample = np.random.default_rng(1).random(784, dtype=np.float32)
    for _ in range(200):
        model.predict_proba(sample)
    times = []
    for _ in range(2000):
        t = time.perf_counter()
        model.predict_proba(sample)
        times.append(time.perf_counter() - t)
    return float(np.median(times)), float(np.percentile(times, 99))


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (install threadpoolctl)"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')} x{i['num_threads']}" for i in blas)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of a table")
    parser.add_argument("--torch", action="store_true", help="also time PyTorch (CPU, 2 threads) if installed")
    parser.add_argument("--quick", action="store_true", help="only 784-256-128-10 at batch 128")
    args = parser.parse_args()
    x, y = data()
    rows = []
    for name, sizes in MODELS.items():
        if args.quick and name != "784-256-128-10":
            continue
        ceiling = {b: gemm_epoch(sizes, b) for b in (64, 128)}
        for optimizer in ("sgd", "adam"):
            for batch in (64, 128):
                if args.quick and batch != 128:
                    continue
                t = numpy_epoch(sizes, optimizer, batch, x, y)
                row = {"model": name, "optimizer": optimizer, "batch_size": batch,
                       "samples_per_second": round(N / t), "gemm_only_samples_per_second": round(N / ceiling[batch]),
                       "fraction_of_gemm_ceiling": round(ceiling[batch] / t, 3)}
                if args.torch:
                    try:
                        row["torch_samples_per_second"] = round(N / torch_epoch(sizes, optimizer, batch, x, y))
                        row["speedup_vs_torch"] = round(row["samples_per_second"] / row["torch_samples_per_second"], 2)
                    except ImportError:
                        pass
                rows.append(row)
                if not args.json:
                    print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        median, p99 = latency(sizes)
        rows.append({"model": name, "single_sample_predict_proba_us": {"median": round(median * 1e6, 1),
                                                                        "p99": round(p99 * 1e6, 1)}})
        if not args.json:
            print(f"model={name} single-sample predict_proba: median {median * 1e6:.1f} us, p99 {p99 * 1e6:.1f} us")
    if args.json:
        print(json.dumps(rows))
    else:
        print(f"BLAS: {blas_info()}; numpy {np.__version__}; float32")


if __name__ == "__main__":
    main()
