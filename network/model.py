"""The ``Sequential`` model: a stack of layers with compile, fit, evaluate and predict.

Training is mini-batch gradient descent, the loop every textbook shows: forward through the
layers, the loss gradient at the output, backward through the layers in reverse (each fills its
``grads``), one optimiser step (``_train_step``; network/parallel.py shares it among processes).
Around it: shuffling every epoch, validation, history, callbacks and a progress bar.

All parameters live in two flat arrays (weights, then biases) that the layers see as views. The
optimiser then updates two long vectors instead of many small arrays, and weight decay applies to
weights only.
"""
from __future__ import annotations

import json
import math
import time

import numpy as np

from . import serialization
from .callbacks import Callback
from .errors import TrainingDiverged
from .layers import Conv2D, Dense, Dropout, Flatten, Layer, layer_from_config, reusable_buffer
from .losses import Loss, get_loss
from .metrics import get_metric, to_labels
from .optimizers import Optimizer, get_optimizer
from .precision import get_dtype
from .progress import epoch_line, progress_bar
from .schedules import Schedule, get_schedule

PREDICT_BATCH = 1024  # big enough for BLAS to be efficient, small enough to bound memory


class Sequential:
    def __init__(self, layers: list[Layer] | None = None, seed: int | None = None, name: str = "sequential") -> None:
        self.layers: list[Layer] = []
        self.seed = seed
        self.name = name
        self.dtype = get_dtype()
        self.built = False
        self.compiled = False
        self.history: dict[str, list[float]] = {}
        self.metadata: dict = {}
        self.stop_training = False
        self._fit_buffers: dict[str, np.ndarray] = {}
        for layer in layers or []:
            self.add(layer)

    # -- structure -------------------------------------------------------
    def add(self, layer: Layer) -> None:
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer, got {type(layer).__name__}")
        if self.built:
            raise RuntimeError("cannot add layers to a model that is already built")
        self.layers.append(layer)

    def _declared_input_shape(self) -> tuple[int, ...] | None:
        first = self.layers[0]
        if isinstance(first, (Flatten, Conv2D)) and first.declared_input_shape:
            return first.declared_input_shape
        if isinstance(first, Dense) and first.input_dim:
            return (int(first.input_dim),)
        return None

    def build(self, input_shape: tuple[int, ...] | None = None) -> None:
        """Create every layer's parameters, from ``seed``: the same seed, the same weights."""
        if not self.layers:
            raise ValueError("the model has no layers; add some with model.add(Dense(...))")
        shape = tuple(input_shape) if input_shape is not None else self._declared_input_shape()
        if shape is None:
            raise ValueError("unknown input shape: give the first layer input_dim=... (Dense) or "
                             "input_shape=... (Flatten), or call build(input_shape)")
        self.input_shape = shape
        self.rng = np.random.default_rng(self.seed)
        for layer in self.layers:
            shape = layer.build(shape, self.rng, self.dtype)
        self.output_shape = shape
        # Nobody needs the gradient with respect to the input data itself.
        for layer in self.layers:
            if layer.params:
                layer.needs_input_grad = False
                break
        self._flatten_parameters()
        self.built = True

    def _flatten_parameters(self, storage: list[tuple[np.ndarray, np.ndarray]] | None = None, copy: bool = True) -> None:
        """Put the parameters and gradients into flat vectors, weights then biases, that the layers see as
        views: new ones, or ``storage``'s two (parameters, gradients) pairs (the parallel trainer's shared
        memory), with the current values copied in if ``copy``."""
        weights = [(layer, k) for layer in self.layers for k in layer.params if k != "b"]
        biases = [(layer, k) for layer in self.layers for k in layer.params if k == "b"]
        if storage is None:
            storage = [(np.zeros(size, self.dtype), np.zeros(size, self.dtype)) for size in self.flat_sizes()]
        for group, (flat_p, flat_g) in zip((weights, biases), storage):
            offset = 0
            for layer, k in group:
                n, shape = layer.params[k].size, layer.params[k].shape
                if copy:
                    flat_p[offset:offset + n] = layer.params[k].ravel()
                layer.params[k] = flat_p[offset:offset + n].reshape(shape)
                layer.grads[k] = flat_g[offset:offset + n].reshape(shape)
                offset += n
        self._flat = list(storage)

    def flat_sizes(self) -> tuple[int, int]:
        """How many weights and how many biases the model has (the lengths of its two flat vectors)."""
        biases = sum(layer.params["b"].size for layer in self.layers if "b" in layer.params)
        return self.count_params() - biases, biases

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter array, layer by layer."""
        return [p.copy() for layer in self.layers for p in layer.params.values()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        targets = [(layer, k) for layer in self.layers for k in layer.params]
        if len(weights) != len(targets):
            raise ValueError(f"expected {len(targets)} arrays, got {len(weights)}")
        for (layer, k), w in zip(targets, weights):
            if layer.params[k].shape != np.shape(w):
                raise ValueError(f"{type(layer).__name__} {k}: expected shape {layer.params[k].shape}, got {np.shape(w)}")
            layer.params[k][...] = w  # in place: the flat storage and the optimiser stay bound

    def copy(self) -> "Sequential":
        """An independent model with the same layers and weights (not compiled).

        Use this rather than ``copy.deepcopy``: the layers' parameters are views into the flat
        storage, and a deep copy would cut them loose from it.
        """
        if not self.built:
            self.build()
        clone = Sequential([layer_from_config(type(layer).__name__, layer.get_config()) for layer in self.layers],
                           seed=self.seed, name=self.name)
        clone.build(self.input_shape)
        clone.set_weights(self.get_weights())
        clone.metadata = json.loads(json.dumps(self.metadata))
        return clone

    def summary(self, print_fn=print) -> str:
        """A table of layers, output shapes and parameter counts (printed, and returned)."""
        if not self.built:
            self.build()
        lines = [f'Model "{self.name}"', f"{'Layer':<32}{'Output shape':<20}{'Params':>10}", "-" * 62,
                 f"{'Input':<32}{str((None, *self.input_shape)):<20}{0:>10,}"]
        for layer in self.layers:
            desc = type(layer).__name__
            if isinstance(layer, Dense):
                desc += f"({layer.units}, {layer.activation.name})"
            elif isinstance(layer, Conv2D):
                desc += f"({layer.filters}, {layer.kernel_size}x{layer.kernel_size}/{layer.strides}, {layer.activation.name})"
            elif isinstance(layer, Dropout):
                desc += f"({layer.rate})"
            lines.append(f"{desc:<32}{str((None, *layer.output_shape)):<20}{layer.count_params():>10,}")
        lines += ["-" * 62, f"Total params: {self.count_params():,} ({self.dtype.name})"]
        text = "\n".join(lines)
        if print_fn:
            print_fn(text)
        return text

    # -- training setup --------------------------------------------------
    def compile(self, loss: str | Loss = "categorical_crossentropy", optimizer: str | dict | Optimizer = "sgd",
                metrics: tuple[str, ...] | list[str] = ("accuracy",), lr_schedule: Schedule | dict | None = None) -> None:
        if not self.built:
            self.build()
        self.loss = get_loss(loss)
        self.optimizer = get_optimizer(optimizer)
        self.metrics = {name: get_metric(name) for name in metrics}
        self.lr_schedule = get_schedule(lr_schedule) if lr_schedule is not None else None
        (wp, wg), (bp, bg) = self._flat
        self.optimizer.bind([wp, bp], [wg, bg], decay=[True, False])
        last = self.layers[-1]
        # Fuse the loss with the output activation when they pair (softmax + CCE, sigmoid + BCE).
        self._fused = (isinstance(last, Dense) and self.loss.fused_activation is not None
                       and last.activation.name == self.loss.fused_activation)
        self.compiled = True

    # -- forward / backward ----------------------------------------------
    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def _backward(self, out: np.ndarray, y: np.ndarray, scale: float = 1.0) -> None:
        """Fill every layer's grads. ``scale`` multiplies the loss gradient: a process that holds
        rows r of an n-row batch uses r / n, so that the processes' gradients add up to the batch's."""
        if self._fused:
            grad = self.loss.fused_gradient(out, y, out=out)  # p - y, in place: out is no longer needed
            if scale != 1.0:
                grad *= scale
            grad = self.layers[-1].backward(grad, through_activation=False)
            rest = self.layers[-2::-1]
        else:
            grad = self.loss.gradient(out, y)
            if scale != 1.0:
                grad *= scale
            rest = self.layers[::-1]
        for layer in rest:
            if grad is None:
                break
            grad = layer.backward(grad)

    def _forward_backward(self, xb: np.ndarray, yb: np.ndarray, scale: float = 1.0) -> tuple[float, int]:
        """Forward and backward on one batch (or one process's rows of it): fills the grads and
        returns the batch's mean loss and how many samples it classified right. A loss that is
        not finite skips the backward pass: the caller stops training rather than step on garbage."""
        out = self._forward(xb, training=True)
        loss = self.loss.value(out, yb)
        correct = int(np.count_nonzero(out.argmax(axis=1) == yb.argmax(axis=1))) if self.output_shape[0] > 1 else 0
        if math.isfinite(loss):
            self._backward(out, yb, scale)
        return loss, correct

    def _as_input(self, x) -> np.ndarray:
        x = np.asarray(x)
        if x.shape[1:] != self.input_shape:
            raise ValueError(f"expected inputs of shape (n, {', '.join(map(str, self.input_shape))}), got {x.shape}")
        return x.astype(self.dtype, copy=False)

    def _as_target(self, y, n: int) -> np.ndarray:
        """Targets in the output's shape; integer class labels are one-hot encoded."""
        y = np.asarray(y)
        if len(y) != n:
            raise ValueError(f"x has {n} samples but y has {len(y)}")
        k = self.output_shape[0]
        if y.ndim == 1 and k > 1:
            if not np.issubdtype(y.dtype, np.integer):
                raise ValueError(f"1-D targets for a {k}-output model must be integer class labels, got {y.dtype}")
            if y.size and (y.min() < 0 or y.max() >= k):
                raise ValueError(f"class labels must be in [0, {k - 1}], got values from {y.min()} to {y.max()}")
            onehot = np.zeros((n, k), dtype=self.dtype)
            onehot[np.arange(n), y] = 1
            return onehot
        return y.reshape(n, k).astype(self.dtype, copy=False)

    def _check_ready(self) -> None:
        if not self.compiled:
            raise RuntimeError("compile the model before fit or evaluate: model.compile(loss=..., optimizer=...)")

    # -- training --------------------------------------------------------
    def fit(self, x, y, epochs: int = 1, batch_size: int = 32, validation_data: tuple | None = None,
            validation_split: float = 0.0, shuffle: bool = True, callbacks: list[Callback] = (),
            verbose: int = 1, initial_epoch: int = 0, workers: int | str = "auto") -> dict[str, list[float]]:
        """Train for ``epochs`` epochs of shuffled mini-batches; returns (and keeps) the history.

        verbose: 0 silent, 1 a progress bar during each epoch and a summary line after it, 2 the lines only.
        workers: how many processes share each batch (network/parallel.py): 1 this one alone,
        "auto" one per core (up to 2) when the work is big enough to repay starting a helper.
        """
        self._check_ready()
        x = self._as_input(x)
        y = self._as_target(y, len(x))
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
            # The last fraction, before shuffling, as Keras does: reproducible and leak-free.
            cut = int(round(len(x) * (1 - validation_split)))
            x, y, validation_data = x[:cut], y[:cut], (x[cut:], y[cut:])
        if validation_data is not None:
            vx = self._as_input(validation_data[0])
            validation_data = (vx, self._as_target(validation_data[1], len(vx)))
        self.stop_training = False
        for cb in callbacks:
            cb.set_model(self)
            cb.on_train_begin()
        # Imported here, not at the top, for start-up time alone (no cycle: parallel never imports the
        # model): the helper machinery is for training, and the app, which only predicts, starts faster.
        from . import parallel
        trainer = None
        try:  # overflow becomes TrainingDiverged below, not a stream of numpy warnings
            trainer = parallel.open_trainer(self, workers, batch_size, len(x) * (epochs - initial_epoch))
            with np.errstate(over="ignore", invalid="ignore"):
                for epoch in range(initial_epoch, epochs):
                    logs = self._train_epoch(x, y, batch_size, epoch, epochs, shuffle, callbacks, verbose, trainer)
                    if validation_data is not None:
                        logs.update({f"val_{k}": v for k, v in self.evaluate(*validation_data).items()})
                    for cb in callbacks:
                        cb.add_metrics(epoch, logs)
                    logs["lr"] = self.optimizer.learning_rate
                    logs["time"] = time.perf_counter() - logs.pop("_start")
                    for k, v in logs.items():
                        self.history.setdefault(k, []).append(float(v))
                    if verbose:
                        print(epoch_line(epoch, epochs, logs), flush=True)
                    for cb in callbacks:
                        cb.on_epoch_end(epoch, logs)
                    if self.stop_training:
                        break
        finally:
            if trainer is not None:
                trainer.close()   # the helpers stop before anyone reads or restores the weights
            for cb in callbacks:
                cb.on_train_end()
        return self.history

    def _train_epoch(self, x, y, batch_size: int, epoch: int, epochs: int, shuffle: bool, callbacks, verbose: int,
                     trainer=None) -> dict:
        """One pass over the shuffled data, a mini-batch at a time: forward, loss, backward, update
        (here, or shared with helper processes by ``trainer``)."""
        start = time.perf_counter()
        n = len(x)
        steps = math.ceil(n / batch_size)
        order = self.rng.permutation(n) if shuffle else np.arange(n)
        loss_sum, correct = 0.0, 0
        bar = progress_bar(verbose, epoch, epochs, steps)
        batches = [order[step * batch_size:(step + 1) * batch_size] for step in range(steps)] + [None]
        for step in range(steps):
            idx = batches[step]
            if self.lr_schedule is not None:
                self.optimizer.learning_rate = self.lr_schedule(epoch + step / steps)
            if trainer is None:
                batch_loss, batch_correct = self._train_step(x, y, idx)
            else:
                batch_loss, batch_correct = trainer.step(x, y, idx, batches[step + 1])
            if not math.isfinite(batch_loss):
                raise TrainingDiverged(
                    f"training diverged: the loss became {batch_loss} at epoch {epoch + 1}, batch {step + 1}; "
                    f"try a smaller learning rate (it is {self.optimizer.learning_rate:g})")
            loss_sum += batch_loss * len(idx)
            correct += batch_correct
            for cb in callbacks:
                cb.on_batch_end(epoch, step)
            if bar is not None:
                bar.update(1)
                if step % 20 == 0 or step == steps - 1:
                    seen = step * batch_size + len(idx)
                    bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}", refresh=False)
        if bar is not None:
            bar.close()
        logs = {"_start": start, "loss": loss_sum / n}
        if self.output_shape[0] > 1:
            logs["accuracy"] = correct / n
        return logs

    def _train_step(self, x, y, idx) -> tuple[float, int]:
        """The plain step, in this process alone: gather the batch, forward, backward, update."""
        bufs, n = self._fit_buffers, len(idx)   # batch buffers reused step to step, as the layers reuse theirs
        xb = np.take(x, idx, axis=0, out=reusable_buffer(bufs, "x", (n,) + self.input_shape, self.dtype))
        yb = np.take(y, idx, axis=0, out=reusable_buffer(bufs, "y", (n,) + self.output_shape, self.dtype))
        loss, correct = self._forward_backward(xb, yb)
        if math.isfinite(loss):
            self.optimizer.step()
        return loss, correct

    # -- inference -------------------------------------------------------
    def predict_proba(self, x) -> np.ndarray:
        """The network's outputs (class probabilities for a softmax model).

        A single sample without the batch axis gives a single row back.
        """
        if not self.built:
            self.build()
        x = np.asarray(x)
        single = x.shape == self.input_shape
        if single:
            x = x[None]
        x = self._as_input(x)
        if len(x) <= PREDICT_BATCH:
            out = self._forward(x, training=False).copy()  # copy: the layer reuses its buffer
        else:
            out = np.empty((len(x),) + self.output_shape, dtype=self.dtype)
            for s in range(0, len(x), PREDICT_BATCH):
                out[s:s + PREDICT_BATCH] = self._forward(x[s:s + PREDICT_BATCH], training=False)
        return out[0] if single else out

    def trace(self, x) -> tuple[np.ndarray, list[np.ndarray]]:
        """The outputs of a batch ``x`` (inference mode) and a copy of every layer's output on the way:
        the one forward pass that both a prediction and a view of the hidden layers can use."""
        if not self.built:
            self.build()
        x = self._as_input(x)
        outputs = []
        for layer in self.layers:
            x = layer.forward(x, training=False)
            outputs.append(x.copy())
        return outputs[-1], outputs

    def input_gradient(self, x, unit: int | np.ndarray, before_activation: bool = True) -> np.ndarray:
        """The gradient of output ``unit``'s score with respect to the input, for each sample of ``x``
        (``unit`` one index, or one per sample): which pixels would raise the score, which lower it.

        The score is the last layer's pre-activation (the logit, for softmax), as saliency maps use:
        it says what speaks *for* this class, not what speaks against the others. With
        ``before_activation=False`` it is the output itself (the probability).
        """
        if not self.built:
            self.build()
        x = self._as_input(x)
        self._forward(x, training=False)  # every layer keeps what its input_grad needs
        n = len(x)
        grad = np.zeros((n,) + self.output_shape, dtype=self.dtype)
        grad[np.arange(n), np.broadcast_to(np.asarray(unit), (n,))] = 1
        last = self.layers[-1]
        if isinstance(last, Dense):
            grad = last.input_grad(grad, through_activation=not before_activation)
        else:
            grad = last.input_grad(grad)
        for layer in self.layers[-2::-1]:
            grad = layer.input_grad(grad)
        return grad

    def predict(self, x) -> np.ndarray:
        """Class labels for classifiers (argmax, or threshold 0.5 for one sigmoid output);
        the raw outputs for regression losses (mse, mae)."""
        proba = self.predict_proba(x)
        if self.compiled and self.loss.name in ("mse", "mae"):
            return proba
        if proba.ndim == 1:  # a single sample
            return to_labels(proba[None])[0]
        return to_labels(proba)

    def evaluate(self, x, y) -> dict[str, float]:
        """Mean loss and metrics on ``(x, y)``, in inference mode (no dropout), predicted in batches."""
        self._check_ready()
        x = self._as_input(x)
        y = self._as_target(y, len(x))
        proba = self.predict_proba(x)
        results = {"loss": self.loss.value(proba, y)}
        for name, fn in self.metrics.items():
            results["accuracy" if name == "acc" else name] = fn(proba, y)
        return results

    # -- persistence -----------------------------------------------------
    def save(self, path, metadata: dict | None = None, include_optimizer: bool = True) -> None:
        """Write ``path/model.json`` (architecture, training setup, metadata) and
        ``path/weights.npz`` (arrays), each atomically."""
        serialization.save_model(self, path, metadata=metadata, include_optimizer=include_optimizer)

    @classmethod
    def load(cls, path) -> "Sequential":
        """Load a model saved with ``save``; a bad file raises ``ModelFileError``."""
        saved = serialization.read_model(path)   # checked: description, layers, arrays
        model = cls(saved.layers, seed=saved.seed, name=saved.name)
        saved.restore(model)                      # built, weights, history, training set-up, optimiser state
        return model


def load_model(path) -> Sequential:
    """Rebuild a saved model: architecture, weights, training set-up and optimiser state."""
    return Sequential.load(path)

