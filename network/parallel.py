"""Data-parallel training on several CPU cores: helper processes each take a share of every batch.

BLAS runs the matrix products on every core, but everything between them -- the bias, tanh and
its derivative, softmax, gathering the batch and above all the optimiser's passes over every
parameter -- runs on one core, while the other waits. So instead each of K processes (this one,
k = 0, and K - 1 helpers) runs the step on its rows of the batch, with one BLAS thread, and owns
rows of every weight matrix:

  1. forward and backward on rows [lo, hi) of the batch (the loss gradient scaled by (hi - lo) / n,
     as that share of the batch's mean), leaving each dense layer's input x and its dz = dL/dz
     in shared memory instead of computing the weight gradient;
  2. wait until every process has done so;
  3. for the rows of each weight matrix it owns, compute their gradient from the whole batch,
     dW[rows] = x[:, rows].T @ dz (likewise its columns of each bias), and run the optimiser on
     them alone (``Optimizer.step(ranges)``): every row has one owner, so no locks, and no
     process writes or reads a full-size gradient;
  4. wait until every row is updated, since the next forward pass reads them all.

Why processes and not threads: numpy releases the GIL, but waking a waiting thread and handing it
the GIL took about 50 us on the machines we measured, against 500 us for a whole step of
784-256-128-10; two processes that watch a counter in shared memory hand over in under 1 us. So a
waiting process spins on that counter (and backs off to short sleeps when the other side pauses,
for validation, say). The parameters, optimiser state, the batch and the dense layers' x and dz
live in one shared-memory file, unlinked as soon as every process has mapped it, so nothing is
left behind even after a crash; each process's layers keep their own activation buffers. Stores become visible to
the other core in program order only on x86 (total store order), so elsewhere training stays in one
process.

The result equals training in one process up to float32 rounding (the loss gradient is scaled
per share) and is the same bytes run after run: the shares are fixed, each BLAS call is
single-threaded, and dropout draws the whole batch's mask in every process and keeps its rows.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import signal
import sys
import time

import numpy as np

from .errors import ParallelTrainingError
from .helper_process import POOL
from .shared_block import SharedBlock

# The work below which starting a helper (about 0.2 s) does not pay: weights x samples of the whole fit.
MIN_WORK = 1e10
MIN_BATCH = 16
MAX_AUTO_WORKERS = 2
STOP_TIMEOUT_S = 10.0
SPIN_S = 0.002          # spin this long before backing off to short sleeps

# Control words (int64) in shared memory; K processes, k = 0 the one that trains.
GO, STOP, ROWS, FAILED = 0, 1, 2, 3
_FIXED = 4


def _backward_done(k: int, parts: int) -> int:
    return _FIXED + k


def _update_done(k: int, parts: int) -> int:
    return _FIXED + parts + k


def _left(k: int, parts: int) -> int:
    return _FIXED + 2 * parts + k


# Values (float64): the learning rate, then each process's summed loss and correct count.
LR = 0


def _loss(k: int) -> int:
    return 1 + 2 * k


def _correct(k: int) -> int:
    return 2 + 2 * k


def share(rows: int, k: int, parts: int) -> tuple[int, int]:
    """Process k's rows of an n-row batch: [n k / K, n (k + 1) / K)."""
    return rows * k // parts, rows * (k + 1) // parts


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def supported(model) -> bool:
    """Whether a helper can rebuild this model: the library's own layer, activation, loss and optimiser classes."""
    from .activations import ACTIVATIONS
    from .layers import LAYERS
    from .losses import LOSSES
    from .optimizers import OPTIMIZERS

    return (all(LAYERS.get(type(layer).__name__) is type(layer) for layer in model.layers)
            and all(ACTIVATIONS.get(layer.activation.name) is type(layer.activation)
                    for layer in model.layers if hasattr(layer, "activation"))
            and LOSSES.get(model.loss.name) is type(model.loss)
            and OPTIMIZERS.get(model.optimizer.name) is type(model.optimizer))


def choose_workers(model, workers: int | str, batch_size: int, samples: int) -> int:
    """How many processes share each batch: ``workers`` checked, or "auto" decided."""
    if workers == "auto":
        big_enough = batch_size >= MIN_BATCH and sum(model.flat_sizes()) * samples >= MIN_WORK
        usable = os.name == "posix" and platform.machine().lower() in ("x86_64", "amd64") and supported(model)
        return min(_cores(), MAX_AUTO_WORKERS) if big_enough and usable else 1
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f'workers must be "auto" or a whole number >= 1, got {workers!r}')
    if workers > 1 and not (os.name == "posix" and platform.machine().lower() in ("x86_64", "amd64")):
        raise ValueError(f"workers > 1 needs Linux or macOS on x86-64, not {platform.system()} on {platform.machine()}")
    if workers > 1 and not supported(model):
        raise ValueError("workers > 1 needs the library's own layers, activations, loss and optimiser")
    return min(int(workers), max(batch_size, 1))


def open_trainer(model, workers: int | str, batch_size: int, samples: int):
    """A ``Trainer`` sharing each batch among processes, or None to train in this process alone.

    With "auto", a helper that cannot start (no shared memory, no room) means one process; a
    number asked for explicitly that cannot be had is an error.
    """
    parts = choose_workers(model, workers, batch_size, samples)
    if parts == 1:
        return None
    try:
        return Trainer(model, parts, batch_size)
    except ParallelTrainingError:
        if workers == "auto":
            return None
        raise


def _dense_layers(model) -> list[int]:
    return [i for i, layer in enumerate(model.layers) if "W" in layer.params]


def _inputs(model) -> dict[int, str]:
    """Where each dense layer's whole-batch input is in the block: the batch itself for a first
    layer that reads it (through Flatten at most), else a copy its processes leave."""
    from .layers import Flatten

    return {i: "x" if all(isinstance(layer, Flatten) for layer in model.layers[:i]) else f"x{i}"
            for i in _dense_layers(model)}


def _stretch(blocks: list[tuple[int, int]], k: int, parts: int) -> tuple[list[tuple[int, int, int]], tuple[int, int]]:
    """Process k's share of a flat vector made of (rows, row length) blocks laid end to end: from the
    row boundary nearest k/K of its length to the one nearest (k + 1)/K. Returns the share as
    (block, first row, end row) pieces and as one (start, stop) range of the flat vector."""
    total = sum(rows * length for rows, length in blocks)

    def boundary(target: int) -> int:
        at = 0
        for rows, length in blocks:
            if target <= at + rows * length:
                return at + round((target - at) / length) * length
            at += rows * length
        return at

    lo, hi = boundary(total * k // parts), boundary(total * (k + 1) // parts)
    pieces, at = [], 0
    for b, (rows, length) in enumerate(blocks):
        start, stop = max(lo, at), min(hi, at + rows * length)
        if stop > start:
            pieces.append((b, (start - at) // length, (stop - at) // length))
        at += rows * length
    return pieces, (lo, hi)


def _specs(model, parts: int, batch_size: int) -> dict:
    dtype = model.dtype.str
    n_weights, n_biases = model.flat_sizes()
    specs = {"ctl": ((_FIXED + 3 * parts,), "<i8"), "val": ((1 + 2 * parts,), "<f8"),
             "weights": ((n_weights,), dtype), "biases": ((n_biases,), dtype)}
    for name in model.optimizer.state_names:
        specs[f"{name}_weights"] = ((n_weights,), dtype)
        specs[f"{name}_biases"] = ((n_biases,), dtype)
    specs["x"] = ((batch_size,) + tuple(model.input_shape), dtype)
    specs["y"] = ((batch_size,) + tuple(model.output_shape), dtype)
    for i, source in _inputs(model).items():
        units_in, units = model.layers[i].params["W"].shape
        if source != "x":
            specs[source] = ((batch_size, units_in), dtype)
        specs[f"dz{i}"] = ((batch_size, units), dtype)
    return specs


# -- one process's part of a step, the same code in the trainer and in a helper ---------------

class Member:
    """A process taking part: its model (parameters in the shared block), its index k, the block."""

    def __init__(self, model, block: SharedBlock, k: int, parts: int) -> None:
        self.model, self.block, self.k, self.parts = model, block, k, parts
        self.ctl, self.val = block.ctl, block.val
        self.dense = _dense_layers(model)
        self.inputs = _inputs(model)
        self.peer_alive = lambda: True

    def bind(self, copy: bool) -> None:
        """Point the model's parameters and optimiser state into the block (gradients stay here:
        each process writes only its own rows); ``copy`` moves the current values in (the trainer
        does, a helper does not). Then mark out this process's rows and columns."""
        a, model, opt = self.block.arrays, self.model, self.model.optimizer
        n_weights, n_biases = model.flat_sizes()
        storage = [(a["weights"], np.zeros(n_weights, model.dtype)), (a["biases"], np.zeros(n_biases, model.dtype))]
        state = {name: [a[f"{name}_weights"], a[f"{name}_biases"]] for name in opt.state_names}
        if copy:
            for name in opt.state_names:
                for dst, src in zip(state[name], opt.state[name]):
                    dst[...] = src
        model._flatten_parameters(storage, copy=copy)
        iterations = opt.iterations
        opt.bind([a["weights"], a["biases"]], [storage[0][1], storage[1][1]], decay=[True, False], state=state)
        opt.iterations = iterations
        # This process's rows of the weights, as one stretch of the flat weight vector cut at row
        # boundaries (so its optimiser works on one long range, not one per layer), and likewise
        # its stretch of the biases; each stretch as (layer, first row, end row) pieces.
        dense = [model.layers[i] for i in self.dense]
        self.weight_rows, weights = _stretch([layer.params["W"].shape for layer in dense], self.k, self.parts)
        with_bias = [i for i in self.dense if "b" in model.layers[i].params]
        bias_pieces, biases = _stretch([(model.layers[i].params["b"].size, 1) for i in with_bias], self.k, self.parts)
        self.weight_rows = [(self.dense[b], r0, r1) for b, r0, r1 in self.weight_rows]
        self.bias_columns = [(with_bias[b], c0, c1) for b, c0, c1 in bias_pieces]
        self.ranges = [[weights], [biases]]
        self.set_mode(True)

    def set_mode(self, shared: bool) -> None:
        """Dropout draws whole-batch masks and dense layers leave dW to us (or, after, neither)."""
        for layer in self.model.layers:
            if hasattr(layer, "defer_weight_grads"):
                layer.defer_weight_grads = shared
            if hasattr(layer, "rows") and not shared:
                layer.rows = None

    def set_rows(self, rows: tuple[int, int, int]) -> None:
        for layer in self.model.layers:
            if hasattr(layer, "rows"):
                layer.rows = rows

    def wait(self, index: int, value: int) -> bool:
        """Spin until control word ``index`` says ``value``; False when the session stops instead.

        The answer usually comes within microseconds, so first a plain spin. Then each turn yields
        the core (``sched_yield``), in case another program, or the very process we wait for, needs
        it: with two trainings on two cores, pure spinning made each eight times slower, not two.
        After SPIN_S the other side is busy elsewhere (validation, say): short sleeps.
        """
        ctl = self.ctl
        spins = 0
        while ctl[index] != value:
            spins += 1
            if spins < 256:
                continue
            os.sched_yield()
            if spins % 256 == 0:
                if ctl[STOP] or ctl[FAILED]:
                    return False
                if spins == 256:
                    started = time.perf_counter()
                waited = time.perf_counter() - started
                if waited > SPIN_S:
                    time.sleep(0.0002 if waited < 1.0 else 0.002)
                    if spins % 16384 == 0 or waited >= 1.0:
                        self.peer_alive()
        return True

    def wait_all(self, slot, value: int) -> bool:
        return all(self.wait(slot(j, self.parts), value) for j in range(self.parts))

    def take_part(self, g: int, rows: int) -> None:
        """Steps 1-4 of the module docstring for step ``g`` of an ``rows``-row batch."""
        k, parts, ctl, val, a, layers = self.k, self.parts, self.ctl, self.val, self.block.arrays, self.model.layers
        lo, hi = share(rows, k, parts)
        self.model.optimizer.learning_rate = val[LR]
        self.set_rows((lo, hi, rows))
        if hi > lo:
            loss, correct = self.model._forward_backward(a["x"][lo:hi], a["y"][lo:hi], scale=(hi - lo) / rows)
            if math.isfinite(loss):
                for i in self.dense:
                    if self.inputs[i] != "x":
                        a[f"x{i}"][lo:hi] = layers[i]._x.reshape(hi - lo, -1)
                    a[f"dz{i}"][lo:hi] = layers[i]._dz
        else:   # a batch smaller than the number of processes: this one has no rows,
            self.model._forward(a["x"][lo:hi], training=True)   # but its dropout layers draw as the others do
            loss, correct = 0.0, 0
        val[_loss(k)], val[_correct(k)] = loss * (hi - lo), correct
        ctl[_backward_done(k, parts)] = g
        if not self.wait_all(_backward_done, g):
            return
        if all(math.isfinite(val[_loss(j)]) for j in range(parts)):
            for i, r0, r1 in self.weight_rows:
                x = a[self.inputs[i]][:rows].reshape(rows, -1)
                np.matmul(x[:, r0:r1].T, a[f"dz{i}"][:rows], out=layers[i].grads["W"][r0:r1])
            for i, c0, c1 in self.bias_columns:
                np.sum(a[f"dz{i}"][:rows, c0:c1], axis=0, out=layers[i].grads["b"][c0:c1])
            self.model.optimizer.step(self.ranges)
        ctl[_update_done(k, parts)] = g


# -- the training process's side --------------------------------------------------------------

class Trainer(Member):
    """Shares each batch of ``model``'s training among ``parts`` processes (this one and helpers)."""

    def __init__(self, model, parts: int, batch_size: int) -> None:
        self.helpers = POOL.take(parts - 1)
        self.closed = False
        try:
            block, path = SharedBlock.create(_specs(model, parts, batch_size))
            try:
                super().__init__(model, block, 0, parts)
                self.bind(copy=True)
                self._start_helpers(path)
            finally:
                os.unlink(path)   # every process has it mapped (or has failed): nothing to leave behind
        except BaseException:
            POOL.give_back(self.helpers, broken=True)
            raise
        self.peer_alive = self._check_helpers
        self.step_number = 0
        self.limits = _one_blas_thread()

    def _start_helpers(self, path: str) -> None:
        model, opt = self.model, self.model.optimizer
        message = {"path": path, "size": self.block.size, "layout": self.block.layout, "parts": self.parts,
                   "dtype": model.dtype.str, "input_shape": list(model.input_shape),
                   "layers": [[type(layer).__name__, layer.get_config()] for layer in model.layers],
                   "loss": model.loss.name, "optimizer": opt.get_config(), "iterations": opt.iterations,
                   "rng": {str(i): layer.rng.bit_generator.state for i, layer in enumerate(model.layers)
                           if hasattr(layer, "rows") and hasattr(layer, "rng")}}
        for k, helper in enumerate(self.helpers, start=1):
            helper.send({**message, "k": k})
        for helper in self.helpers:
            helper.expect_ready()

    def _check_helpers(self) -> None:
        for helper in self.helpers:
            helper.check()

    def step(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[float, int]:
        """One training step on rows ``idx`` of ``(x, y)``: the batch's mean loss and correct count."""
        g, rows, parts = self.step_number + 1, len(idx), self.parts
        xb, yb = self.block.arrays["x"], self.block.arrays["y"]
        self.ctl[ROWS] = rows
        self.val[LR] = self.model.optimizer.learning_rate
        # The helpers' rows first, so that they start while this process gathers its own.
        lo, hi = share(rows, 1, parts)[0], rows
        np.take(x, idx[lo:hi], axis=0, out=xb[lo:hi])
        np.take(y, idx[lo:hi], axis=0, out=yb[lo:hi])
        self.ctl[GO] = g
        lo, hi = share(rows, 0, parts)
        np.take(x, idx[lo:hi], axis=0, out=xb[lo:hi])
        np.take(y, idx[lo:hi], axis=0, out=yb[lo:hi])
        self.take_part(g, rows)
        if not self.wait_all(_update_done, g):
            self._raise_failure()
        self.step_number = g
        loss = sum(self.val[_loss(j)] for j in range(parts)) / rows
        return loss, int(sum(self.val[_correct(j)] for j in range(parts)))

    def _raise_failure(self) -> None:
        for helper in self.helpers:
            helper.check()
        raise ParallelTrainingError("a helper process failed")

    def close(self) -> None:
        """End the session: the helpers leave the block and wait for the next one."""
        if self.closed:
            return
        self.closed = True
        self.ctl[STOP] = 1
        deadline = time.monotonic() + STOP_TIMEOUT_S
        broken = False
        for k, helper in enumerate(self.helpers, start=1):
            while not self.ctl[_left(k, self.parts)]:
                if not helper.alive() or time.monotonic() > deadline:
                    broken = True
                    break
                time.sleep(0.0005)
        self.set_mode(False)
        self.limits.__exit__(None, None, None)
        self.block.release()
        POOL.give_back(self.helpers, broken=broken)


def _one_blas_thread():
    """One BLAS thread in this process while it trains (each process is one core's worth of work)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:   # without it BLAS threads compete with the helpers: slower, still right
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


# -- the helper's side -----------------------------------------------------------------------

def _join(message: dict) -> Member:
    """Build this helper's copy of the model, bound to the shared block the trainer made."""
    from .layers import layer_from_config
    from .model import Sequential
    from .precision import precision

    block = SharedBlock.attach(message["path"], message["size"], message["layout"])
    with precision(np.dtype(message["dtype"])):
        model = Sequential([layer_from_config(name, config) for name, config in message["layers"]])
        model.build(tuple(message["input_shape"]))
        model.compile(loss=message["loss"], optimizer=message["optimizer"], metrics=())
    model.optimizer.iterations = message["iterations"]
    for i, state in message["rng"].items():
        model.layers[int(i)].rng.bit_generator.state = state
    member = Member(model, block, message["k"], message["parts"])
    member.bind(copy=False)
    parent = os.getppid()

    def parent_alive() -> None:
        if os.getppid() != parent:   # the trainer is gone: so are we
            os._exit(0)

    member.peer_alive = parent_alive
    return member


def _run(member: Member) -> None:
    g = 0
    while member.wait(GO, g + 1):
        g += 1
        member.take_part(g, member.ctl[ROWS])


def _say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve() -> None:
    """A helper's life: join each session it is sent, take part in its steps, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in sys.stdin:
        member = None
        try:
            member = _join(json.loads(line))
            _say({"ready": True})
            _run(member)
        except Exception as e:   # reported to the trainer, which turns it into one line
            _say({"error": f"{type(e).__name__}: {e}"})
            if member is not None:
                member.ctl[FAILED] = 1
        finally:
            if member is not None:
                member.ctl[_left(member.k, member.parts)] = 1
                member.block.release()
            del member
