"""Layers: each owns its parameters and gradients and has forward and backward side by side.

Arrays are batch-major: a batch of n samples with d features is ``(n, d)``, and a
dense layer's weights are ``(in, out)`` so the forward pass is one GEMM,
``x @ W``. Output and gradient buffers are allocated once per batch size and
reused, so a training step allocates (almost) nothing.
"""
from __future__ import annotations

import numpy as np

from . import activations as act
from .initializers import DEFAULT_FOR_ACTIVATION, get_initializer
from .registry import lookup

MAX_FILTERS = 1024   # a Conv2D's filters, at most (a saved model's sizes are bounded before anything is allocated)
MAX_KERNEL = 15      # its kernel's side and its stride, at most


class Layer:
    """Base class.

    ``params`` and ``grads`` map names ("W", "b") to arrays of the same shape; the
    optimiser updates ``params`` in place from ``grads``. ``needs_input_grad`` is
    False for the first trainable layer, whose input gradient nobody uses, which
    saves a third of that layer's backward work.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None
        self.needs_input_grad = True
        self.built = False

    # -- building --------------------------------------------------------
    def build(self, input_shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype) -> tuple[int, ...]:
        """Create parameters for inputs of ``input_shape`` (without the batch axis)."""
        self.input_shape = tuple(input_shape)
        self.output_shape = self.input_shape
        self.dtype = np.dtype(dtype)
        self.built = True
        return self.output_shape

    # -- computing -------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def input_grad(self, grad: np.ndarray) -> np.ndarray:
        """dL/dx from dL/d(output), after a forward pass, touching no parameter gradient (for
        explaining a prediction rather than training). Layers without parameters: their backward."""
        return self.backward(grad.copy())

    # -- describing ------------------------------------------------------
    def get_config(self) -> dict:
        return {}

    def count_params(self) -> int:
        return sum(p.size for p in self.params.values())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def reusable_buffer(owner: dict, key: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A reusable array of ``shape``: grown when a bigger batch arrives, else a view of the old one."""
    buf = owner.get(key)
    if buf is None or buf.shape[0] < shape[0] or buf.shape[1:] != shape[1:] or buf.dtype != dtype:
        buf = owner[key] = np.empty(shape, dtype=dtype)
    return buf[: shape[0]]


def input_grad_product(dz: np.ndarray, w: np.ndarray, dx: np.ndarray, bufs: dict) -> np.ndarray:
    """dx = dz @ W.T into ``dx``, the faster of two ways for this shape.

    In BLAS's column-major terms dz @ W.T makes the big W the packed, transposed "A" operand, and
    OpenBLAS's AVX-512 (SkylakeX) kernel runs that case at half speed: for 32 rows through an
    800x800 layer 380 us, against 204 us for the same numbers as dx.T = W @ dz.T (W as "B"), and
    220 us with the copy back into dx's batch-major layout. The copy costs rows x inputs, the
    product rows x inputs x units, so the detour pays only for few rows and many units: measured
    on one core, 1.3-1.8x for rows <= 64 with units >= 4 x rows, and a loss elsewhere (the
    AVX2 kernel is even, +-6 %, on those shapes)."""
    rows, units = dz.shape
    if not 16 <= rows <= 64 or units < 4 * rows:
        return np.matmul(dz, w.T, out=dx)
    dx_t = reusable_buffer(bufs, "dx_t", (w.shape[0], rows), dx.dtype)
    np.matmul(w, dz.T, out=dx_t)
    dx[...] = dx_t.T
    return dx


class Dense(Layer):
    """Fully connected layer ``a = activation(x @ W + b)``, with the activation fused in.

    Fusing saves a pass over memory and lets backward use the output alone
    (every activation's derivative is a function of its output).
    """

    def __init__(self, units: int, activation: str | act.ActivationFunction | None = None,
                 kernel_initializer: str | None = None, use_bias: bool = True,
                 input_dim: int | None = None) -> None:
        super().__init__()
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = act.get_activation(activation)
        self.kernel_initializer = kernel_initializer or DEFAULT_FOR_ACTIVATION.get(self.activation.name, "glorot_uniform")
        get_initializer(self.kernel_initializer)  # fail now on a bad name, not at build time
        self.use_bias = bool(use_bias)
        self.input_dim = input_dim
        self._bufs: dict[str, np.ndarray] = {}
        # Set while processes share each batch (network/parallel.py): backward then keeps dz for the
        # trainer, which computes the weight gradient from every process's rows at once.
        self.defer_weight_grads = False

    def build(self, input_shape, rng, dtype):
        super().build(input_shape, rng, dtype)
        if len(self.input_shape) != 1:
            raise ValueError(f"Dense expects flat inputs (features,), got shape {self.input_shape}; add Flatten() first")
        fan_in = self.input_shape[0]
        self.params["W"] = get_initializer(self.kernel_initializer)(fan_in, self.units, rng, self.dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if self.use_bias:
            self.params["b"] = np.zeros(self.units, dtype=self.dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])
        self.output_shape = (self.units,)
        return self.output_shape

    def forward(self, x, training=False):
        n = x.shape[0]
        out = reusable_buffer(self._bufs, "out", (n, self.units), self.dtype)
        np.matmul(x, self.params["W"], out=out)
        if self.use_bias:
            out += self.params["b"]
        self.activation.forward(out)
        self._x, self._a = x, out  # all that backward needs
        return out

    def backward(self, grad, through_activation: bool = True):
        """``grad`` is dL/da, or dL/dz when ``through_activation`` is False (fused losses)."""
        dz = self.activation.backward(self._a, grad) if through_activation else grad
        if self.defer_weight_grads:
            self._dz = dz
        else:
            np.matmul(self._x.T, dz, out=self.grads["W"])
            if self.use_bias:
                np.sum(dz, axis=0, out=self.grads["b"])
        if not self.needs_input_grad:
            return None
        dx = reusable_buffer(self._bufs, "dx", self._x.shape, self.dtype)
        return input_grad_product(dz, self.params["W"], dx, self._bufs)

    def input_grad(self, grad, through_activation: bool = True):
        """dL/dx = dz @ W.T, with the weight and bias gradients left alone."""
        dz = self.activation.backward(self._a, grad.copy()) if through_activation else grad
        return dz @ self.params["W"].T

    def get_config(self):
        return {"units": self.units, "activation": self.activation.get_config(),
                "kernel_initializer": self.kernel_initializer, "use_bias": self.use_bias}


class Conv2D(Layer):
    """A 2-D convolution ``a = activation(conv(x, W) + b)`` over images (height, width, channels),
    a 2-D image being one channel; the activation fused in, as in ``Dense``.

    Each output pixel is a dot product of the kernel with the patch of input under it, so the whole
    layer is one GEMM: every patch laid out as a row (im2col), times W of shape (kh * kw * channels,
    filters), the weights ``(in, out)`` like Dense's. Backward is that GEMM's two gradients, the
    patch gradients added back where each patch came from (col2im, kh * kw strided sums). ``strides``
    > 1 shrinks the picture as pooling would, for a fraction of the work; ``padding="same"`` pads with
    zeros so the output is ceil(size / strides), "valid" keeps only patches wholly inside.
    """

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, padding: str = "valid",
                 activation: str | act.ActivationFunction | None = None, kernel_initializer: str | None = None,
                 use_bias: bool = True, input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        for name, value, most in (("filters", filters, MAX_FILTERS), ("kernel_size", kernel_size, MAX_KERNEL),
                                  ("strides", strides, MAX_KERNEL)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not 1 <= value <= most:
                raise ValueError(f"Conv2D {name} must be an integer 1-{most}, got {value!r}")
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv2D padding must be 'valid' or 'same', got {padding!r}")
        self.filters, self.kernel_size, self.strides, self.padding = int(filters), int(kernel_size), int(strides), padding
        self.activation = act.get_activation(activation)
        self.kernel_initializer = kernel_initializer or DEFAULT_FOR_ACTIVATION.get(self.activation.name, "glorot_uniform")
        get_initializer(self.kernel_initializer)
        self.use_bias = bool(use_bias)
        if input_shape is not None and not (isinstance(input_shape, (list, tuple)) and len(input_shape) in (2, 3) and all(
                isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1 for d in input_shape)):
            raise ValueError(f"Conv2D input_shape must be (height, width[, channels]), got {input_shape!r}")
        self.declared_input_shape = tuple(int(d) for d in input_shape) if input_shape is not None else None
        self._bufs: dict[str, np.ndarray] = {}

    def build(self, input_shape, rng, dtype):
        super().build(input_shape, rng, dtype)
        out_h, out_w, _ = self.shape_after(self.input_shape)
        height, width = self.input_shape[:2]
        self.channels = self.input_shape[2] if len(self.input_shape) == 3 else 1
        k, s = self.kernel_size, self.strides
        # Zero padding before (top, left) and after, as TensorFlow pads ("same": the odd pixel after).
        pad_h, pad_w = max((out_h - 1) * s + k - height, 0), max((out_w - 1) * s + k - width, 0)
        self._pads = ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2))
        fan_in = k * k * self.channels
        self.params["W"] = get_initializer(self.kernel_initializer)(fan_in, self.filters, rng, self.dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if self.use_bias:
            self.params["b"] = np.zeros(self.filters, dtype=self.dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])
        self.output_shape = (out_h, out_w, self.filters)
        return self.output_shape

    def shape_after(self, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
        """The output shape (height, width, filters) for images of ``input_shape``, computed without
        building (a saved model's sizes are checked before anything is allocated)."""
        if len(input_shape) not in (2, 3):
            raise ValueError(f"Conv2D expects images (height, width[, channels]), got shape {tuple(input_shape)}")
        (height, width), k, s = input_shape[:2], self.kernel_size, self.strides
        if self.padding == "same":
            out_h, out_w = -(-height // s), -(-width // s)
        else:
            out_h, out_w = (height - k) // s + 1, (width - k) // s + 1
        if out_h < 1 or out_w < 1:
            raise ValueError(f"Conv2D kernel {k} does not fit images of shape {tuple(input_shape)}")
        return out_h, out_w, self.filters

    def _padded(self, x: np.ndarray) -> np.ndarray:
        """``x`` as (n, height, width, channels), with the zero border ``padding`` asks for."""
        x = x.reshape(x.shape[0], *self.input_shape[:2], self.channels)
        (top, bottom), (left, right) = self._pads
        if not (top or bottom or left or right):
            return x
        padded = reusable_buffer(self._bufs, "padded", (x.shape[0], x.shape[1] + top + bottom,
                                                        x.shape[2] + left + right, self.channels), self.dtype)
        padded[:, :top], padded[:, x.shape[1] + top:], padded[:, :, :left], padded[:, :, x.shape[2] + left:] = 0, 0, 0, 0
        padded[:, top:top + x.shape[1], left:left + x.shape[2]] = x
        return padded

    def forward(self, x, training=False):
        n, (out_h, out_w, _), k, s = x.shape[0], self.output_shape, self.kernel_size, self.strides
        windows = np.lib.stride_tricks.sliding_window_view(self._padded(x), (k, k), axis=(1, 2))
        windows = windows[:, :(out_h - 1) * s + 1:s, :(out_w - 1) * s + 1:s]   # (n, out_h, out_w, channels, k, k)
        patches = reusable_buffer(self._bufs, "patches", (n, out_h, out_w, k, k, self.channels), self.dtype)
        np.copyto(patches, windows.transpose(0, 1, 2, 4, 5, 3))   # (rows kh, kw, channels: Keras's kernel order)
        patches = patches.reshape(n * out_h * out_w, -1)
        out = reusable_buffer(self._bufs, "out", (n * out_h * out_w, self.filters), self.dtype)
        np.matmul(patches, self.params["W"], out=out)
        if self.use_bias:
            out += self.params["b"]
        self.activation.forward(out)
        self._patches, self._a, self._n = patches, out, n   # all that backward needs
        return out.reshape(n, out_h, out_w, self.filters)

    def backward(self, grad, through_activation: bool = True):
        grad = grad.reshape(self._a.shape)
        dz = self.activation.backward(self._a, grad) if through_activation else grad
        np.matmul(self._patches.T, dz, out=self.grads["W"])
        if self.use_bias:
            np.sum(dz, axis=0, out=self.grads["b"])
        if not self.needs_input_grad:
            return None
        return self._col2im(dz @ self.params["W"].T)

    def _col2im(self, d_patches: np.ndarray) -> np.ndarray:
        """dL/dx from dL/d(patches): each patch's gradient added back where the patch was taken."""
        (out_h, out_w, _), k, s, n = self.output_shape, self.kernel_size, self.strides, self._n
        (top, bottom), (left, right) = self._pads
        height, width = self.input_shape[:2]
        dx = reusable_buffer(self._bufs, "dx", (n, height + top + bottom, width + left + right, self.channels), self.dtype)
        dx[...] = 0
        d_patches = d_patches.reshape(n, out_h, out_w, k, k, self.channels)
        for i in range(k):
            for j in range(k):
                dx[:, i:i + (out_h - 1) * s + 1:s, j:j + (out_w - 1) * s + 1:s] += d_patches[:, :, :, i, j]
        return dx[:, top:top + height, left:left + width].reshape((n,) + self.input_shape)

    def input_grad(self, grad, through_activation: bool = True):
        """dL/dx, with the weight and bias gradients left alone."""
        grad = grad.reshape(self._a.shape)
        dz = self.activation.backward(self._a, grad.copy()) if through_activation else grad
        return self._col2im(dz @ self.params["W"].T).copy()

    def get_config(self):
        return {"filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "activation": self.activation.get_config(),
                "kernel_initializer": self.kernel_initializer, "use_bias": self.use_bias,
                "input_shape": list(self.declared_input_shape) if self.declared_input_shape else None}


class Activation(Layer):
    """A stand-alone activation, for when it should not be fused into a Dense layer."""

    def __init__(self, activation: str | act.ActivationFunction) -> None:
        super().__init__()
        self.activation = act.get_activation(activation)
        self._bufs: dict[str, np.ndarray] = {}

    def forward(self, x, training=False):
        out = reusable_buffer(self._bufs, "out", x.shape, self.dtype)
        np.copyto(out, x)
        self._a = self.activation.forward(out)
        return self._a

    def backward(self, grad):
        return self.activation.backward(self._a, grad)

    def get_config(self):
        return {"activation": self.activation.get_config()}


def _skip_draws(rng: np.random.Generator, start: dict, count: int, dtype: np.dtype) -> None:
    """Put ``rng`` where drawing ``count`` uniform numbers of ``dtype`` from state ``start`` leaves it,
    without drawing them: PCG64 jumps ahead in its stream (``advance``) in a few steps.

    PCG64 makes one 64-bit number a step: a float64 takes one, a float32 half of one (numpy keeps
    the other half for the next float32), so ``count`` float32s are count / 2 steps, plus the kept half.
    """
    bits = rng.bit_generator
    bits.state = start
    if count == 0:
        return
    if np.dtype(dtype) == np.float64:
        bits.advance(count)   # which forgets a kept half: put it back
        bits.state = {**bits.state, "has_uint32": start["has_uint32"], "uinteger": start["uinteger"]}
        return
    if start["has_uint32"]:
        rng.random(dtype=np.float32)   # the kept half goes first
        count -= 1
    bits.advance(count // 2)
    if count % 2:
        rng.random(dtype=np.float32)


class Dropout(Layer):
    """Inverted dropout: zero a fraction ``rate`` of inputs while training and scale
    the rest by 1/(1 - rate), so inference is the identity and needs no rescaling."""

    def __init__(self, rate: float, seed: int | None = None) -> None:
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self._bufs: dict[str, np.ndarray] = {}
        # (lo, hi, n) while this process trains on rows lo:hi of n-row batches (network/parallel.py):
        # it draws just those rows of the batch's mask, yet the very numbers a whole-batch draw would
        # give them, so the masks equal those of training in one process.
        self.rows: tuple[int, int, int] | None = None

    def build(self, input_shape, rng, dtype):
        # Its own stream (PCG64, which can jump ahead), derived from the model's, so dropout does not
        # shift the init draws.
        self.rng = np.random.Generator(np.random.PCG64(self.seed if self.seed is not None else rng.integers(2**63)))
        return super().build(input_shape, rng, dtype)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self._mask = None
            return x
        mask = reusable_buffer(self._bufs, "mask", x.shape, self.dtype)
        if self.rows is None:
            self.rng.random(out=mask, dtype=self.dtype)
        else:   # jump to row lo's numbers, draw ours, jump to where the whole batch's draw ends
            lo, hi, n = self.rows
            start, per_row = self.rng.bit_generator.state, int(np.prod(x.shape[1:]))
            _skip_draws(self.rng, start, lo * per_row, self.dtype)
            self.rng.random(out=mask, dtype=self.dtype)
            _skip_draws(self.rng, start, n * per_row, self.dtype)
        # mask = [u >= rate] / (1 - rate), computed in place
        np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask
        out = reusable_buffer(self._bufs, "out", x.shape, self.dtype)
        return np.multiply(x, mask, out=out)

    def backward(self, grad):
        if self._mask is not None:
            grad *= self._mask
        return grad

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed}


class Flatten(Layer):
    """Flattens each sample, so 28x28 images go straight into a Dense layer."""

    def __init__(self, input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.declared_input_shape = tuple(input_shape) if input_shape is not None else None

    def build(self, input_shape, rng, dtype):
        super().build(input_shape, rng, dtype)
        self.output_shape = (int(np.prod(self.input_shape)),)
        return self.output_shape

    def forward(self, x, training=False):
        return x.reshape((x.shape[0],) + self.output_shape)

    def backward(self, grad):
        return grad.reshape((grad.shape[0],) + self.input_shape)

    def get_config(self):
        return {"input_shape": list(self.declared_input_shape) if self.declared_input_shape else None}


LAYERS: dict[str, type[Layer]] = {cls.__name__: cls for cls in (Dense, Conv2D, Activation, Dropout, Flatten)}


def layer_from_config(class_name: str, config: dict) -> Layer:
    """Rebuild a layer from its saved description; only the classes above are allowed."""
    return lookup("layer class", LAYERS, class_name)(**config)
