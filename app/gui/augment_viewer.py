"""The augmentation visualiser: original digits beside augmented versions, with a slider per transform.

Opened by ``python data.py --preview`` or from the app's menu. The grid itself is
drawn by ``app.data.preview.preview_grid`` (Pillow), so this class only builds widgets and
re-renders, throttled with ``after()``, when a slider moves.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk

import numpy as np
from PIL import ImageTk

from app.data.augment import AugmentParams
from app.data.preview import preview_grid

SLIDERS = (  # field, label, maximum, resolution
    ("rotation", "Rotation (deg)", 45, 1),
    ("zoom", "Zoom (+-)", 0.5, 0.01),
    ("shift", "Shift (px)", 6, 0.5),
    ("elastic_alpha", "Elastic strength", 60, 1),
    ("elastic_sigma", "Elastic smoothness", 10, 0.5),
    ("noise", "Noise", 0.3, 0.01),
)


class AugmentViewer:
    """One window: the grid on the left, the sliders and a reshuffle button on the right."""

    RENDER_DELAY_MS = 60

    def __init__(self, top: tk.Tk | tk.Toplevel, images: np.ndarray, labels: np.ndarray,
                 params: AugmentParams | None = None, class_names=None, origin: str = "") -> None:
        self.images, self.labels, self.class_names = images, labels, class_names
        params = params or AugmentParams()
        self.seed = 0
        self._pending = None
        self.top = top  # the window to fill: the root when stand-alone, a Toplevel from the app
        self.top.title("Augmentation preview" + (f" - {origin}" if origin else ""))
        self.top.minsize(640, 420)
        self.vars = {name: tk.DoubleVar(master=self.top, value=getattr(params, name)) for name, *_ in SLIDERS}
        self._build_grid_panel()
        self._build_controls()
        self.top.bind("<Escape>", lambda e: self.close())
        self.render()

    def _build_grid_panel(self) -> None:
        self.picture = ttk.Label(self.top)
        self.picture.grid(row=0, column=0, padx=8, pady=8, sticky="nw")

    def _build_controls(self) -> None:
        panel = ttk.Frame(self.top, padding=8)
        panel.grid(row=0, column=1, sticky="ns")
        for row, (name, label, maximum, resolution) in enumerate(SLIDERS):
            ttk.Label(panel, text=label).grid(row=2 * row, column=0, sticky="w")
            minimum = 0.5 if name == "elastic_sigma" else 0
            tk.Scale(panel, variable=self.vars[name], from_=minimum, to=maximum, resolution=resolution,
                     orient="horizontal", length=200, command=lambda _v: self.schedule_render()
                     ).grid(row=2 * row + 1, column=0, sticky="ew")
        ttk.Button(panel, text="Reshuffle", command=self.reshuffle).grid(row=2 * len(SLIDERS), column=0, pady=(12, 0), sticky="ew")
        ttk.Button(panel, text="Close", command=self.close).grid(row=2 * len(SLIDERS) + 1, column=0, pady=(4, 0), sticky="ew")
        self.status = ttk.Label(panel, text="", wraplength=200)
        self.status.grid(row=2 * len(SLIDERS) + 2, column=0, pady=(8, 0), sticky="w")

    def params(self) -> AugmentParams:
        return AugmentParams(**{name: float(var.get()) for name, var in self.vars.items()})

    def schedule_render(self) -> None:
        """Slider events come in bursts: render once, shortly after the last one."""
        if self._pending is not None:
            self.top.after_cancel(self._pending)
        self._pending = self.top.after(self.RENDER_DELAY_MS, self.render)

    def reshuffle(self) -> None:
        self.seed += 1
        self.render()

    def render(self) -> None:
        self._pending = None
        try:
            params = self.params()
        except ValueError as e:
            self.status.configure(text=str(e))
            return
        grid = preview_grid(self.images, self.labels, params, seed=self.seed, class_names=self.class_names)
        self.photo = ImageTk.PhotoImage(grid)  # keep a reference, or Tk shows nothing
        self.picture.configure(image=self.photo)
        self.status.configure(text=f"sample set {self.seed + 1}")

    def close(self) -> None:
        self.top.destroy()


def run_viewer(images: np.ndarray, labels: np.ndarray, params: AugmentParams, class_names=None, origin: str = "") -> None:
    """Stand-alone window for ``data.py --preview``."""
    root = tk.Tk()
    AugmentViewer(root, images, labels, params, class_names=class_names, origin=origin)
    root.mainloop()


def open_visualiser(root: tk.Misc, say, done, title: str, choose_mnist=None) -> None:
    """Tools > Augmentation visualiser: load the originals off the event loop (it may need to fetch
    MNIST), then open the window. ``say(text)`` puts a line in the status bar; ``done()`` is called
    once the window is open (or the error shown); without MNIST, ``choose_mnist()`` is offered."""
    import threading
    from tkinter import messagebox

    from app.data.mnist_cache import raw_or_cached_originals

    say("loading MNIST for the visualiser...")
    result: dict = {}

    def load() -> None:
        try:
            result["data"] = raw_or_cached_originals(progress=False)
        except Exception as e:  # shown to the user below, whatever it is
            result["error"] = e

    thread = threading.Thread(target=load, daemon=True)
    thread.start()

    def check() -> None:
        if thread.is_alive():
            root.after(100, check)
            return
        if "error" in result:
            done()
            question = ("The visualiser needs MNIST, and there is none here (and no download).\n\n"
                        "Choose a copy of mnist.npz you have? (File > Use MNIST file... does the same.)")
            if messagebox.askyesno(title, question, detail=str(result["error"]), parent=root) and choose_mnist:
                choose_mnist()
            return
        images, labels, origin = result["data"]
        AugmentViewer(tk.Toplevel(root), images, labels, origin=origin)
        done()

    check()
