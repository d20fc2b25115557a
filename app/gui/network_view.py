"""Tools > Network view: inside the network, live, while you draw.

Left to right: the 28x28 input with "why this answer" (saliency for the top class and the
runner-up: red where more ink would raise that class's score, blue where it would lower it),
each hidden layer's units as a grid of coloured cells (blue negative, white zero, red positive,
on the activation's own scale), and the ten outputs. Below: what the first layer's most active
units look for (their incoming weights as 28x28 pictures); hovering over or clicking a unit of the
first layer shows its picture enlarged with its current activation.

It draws the reading the main window already made (the same forward pass, ``Reading.layer_outputs``)
and adds only the saliency's backward pass. Updates are coalesced with ``after()``: the main
window hands over its latest reading and never waits for the view.
"""
from __future__ import annotations

import time
import tkinter as tk
from tkinter import ttk

import numpy as np
from PIL import Image, ImageTk

from app.gui.panels import NOT_A_DIGIT_MARK
from app.models.explain import Explanation, explain, grid_shape, receptive_field, saliency_overlay, symmetric_rgb, unit_grid
from app.pixels import to_uint8
from app.words import command

UPDATE_MS = 15        # at most one redraw per 15 ms, with the newest reading
GRID_WIDTH = 230      # pixels for each layer's grid
INPUT_SCALE = 4
FIELDS = 8            # receptive fields shown: the first layer's most active units
FIELD_SCALE = 2
ZOOM_SCALE = 5


def _photo(rgb: np.ndarray, scale: int) -> ImageTk.PhotoImage:
    image = Image.fromarray(rgb)
    return ImageTk.PhotoImage(image.resize((image.width * scale, image.height * scale), Image.NEAREST))


class NetworkView:
    """One window; ``follow`` hands it the newest reading, ``close`` ends it."""

    def __init__(self, top: tk.Toplevel, on_update=None) -> None:
        self.top = top
        self.on_update = on_update  # called after every redraw (the app reports its state then)
        self.top.title("Network view")
        self.model = None
        self.reading = None
        self.explanation: Explanation | None = None
        self.selected: int | None = None
        self.updates, self.last_ms = 0, 0.0
        self._model_id: int | None = None
        self._fields: dict[int, ImageTk.PhotoImage] = {}
        self._pending = None
        self._photos: dict[str, ImageTk.PhotoImage] = {}
        self._layer_widgets: list[tuple[ttk.Label, tk.Canvas]] = []
        self._cell = 1
        self._build()
        self.top.bind("<Escape>", lambda e: self.close())
        self.top.protocol("WM_DELETE_WINDOW", self.close)

    # -- building --------------------------------------------------------
    def _build(self) -> None:
        self.body = ttk.Frame(self.top, padding=8)
        self.body.grid(row=0, column=0, sticky="nsew")
        self.message = ttk.Label(self.body, text="draw a digit in the main window", font=("TkDefaultFont", 11))
        self.message.grid(row=0, column=0, columnspan=2, sticky="w", pady=(0, 6))
        ttk.Label(self.body, text="blue: negative   red: positive", foreground="#555"
                  ).grid(row=0, column=2, sticky="e", pady=(0, 6))
        inputs = ttk.Frame(self.body)
        inputs.grid(row=1, column=0, sticky="n", padx=(0, 10))
        self.input_labels = []
        for row, title in enumerate(("input (28x28)", "why the answer", "why not the runner-up")):
            # As wide as the widest caption it will show: a caption that grew ("why not a digit") would
            # widen the column and move the layers' grids under the pointer.
            caption = ttk.Label(inputs, text=title, width=len("why not a digit (runner-up)"), anchor="center")
            caption.grid(row=2 * row, column=0)
            picture = ttk.Label(inputs, relief="solid", borderwidth=1)
            picture.grid(row=2 * row + 1, column=0, pady=(0, 6))
            self.input_labels.append((caption, picture))
        self.layers_frame = ttk.Frame(self.body)
        self.layers_frame.grid(row=1, column=1, sticky="n")
        right = ttk.Frame(self.body)
        right.grid(row=1, column=2, sticky="n", padx=(10, 0))
        self.outputs = tk.Canvas(right, width=130, height=11 * 20 + 20, highlightthickness=0)
        self.outputs.grid(row=0, column=0, sticky="n")
        fields = ttk.LabelFrame(self.body, text="what the most active first-layer units look for (their weights)",
                                padding=4)
        fields.grid(row=2, column=0, columnspan=3, sticky="w", pady=(8, 0))
        self.field_labels = []
        for k in range(FIELDS):
            picture = ttk.Label(fields)
            picture.grid(row=0, column=k, padx=2)
            caption = ttk.Label(fields, text="", font=("TkDefaultFont", 8))
            caption.grid(row=1, column=k)
            self.field_labels.append((picture, caption))
        zoom = ttk.LabelFrame(right, text="unit under the pointer", padding=4)
        zoom.grid(row=1, column=0, sticky="n", pady=(8, 0))
        self.zoom_picture = ttk.Label(zoom)
        self.zoom_picture.grid(row=0, column=0)
        self.zoom_caption = ttk.Label(zoom, text="point at a unit\nof hidden layer 1", justify="center")
        self.zoom_caption.grid(row=1, column=0)

    def _rebuild_layers(self, explanation: Explanation) -> None:
        """One caption and grid per hidden layer: rebuilt when the model (its shape) changes."""
        for caption, canvas in self._layer_widgets:
            caption.destroy()
            canvas.destroy()
        self._layer_widgets = []
        for k, layer in enumerate(explanation.hidden):
            rows, cols = grid_shape(len(layer.values))
            cell = max(2, min(24, GRID_WIDTH // cols))
            caption = ttk.Label(self.layers_frame, text=layer.name)
            caption.grid(row=2 * k, column=0, sticky="w")
            canvas = tk.Canvas(self.layers_frame, width=cols * cell, height=rows * cell, highlightthickness=1,
                               highlightbackground="#888")
            canvas.grid(row=2 * k + 1, column=0, sticky="w", pady=(0, 8))
            canvas.image_item = canvas.create_image(0, 0, anchor="nw")
            canvas.cell, canvas.cols = cell, cols
            if k == 0:
                for event in ("<Motion>", "<Enter>", "<ButtonPress-1>"):   # entering is not always a motion
                    canvas.bind(event, self._point)
            self._layer_widgets.append((caption, canvas))

    # -- following the main window ------------------------------------------
    def follow(self, model, reading) -> None:
        """The newest reading (or None) of ``model`` (or None); drawn shortly, never right away."""
        self.model, self.reading = model, reading
        if self._pending is None:
            self._pending = self.top.after(UPDATE_MS, self.update)

    def update(self) -> None:
        if self._pending is not None:   # (called directly: the update waiting is this one)
            self.top.after_cancel(self._pending)
        self._pending = None
        start = time.perf_counter()
        reading = self.reading
        if self._model_id != id(self.model):   # another model: nothing of the old one stays on screen
            self._forget_model()
        if self.model is None or reading is None or reading.network_input is None:
            self._blank()
            self.message.configure(text=f"no model: train one with {command('ModelManager.py train')}" if self.model is None
                                   else "draw a digit in the main window")
        else:
            explanation = explain(self.model, reading.network_input, reading.layer_outputs)
            shape = [len(h.values) for h in explanation.hidden]
            if self._model_id != id(self.model) or self.explanation is None or \
                    shape != [len(h.values) for h in self.explanation.hidden]:
                self._rebuild_layers(explanation)
                self._model_id = id(self.model)
                self._fields = {}
                self.selected = None
            self.explanation = explanation
            self._draw(explanation)
            self.updates += 1
            self.last_ms = (time.perf_counter() - start) * 1000
        if self.on_update:
            self.on_update()

    def _forget_model(self) -> None:
        for caption, canvas in self._layer_widgets:
            caption.destroy()
            canvas.destroy()
        self._layer_widgets, self.explanation, self._fields, self.selected = [], None, {}, None
        self._model_id = id(self.model)
        self.zoom_picture.configure(image="")
        self.zoom_caption.configure(text="point at a unit\nof hidden layer 1")

    def _blank(self) -> None:
        """Nothing to show (a clear canvas, no model): no picture of an earlier drawing stays."""
        for _, label in self.input_labels:
            label.configure(image="")
        for _, canvas in self._layer_widgets:
            canvas.itemconfigure(canvas.image_item, image="")
            canvas.delete("mark")
        self.outputs.delete("all")
        for picture, caption in self.field_labels:
            picture.configure(image="")
            caption.configure(text="")
        self.zoom_picture.configure(image="")
        self.explanation = None

    # -- drawing -----------------------------------------------------------
    def _draw(self, e: Explanation) -> None:
        self.message.configure(text=f"reads {e.top_name} ({e.probabilities[e.top]:.0%}); runner-up {e.second_name} "
                                    f"({e.probabilities[e.second]:.0%})")
        grey = to_uint8(e.image)
        pictures = (np.stack([grey] * 3, axis=-1), saliency_overlay(e.image, e.saliency_top),
                    saliency_overlay(e.image, e.saliency_second))
        titles = ("input (28x28)", f"why {e.top_name}", f"why {e.second_name} (runner-up)")
        for (caption, label), title, rgb, key in zip(self.input_labels, titles, pictures, ("in", "top", "second")):
            self._photos[key] = _photo(rgb, INPUT_SCALE)
            label.configure(image=self._photos[key])
            caption.configure(text=title)
        for k, (layer, (_, canvas)) in enumerate(zip(e.hidden, self._layer_widgets)):
            self._photos[f"layer{k}"] = _photo(unit_grid(layer), canvas.cell)
            canvas.itemconfigure(canvas.image_item, image=self._photos[f"layer{k}"])
        self._draw_outputs(e)
        self._draw_fields(e)

    def _draw_outputs(self, e: Explanation) -> None:
        c = self.outputs
        c.delete("all")
        c.create_text(4, 8, text="outputs", anchor="w")
        for d in range(len(e.probabilities)):
            y = 20 + d * 20
            p = float(e.probabilities[d])
            c.create_text(10, y + 8, text=str(d) if d < 10 else NOT_A_DIGIT_MARK, font=("TkDefaultFont", 10, "bold"))
            c.create_rectangle(22, y + 2, 122, y + 15, outline="#bbb")
            c.create_rectangle(22, y + 2, 22 + 100 * p, y + 15, fill="#4a7" if d == e.top else "#9ab", width=0)

    def _draw_fields(self, e: Explanation) -> None:
        if not e.hidden:
            return
        units = e.most_active[:FIELDS]
        _, canvas = self._layer_widgets[0]
        canvas.delete("mark")
        for k, (picture, caption) in enumerate(self.field_labels):
            field = receptive_field(self.model, int(units[k])) if k < len(units) else None
            if field is None:
                picture.configure(image="")
                caption.configure(text="")
                continue
            unit = int(units[k])
            if unit not in self._fields:   # a unit's weights do not change: its picture is made once
                self._fields[unit] = _photo(symmetric_rgb(field), FIELD_SCALE)
            picture.configure(image=self._fields[unit])
            caption.configure(text=f"#{unit}: {e.hidden[0].values[unit]:+.2f}")
            row, col = divmod(unit, canvas.cols)
            cell = canvas.cell
            canvas.create_rectangle(col * cell, row * cell, (col + 1) * cell, (row + 1) * cell, outline="#000",
                                    width=1, tags="mark")
        if self.selected is not None:
            self._show_unit(self.selected)

    def _point(self, event) -> None:
        _, canvas = self._layer_widgets[0]
        unit = (event.y // canvas.cell) * canvas.cols + event.x // canvas.cell
        if self.explanation is not None and 0 <= unit < len(self.explanation.hidden[0].values):
            self.selected = int(unit)
            self._show_unit(self.selected)
            if self.on_update:
                self.on_update()

    def _show_unit(self, unit: int) -> None:
        field = receptive_field(self.model, unit)
        if field is None or self.explanation is None:
            return
        self._photos["zoom"] = _photo(symmetric_rgb(field), ZOOM_SCALE)
        self.zoom_picture.configure(image=self._photos["zoom"])
        self.zoom_caption.configure(text=f"unit {unit} of hidden layer 1\nactivation "
                                         f"{self.explanation.hidden[0].values[unit]:+.3f}")

    # -- for tests and tools -------------------------------------------------
    def state(self) -> dict:
        self.top.update_idletasks()   # geometry of freshly built grids is known only once laid out
        return {"updates": self.updates, "last_ms": round(self.last_ms, 2), "selected": self.selected,
                "layers": [len(h.values) for h in self.explanation.hidden] if self.explanation else [],
                "top": self.explanation.top if self.explanation else None,
                "message": self.message.cget("text"),
                "layer1": self._geometry(self._layer_widgets[0][1]) if self._layer_widgets else None,
                "cell": self._layer_widgets[0][1].cell if self._layer_widgets else None,
                "cols": self._layer_widgets[0][1].cols if self._layer_widgets else None}

    @staticmethod
    def _geometry(widget: tk.Misc) -> list[int]:
        border = int(widget.cget("highlightthickness"))
        return [widget.winfo_rootx() + border, widget.winfo_rooty() + border, widget.winfo_width(), widget.winfo_height()]

    def close(self) -> None:
        if self._pending is not None:
            self.top.after_cancel(self._pending)
            self._pending = None
        self.top.destroy()

    @property
    def alive(self) -> bool:
        try:
            return bool(self.top.winfo_exists())
        except tk.TclError:
            return False
