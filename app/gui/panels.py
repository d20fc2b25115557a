"""The panels of the drawing window: the canvas, the reading, the network's input, the teach panel.

Each panel builds its widgets and shows what it is given; ``app.gui.window.DigitApp`` decides
what that is.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk

import numpy as np
from PIL import Image, ImageTk

from app.pixels import to_uint8
from app.reading.predictor import Reading
from app.reading.strokes import LOGICAL_SIZE, Drawing, right_edge

NOT_A_DIGIT_MARK = "\u00d7"   # shown for "not a digit": in large type, and as the label of its bar
EMPTY_PROMPT = "write a digit or a number"   # what an empty canvas says: it reads both


class DrawingCanvas:
    """The canvas: square for a digit, as wide as the window for a number. Shows the antialiased
    off-screen raster, scaled to the widget, and each digit's box when a number is written.

    Its height is ``LOGICAL_SIZE`` canvas units times ``zoom``; ``widen`` zooms out when the writing
    nears the right edge, so a long number always has room (Clear zooms back in)."""

    WIDEN_AT = 0.75    # ink past this share of the width widens the canvas
    WIDEN_BY = 1.35
    WIDEN_AFTER_MS = 600
    MAX_ZOOM = 4.0

    def __init__(self, master: tk.Misc, drawing: Drawing, on_change, brush: tk.DoubleVar) -> None:
        self.drawing, self.on_change, self.brush = drawing, on_change, brush
        self.widget = tk.Canvas(master, width=LOGICAL_SIZE, height=LOGICAL_SIZE, bg="black",
                                highlightthickness=1, highlightbackground="#888", cursor="pencil")
        self.scale, self.zoom = 1.0, 1.0
        self._pixels = (LOGICAL_SIZE, LOGICAL_SIZE)
        self._boxes: tuple[list, int | None] = ([], None)
        self._photo = None
        self._item = self.widget.create_image(0, 0, anchor="nw")
        self._drawing_stroke = False
        self._widen_job = None
        self._bind_events()

    def _bind_events(self) -> None:
        w = self.widget
        w.bind("<ButtonPress-1>", self._press)
        w.bind("<B1-Motion>", self._move)
        w.bind("<ButtonRelease-1>", self._release)
        w.bind("<Motion>", self._hover)
        w.bind("<Configure>", self._resize)

    def _logical(self, event) -> tuple[float, float]:
        return event.x / self.scale, event.y / self.scale

    def _press(self, event) -> None:
        self._cancel_widen()
        self._drawing_stroke = True
        self.drawing.begin(*self._logical(event), width=float(self.brush.get()))
        self._show_live()
        self.on_change(final=False)

    def _move(self, event) -> None:
        if not self._drawing_stroke:  # e.g. the canvas was cleared mid-stroke: start a new one
            self._press(event)
            return
        before = self.drawing.version
        self.drawing.extend(*self._logical(event))
        if self.drawing.version != before:   # (a motion within the same canvas unit adds nothing)
            self._show_live()
            self.on_change(final=False)

    def _show_live(self) -> None:
        """The stroke being drawn, its newest segment drawn as a line over the raster (cheap for every
        motion event: the raster of a wide, zoomed-out canvas is millions of pixels to scale); the
        raster shows it, antialiased, when the stroke ends."""
        stroke, s = self.drawing.strokes[-1], self.scale
        r = stroke.width * s / 2
        if len(stroke.points) == 1:   # the pen just put down: a dot
            (x, y), = stroke.points
            self.widget.create_oval(x * s - r, y * s - r, x * s + r, y * s + r, fill="white", width=0, tags="live")
        else:
            (x0, y0), (x1, y1) = stroke.points[-2:]
            self.widget.create_line(x0 * s, y0 * s, x1 * s, y1 * s, fill="white", width=2 * r, capstyle="round",
                                    tags="live")

    def _release(self, event) -> None:
        if self._drawing_stroke:
            self.drawing.extend(*self._logical(event))
        self._drawing_stroke = False
        # Near the right edge: zoom out once the pen has rested a moment (never in the middle of a
        # digit, whose next stroke would then land elsewhere than the hand aims).
        self._cancel_widen()
        if right_edge(self.drawing.strokes) > self.WIDEN_AT * self.drawing.width:
            self._widen_job = self.widget.after(self.WIDEN_AFTER_MS, self.widen)
        self.refresh()
        self.on_change(final=True)

    def _hover(self, event) -> None:
        # The pointer moving over the canvas is a hand still writing (on to a digit's next stroke): the
        # zoom waits until it rests (a slow machine or a slow hand takes longer than the wait between strokes).
        if self._widen_job is not None:
            self.widget.after_cancel(self._widen_job)
            self._widen_job = self.widget.after(self.WIDEN_AFTER_MS, self.widen)

    def cancel_stroke(self) -> None:
        self._drawing_stroke = False
        self._cancel_widen()

    def _cancel_widen(self) -> None:
        if self._widen_job is not None:
            self.widget.after_cancel(self._widen_job)
            self._widen_job = None

    def zoom_to_fit(self, right: float) -> None:
        """Zoom out until ``right`` (canvas units) lies within ``WIDEN_AT`` of the width, as far as it
        zooms: an opened picture or drawing file of a long number."""
        while right > self.WIDEN_AT * self.drawing.width and self.zoom < self.MAX_ZOOM:
            self.widen()

    def widen(self, zoom: float | None = None) -> None:
        """Zoom out (or to ``zoom``): more canvas units on the same screen, the writing smaller."""
        self._widen_job = None
        self.zoom = min(self.MAX_ZOOM, zoom if zoom is not None else self.zoom * self.WIDEN_BY)
        self._fit(*self._pixels)
        self.on_change(final=True)   # the window reports the new size

    def _resize(self, event) -> None:
        border = 2 * int(self.widget.cget("highlightthickness"))
        self._fit(max(50, event.width - border), max(50, event.height - border))

    def _fit(self, width: int, height: int) -> None:
        self._pixels = (width, height)
        side = min(width, height)
        self.scale = side / (LOGICAL_SIZE * self.zoom)
        self.drawing.resize(max(LOGICAL_SIZE, int(width / self.scale)), round(LOGICAL_SIZE * self.zoom))
        self.refresh()
        self.show_boxes(*self._boxes)

    def refresh(self) -> None:
        """Show the raster at the widget's size (box-filtered down from the supersampled image)."""
        height = max(1, round(self.drawing.size * self.scale))
        width = max(1, round(self.drawing.width * self.scale))
        self._photo = ImageTk.PhotoImage(self.drawing.display_image(height, width))
        self.widget.itemconfigure(self._item, image=self._photo)
        self.widget.delete("live")   # the raster shows the whole drawing now

    def show_boxes(self, boxes: list[tuple[int, int, int, int]], selected: int | None) -> None:
        """Each digit's box, faint over the ink; the selected one brighter (none for one digit)."""
        self._boxes = (boxes, selected)
        self.widget.delete("box")
        if len(boxes) < 2:
            return
        for k, (left, top, right, bottom) in enumerate(boxes):
            self.widget.create_rectangle(left * self.scale, top * self.scale, right * self.scale, bottom * self.scale,
                                         outline="#6cf" if k == selected else "#556", dash=() if k == selected else (3, 3),
                                         tags="box")


class PredictionPanel:
    """The reading: the big digit beside the 28x28 picture the network saw, the sentence under
    them, and a bar per digit. Compact, so the whole window fits on a small screen."""

    BAR_WIDTH = 150
    ROW = 15
    INPUT_SCALE = 3
    LINE_DIGITS = 10  # a number read is shown in lines of at most this many digits (at 16 pt, the panel's width)

    def __init__(self, master: tk.Misc) -> None:
        self.frame = ttk.Frame(master, padding=(8, 0))
        self.digit = ttk.Label(self.frame, text="", font=("TkDefaultFont", 48, "bold"), width=2, anchor="center")
        self.digit.grid(row=0, column=0, sticky="ns")
        seen = ttk.Frame(self.frame)
        seen.grid(row=0, column=1, padx=(8, 0))
        ttk.Label(seen, text="what the network sees").grid(row=0, column=0)
        self.picture = ttk.Label(seen, relief="solid", borderwidth=1)
        self.picture.grid(row=1, column=0, pady=2)
        self.message = ttk.Label(self.frame, text=EMPTY_PROMPT, font=("TkDefaultFont", 12), width=30, anchor="center")
        self.message.grid(row=1, column=0, columnspan=2, pady=(2, 4))
        self.bars = tk.Canvas(self.frame, width=self.BAR_WIDTH + 70, height=11 * self.ROW + 4, highlightthickness=0)
        self.bars.grid(row=2, column=0, columnspan=2)
        self._bar_items = []
        for d in range(11):   # the ten digits, and "not a digit" (a model without that output leaves it empty)
            y = 2 + d * self.ROW
            self.bars.create_text(10, y + 7, text=str(d) if d < 10 else NOT_A_DIGIT_MARK, font=("TkDefaultFont", 10, "bold"))
            self.bars.create_rectangle(22, y + 2, 22 + self.BAR_WIDTH, y + self.ROW - 2, outline="#bbb")
            bar = self.bars.create_rectangle(22, y + 2, 22, y + self.ROW - 2, fill="#4a7", width=0)
            text = self.bars.create_text(28 + self.BAR_WIDTH, y + 7, text="", anchor="w", font=("TkDefaultFont", 9))
            self._bar_items.append((bar, text))
        self.show_input(None)

    def show(self, reading: Reading | None, note: str | None = None, number: str | None = None) -> None:
        """``reading`` is the digit shown (the selected one of a number); ``number`` the whole
        number's text when more than one digit was read, shown in large type instead ("" when
        they are no number: marks, a word, shown as "not a digit", whatever the selected one reads)."""
        size = 48 if not number or len(number) <= 2 else max(16, 96 // len(number))
        # A long number in lines of at most LINE_DIGITS (as even as can be), not one line wider than the
        # panel: the panel would widen and the canvas beside it narrow, cutting off the writing's end.
        digits = len(number or "")
        per_line = -(-digits // max(1, -(-digits // self.LINE_DIGITS)))   # (the lines as even as can be)
        shown = "\n".join(number[k:k + per_line] for k in range(0, digits, per_line)) if digits > per_line else number
        self.digit.configure(font=("TkDefaultFont", size, "bold"), width=2 if size == 48 else max(2, per_line))
        if reading is None or reading.probabilities is None:
            self.digit.configure(text="", foreground="black")
            self.message.configure(text=note or (reading.message if reading else ""))
            probabilities = np.zeros(11)
        else:
            big = NOT_A_DIGIT_MARK if reading.rejected else "?" if reading.unsure else str(reading.digit)
            colour = "#a33" if reading.rejected else "#b60" if reading.unsure else "black"
            if number == "":
                big, colour = NOT_A_DIGIT_MARK, "#a33"
            self.digit.configure(text=shown or big, foreground="black" if number and "?" not in number else colour)
            self.message.configure(text=note or reading.message)
            probabilities = reading.shares   # each digit's share and the not-a-digit share
        self.show_input(reading.network_input if reading else None)
        top = int(np.argmax(probabilities)) if probabilities.any() else -1
        for d, (bar, text) in enumerate(self._bar_items):
            p = float(probabilities[d]) if d < len(probabilities) else 0.0
            y = 2 + d * self.ROW
            self.bars.coords(bar, 22, y + 2, 22 + p * self.BAR_WIDTH, y + self.ROW - 2)
            self.bars.itemconfigure(bar, fill="#4a7" if d == top and not (reading and reading.unsure) else "#9ab")
            self.bars.itemconfigure(text, text=f"{p:.0%}" if probabilities.any() else "")

    def show_input(self, network_input: np.ndarray | None) -> None:
        """The 28x28 image the network actually sees, enlarged with visible pixels."""
        pixels = np.zeros((28, 28), np.uint8) if network_input is None else to_uint8(network_input)
        image = Image.fromarray(pixels).resize((28 * self.INPUT_SCALE, 28 * self.INPUT_SCALE), Image.NEAREST)
        self._photo = ImageTk.PhotoImage(image)
        self.picture.configure(image=self._photo)


class TeachPanel:
    """Tell the app what a drawing really was, and let it learn the user's handwriting.

    Its message is one short sentence in a box of fixed size (the window never resizes for it);
    the full text, e.g. an error's details, is behind the Details button."""

    SHORT = 80  # characters of the message shown in the panel
    LONGEST_WORD = 24   # a longer word (a file's name) is shown cut in its middle: Tk wraps at spaces only

    def __init__(self, master: tk.Misc, on_label, on_learn) -> None:
        self.frame = ttk.LabelFrame(master, text="Teach it your handwriting", padding=(6, 4))
        ttk.Label(self.frame, text="It was a:").grid(row=0, column=0, columnspan=10, sticky="w")
        for d in range(10):
            ttk.Button(self.frame, text=str(d), width=2, command=lambda d=d: on_label(d)).grid(row=1, column=d, padx=1)
        self.learn = ttk.Button(self.frame, text="Learn my handwriting", command=on_learn)
        self.learn.grid(row=2, column=0, columnspan=10, pady=(6, 2), sticky="ew")
        self.progress = ttk.Progressbar(self.frame, maximum=1.0, length=200)
        self.progress.grid(row=3, column=0, columnspan=10, sticky="ew")
        self.info = tk.Label(self.frame, text="", height=2, width=1, anchor="nw", justify="left", wraplength=250)
        self.info.grid(row=4, column=0, columnspan=8, sticky="ew")
        self.details_button = ttk.Button(self.frame, text="Details", width=7, command=self._show_details)
        self.details_button.grid(row=4, column=8, columnspan=2, sticky="ne")
        self.details = ""

    def set_message(self, text: str, details: str = "") -> None:
        n = self.LONGEST_WORD
        short = " ".join(w if len(w) <= n else w[:n - 10] + "\u2026" + w[-9:] for w in text.split(" "))
        short = short if len(short) <= self.SHORT else short[:self.SHORT - 3].rstrip() + "..."
        self.details = details or (text if short != text else "")
        self.info.configure(text=short)
        self.details_button.state(["!disabled"] if self.details else ["disabled"])

    def _show_details(self) -> None:
        from tkinter import messagebox

        messagebox.showinfo("Details", self.details, parent=self.frame)


class NumberStrip:
    """Under the canvas when a number is written: one button per digit read, left to right; the
    pressed one is the digit the bars, the network's input and the teach buttons are about. The
    buttons run on in rows as wide as the widget ``room`` (the canvas's holder): a long number's
    last digits are never cut off at the window's edge (``reflow``, again when that width changes)."""

    def __init__(self, master: tk.Misc, on_select, room: tk.Misc) -> None:
        self.frame = ttk.Frame(master)
        self.on_select, self.room = on_select, room
        room.bind("<Configure>", lambda e: self.reflow(), add="+")
        self.label = ttk.Label(self.frame, text="")
        self.label.grid(row=0, column=0, padx=(0, 4), sticky="n")
        self.buttons: list[ttk.Button] = []
        self._per_row = 0

    def show(self, digits: list[str], selected: int | None) -> None:
        if len(digits) < 2:
            digits = []
        while len(self.buttons) > len(digits):
            self.buttons.pop().destroy()
        added = len(self.buttons) < len(digits)
        while len(self.buttons) < len(digits):
            k = len(self.buttons)
            self.buttons.append(ttk.Button(self.frame, width=2, command=lambda k=k: self.on_select(k)))
        self.label.configure(text="digit:" if digits else "")
        for k, (button, text) in enumerate(zip(self.buttons, digits)):
            button.configure(text=text)
            button.state(["pressed"] if k == selected else ["!pressed"])
        self.reflow(force=added)

    def reflow(self, force: bool = False) -> None:
        """The buttons in rows as wide as the room there is (each row beside the label)."""
        if not self.buttons:
            return
        step = self.buttons[0].winfo_reqwidth() + 2   # (padx 1 either side)
        room = max(self.room.winfo_width(), self.room.winfo_reqwidth())   # (its least before it is shown)
        per_row = max(1, (room - self.label.winfo_reqwidth() - 4) // step)
        if per_row == self._per_row and not force:
            return
        self._per_row = per_row
        for k, button in enumerate(self.buttons):
            button.grid(row=k // per_row, column=k % per_row + 1, padx=1, pady=(0 if k < per_row else 2, 0))
