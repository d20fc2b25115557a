"""Optimisers, ordered by complexity: SGD (with momentum and Nesterov), RMSprop, Adam, AdamW.

An optimiser is bound to a list of parameter arrays and their gradient arrays
(``bind``) and then updates the parameters in place on every ``step()``. All
state, and one scratch vector, is preallocated at bind time, and each update
is a short run of in-place numpy operations that makes no temporaries. Bound with
``consume_gradients=True`` (as the parallel trainer binds it), SGD and Adam use the
gradient's own array as that scratch vector: a step then leaves no gradient behind,
and one parameter-sized array fewer goes through the caches every step (784-800-800-10
with Adam in shared training: about 7 % faster a step).

``weight_decay`` is L2 regularisation (``g += wd * p``) for SGD, RMSprop and
Adam, and decoupled decay (``p -= lr * wd * p``, Loshchilov & Hutter) for AdamW.
It applies only to the arrays bound with ``decay=True`` (weights, not biases).
"""
from __future__ import annotations

import math

import numpy as np

from .registry import from_spec


class Optimizer:
    name = "optimizer"
    state_names: tuple[str, ...] = ()
    # Whether _update stays right when its scratch vector is the gradient itself: true when the
    # gradient is read for the last time before the scratch is first written, or in that very pass.
    scratch_may_be_gradient = True

    def __init__(self, learning_rate: float = 0.01, weight_decay: float = 0.0) -> None:
        if not learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.learning_rate = learning_rate
        self.weight_decay = float(weight_decay)
        self.iterations = 0

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        # Kept as a Python float whoever sets it (a schedule, a callback, the parallel trainer): under
        # numpy 2's promotion rules a numpy float64 scalar turns `tmp *= c` on a float32 array into a
        # float64 loop plus casts (Adam's update ran 1.5x slower so); a Python float is "weak" and
        # the work stays in float32. Every per-step scalar follows the same rule.
        self._learning_rate = float(value)

    def bind(self, params: list[np.ndarray], grads: list[np.ndarray], decay: list[bool] | None = None,
             state: dict[str, list[np.ndarray]] | None = None, consume_gradients: bool = False) -> "Optimizer":
        """Attach to parameters (updated in place) and their gradients; allocate state, or use
        ``state`` (arrays shaped like ``params``, as the parallel trainer shares them between processes).
        ``consume_gradients``: a step may overwrite the gradients (their owner computes them anew for
        every step and reads them nowhere else), which saves the scratch vector where the update allows."""
        if len(params) != len(grads):
            raise ValueError(f"{len(params)} parameter arrays but {len(grads)} gradient arrays")
        for p, g in zip(params, grads):
            if p.shape != g.shape or not p.flags.c_contiguous or not g.flags.c_contiguous:
                raise ValueError("parameters and gradients must be contiguous arrays of equal shapes")
        self.params = [p.reshape(-1) for p in params]  # flat views: same memory
        self.grads = [g.reshape(-1) for g in grads]
        self.decay = list(decay) if decay is not None else [True] * len(params)
        if state is None:
            state = {name: [np.zeros_like(p) for p in self.params] for name in self.state_names}
        self.state = {name: [s.reshape(-1) for s in state[name]] for name in self.state_names}
        self._scratch_is_gradient = consume_gradients and self.scratch_may_be_gradient
        size = 0 if self._scratch_is_gradient else max((p.size for p in self.params), default=0)
        self._tmp = np.empty(size, dtype=self.params[0].dtype if self.params else np.float32)
        self.iterations = 0
        return self

    def step(self) -> None:
        """One update of every bound parameter from its current gradient."""
        self.begin_step()
        for i, p in enumerate(self.params):
            self.update(i, 0, p.size)

    def begin_step(self) -> None:
        """Count the step and compute its scalars; then ``update`` each slice once. Every update
        here is element by element, so processes that each own some rows of every weight matrix
        can each update just theirs (network/parallel.py)."""
        self.iterations += 1
        self._begin_step()

    def update(self, i: int, lo: int, hi: int) -> None:
        """This step's update of slice [lo, hi) of parameter vector i."""
        wd = self.weight_decay if self.decay[i] else 0.0
        state = [self.state[name][i][lo:hi] for name in self.state_names]
        g = self.grads[i][lo:hi]
        self._update(self.params[i][lo:hi], g, state, g if self._scratch_is_gradient else self._tmp[lo:hi], wd)

    def update_from_products(self, i: int, products: list[tuple[int, int, np.ndarray, np.ndarray]]) -> None:
        """This step's update of slices [lo, hi) of parameter vector i that follow one another, each
        rows of a weight matrix whose gradient is ``x.T @ dz``: the gradients computed, then one
        update over the stretch they make (SGD does both in one matrix product per slice)."""
        for lo, hi, x, dz in products:
            np.matmul(x.T, dz, out=self.grads[i][lo:hi].reshape(x.shape[1], dz.shape[1]))
        if products:
            self.update(i, products[0][0], products[-1][1])

    def _begin_step(self) -> None:
        """Per-step scalars (bias corrections) computed once, not per slice."""

    def _update(self, p, g, states, tmp, wd) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name, "learning_rate": self.learning_rate, "weight_decay": self.weight_decay}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items() if k != 'name')})"


class SGD(Optimizer):
    """p -= lr * g; with momentum v = mu * v - lr * g, p += v (Nesterov: p += mu * v - lr * g)."""

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.state_names = ("velocity",) if self.momentum else ()

    def _update(self, p, g, states, tmp, wd):
        lr = self.learning_rate
        np.multiply(g, -lr, out=tmp)                   # tmp = -lr * g
        if wd:
            tmp -= (lr * wd) * p                       # L2: the gradient gains wd * p
        if not self.momentum:
            p += tmp
            return
        (v,) = states
        v *= self.momentum
        v += tmp                                       # v = mu * v - lr * g
        if self.nesterov:
            tmp += self.momentum * v                   # look ahead along the new velocity
            p += tmp
        else:
            p += v

    def update_from_products(self, i, products):
        for lo, hi, x, dz in products:
            self._fold(i, lo, hi, x, dz)

    def _fold(self, i, lo, hi, x, dz):
        # BLAS computes C = alpha A B + beta C in one pass over C. With C the weights (beta = 1) or the
        # velocity (beta = mu) and alpha = -lr, it applies the step while it computes the gradient:
        # no gradient array is written or read, and the update's passes over the weights go (plain
        # SGD) or shrink to p += v (momentum). With weight decay or Nesterov: compute, then update.
        if self.nesterov or (self.weight_decay and self.decay[i]):
            return super().update_from_products(i, [(lo, hi, x, dz)])
        from scipy.linalg.blas import get_blas_funcs  # here, for start-up time: shared training alone uses it

        target = self.state["velocity"][i] if self.momentum else self.params[i]
        # In BLAS's column-major terms the rows' block of C (rows x units, row-major) is its
        # transpose: C^T = dz^T (x^T)^T + beta C^T, all of them views (x^T is copied only when x is
        # some columns of a wider matrix, and then row by row).
        c = target[lo:hi].reshape(x.shape[1], dz.shape[1]).T
        gemm = get_blas_funcs("gemm", dtype=c.dtype)
        out = gemm(-self.learning_rate, dz.T, x.T, beta=self.momentum if self.momentum else 1.0, c=c, overwrite_c=1,
                   trans_b=1)
        if not np.shares_memory(out, c):   # BLAS had to work on a copy: put the result in place
            c[...] = out
        if self.momentum:
            self.params[i][lo:hi] += self.state["velocity"][i][lo:hi]

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """s = rho * s + (1 - rho) * g²; p -= lr * g / (sqrt(s) + eps)."""

    name = "rmsprop"
    state_names = ("square_avg",)
    scratch_may_be_gradient = False   # it divides the gradient by a value computed in the scratch

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7,
                 weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def _update(self, p, g, states, tmp, wd):
        (s,) = states
        if wd:
            g += wd * p
        np.multiply(g, g, out=tmp)
        s *= self.rho
        tmp *= 1.0 - self.rho
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        tmp *= -self.learning_rate
        p += tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), in the form Keras and the paper's section 2 use:
    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g²;
    p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).

    To save two of the twelve passes over the parameters, the state is kept without the
    (1 - b) factors: m~ = m / (1 - b1) = b1 m~ + g and v~ = v / (1 - b2) = b2 v~ + g². The
    constants then fold exactly into one step size and one epsilon:
    p -= lr sqrt(1 - b2^t) (1 - b1) / ((1 - b1^t) sqrt(1 - b2)) * m~ / (sqrt(v~) + eps / sqrt(1 - b2))."""

    name = "adam"
    state_names = ("m", "v")
    decoupled = False

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate, weight_decay)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _begin_step(self):
        t = self.iterations
        root = math.sqrt(1 - self.beta_2)   # math, not np: Python floats (see learning_rate)
        self._step_size = self.learning_rate * math.sqrt(1 - self.beta_2**t) * (1 - self.beta_1) / ((1 - self.beta_1**t) * root)
        self._eps = self.epsilon / root

    def _update(self, p, g, states, tmp, wd):
        m, v = states
        if wd and self.decoupled:
            p *= 1.0 - self.learning_rate * wd        # AdamW: decay the weights, not the gradient
        elif wd:
            g += wd * p
        m *= self.beta_1
        m += g                                         # m~ = b1 m~ + g
        np.multiply(g, g, out=tmp)
        v *= self.beta_2
        v += tmp                                       # v~ = b2 v~ + g²
        np.sqrt(v, out=tmp)
        tmp += self._eps
        tmp *= -1.0 / self._step_size                  # so that the division gives the step itself
        np.divide(m, tmp, out=tmp)
        p += tmp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01, as in Keras and PyTorch)."""

    name = "adamw"
    decoupled = True

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float = 0.01) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay)


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, RMSprop, Adam, AdamW)}


def get_optimizer(spec: str | dict | Optimizer) -> Optimizer:
    """``"adam"``, ``{"name": "sgd", "learning_rate": 0.1, "momentum": 0.9}`` or an instance."""
    return from_spec("optimizer", OPTIMIZERS, spec, Optimizer)
