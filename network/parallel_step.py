"""One process's part of a shared training step (network/parallel.py explains the whole).

The same code runs in the training process and in every helper: a ``Member`` holds the model
(its parameters and optimiser state in the shared block), its index k among K processes, and
the control words through which the processes tell each other where they are.
"""
from __future__ import annotations

import math
import os
import time

import numpy as np

from .layers import Flatten
from .shared_block import SharedBlock

SPIN_S = 0.002          # spin (yielding) this long before backing off to short sleeps


# Control words (int64) in shared memory; K processes, k = 0 the one that trains.
GO, STOP, ROWS, FAILED = 0, 1, 2, 3
_FIXED = 4


def backward_done(k: int, parts: int) -> int:
    return _FIXED + k


def update_done(k: int, parts: int) -> int:
    return _FIXED + parts + k


def left_session(k: int, parts: int) -> int:
    return _FIXED + 2 * parts + k


# Values (float64): the learning rate, then each process's summed loss and correct count.
LR = 0


def loss_slot(k: int) -> int:
    return 1 + 2 * k


def correct_slot(k: int) -> int:
    return 2 + 2 * k


def share(rows: int, k: int, parts: int) -> tuple[int, int]:
    """Process k's rows of an n-row batch: [n k / K, n (k + 1) / K)."""
    return rows * k // parts, rows * (k + 1) // parts


def dense_layers(model) -> list[int]:
    return [i for i, layer in enumerate(model.layers) if "W" in layer.params]


def dense_inputs(model) -> dict[int, str]:
    """Where each dense layer's whole-batch input is in the block: the batch itself for a first
    layer that reads it (through Flatten at most), else a copy its processes leave."""
    return {i: "x" if all(isinstance(layer, Flatten) for layer in model.layers[:i]) else f"x{i}"
            for i in dense_layers(model)}


def stretch(blocks: list[tuple[int, int]], k: int, parts: int) -> tuple[list[tuple[int, int, int]], tuple[int, int]]:
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


def block_specs(model, parts: int, batch_size: int) -> dict:
    dtype = model.dtype.str
    n_weights, n_biases = model.flat_sizes()
    specs = {"ctl": ((_FIXED + 3 * parts,), "<i8"), "val": ((1 + 2 * parts,), "<f8"),
             "weights": ((n_weights,), dtype), "biases": ((n_biases,), dtype)}
    for name in model.optimizer.state_names:
        specs[f"{name}_weights"] = ((n_weights,), dtype)
        specs[f"{name}_biases"] = ((n_biases,), dtype)
    # Two batch slots, used by turns (step g in slot g % 2): the trainer gathers the next batch into
    # one while the other is still being read (see Trainer.step).
    specs["x"] = ((2, batch_size) + tuple(model.input_shape), dtype)
    specs["y"] = ((2, batch_size) + tuple(model.output_shape), dtype)
    for i, source in dense_inputs(model).items():
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
        self.dense = dense_layers(model)
        self.inputs = dense_inputs(model)
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
        # The gradients here are this process's own work arrays, computed anew at every step.
        opt.bind([a["weights"], a["biases"]], [storage[0][1], storage[1][1]], decay=[True, False], state=state,
                 consume_gradients=True)
        opt.iterations = iterations
        # This process's rows of the weights, as one stretch of the flat weight vector cut at row
        # boundaries (so its optimiser works on one long range, not one per layer), and likewise
        # its stretch of the biases; each stretch as (layer, first row, end row) pieces. The biases
        # are the helpers' alone: the training process gathers every batch, which is more work
        # than the biases' sums and update (a few dozen numpy calls on short vectors, some 10-40 us
        # a step), so the steps come out more even.
        dense = [model.layers[i] for i in self.dense]
        weight_pieces, _ = stretch([layer.params["W"].shape for layer in dense], self.k, self.parts)
        with_bias = [i for i in self.dense if "b" in model.layers[i].params]
        bias_pieces, self.bias_range = ([], (0, 0)) if self.k == 0 else \
            stretch([(model.layers[i].params["b"].size, 1) for i in with_bias], self.k - 1, self.parts - 1)
        starts = np.cumsum([0] + [layer.params["W"].size for layer in dense])
        self.weight_rows = [(self.dense[b], r0, r1, int(starts[b]) + r0 * dense[b].units, int(starts[b]) + r1 * dense[b].units)
                            for b, r0, r1 in weight_pieces]
        self.bias_columns = [(with_bias[b], c0, c1) for b, c0, c1 in bias_pieces]
        # Per dense layer, the whole-batch arrays its rows are copied into (no copy of an input
        # that is the batch itself): looked up once here, not at every step.
        self.staging = [(model.layers[i], a[self.inputs[i]] if self.inputs[i] != "x" else None, a[f"dz{i}"])
                        for i in self.dense]
        self.rows_now = None
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
        xb, yb = a["x"][g % 2], a["y"][g % 2]
        lo, hi = share(rows, k, parts)
        self.model.optimizer.learning_rate = val[LR]
        if self.rows_now != (lo, hi, rows):   # changes only for a last, smaller batch
            self.rows_now = (lo, hi, rows)
            self.set_rows(self.rows_now)
        if hi > lo:
            loss, correct = self.model._forward_backward(xb[lo:hi], yb[lo:hi], scale=(hi - lo) / rows)
            if math.isfinite(loss):
                for layer, x_stage, dz_stage in self.staging:
                    if x_stage is not None:
                        x_stage[lo:hi] = layer._x.reshape(hi - lo, -1)
                    dz_stage[lo:hi] = layer._dz
        else:   # a batch smaller than the number of processes: this one has no rows,
            self.model._forward(xb[lo:hi], training=True)   # but its dropout layers draw as the others do
            loss, correct = 0.0, 0
        val[loss_slot(k)], val[correct_slot(k)] = loss * (hi - lo), correct
        ctl[backward_done(k, parts)] = g
        if not self.wait_all(backward_done, g):
            return
        if all(math.isfinite(val[loss_slot(j)]) for j in range(parts)):
            opt = self.model.optimizer
            opt.begin_step()
            products = [(start, stop, (xb if self.inputs[i] == "x" else a[self.inputs[i]])[:rows].reshape(rows, -1)[:, r0:r1],
                         a[f"dz{i}"][:rows]) for i, r0, r1, start, stop in self.weight_rows]   # dW[r0:r1] = x[:, r0:r1].T @ dz
            opt.update_from_products(0, products)
            if self.bias_columns:
                for i, c0, c1 in self.bias_columns:
                    np.sum(a[f"dz{i}"][:rows, c0:c1], axis=0, out=layers[i].grads["b"][c0:c1])
                opt.update(1, *self.bias_range)
        ctl[update_done(k, parts)] = g
