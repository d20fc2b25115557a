"""Plots of a model: learning curves, confusion matrix, and a gallery of its worst mistakes (PNG files).

matplotlib draws off-screen (the Agg backend, chosen here once), so this works without a display
and never touches a window's event loop.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from app.files import write_picture  # noqa: E402
from app.pixels import to_uint8  # noqa: E402


def _write_figure(fig, path: Path, dpi: int) -> None:
    """The figure as a PNG at exactly ``path``, written atomically, and the figure closed."""
    try:
        write_picture(path, lambda f: fig.savefig(f, format="png", dpi=dpi))
    finally:
        plt.close(fig)


def save_learning_curves(history: dict, path: Path, title: str = "") -> None:
    """Loss and accuracy per epoch, training and validation, as a PNG."""
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key, style in (("loss", "-"), ("val_loss", "--")):
        if key in history:
            ax1.plot(epochs, history[key], style, label=key.replace("_", " "))
    names = {"val_pen_loss": "val loss, pen digits", "val_pen_accuracy": "val accuracy, pen digits"}
    for key, style in (("val_pen_loss", ":"),):
        if key in history:
            ax1.plot(epochs, history[key], style, label=names[key])
    for key, style in (("accuracy", "-"), ("val_accuracy", "--"), ("val_pen_accuracy", ":")):
        if key in history:
            ax2.plot(epochs, history[key], style, label=names.get(key, key.replace("_", " ")))
    ax1.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax2.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    _write_figure(fig, path, dpi=90)


def save_confusion_png(matrix, path: Path, title: str) -> None:
    m = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(np.log1p(m), cmap="Blues")
    for i in range(10):
        for j in range(10):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if i == j else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    _write_figure(fig, path, dpi=90)


def save_mistakes_png(x, y, result: dict, path: Path, count: int = 40) -> None:
    """A gallery of the most confident mistakes: image, true label and prediction."""
    from PIL import Image, ImageDraw

    worst = result["worst"][:count]
    cols, cell = 10, 64
    rows = max(1, int(np.ceil(len(worst) / cols)))
    sheet = Image.new("L", (cols * cell, rows * (cell + 14)), 255)
    draw = ImageDraw.Draw(sheet)
    for k, i in enumerate(worst):
        r, c = divmod(k, cols)
        img = Image.fromarray(255 - to_uint8(x[i])).resize((cell - 8, cell - 8), Image.NEAREST)
        sheet.paste(img, (c * cell + 4, r * (cell + 14) + 2))
        p = result["proba"][i, result["predicted"][i]]
        draw.text((c * cell + 4, r * (cell + 14) + cell - 5), f"{y[i]}->{result['predicted'][i]} {p:.0%}", fill=0)
    write_picture(path, lambda f: sheet.save(f, format="PNG"))


def save_explanation_png(e, path: Path, title: str = "") -> None:
    """One figure for a lesson or a README: the input, why the answer (saliency for the top class and
    the runner-up), every hidden layer's activations, and the ten outputs."""
    from app.models.explain import saliency_overlay, unit_grid

    columns = 3 + len(e.hidden) + 1
    fig, axes = plt.subplots(1, columns, figsize=(2.3 * columns, 2.8),
                             gridspec_kw={"width_ratios": [1, 1, 1] + [1.6] * len(e.hidden) + [1.2]})
    panels = [(e.image, "input", "gray"), (saliency_overlay(e.image, e.saliency_top), f"why {e.top_name}", None),
              (saliency_overlay(e.image, e.saliency_second), f"why {e.second_name} (runner-up)", None)]
    for ax, (picture, name, cmap) in zip(axes, panels):
        ax.imshow(picture, cmap=cmap, interpolation="nearest")
        ax.set_title(name, fontsize=9)
    for ax, layer in zip(axes[3:], e.hidden):
        ax.imshow(unit_grid(layer), interpolation="nearest")
        ax.set_title(layer.name, fontsize=9)
    bars = axes[-1]
    outputs = range(len(e.probabilities))
    bars.barh(outputs, e.probabilities, color=["#4a7" if d == e.top else "#9ab" for d in outputs])
    bars.set(yticks=outputs, yticklabels=[str(d) if d < 10 else "\u00d7" for d in outputs], xlim=(0, 1), title="outputs")
    bars.invert_yaxis()
    for ax in axes[:-1]:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title or f"reads {e.top_name} ({e.probabilities[e.top]:.0%}); red: raises the score, blue: lowers it",
                 fontsize=10)
    fig.tight_layout()
    _write_figure(fig, path, dpi=100)
