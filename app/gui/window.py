"""The drawing window: a canvas, the network's live reading, the 28x28 input it saw, and a model chooser.

The panels are in ``app/gui/panels.py`` (one class each, with builder methods); ``DigitApp.show`` is the one place that puts a
reading on screen, and hands it to the network view when that is open. Drawing only records points
(``app.reading.strokes.Drawing``); predictions run from ``after()`` a short moment later, at most one pending at a time, so the
pointer never waits for the network, and once more right after each stroke so the display ends up current.
"""
from __future__ import annotations

import json
import os
import sys
import time
import tkinter as tk
from pathlib import Path
from tkinter import messagebox, ttk

from app.errors import AppError
from app.files import check_output
from app.gui.file_actions import COPIED, OPENED, FileActionsMixin
from app.gui.panels import EMPTY_PROMPT, DrawingCanvas, NumberStrip, PredictionPanel, TeachPanel
from app.gui.state_report import window_state
from app.gui.teaching import TeachingMixin
from app.models.model_store import DEFAULT_MODEL, list_models, load
from app.paths import MODELS_DIR
from app.reading.lines import read_written
from app.reading.number_pictures import read_picture
from app.reading.numbers import NumberReading, read_ahead
from app.reading.predictor import Predictor, Reading
from app.reading.strokes import BRUSH_RANGE, DEFAULT_BRUSH, LOGICAL_SIZE, Drawing
from app.settings import on_screen, read_settings_noting, update_settings, window_settings
from app.words import command
from network.atomic import atomic_write

PREDICT_DELAY_MS = 25       # while drawing: at most one prediction per 25 ms
READ_AHEAD_MS = 40          # after a stroke, with the pen still lifted: read ahead (``read_ahead``)
TITLE = "Digit recogniser"
MIN_CANVAS = 200            # pixels: the canvas never gets smaller than this
MODELS_POLL_MS = 3000       # how often the window looks for models trained or deleted while it is open
NO_MODEL_HELP = f"No model found.\nTrain one with:\n{command('ModelManager.py train')}"


class DigitApp(TeachingMixin, FileActionsMixin):
    """The main window."""

    def __init__(self, root: tk.Tk, models_dir: Path | None = None, state_file: str | None = None) -> None:
        self.root = root
        self.models_dir = Path(models_dir or MODELS_DIR)
        self.state_file = state_file or os.environ.get("DIGITS_APP_STATE")
        self.drawing = Drawing()
        self.predictor: Predictor | None = None
        self.model_name: str | None = None
        self.reading: Reading | None = None        # the digit shown: the selected one of the number
        self.number: NumberReading | None = None   # every digit read in the drawing, left to right
        self.selected: int | None = None
        self._memo: dict = {}                      # what the network said of each candidate digit
        self._pending = None
        self._ahead = None                         # the read-ahead waiting for the pen to stay lifted
        self._shown_version = -1
        self.learning = None  # the running fine-tune: {"thread", "progress", "result", "error", "name"}
        self.teach_message, self.teach_details = "", ""
        self._store = None
        self.network_view = None
        self._signature: tuple = ()
        self.brush = tk.DoubleVar(master=root, value=DEFAULT_BRUSH)
        self.model_choice = tk.StringVar(master=root)
        remembered = self._remembered()
        self._build_window()
        self._build_menu()
        self._build_panels()
        self._bind_keys()
        if "geometry" in remembered:
            self.root.geometry(on_screen(remembered["geometry"], self.root.winfo_screenwidth(),
                                         self.root.winfo_screenheight()))
        self.brush.set(remembered.get("brush", DEFAULT_BRUSH))
        self.refresh_models(select=remembered.get("last_model", DEFAULT_MODEL))
        self._poll_job = self.root.after(MODELS_POLL_MS, self._poll_models)

    def _remembered(self) -> dict:
        """The last session's model, brush and window size and place (a damaged file: said, ignored)."""
        settings, note = read_settings_noting()
        if note:
            self.teach_message, self.teach_details = "your settings could not be read and were ignored (see Details)", note
        return window_settings(settings, BRUSH_RANGE)

    def _remember(self) -> None:
        """Kept for the next session (on quitting); a settings file that cannot be written is no reason to stay open."""
        try:
            update_settings(last_model=self.model_name, brush=round(float(self.brush.get()), 1), geometry=self.root.geometry())
        except AppError as e:
            print(f"note: {e}", file=sys.stderr)

    # -- building --------------------------------------------------------
    def _build_window(self) -> None:
        self.root.title(TITLE)
        self.root.protocol("WM_DELETE_WINDOW", self.quit)
        self.root.columnconfigure(0, weight=1)
        self.root.rowconfigure(0, weight=1)

    def _build_menu(self) -> None:
        menubar = tk.Menu(self.root)
        file_menu = tk.Menu(menubar, tearoff=False)
        file_menu.add_command(label="Open picture or drawing...", accelerator="Ctrl+O", command=self.open_picture)
        file_menu.add_command(label="Save drawing...", accelerator="Ctrl+S", command=self.save_drawing)
        file_menu.add_command(label="Copy the number", accelerator="Ctrl+C", command=self.copy_number)
        file_menu.add_separator()
        file_menu.add_command(label="Use MNIST file...", command=lambda: self.use_data_file("mnist"))
        file_menu.add_command(label="Use pen-digit file...", command=lambda: self.use_data_file("pendigits"))
        file_menu.add_separator()
        file_menu.add_command(label="Clear", accelerator="Esc", command=self.clear)
        file_menu.add_command(label="Undo stroke", accelerator="Ctrl+Z", command=self.undo)
        file_menu.add_separator()
        file_menu.add_command(label="Quit", accelerator="Ctrl+Q", command=self.quit)
        menubar.add_cascade(label="File", menu=file_menu)
        self.model_menu = tk.Menu(menubar, tearoff=False)
        menubar.add_cascade(label="Model", menu=self.model_menu)
        tools = tk.Menu(menubar, tearoff=False)
        tools.add_command(label="Network view...", accelerator="Ctrl+N", command=self.open_network_view)
        tools.add_command(label="Augmentation visualiser...", command=self.open_visualiser)
        tools.add_command(label="My drawings...", command=self.open_my_drawings)
        menubar.add_cascade(label="Tools", menu=tools)
        help_menu = tk.Menu(menubar, tearoff=False)
        help_menu.add_command(label="About", command=self.about)
        menubar.add_cascade(label="Help", menu=help_menu)
        self.root.configure(menu=menubar)
        self._menubar = menubar

    def _build_panels(self) -> None:
        body = ttk.Frame(self.root, padding=8)
        body.grid(row=0, column=0, sticky="nsew")
        body.columnconfigure(0, weight=1)
        body.rowconfigure(1, weight=1)
        self._build_toolbar(body).grid(row=0, column=0, columnspan=2, sticky="ew", pady=(0, 6))
        holder = ttk.Frame(body, width=MIN_CANVAS, height=MIN_CANVAS)
        holder.grid(row=1, column=0, sticky="nsew")
        self.canvas = DrawingCanvas(holder, self.drawing, self.drawing_changed, self.brush)
        self.canvas.widget.place(relx=0.5, rely=0.5, anchor="center")
        # As wide as the space allows (room for a number), never taller than wide.
        holder.bind("<Configure>", lambda e: self.canvas.widget.configure(
            width=max(50, e.width - 4), height=max(50, min(e.width, e.height) - 4)))
        self.strip = NumberStrip(body, self.select_digit, holder)   # (its buttons in rows as wide as the canvas)
        self.strip.frame.grid(row=2, column=0, sticky="w", pady=(4, 0))
        body.rowconfigure(2, minsize=34)   # the digits' buttons come and go; the layout does not jump
        self.canvas.widget.bind("<ButtonPress-3>", lambda e: self.clear())
        side = ttk.Frame(body)
        side.grid(row=1, column=1, rowspan=2)   # centred beside the canvas, however tall the window
        self.prediction = PredictionPanel(side)
        self.prediction.frame.grid(row=0, column=0)
        self.teach = TeachPanel(side, self.save_labelled, self.learn_handwriting)
        self.teach.frame.grid(row=1, column=0, sticky="ew", padx=8, pady=(6, 0))
        self.status = ttk.Label(self.root, text="", relief="sunken", anchor="w", padding=(6, 2))
        self.status.grid(row=1, column=0, sticky="ew")
        # The smallest window shows everything: what the panels ask for, and a canvas of MIN_CANVAS.
        self.root.update_idletasks()
        # The menu bar is drawn inside the window but not counted in its requested height: count it,
        # or a window manager lets the window shrink until the teach panel is cut off.
        self.root.minsize(self.root.winfo_reqwidth(), self.root.winfo_reqheight() + self._menubar.winfo_reqheight())

    def _build_toolbar(self, master: tk.Misc) -> ttk.Frame:
        bar = ttk.Frame(master)
        ttk.Button(bar, text="Clear", command=self.clear).grid(row=0, column=0, padx=2)
        ttk.Button(bar, text="Undo", command=self.undo).grid(row=0, column=1, padx=2)
        ttk.Label(bar, text="Brush").grid(row=0, column=2, padx=(10, 2))
        ttk.Scale(bar, from_=BRUSH_RANGE[0], to=BRUSH_RANGE[1], variable=self.brush, length=90).grid(row=0, column=3)
        ttk.Label(bar, text="Model").grid(row=0, column=4, padx=(10, 2))
        self.chooser = ttk.Combobox(bar, textvariable=self.model_choice, state="readonly", width=24,
                                    postcommand=self.refresh_if_changed)
        self.chooser.grid(row=0, column=5, sticky="w")   # as wide as a model's name, not the window
        self.chooser.bind("<<ComboboxSelected>>", lambda e: self.select_model(self._chosen_name()))
        return bar

    def _bind_keys(self) -> None:
        self.root.bind("<Escape>", lambda e: self.clear())
        self.root.bind("<Control-z>", lambda e: self.undo())
        self.root.bind("<Control-q>", lambda e: self.quit())
        self.root.bind("<Control-o>", lambda e: self.open_picture())
        self.root.bind("<Control-s>", lambda e: self.save_drawing())
        self.root.bind("<Control-c>", lambda e: self.copy_number())
        self.root.bind("<Control-n>", lambda e: self.open_network_view())
        self.root.bind("<Left>", lambda e: self.selected is not None and self.select_digit(self.selected - 1))
        self.root.bind("<Right>", lambda e: self.selected is not None and self.select_digit(self.selected + 1))
        for d in range(10):
            self.root.bind(f"<Key-{d}>", lambda e, d=d: self.save_labelled(d))  # "<1>" alone would be a mouse click
            self.root.bind(f"<KP_{d}>", lambda e, d=d: self.save_labelled(d))
        if self.state_file:
            # Geometry is known only once the window is mapped and laid out: report it again then.
            self.canvas.widget.bind("<Map>", lambda e: self.root.after_idle(self._write_state, None), add="+")
            self.canvas.widget.bind("<Configure>", lambda e: self.root.after_idle(self._write_state, None), add="+")

    # -- models ----------------------------------------------------------
    def refresh_models(self, select: str | None = None, keep_current: bool = False) -> None:
        self._signature = self._models_signature()
        listed = list_models(self.models_dir)
        self.models = [m for m in listed if m.error is None]
        damaged = [m for m in listed if m.error is not None]
        if damaged:   # said once, in a sentence; the problems behind Details
            self.teach_message = f"damaged, not offered: {', '.join(m.name for m in damaged)} (see Details)"
            self.teach_details = "".join(f"{m.path}: {m.error}\n" for m in damaged)
        labels = [self._label(m) for m in self.models]
        self.chooser.configure(values=labels)
        self.model_menu.delete(0, "end")
        for m, label in zip(self.models, labels):
            self.model_menu.add_radiobutton(label=label, variable=self.model_choice, value=label,
                                            command=lambda name=m.name: self.select_model(name))
        names = [m.name for m in self.models]
        if not names:
            self.predictor, self.model_name = None, None
            self.show(None, note=NO_MODEL_HELP)
            return
        if keep_current and self.model_name in names and self.predictor is not None:
            info = next(m for m in self.models if m.name == self.model_name)
            self.model_choice.set(self._label(info))   # the same model stays loaded
            self.show(self.reading)
            return
        self.select_model(select if select in names else names[0])

    def _models_signature(self) -> tuple:
        """What changes when a model is saved, replaced or deleted: names and model.json times."""
        try:
            return tuple(sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(self.models_dir)
                                if not e.name.startswith(".") and os.path.isfile(os.path.join(e.path, "model.json"))))
        except OSError:
            return ()

    def refresh_if_changed(self) -> None:
        """Pick up models trained (or deleted) since the list was made; keep the current choice."""
        signature = self._models_signature()
        if signature != self._signature:
            replaced = dict(signature).get(self.model_name) != dict(self._signature).get(self.model_name)
            self.refresh_models(select=self.model_name, keep_current=not replaced)

    def _poll_models(self) -> None:
        self.refresh_if_changed()
        self._poll_job = self.root.after(MODELS_POLL_MS, self._poll_models)

    @staticmethod
    def _label(m) -> str:
        return f"{m.name} ({m.accuracy:.2%})" if m.accuracy is not None else m.name

    def _chosen_name(self) -> str | None:
        labels = [self._label(m) for m in self.models]
        choice = self.model_choice.get()
        return self.models[labels.index(choice)].name if choice in labels else None

    def select_model(self, name: str | None) -> None:
        from network import ModelFileError

        if name is None:
            return
        try:
            model = load(name, self.models_dir)
        except (AppError, ModelFileError) as e:   # a damaged model never takes the window down
            self.teach_message, self.teach_details = f"model {name} cannot be loaded (see Details)", str(e)
            others = [m.name for m in self.models if m.name != name]
            self.models = [m for m in self.models if m.name != name]
            if self.predictor is None and others:   # nothing loaded yet: the next model instead
                self.select_model(others[0])
            else:
                self.show(self.reading)
            return
        self.predictor, self.model_name = Predictor(model), name
        self._memo = {}   # another model reads the same strokes differently
        info = next(m for m in self.models if m.name == name)
        self.model_choice.set(self._label(info))
        self._shown_version = -1
        self.predict_now()

    # -- drawing and predicting -----------------------------------------
    def drawing_changed(self, final: bool) -> None:
        if self._ahead is not None:   # (a stroke begun: no reading ahead in its way)
            self.root.after_cancel(self._ahead)
            self._ahead = None
        if final:
            self.predict_now(final=True)
        elif self._pending is None:
            self._pending = self.root.after(PREDICT_DELAY_MS, self.predict_now)

    def predict_now(self, final: bool = False) -> None:
        if self._pending is not None:
            self.root.after_cancel(self._pending)
            self._pending = None
        if self.drawing.version == self._shown_version:
            if final:  # nothing new to read, but the stroke has ended: refresh the status
                self.show(self.reading)
            return
        self._shown_version = self.drawing.version
        if self.predictor is None:
            self.show(None, note=NO_MODEL_HELP)
            return
        start = time.perf_counter()
        if self.drawing.source is not None and not self.drawing.strokes:   # an opened picture: as predict reads it
            grey, scale, dx, dy = self.drawing.source
            self.number = read_picture(self.predictor.model, grey).placed(scale, dx, dy)
        elif self.drawing.picture is not None:   # with strokes drawn on it: the canvas, read as a picture
            self.number = read_picture(self.predictor.model, self.drawing.array(), ink_is_bright=True)
        else:   # read as drawn on a digit's canvas, whatever the zoom; what was read before is remembered
            self.number = read_written(self.predictor.model, self.drawing.strokes, LOGICAL_SIZE, self._memo)
            if final:
                self._ahead = self.root.after(READ_AHEAD_MS, self._read_ahead)
        seconds = time.perf_counter() - start
        if self.teach_message.startswith(COPIED) and self.teach_details != self.number.text:   # (no longer the one shown)
            self.teach_message, self.teach_details = "", ""
        for d in self.number.digits:
            d.reading.seconds = seconds
        # The digit shown is the one the last stroke belongs to: the one being written.
        last = len(self.drawing.strokes) - 1
        self.selected = next((k for k, d in enumerate(self.number.digits) if last in d.strokes),
                             len(self.number.digits) - 1 if self.number.digits else None)
        self.select_digit(self.selected)

    def _read_ahead(self) -> None:
        """While the pen is lifted: read ahead by the slopes and leans the next strokes may give (``read_ahead``)."""
        self._ahead = None
        if self.predictor is not None and self.drawing.source is None and self.drawing.picture is None:
            read_ahead(self.predictor.model, self.drawing.strokes, LOGICAL_SIZE, self._memo)

    def select_digit(self, index: int | None) -> None:
        """Show digit ``index`` of the number read (its bars, its input, what teaching labels)."""
        digits = self.number.digits if self.number else []
        if index is None or not digits:
            self.selected = None
            self.show(Reading(None, None, None, False, EMPTY_PROMPT))
            return
        self.selected = index % len(digits)
        self.show(digits[self.selected].reading)

    def clear(self) -> None:
        self.canvas.cancel_stroke()
        if self.teach_message.startswith(OPENED):   # (the picture or drawing file it names goes)
            self.teach_message, self.teach_details = "", ""
        self.drawing.clear()
        self.canvas.widen(1.0)   # back to a digit's size
        self.predict_now()

    def undo(self) -> None:
        self.canvas.cancel_stroke()
        if self.drawing.undo():
            self.canvas.refresh()
            self.predict_now()

    # -- the one place that puts state on screen --------------------------
    def show(self, reading: Reading | None, note: str | None = None) -> None:
        self.reading = reading
        if self.network_view is not None and self.network_view.alive:
            self.network_view.follow(self.predictor.model if self.predictor else None, self._traced(reading))
        digits = self.number.digits if self.number and reading is not None else []
        number = self.number.text if len(digits) > 1 else None
        if number is not None and note is None:   # (a mark's best guesses are in its bars: the line fits)
            note = f"digit {self.selected + 1} of {len(digits)}: {'not a digit' if reading.rejected else reading.message}"
        self.prediction.show(reading, note, number)
        self.canvas.show_boxes([d.box for d in digits], self.selected)
        self.strip.show([d.reading.status == "read" and str(d.reading.digit) or "?" for d in digits], self.selected)
        if number is not None:
            self.root.title(f"{TITLE} - {number or 'not a number'}")
        elif reading is not None and reading.digit is not None:
            headline = ("not a digit" if reading.rejected else "not sure" if reading.unsure
                        else f"{reading.digit} ({reading.confidence:.0%})")
            self.root.title(f"{TITLE} - {headline}")
        else:
            self.root.title(TITLE)
        model = f"model {self.model_name}" if self.model_name else "no model"
        timing = f" - read in {reading.seconds * 1000:.1f} ms" if reading and reading.probabilities is not None else ""
        n = len(self.drawing.strokes)
        self.status.configure(text=f"{model} - {n} stroke{'' if n == 1 else 's'}{timing}")
        self.teach.set_message(self.teach_message, self.teach_details)
        if self.state_file:
            self._write_state(note)

    def _traced(self, reading: Reading | None) -> Reading | None:
        """The reading with every layer's output, for the network view (one more forward pass)."""
        if reading is not None and reading.network_input is not None and reading.layer_outputs is None and self.predictor:
            _, reading.layer_outputs = self.predictor.model.trace(reading.network_input[None])
        return reading

    def _write_state(self, note: str | None) -> None:
        """For tests and tools: what the window shows, as JSON (written atomically)."""
        if note is None and self.reading is None and self.predictor is None:
            note = NO_MODEL_HELP
        elif note is None and self.reading is None:
            note = EMPTY_PROMPT
        with atomic_write(self.state_file, "w") as f:
            json.dump(window_state(self, note), f)

    # -- other windows ---------------------------------------------------
    def open_network_view(self) -> None:
        """Tools > Network view: opened once, raised if already open; it follows every reading."""
        from app.gui.network_view import NetworkView

        if self.network_view is not None and self.network_view.alive:
            self.network_view.top.lift()
            return
        report = (lambda: self._write_state(None)) if self.state_file else None
        top = tk.Toplevel(self.root)
        # Beside the main window, not over the canvas the user draws on.
        top.geometry(f"+{self.root.winfo_rootx() + self.root.winfo_width() + 8}+{max(0, self.root.winfo_rooty() - 30)}")
        self.network_view = NetworkView(top, on_update=report)
        self.network_view.follow(self.predictor.model if self.predictor else None, self._traced(self.reading))

    def open_my_drawings(self) -> None:
        """Tools > My drawings: the saved drawings by digit, to relabel or delete (undoable while open)."""
        from app.gui.my_drawings import MyDrawings

        self.my_drawings = MyDrawings(tk.Toplevel(self.root), self.personal_store())

    def open_visualiser(self) -> None:
        from app.gui.augment_viewer import open_visualiser

        open_visualiser(self.root, lambda text: self.status.configure(text=text), lambda: self.show(self.reading), TITLE,
                        choose_mnist=lambda: self.use_data_file("mnist"))

    def about(self) -> None:
        messagebox.showinfo(TITLE, "Draw a digit; a neural network written from scratch in numpy reads it as you draw.\n\n"
                                   "Esc or right-click clears, Ctrl+Z undoes a stroke, Ctrl+C copies the number read.\n"
                                   "Press a digit key (or button) to save a drawing as that digit; "
                                   "'Learn my handwriting' then makes a personal model.", parent=self.root)

    def quit(self) -> None:
        # Every job still waiting cancelled: one left (a read ahead 40 ms after the last stroke) would
        # run after its window is gone, and Tk would print "invalid command name" on the way out.
        for job in filter(None, (self._poll_job, self._pending, self._ahead)):
            self.root.after_cancel(job)
        self._remember()
        self.root.destroy()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Draw a digit and watch the network read it.")
    parser.add_argument("--models-dir", type=Path, help="where the models are (default saved_models/)")
    parser.add_argument("--state-file", help="write what the window shows to this JSON file (for tests)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    state_file = args.state_file or os.environ.get("DIGITS_APP_STATE")
    if state_file:
        try:
            check_output(state_file, "window state")   # a folder or a device named by mistake: said now
        except AppError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    try:
        root = tk.Tk()
    except tk.TclError as e:
        print(f"error: cannot open a window ({e}); is a display available?", file=sys.stderr)
        return 1
    app = DigitApp(root, args.models_dir, args.state_file)
    root.after_idle(lambda: app.status.configure(
        text=app.status.cget("text") + f" - ready in {time.perf_counter() - started:.2f} s"))
    root.mainloop()
    return 0
