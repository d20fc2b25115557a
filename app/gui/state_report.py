"""What the drawing window shows, as a plain dict: for the GUI tests (``--state-file``) and tools.

Geometry is in screen pixels (x, y, width, height), so a test can drive the mouse to a widget
and check that nothing is hidden or clipped.
"""
from __future__ import annotations

import time
import tkinter as tk
from tkinter import ttk


def window_state(app, note: str | None) -> dict:
    r = app.reading
    view = app.network_view
    return {"title": app.root.title(), "model": app.model_name, "strokes": len(app.drawing.strokes),
            "drawing": app.canvas._drawing_stroke, "version": app.drawing.version,
            "digit": None if r is None else r.digit, "unsure": None if r is None else r.unsure,
            "status": None if r is None else r.status, "not_a_digit": None if r is None else round(r.not_digit, 4),
            "message": app.prediction.message.cget("text") or note, "large": app.prediction.digit.cget("text"),
            "probabilities": None if r is None or r.probabilities is None else [round(float(p), 4) for p in r.probabilities],
            "text": None if app.number is None else app.number.text, "selected": app.selected,
            "digits": [] if app.number is None else [{"digit": d.reading.digit, "status": d.reading.status, "box": list(d.box),
                                                      "strokes": list(d.strokes)} for d in app.number.digits],
            "teach_info": geometry(app.teach.info), "status_bar": geometry(app.status),
            "reading_panel": geometry(app.prediction.frame),
            "zoom": app.canvas.zoom, "brush": round(float(app.brush.get()), 1), "strip": [geometry(b) for b in app.strip.buttons],
            "models": [m.name for m in getattr(app, "models", [])], "time": time.time(),
            "teach": app.teach_message, "learning": app.learning is not None, "details": app.teach_details,
            "canvas": canvas_geometry(app.canvas), "chooser": geometry(app.chooser),
            "learn_button": geometry(app.teach.learn), "window": geometry(app.root), "minsize": list(app.root.minsize()),
            "controls": [geometry(w) for w in controls(app.root)],
            "network_view": view.state() if view is not None and view.alive else None}


def controls(widget: tk.Misc) -> list[tk.Misc]:
    """Every button, slider and chooser in the window (to check that none is hidden or clipped)."""
    found = [widget] if isinstance(widget, (ttk.Button, ttk.Combobox, ttk.Scale)) else []
    for child in widget.winfo_children():
        if not isinstance(child, tk.Toplevel):
            found.extend(controls(child))
    return found


def geometry(widget: tk.Misc) -> list[int]:
    return [widget.winfo_rootx(), widget.winfo_rooty(), widget.winfo_width(), widget.winfo_height()]


def canvas_geometry(canvas) -> list[int]:
    """The drawable area on the screen: x, y, height (a digit's square), width (what a test driving
    the mouse needs)."""
    w = canvas.widget
    border = int(w.cget("highlightthickness"))
    return [w.winfo_rootx() + border, w.winfo_rooty() + border, round(canvas.drawing.size * canvas.scale),
            round(canvas.drawing.width * canvas.scale)]
