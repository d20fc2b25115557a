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
  3. for the weight rows it owns (one stretch of the flat weight vector, cut at row boundaries),
     compute their gradient from the whole batch, dW[rows] = x[:, rows].T @ dz (the helpers
     likewise share the biases), and run the optimiser on that stretch alone
     (``Optimizer.update_from_products``): every row has one owner, so no locks, and no process writes or
     reads a full-size gradient;
  4. wait until every row is updated, since the next forward pass reads them all.

Why processes and not threads: numpy releases the GIL, but waking a waiting thread and handing it
the GIL took about 50 us on the machines we measured, against 500 us for a whole step of
784-256-128-10; two processes that watch a counter in shared memory hand over in under 1 us. So a
waiting process spins on that counter (see ``Member.wait``). The parameters, optimiser state, the
batch and the dense layers' x and dz live in one shared-memory file (network/shared_block.py);
each process's layers keep their own activation buffers. Stores become visible to the other core
in program order only on x86 (total store order), so elsewhere training stays in one process.

The result equals training in one process up to float32 rounding (the loss gradient is scaled
per share) and is the same bytes run after run: the shares are fixed, each BLAS call is
single-threaded, and each process's dropout layers draw the numbers a whole-batch draw gives its
rows (``layers._skip_draws``).
"""
from __future__ import annotations

import contextlib
import os
import platform
import sys
import time

import numpy as np

from .activations import ACTIVATIONS
from .errors import ParallelTrainingError
from .helper_process import POOL
from .layers import LAYERS
from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .parallel_step import GO, LR, ROWS, STOP, Member, block_specs, correct_slot, left_session, loss_slot, share, update_done
from .shared_block import SharedBlock, remove_orphans

# The work below which starting a helper (about 0.2 s) does not pay: weights x samples of the whole fit.
MIN_WORK = 1e10
MIN_BATCH = 16
MAX_AUTO_WORKERS = 2
STOP_TIMEOUT_S = 10.0


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


SHARED_LAYERS = ("Dense", "Activation", "Dropout", "Flatten")   # the layers a shared step knows


def _ordered_stores() -> bool:
    """x86-64 under Linux or macOS: shared memory, and stores seen by the other core in program order."""
    return os.name == "posix" and platform.machine().lower() in ("x86_64", "amd64")


def supported(model) -> bool:
    """Whether a helper can rebuild this model (the library's own layer, activation, loss and optimiser
    classes) and share its step: the processes part each dense layer's weight rows, so a model with
    a convolution trains in one process."""
    return (all(LAYERS.get(type(layer).__name__) is type(layer) and type(layer).__name__ in SHARED_LAYERS
                for layer in model.layers)
            and all(ACTIVATIONS.get(layer.activation.name) is type(layer.activation)
                    for layer in model.layers if hasattr(layer, "activation"))
            and LOSSES.get(model.loss.name) is type(model.loss)
            and OPTIMIZERS.get(model.optimizer.name) is type(model.optimizer))


def choose_workers(model, workers: int | str, batch_size: int, samples: int) -> int:
    """How many processes share each batch: ``workers`` checked, or "auto" decided."""
    if workers == "auto":
        big_enough = batch_size >= MIN_BATCH and sum(model.flat_sizes()) * samples >= MIN_WORK
        usable = _ordered_stores() and supported(model)
        return min(_cores(), MAX_AUTO_WORKERS) if big_enough and usable else 1
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f'workers must be "auto" or a whole number >= 1, got {workers!r}')
    if workers > 1 and not _ordered_stores():
        raise ValueError(f"workers > 1 needs Linux or macOS on x86-64, not {platform.system()} on {platform.machine()}")
    if workers > 1 and not supported(model):
        raise ValueError("workers > 1 needs the library's own dense layers (no Conv2D), activations, loss and optimiser")
    return min(int(workers), max(batch_size, 1))


def open_trainer(model, workers: int | str, batch_size: int, samples: int):
    """A ``Trainer`` sharing each batch among processes, or None to train in this process alone.

    With "auto", a helper that cannot start (no shared memory, no room) means one process; a
    number asked for explicitly that cannot be had is an error.
    """
    _free_orphans()
    parts = choose_workers(model, workers, batch_size, samples)
    if parts == 1:
        return None
    try:
        return Trainer(model, parts, batch_size)
    except ParallelTrainingError:
        if workers == "auto":
            return None
        raise


def _free_orphans() -> None:
    """Every training start frees the shared memory of sessions whose process was killed, and says so."""
    removed = remove_orphans()
    if removed:
        mb = sum(size for _, size in removed) / 1e6
        print(f"freed {mb:.1f} MB of shared memory left by {len(removed)} killed training run{'s' * (len(removed) != 1)}: "
              + ", ".join(os.path.basename(path) for path, _ in removed), file=sys.stderr)


# -- the training process's side --------------------------------------------------------------

class Trainer(Member):
    """Shares each batch of ``model``'s training among ``parts`` processes (this one and helpers)."""

    def __init__(self, model, parts: int, batch_size: int) -> None:
        self.helpers = POOL.take(parts - 1)
        self.closed = False
        try:
            block, path = SharedBlock.create(block_specs(model, parts, batch_size))
            try:
                super().__init__(model, block, 0, parts)
                self.bind(copy=True)
                self._start_helpers(path)
            finally:
                os.unlink(path)   # every process has it mapped (or has failed): nothing to leave behind
        except BaseException:
            if hasattr(self, "model"):   # its arrays may be in the block already
                self._take_back()
            POOL.give_back(self.helpers, broken=True)
            raise
        self.peer_alive = self._check_helpers
        self.step_number = 0
        self.gathered = None   # (step, rows) of a batch gathered ahead into its slot
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

    def step(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray, next_idx: np.ndarray | None = None) -> tuple[float, int]:
        """One training step on rows ``idx`` of ``(x, y)``: the batch's mean loss and correct count.
        ``next_idx``, the rows of the step after, lets this process gather that batch while it waits
        for the helpers to finish this one."""
        g, rows, parts = self.step_number + 1, len(idx), self.parts
        self.ctl[ROWS] = rows
        self.val[LR] = self.model.optimizer.learning_rate
        ahead = self.gathered
        if ahead is not None and ahead[0] == g and ahead[1] is idx:   # the last step's wait gathered it
            self.ctl[GO] = g
        else:   # the helpers' rows first, so that they start while this process gathers its own
            self._gather(g, x, y, idx, share(rows, 1, parts)[0], rows)
            self.ctl[GO] = g
            self._gather(g, x, y, idx, *share(rows, 0, parts))
        self.take_part(g, rows)
        # Gathering random rows of x would delay the helpers' start of the next step; here it fills
        # this process's wait for them to finish this one, into the slot this step does not use.
        self.gathered = None
        if next_idx is not None and len(next_idx):
            self._gather(g + 1, x, y, next_idx, 0, len(next_idx))
            self.gathered = (g + 1, next_idx)
        if not self.wait_all(update_done, g):
            self._raise_failure()
        self.step_number = g
        loss = sum(self.val[loss_slot(j)] for j in range(parts)) / rows
        return loss, int(sum(self.val[correct_slot(j)] for j in range(parts)))

    def _gather(self, g: int, x: np.ndarray, y: np.ndarray, idx: np.ndarray, lo: int, hi: int) -> None:
        """Rows idx[lo:hi] of (x, y) into step g's batch slot."""
        slot = g % 2
        np.take(x, idx[lo:hi], axis=0, out=self.block.arrays["x"][slot, lo:hi])
        np.take(y, idx[lo:hi], axis=0, out=self.block.arrays["y"][slot, lo:hi])

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
            while not self.ctl[left_session(k, self.parts)]:
                if not helper.alive() or time.monotonic() > deadline:
                    broken = True
                    break
                time.sleep(0.0005)
        self._take_back()
        self.limits.__exit__(None, None, None)
        self.block.release()
        POOL.give_back(self.helpers, broken=broken)

    def _take_back(self) -> None:
        """Move the parameters and optimiser state back into this process's own memory: after
        training nothing of the model is shared, so neither a helper that is late to leave nor a
        later fork of this process can write into it. Its layers go back to training alone."""
        self.set_mode(False)
        model, opt = self.model, self.model.optimizer
        state = {name: [s.copy() for s in opt.state[name]] for name in opt.state_names}
        iterations = opt.iterations
        model._flatten_parameters()
        (weights, weight_grads), (biases, bias_grads) = model._flat
        opt.bind([weights, biases], [weight_grads, bias_grads], decay=[True, False], state=state)
        opt.iterations = iterations


def _one_blas_thread():
    """One BLAS thread in this process while it trains (each process is one core's worth of work)."""
    try:
        import scipy.linalg.blas  # noqa: F401  (SGD's step runs in scipy's BLAS: limit that one too)
        from threadpoolctl import threadpool_limits
    except ImportError:   # without it BLAS threads compete with the helpers: slower, still right
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")
