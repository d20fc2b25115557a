"""The drawing window: a canvas, the network's live reading, the 28x28 input it saw, and a model chooser.

One class per panel, each with builder methods; ``DigitApp.show`` is the one place that puts a
reading on screen. Drawing only records points (``app.strokes.Drawing``); predictions run from
``after()`` a short moment later, at most one pending at a time, so the pointer never waits for
the network, and once more right after each stroke so the display ends up current.
"""
from __future__ import annotations

import json
import os
import threading
import time
import tkinter as tk
from pathlib import Path
from tkinter import messagebox, ttk

import numpy as np
from PIL import Image, ImageTk

from app.predictor import Predictor, Reading
from app.strokes import DEFAULT_BRUSH, LOGICAL_SIZE, Drawing

PREDICT_DELAY_MS = 25       # while drawing: at most one prediction per 25 ms
TITLE = "Digit recogniser"
NO_MODEL_HELP = "No model found.\nTrain one with:\npython ModelManager.py train"


class DrawingCanvas:
    """The square canvas. Shows the antialiased off-screen raster, scaled to the widget."""

    def __init__(self, master: tk.Misc, drawing: Drawing, on_change, brush: tk.DoubleVar) -> None:
        self.drawing, self.on_change, self.brush = drawing, on_change, brush
        self.widget = tk.Canvas(master, width=LOGICAL_SIZE, height=LOGICAL_SIZE, bg="black",
                                highlightthickness=1, highlightbackground="#888", cursor="pencil")
        self.scale = 1.0
        self._photo = None
        self._item = self.widget.create_image(0, 0, anchor="nw")
        self._drawing_stroke = False
        self._bind_events()

    def _bind_events(self) -> None:
        w = self.widget
        w.bind("<ButtonPress-1>", self._press)
        w.bind("<B1-Motion>", self._move)
        w.bind("<ButtonRelease-1>", self._release)
        w.bind("<Configure>", self._resize)

    def _logical(self, event) -> tuple[float, float]:
        return event.x / self.scale, event.y / self.scale

    def _press(self, event) -> None:
        self._drawing_stroke = True
        self.drawing.begin(*self._logical(event), width=float(self.brush.get()))
        self.refresh()
        self.on_change(final=False)

    def _move(self, event) -> None:
        if not self._drawing_stroke:  # e.g. the canvas was cleared mid-stroke: start a new one
            self._press(event)
            return
        self.drawing.extend(*self._logical(event))
        self.refresh()
        self.on_change(final=False)

    def _release(self, event) -> None:
        if self._drawing_stroke:
            self.drawing.extend(*self._logical(event))
        self._drawing_stroke = False
        self.refresh()
        self.on_change(final=True)

    def cancel_stroke(self) -> None:
        self._drawing_stroke = False

    def _resize(self, event) -> None:
        border = 2 * int(self.widget.cget("highlightthickness"))
        side = max(50, min(event.width, event.height) - border)
        self.scale = side / LOGICAL_SIZE
        self.refresh()

    def refresh(self) -> None:
        """Show the raster at the widget's size (box-filtered down from the supersampled image)."""
        side = max(1, round(LOGICAL_SIZE * self.scale))
        self._photo = ImageTk.PhotoImage(self.drawing.display_image(side))
        self.widget.itemconfigure(self._item, image=self._photo)


class PredictionPanel:
    """The big digit, the sentence under it, and a bar per digit."""

    BAR_WIDTH = 160

    def __init__(self, master: tk.Misc) -> None:
        self.frame = ttk.Frame(master, padding=(8, 0))
        self.digit = ttk.Label(self.frame, text="", font=("TkDefaultFont", 56, "bold"), width=2, anchor="center")
        self.digit.grid(row=0, column=0, columnspan=3)
        self.message = ttk.Label(self.frame, text="draw a digit", font=("TkDefaultFont", 12), width=30, anchor="center")
        self.message.grid(row=1, column=0, columnspan=3, pady=(0, 6))
        self.bars = tk.Canvas(self.frame, width=self.BAR_WIDTH + 70, height=10 * 18 + 4, highlightthickness=0)
        self.bars.grid(row=2, column=0, columnspan=3)
        self._bar_items = []
        for d in range(10):
            y = 2 + d * 18
            self.bars.create_text(10, y + 8, text=str(d), font=("TkDefaultFont", 10, "bold"))
            self.bars.create_rectangle(22, y + 2, 22 + self.BAR_WIDTH, y + 15, outline="#bbb")
            bar = self.bars.create_rectangle(22, y + 2, 22, y + 15, fill="#4a7", width=0)
            text = self.bars.create_text(28 + self.BAR_WIDTH, y + 8, text="", anchor="w", font=("TkDefaultFont", 9))
            self._bar_items.append((bar, text))

    def show(self, reading: Reading | None, note: str | None = None) -> None:
        if reading is None or reading.probabilities is None:
            self.digit.configure(text="", foreground="black")
            self.message.configure(text=note or (reading.message if reading else ""))
            probabilities = np.zeros(10)
        else:
            self.digit.configure(text="?" if reading.unsure else str(reading.digit),
                                 foreground="#b60" if reading.unsure else "black")
            self.message.configure(text=reading.message)
            probabilities = reading.probabilities
        top = int(np.argmax(probabilities)) if probabilities.any() else -1
        for d, (bar, text) in enumerate(self._bar_items):
            p = float(probabilities[d])
            y = 2 + d * 18
            self.bars.coords(bar, 22, y + 2, 22 + p * self.BAR_WIDTH, y + 15)
            self.bars.itemconfigure(bar, fill="#4a7" if d == top and not (reading and reading.unsure) else "#9ab")
            self.bars.itemconfigure(text, text=f"{p:.0%}" if probabilities.any() else "")


class InputPanel:
    """The 28x28 image the network actually sees, enlarged with visible pixels."""

    SCALE = 4

    def __init__(self, master: tk.Misc) -> None:
        self.frame = ttk.Frame(master, padding=(8, 6))
        ttk.Label(self.frame, text="What the network sees (28x28)").grid(row=0, column=0)
        self.picture = ttk.Label(self.frame, relief="solid", borderwidth=1)
        self.picture.grid(row=1, column=0, pady=2)
        self.show(None)

    def show(self, network_input: np.ndarray | None) -> None:
        pixels = np.zeros((28, 28), np.uint8) if network_input is None else (network_input * 255).astype(np.uint8)
        image = Image.fromarray(pixels).resize((28 * self.SCALE, 28 * self.SCALE), Image.NEAREST)
        self._photo = ImageTk.PhotoImage(image)
        self.picture.configure(image=self._photo)


class TeachPanel:
    """Tell the app what a drawing really was, and let it learn the user's handwriting."""

    def __init__(self, master: tk.Misc, on_label, on_learn) -> None:
        self.frame = ttk.LabelFrame(master, text="Teach it your handwriting", padding=(6, 4))
        ttk.Label(self.frame, text="It was a:").grid(row=0, column=0, columnspan=10, sticky="w")
        for d in range(10):
            ttk.Button(self.frame, text=str(d), width=2, command=lambda d=d: on_label(d)).grid(row=1, column=d, padx=1)
        self.learn = ttk.Button(self.frame, text="Learn my handwriting", command=on_learn)
        self.learn.grid(row=2, column=0, columnspan=10, pady=(6, 2), sticky="ew")
        self.progress = ttk.Progressbar(self.frame, maximum=1.0, length=200)
        self.progress.grid(row=3, column=0, columnspan=10, sticky="ew")
        self.info = ttk.Label(self.frame, text="", wraplength=260, justify="left")
        self.info.grid(row=4, column=0, columnspan=10, sticky="w")


class DigitApp:
    """The main window."""

    def __init__(self, root: tk.Tk, models_dir: Path | None = None, state_file: str | None = None) -> None:
        import ModelManager

        self.root = root
        self.models_dir = Path(models_dir or ModelManager.MODELS_DIR)
        self.state_file = state_file or os.environ.get("DIGITS_APP_STATE")
        self.drawing = Drawing()
        self.predictor: Predictor | None = None
        self.model_name: str | None = None
        self.reading: Reading | None = None
        self._pending = None
        self._shown_version = -1
        self.learning = None  # the running fine-tune: {"thread", "progress", "result", "cancel"}
        self.teach_message = ""
        self.brush = tk.DoubleVar(master=root, value=DEFAULT_BRUSH)
        self.model_choice = tk.StringVar(master=root)
        self._build_window()
        self._build_menu()
        self._build_panels()
        self._bind_keys()
        self.refresh_models(select=ModelManager.DEFAULT_MODEL)

    # -- building --------------------------------------------------------
    def _build_window(self) -> None:
        self.root.title(TITLE)
        self.root.minsize(560, 420)
        self.root.protocol("WM_DELETE_WINDOW", self.quit)
        self.root.columnconfigure(0, weight=1)
        self.root.rowconfigure(0, weight=1)

    def _build_menu(self) -> None:
        menubar = tk.Menu(self.root)
        file_menu = tk.Menu(menubar, tearoff=False)
        file_menu.add_command(label="Clear", accelerator="Esc", command=self.clear)
        file_menu.add_command(label="Undo stroke", accelerator="Ctrl+Z", command=self.undo)
        file_menu.add_separator()
        file_menu.add_command(label="Quit", accelerator="Ctrl+Q", command=self.quit)
        menubar.add_cascade(label="File", menu=file_menu)
        self.model_menu = tk.Menu(menubar, tearoff=False)
        menubar.add_cascade(label="Model", menu=self.model_menu)
        tools = tk.Menu(menubar, tearoff=False)
        tools.add_command(label="Augmentation visualiser...", command=self.open_visualiser)
        menubar.add_cascade(label="Tools", menu=tools)
        help_menu = tk.Menu(menubar, tearoff=False)
        help_menu.add_command(label="About", command=self.about)
        menubar.add_cascade(label="Help", menu=help_menu)
        self.root.configure(menu=menubar)

    def _build_panels(self) -> None:
        body = ttk.Frame(self.root, padding=8)
        body.grid(row=0, column=0, sticky="nsew")
        body.columnconfigure(0, weight=1)
        body.rowconfigure(0, weight=1)
        holder = ttk.Frame(body, width=LOGICAL_SIZE, height=LOGICAL_SIZE)
        holder.grid(row=0, column=0, sticky="nsew")
        self.canvas = DrawingCanvas(holder, self.drawing, self.drawing_changed, self.brush)
        self.canvas.widget.place(relx=0.5, rely=0.5, anchor="center")
        # Keep the canvas square and as large as the space allows.
        holder.bind("<Configure>", lambda e: self.canvas.widget.configure(
            width=max(50, min(e.width, e.height) - 4), height=max(50, min(e.width, e.height) - 4)))
        self.canvas.widget.bind("<ButtonPress-3>", lambda e: self.clear())
        side = ttk.Frame(body)
        side.grid(row=0, column=1, sticky="n")
        self.prediction = PredictionPanel(side)
        self.prediction.frame.grid(row=0, column=0)
        self.input_panel = InputPanel(side)
        self.input_panel.frame.grid(row=1, column=0)
        controls = ttk.Frame(side, padding=(8, 4))
        controls.grid(row=2, column=0, sticky="ew")
        ttk.Button(controls, text="Clear", command=self.clear).grid(row=0, column=0, padx=2)
        ttk.Button(controls, text="Undo", command=self.undo).grid(row=0, column=1, padx=2)
        ttk.Label(controls, text="Brush").grid(row=0, column=2, padx=(8, 2))
        ttk.Scale(controls, from_=6, to=36, variable=self.brush, length=90).grid(row=0, column=3)
        ttk.Label(controls, text="Model").grid(row=1, column=0, pady=(8, 0), sticky="w")
        self.chooser = ttk.Combobox(controls, textvariable=self.model_choice, state="readonly", width=26)
        self.chooser.grid(row=1, column=1, columnspan=3, pady=(8, 0), sticky="ew")
        self.chooser.bind("<<ComboboxSelected>>", lambda e: self.select_model(self._chosen_name()))
        self.teach = TeachPanel(side, self.save_labelled, self.learn_handwriting)
        self.teach.frame.grid(row=3, column=0, sticky="ew", padx=8, pady=(6, 0))
        self.status = ttk.Label(self.root, text="", relief="sunken", anchor="w", padding=(6, 2))
        self.status.grid(row=1, column=0, sticky="ew")

    def _bind_keys(self) -> None:
        self.root.bind("<Escape>", lambda e: self.clear())
        self.root.bind("<Control-z>", lambda e: self.undo())
        self.root.bind("<Control-q>", lambda e: self.quit())
        for d in range(10):
            self.root.bind(f"<Key-{d}>", lambda e, d=d: self.save_labelled(d))  # "<1>" alone would be a mouse click
            self.root.bind(f"<KP_{d}>", lambda e, d=d: self.save_labelled(d))
        if self.state_file:
            # Geometry is known only once the window is mapped and laid out: report it again then.
            self.canvas.widget.bind("<Map>", lambda e: self.root.after_idle(self._write_state, None), add="+")
            self.canvas.widget.bind("<Configure>", lambda e: self.root.after_idle(self._write_state, None), add="+")

    # -- models ----------------------------------------------------------
    def refresh_models(self, select: str | None = None) -> None:
        import ModelManager

        self.models = [m for m in ModelManager.list_models(self.models_dir) if m.error is None]
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
        self.select_model(select if select in names else names[0])

    @staticmethod
    def _label(m) -> str:
        return f"{m.name} ({m.accuracy:.2%})" if m.accuracy is not None else m.name

    def _chosen_name(self) -> str | None:
        labels = [self._label(m) for m in self.models]
        choice = self.model_choice.get()
        return self.models[labels.index(choice)].name if choice in labels else None

    def select_model(self, name: str | None) -> None:
        import ModelManager
        from network import ModelFileError

        if name is None:
            return
        try:
            model = ModelManager.load(name, self.models_dir)
        except (ModelManager.ManagerError, ModelFileError) as e:
            messagebox.showerror(TITLE, f"Cannot load model {name!r}:\n{e}", parent=self.root)
            return
        self.predictor, self.model_name = Predictor(model), name
        info = next(m for m in self.models if m.name == name)
        self.model_choice.set(self._label(info))
        self._shown_version = -1
        self.predict_now()

    # -- drawing and predicting -----------------------------------------
    def drawing_changed(self, final: bool) -> None:
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
        self.show(self.predictor.read(self.drawing.array(), ink_is_bright=True))

    def clear(self) -> None:
        self.canvas.cancel_stroke()
        self.drawing.clear()
        self.canvas.refresh()
        self.predict_now()

    def undo(self) -> None:
        self.canvas.cancel_stroke()
        if self.drawing.undo():
            self.canvas.refresh()
            self.predict_now()

    # -- learning the user's handwriting ----------------------------------
    def personal_store(self):
        from app.personal import PersonalDataset

        return PersonalDataset()

    def save_labelled(self, digit: int) -> None:
        """Keep the current drawing as an example of ``digit`` and clear the canvas for the next."""
        reading = self.reading
        if reading is None or reading.network_input is None:
            self.teach_message = "draw a digit first, then say what it was"
            self.show(self.reading)
            return
        try:
            store = self.personal_store()
            count = store.add(reading.network_input, digit, self.drawing.strokes_json())
        except (OSError, ValueError) as e:
            messagebox.showerror(TITLE, f"Could not save the drawing:\n{e}", parent=self.root)
            return
        self.teach_message = f"saved as {digit}: {count} drawings kept"
        self.clear()

    def learn_handwriting(self) -> None:
        """Fine-tune a personal copy of the current model in a background thread."""
        import ModelManager

        if self.learning is not None:
            return
        if self.predictor is None:
            self.teach_message = "no model to start from"
            self.show(self.reading)
            return
        base = self.predictor.model.metadata.get("fine_tuned_from") or self.model_name
        new_name = f"{base}-personal"
        job = {"progress": (0.0, "starting"), "result": None, "error": None, "name": new_name,
               "cancel": threading.Event()}

        def report(fraction: float, text: str) -> None:
            job["progress"] = (fraction, text)  # read by the Tk thread in _poll_learning

        def work() -> None:
            try:
                job["result"] = ModelManager.finetune(base, new_name, self.models_dir, report=report, cancel=job["cancel"])
            except Exception as e:  # reported in the window, whatever it is
                job["error"] = e

        job["thread"] = threading.Thread(target=work, daemon=True)
        self.learning = job
        self.teach.learn.state(["disabled"])
        self.teach_message = f"learning from your drawings (base model {base})..."
        job["thread"].start()
        self._poll_learning()

    def _poll_learning(self) -> None:
        job = self.learning
        fraction, text = job["progress"]
        self.teach.progress.configure(value=fraction)
        if job["thread"].is_alive():
            self.teach_message = f"learning: {text}"
            self.show(self.reading)
            self.root.after(100, self._poll_learning)
            return
        self.learning = None
        self.teach.learn.state(["!disabled"])
        result = job["result"]
        if job["error"] is not None:
            self.teach_message = f"could not learn: {job['error']}"
        elif result.accepted:
            before = "-" if result.personal_before is None else f"{result.personal_before:.0%}"
            after = "-" if result.personal_after is None else f"{result.personal_after:.0%}"
            self.teach_message = (f"your held-out drawings: {before} -> {after}; {result.reason}. "
                                  f"Saved as {job['name']} and selected.")
            self.refresh_models(select=job["name"])
        else:
            self.teach_message = f"not kept: {result.reason}. Your model is unchanged."
        self.show(self.reading)

    # -- the one place that puts state on screen --------------------------
    def show(self, reading: Reading | None, note: str | None = None) -> None:
        self.reading = reading
        self.prediction.show(reading, note)
        self.input_panel.show(reading.network_input if reading else None)
        if reading is not None and reading.digit is not None:
            headline = "not sure" if reading.unsure else f"{reading.digit} ({reading.confidence:.0%})"
            self.root.title(f"{TITLE} - {headline}")
        else:
            self.root.title(TITLE)
        model = f"model {self.model_name}" if self.model_name else "no model"
        timing = f" - read in {reading.seconds * 1000:.1f} ms" if reading and reading.probabilities is not None else ""
        n = len(self.drawing.strokes)
        self.status.configure(text=f"{model} - {n} stroke{'' if n == 1 else 's'}{timing}")
        self.teach.info.configure(text=self.teach_message)
        if self.state_file:
            self._write_state(note)

    def _write_state(self, note: str | None) -> None:
        """For tests and tools: what the window shows, as JSON (written atomically)."""
        if note is None and self.reading is None and self.predictor is None:
            note = NO_MODEL_HELP
        elif note is None and self.reading is None:
            note = "draw a digit"
        r = self.reading
        state = {"title": self.root.title(), "model": self.model_name, "strokes": len(self.drawing.strokes),
                 "drawing": self.canvas._drawing_stroke, "version": self.drawing.version,
                 "digit": None if r is None else r.digit, "unsure": None if r is None else r.unsure,
                 "message": note if r is None else r.message,
                 "probabilities": None if r is None or r.probabilities is None else [round(float(p), 4) for p in r.probabilities],
                 "models": [m.name for m in self.models] if hasattr(self, "models") else [], "time": time.time(),
                 "teach": self.teach_message, "learning": self.learning is not None,
                 "canvas": self.canvas_geometry(), "chooser": self._geometry(self.chooser),
                 "learn_button": self._geometry(self.teach.learn)}
        tmp = f"{self.state_file}.tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.state_file)

    @staticmethod
    def _geometry(widget: tk.Misc) -> list[int]:
        return [widget.winfo_rootx(), widget.winfo_rooty(), widget.winfo_width(), widget.winfo_height()]

    def canvas_geometry(self) -> list[int]:
        """The drawable square on the screen: x, y, side (what a test driving the mouse needs)."""
        w = self.canvas.widget
        border = int(w.cget("highlightthickness"))
        return [w.winfo_rootx() + border, w.winfo_rooty() + border, round(LOGICAL_SIZE * self.canvas.scale)]

    # -- other windows ---------------------------------------------------
    def open_visualiser(self) -> None:
        """Load the originals off the event loop (it may need to fetch MNIST), then open the window."""
        import data

        self.status.configure(text="loading MNIST for the visualiser...")
        result: dict = {}

        def load() -> None:
            try:
                result["data"] = data.raw_or_cached_originals(progress=False)
            except Exception as e:  # shown to the user below, whatever it is
                result["error"] = e

        thread = threading.Thread(target=load, daemon=True)
        thread.start()

        def check() -> None:
            if thread.is_alive():
                self.root.after(100, check)
                return
            if "error" in result:
                messagebox.showerror(TITLE, f"Cannot open the visualiser:\n{result['error']}\n\n"
                                            "Run `python data.py` once to fetch MNIST.", parent=self.root)
                self.status.configure(text="")
                return
            from app.augment_viewer import AugmentViewer

            images, labels, origin = result["data"]
            AugmentViewer(tk.Toplevel(self.root), images, labels, origin=origin)
            self.show(self.reading)

        check()

    def about(self) -> None:
        messagebox.showinfo(TITLE, "Draw a digit; a neural network written from scratch in numpy reads it as you draw.\n\n"
                                   "Esc or right-click clears, Ctrl+Z undoes a stroke.\n"
                                   "Press a digit key (or button) to save a drawing as that digit; "
                                   "'Learn my handwriting' then makes a personal model.", parent=self.root)

    def quit(self) -> None:
        self.root.destroy()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Draw a digit and watch the network read it.")
    parser.add_argument("--models-dir", type=Path, help="where the models are (default saved_models/)")
    parser.add_argument("--state-file", help="write what the window shows to this JSON file (for tests)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        root = tk.Tk()
    except tk.TclError as e:
        print(f"error: cannot open a window ({e}); is a display available?")
        return 1
    app = DigitApp(root, args.models_dir, args.state_file)
    root.after_idle(lambda: app.status.configure(
        text=app.status.cget("text") + f" - ready in {time.perf_counter() - started:.2f} s"))
    root.mainloop()
    return 0
