"""What happens inside the network for one drawing: activations layer by layer, what the first
layer's units look for, and why the answer is what it is (a saliency map).

No display here: the network view (``app/gui/network_view.py``) and ``ModelManager.py explain``
draw what ``explain`` computes, with the colour helpers below. Colours are diverging: blue for
negative, white for zero, red for positive, scaled to the activation's range (tanh in [-1, 1],
sigmoid in [0, 1], ReLU from 0 to the largest value seen).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from network import Dense

FIXED_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0)}


def output_name(index: int) -> str:
    """How an output is called: its digit, or "not a digit" for the eleventh."""
    return str(index) if index < 10 else "not a digit"


@dataclasses.dataclass
class LayerActivity:
    name: str               # "hidden 1 (1024 tanh)"
    activation: str         # the activation function's name
    values: np.ndarray      # (units,) float32
    value_range: tuple[float, float]


@dataclasses.dataclass
class Explanation:
    image: np.ndarray                # (28, 28) the network's input
    probabilities: np.ndarray        # (10,)
    hidden: list[LayerActivity]      # every hidden Dense layer, input side first
    top: int
    second: int
    saliency_top: np.ndarray         # (28, 28) d logit[top] / d pixel
    saliency_second: np.ndarray      # (28, 28) d logit[second] / d pixel

    @property
    def most_active(self) -> np.ndarray:
        """Indices of the first hidden layer's units, most strongly active first."""
        return np.argsort(-np.abs(self.hidden[0].values)) if self.hidden else np.array([], int)

    @property
    def top_name(self) -> str:
        return output_name(self.top)

    @property
    def second_name(self) -> str:
        return output_name(self.second)


def dense_layers(model) -> list[Dense]:
    return [layer for layer in model.layers if isinstance(layer, Dense)]


def activity(model, layer_outputs: list[np.ndarray]) -> list[LayerActivity]:
    """The hidden Dense layers' outputs for one sample, from ``Sequential.trace``'s list."""
    dense = [(layer, out) for layer, out in zip(model.layers, layer_outputs) if isinstance(layer, Dense)]
    found = []
    for k, (layer, out) in enumerate(dense[:-1], 1):
        name = layer.activation.name
        values = np.asarray(out[0], np.float32)
        found.append(LayerActivity(f"hidden {k} ({layer.units} {name})", name, values, value_range(name, values)))
    return found


def value_range(activation: str, values: np.ndarray) -> tuple[float, float]:
    """The colour scale's ends: the activation's own range where it has one, else what is there."""
    if activation in FIXED_RANGES:
        return FIXED_RANGES[activation]
    peak = float(np.abs(values).max(initial=0)) or 1.0
    return (0.0, peak) if activation == "relu" else (-peak, peak)


def saliency(model, image: np.ndarray, classes: list[int]) -> np.ndarray:
    """d logit / d pixel for each class in ``classes``, (len(classes), 28, 28), in one batched pass."""
    batch = np.repeat(np.asarray(image, np.float32)[None], len(classes), axis=0)
    return model.input_gradient(batch, np.array(classes)).reshape((len(classes),) + np.shape(image))


def explain(model, image: np.ndarray, layer_outputs: list[np.ndarray] | None = None) -> Explanation:
    """Everything the network view shows for ``image`` (28x28, 0..1). ``layer_outputs`` is the
    forward pass the prediction already made (``Sequential.trace``); without it one is made."""
    if layer_outputs is None:
        _, layer_outputs = model.trace(np.asarray(image, np.float32)[None])
    probabilities = np.asarray(layer_outputs[-1][0], np.float32)
    order = np.argsort(-probabilities)
    top, second = int(order[0]), int(order[1])
    grads = saliency(model, image, [top, second])
    return Explanation(np.asarray(image, np.float32), probabilities, activity(model, layer_outputs), top, second,
                       grads[0], grads[1])


def receptive_field(model, unit: int) -> np.ndarray | None:
    """The incoming weights of first-layer unit ``unit`` as a 28x28 picture (None if the input is not 28x28)."""
    first = dense_layers(model)[0]
    weights = first.params["W"][:, unit]
    return weights.reshape(28, 28) if weights.size == 784 else None


# ---------------------------------------------------------------------------
# Colours
# ---------------------------------------------------------------------------

def diverging_rgb(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """uint8 RGB of ``values``: blue at ``low`` (or at -max for a symmetric range), white at zero,
    red at ``high``. A range that starts at 0 goes from white to red."""
    v = np.asarray(values, np.float32)
    scale = max(abs(low), abs(high)) or 1.0
    t = np.clip(v / scale, -1, 1)
    rgb = np.empty(v.shape + (3,), np.float32)
    pos, neg = np.clip(t, 0, 1), np.clip(-t, 0, 1)
    rgb[..., 0] = 1 - 0.75 * neg            # red stays high for positive values
    rgb[..., 1] = 1 - 0.8 * pos - 0.55 * neg
    rgb[..., 2] = 1 - 0.85 * pos            # blue stays high for negative values
    return (rgb * 255 + 0.5).astype(np.uint8)


def symmetric_rgb(values: np.ndarray) -> np.ndarray:
    """``diverging_rgb`` scaled to the largest magnitude present (weights, gradients)."""
    peak = float(np.abs(values).max(initial=0)) or 1.0
    return diverging_rgb(values, -peak, peak)


def grid_shape(units: int) -> tuple[int, int]:
    """Rows and columns of a near-square grid for ``units`` cells (wider than tall)."""
    cols = int(np.ceil(np.sqrt(units * 2)))
    return int(np.ceil(units / cols)), cols


def unit_grid(layer: LayerActivity) -> np.ndarray:
    """The layer's units as a (rows, cols, 3) uint8 grid, one pixel per unit (cells past the last unit grey)."""
    rows, cols = grid_shape(len(layer.values))
    rgb = np.full((rows * cols, 3), 200, np.uint8)
    rgb[:len(layer.values)] = diverging_rgb(layer.values, *layer.value_range)
    return rgb.reshape(rows, cols, 3)


def saliency_overlay(image: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """The input in grey with the saliency on top: red where more ink would raise the class's score,
    blue where it would lower it (uint8 RGB, 28x28)."""
    colour = symmetric_rgb(grad).astype(np.float32)
    grey = (255 - 120 * np.asarray(image, np.float32))[..., None]   # ink shows as darker grey
    weight = np.clip(np.abs(grad) / (np.abs(grad).max(initial=0) or 1.0), 0, 1)[..., None] ** 0.5
    return (grey * (1 - weight) + colour * weight).astype(np.uint8)
