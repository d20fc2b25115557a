"""Training throughput of the numpy network against the GEMM ceiling and PyTorch, side by side.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/train_speed.py [--torch] [--rounds 3] [--json]

For each model (784-256-128-10, 784-800-800-10), optimiser (SGD; Adam, and PyTorch's fused Adam)
and batch size (64, 128) it times epochs of 60000 random samples: ours as ``fit`` runs by default
(the batch shared by two processes, network/parallel.py), ours in one process (``workers=1``, the
plain way) and, with ``--torch``, PyTorch on the CPU with 2 threads (not a dependency: install it
beside). The rounds are interleaved -- ceilings, ours, plain, torch, ceilings, ours, ... -- and each
figure is the median of its rounds, because these machines drift by 30 % within minutes.

The GEMM ceiling is the same matrix products alone (forward, dW, and dX except for the input layer,
each computed as the library computes it: network.layers.input_grad_product picks dX's faster form),
timed two ways on this machine: numpy with its BLAS threads on the whole batch, and one process per
core, each with one BLAS thread on its share of the batch, started together and running side by
side. The higher of the two is the ceiling. Also prints the CPU, the BLAS kernel and single-sample predict_proba latency.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from network import SGD, Adam, Dense, Sequential  # noqa: E402
from network.layers import input_grad_product  # noqa: E402

N = 60000
MODELS = {"784-256-128-10": (784, 256, 128, 10), "784-800-800-10": (784, 800, 800, 10)}
BATCHES = (64, 128)
WORKERS = 2


def data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((N, 784), dtype=np.float32), rng.integers(0, 10, N)


def build(sizes, optimizer):
    model = Sequential([Dense(sizes[1], "tanh", input_dim=sizes[0])] +
                       [Dense(u, "tanh") for u in sizes[2:-1]] + [Dense(sizes[-1], "softmax")], seed=0)
    model.compile(optimizer=SGD(0.01) if optimizer == "sgd" else Adam(0.001))
    return model


def timed(fn) -> float:
    # Idle BLAS and OpenMP threads of whoever ran before spin for up to ~0.1 s before they sleep:
    # let them settle, so that no contender pays for the one before it.
    time.sleep(0.3)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Ours:
    def __init__(self, sizes, optimizer, batch, x, y, workers):
        self.model, self.batch, self.x, self.y, self.workers = build(sizes, optimizer), batch, x, y, workers
        self.model.fit(x[:4096], y[:4096], batch_size=batch, verbose=0, workers=workers)  # warm-up: helpers, buffers

    def epoch(self) -> float:
        return timed(lambda: self.model.fit(self.x, self.y, batch_size=self.batch, verbose=0, workers=self.workers))


class Torch:
    def __init__(self, sizes, optimizer, batch, x, y):
        import torch

        torch.set_num_threads(2)
        layers = []
        for a, b in zip(sizes[:-2], sizes[1:-1]):
            layers += [torch.nn.Linear(a, b), torch.nn.Tanh()]
        self.model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1]))
        params = self.model.parameters()
        self.opt = torch.optim.SGD(params, lr=0.01) if optimizer == "sgd" else torch.optim.Adam(params, lr=0.001, fused=True)
        self.loss_fn, self.batch = torch.nn.CrossEntropyLoss(), batch
        self.tx, self.ty, self.torch = torch.from_numpy(x), torch.from_numpy(y), torch
        self.run(4096)

    def run(self, n=N):
        perm = self.torch.randperm(n)
        for s in range(0, n, self.batch):
            idx = perm[s:s + self.batch]
            self.opt.zero_grad(set_to_none=True)
            self.loss_fn(self.model(self.tx[idx]), self.ty[idx]).backward()
            self.opt.step()

    def epoch(self) -> float:
        return timed(self.run)


def gemm_rate(sizes, batch, start: float = 0.0, seconds: float = 1.5) -> float:
    """Samples per second of the matrix products alone (forward, dW, and dX except for the input
    layer) in batches of ``batch``, run from wall-clock time ``start`` for ``seconds``."""
    rng = np.random.default_rng(0)
    ws = [rng.random((a, b), dtype=np.float32) * 1e-3 for a, b in zip(sizes[:-1], sizes[1:])]
    grads = [np.empty_like(w) for w in ws]
    acts = [rng.random((batch, s), dtype=np.float32) for s in sizes]
    bufs = [{} for _ in ws]

    def step():
        for i, w in enumerate(ws):
            np.matmul(acts[i], w, out=acts[i + 1])
        for i in reversed(range(len(ws))):
            np.matmul(acts[i].T, acts[i + 1], out=grads[i])
            if i:
                input_grad_product(acts[i + 1], ws[i], acts[i], bufs[i])   # dX the way Dense computes it

    for _ in range(20):
        step()
    while time.time() < start:   # helpers start together, so that they really run side by side
        pass
    steps, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        step()
        steps += 1
    return steps * batch / (time.perf_counter() - began)


def gemm_ceilings(sizes, batch) -> dict:
    """The GEMM ceiling two ways: numpy's BLAS threads on the whole batch, and one single-threaded
    process per core on its share of the batch, all at the same time (their rates added up)."""
    whole = gemm_rate(sizes, batch)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    start = time.time() + 1.0   # after every helper has imported numpy
    args = [sys.executable, __file__, "--gemm-worker", "-".join(map(str, sizes)), str(batch // WORKERS), str(start)]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env) for _ in range(WORKERS)]
    together = sum(float(p.communicate()[0]) for p in procs)
    return {"numpy_blas_threads": round(whole), "one_process_per_core": round(together)}


def latency(sizes, threads) -> float:
    from threadpoolctl import threadpool_limits

    model = build(sizes, "sgd")
    sample = np.random.default_rng(1).random(784, dtype=np.float32)
    with threadpool_limits(threads, user_api="blas"):
        for _ in range(200):
            model.predict_proba(sample)
        times = []
        for _ in range(2000):
            start = time.perf_counter()
            model.predict_proba(sample)
            times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e6


def machine() -> str:
    cpu, details = "unknown CPU", ""
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/cpuinfo").read_text().splitlines() if ":" in line)
        info = {k.strip(): v.strip() for k, v in info.items()}
        cpu = info.get("model name", cpu)
        details = f" (family {info.get('cpu family')} model {info.get('model')}, " \
                  f"{'AVX-512' if 'avx512f' in info.get('flags', '') else 'no AVX-512'})"
    except OSError:
        pass
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    kernel = ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')}" for i in blas)
    return f"CPU: {cpu}{details}, {os.cpu_count()} cores; BLAS: {kernel}; numpy {np.__version__}; float32"


def _spread(values) -> list[float]:
    values = list(values)
    return [round(min(values), 2), round(max(values), 2)]


def measure(name, sizes, batch, x, y, rounds, with_torch) -> list[dict]:
    """One row per optimiser, every figure the median of ``rounds`` interleaved rounds: in each
    round the GEMM ceilings and every contender run once, so a drift of the machine touches all alike."""
    contenders = {}
    for optimizer in ("sgd", "adam"):
        contenders[optimizer, "ours"] = Ours(sizes, optimizer, batch, x, y, WORKERS)
        contenders[optimizer, "plain"] = Ours(sizes, optimizer, batch, x, y, 1)
        if with_torch:
            contenders[optimizer, "torch"] = Torch(sizes, optimizer, batch, x, y)
    seconds = {k: [] for k in contenders}
    ceilings = []
    for _ in range(rounds):
        ceilings.append(gemm_ceilings(sizes, batch))
        for k, contender in contenders.items():
            seconds[k].append(contender.epoch())
    ceiling = {way: round(statistics.median(c[way] for c in ceilings)) for way in ceilings[0]}
    rows = []
    for optimizer in ("sgd", "adam"):
        row = {"model": name, "optimizer": optimizer, "batch_size": batch}
        row.update({f"{who}_samples_per_second": round(N / statistics.median(s))
                    for (opt, who), s in seconds.items() if opt == optimizer})
        ours = row["ours_samples_per_second"]
        row.update({"gemm_ceiling": ceiling, "fraction_of_gemm_ceiling": round(ours / max(ceiling.values()), 3),
                    "vs_plain": round(ours / row["plain_samples_per_second"], 2)})
        if "torch_samples_per_second" in row:
            row["vs_torch"] = round(ours / row["torch_samples_per_second"], 2)
        # The same figures round by round (contenders of one round ran minutes apart at most): their
        # spread says how far to trust the medians on this machine.
        mine = seconds[optimizer, "ours"]
        row["fraction_of_gemm_ceiling_range"] = _spread(N / t / max(c.values()) for t, c in zip(mine, ceilings))
        if (optimizer, "torch") in seconds:
            row["vs_torch_range"] = _spread(t / m for t, m in zip(seconds[optimizer, "torch"], mine))
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of a table")
    parser.add_argument("--torch", action="store_true", help="also time PyTorch (CPU, 2 threads) if installed")
    parser.add_argument("--quick", action="store_true", help="only 784-256-128-10 at batch 128")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported")
    parser.add_argument("--gemm-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gemm_worker:
        sizes, batch, start = args.gemm_worker
        print(gemm_rate(tuple(map(int, sizes.split("-"))), int(batch), float(start)))
        return
    if args.torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            parser.error("--torch needs PyTorch in this environment: pip install torch (it is not a dependency)")
    x, y = data()
    rows = []
    if not args.json:
        print(machine(), flush=True)
    for name, sizes in MODELS.items():
        if args.quick and name != "784-256-128-10":
            continue
        for batch in BATCHES:
            if args.quick and batch != 128:
                continue
            for row in measure(name, sizes, batch, x, y, args.rounds, args.torch):
                rows.append(row)
                if not args.json:
                    print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        lat = {f"{t}_blas_threads_us": round(latency(sizes, t), 1) for t in (1, 2)}
        rows.append({"model": name, "single_sample_predict_proba_median": lat})
        if not args.json:
            print(f"model={name} single-sample predict_proba median: {lat}", flush=True)
    if args.json:
        print(json.dumps({"machine": machine(), "rows": rows}))


if __name__ == "__main__":
    main()
