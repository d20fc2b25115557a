"""Tools > My drawings: the drawings saved for "Learn my handwriting", as a grid by digit, with the
count per digit; click one (or several with Ctrl) to relabel it with a digit key or button, or
delete it; every change is written at once and can be undone until this window closes.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from PIL import Image, ImageTk

from app.errors import AppError
from app.personal import PersonalDataset, drawing_id, image_of
from app.words import plural

THUMB = 2          # each 28x28 drawing shown at twice its size
PER_ROW = 12       # drawings per row within a digit's rows
PAD = 4


class MyDrawings:
    """One window over the personal store; ``changed()`` is called after each change (the main window
    then re-reads its counts)."""

    def __init__(self, top: tk.Toplevel, store: PersonalDataset, changed=None) -> None:
        self.top, self.store, self.changed = top, store, changed or (lambda: None)
        self.selected: set[str] = set()
        self.undo_stack: list[tuple[str, object]] = []
        self._photos: list[ImageTk.PhotoImage] = []
        self._cells: dict[str, tuple[int, int, int, int]] = {}
        self.message = ""
        top.title("My drawings")
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.counts = ttk.Label(self.top, text="", padding=(8, 6))
        self.counts.grid(row=0, column=0, columnspan=2, sticky="w")
        self.canvas = tk.Canvas(self.top, width=PER_ROW * (28 * THUMB + PAD) + 60, height=420, bg="white",
                                highlightthickness=0)
        self.canvas.grid(row=1, column=0, sticky="nsew")
        bar = ttk.Scrollbar(self.top, orient="vertical", command=self.canvas.yview)
        bar.grid(row=1, column=1, sticky="ns")
        self.canvas.configure(yscrollcommand=bar.set)
        self.canvas.bind("<ButtonPress-1>", self._click)
        actions = ttk.Frame(self.top, padding=6)
        actions.grid(row=2, column=0, columnspan=2, sticky="ew")
        ttk.Label(actions, text="Relabel as:").grid(row=0, column=0)
        for d in range(10):
            ttk.Button(actions, text=str(d), width=2, command=lambda d=d: self.relabel(d)).grid(row=0, column=d + 1)
        ttk.Button(actions, text="Delete", command=self.delete).grid(row=0, column=11, padx=(10, 2))
        self.undo_button = ttk.Button(actions, text="Undo", command=self.undo)
        self.undo_button.grid(row=0, column=12, padx=2)
        self.status = ttk.Label(actions, text="", foreground="#555")
        self.status.grid(row=1, column=0, columnspan=13, sticky="w", pady=(4, 0))
        self.top.columnconfigure(0, weight=1)
        self.top.rowconfigure(1, weight=1)
        for d in range(10):
            self.top.bind(f"<Key-{d}>", lambda e, d=d: self.relabel(d))
        self.top.bind("<Delete>", lambda e: self.delete())
        self.top.bind("<Control-z>", lambda e: self.undo())
        self.top.bind("<Escape>", lambda e: self.top.destroy())

    # -- showing -------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw the grid from the store: a row (or rows) per digit, newest last."""
        try:
            entries = self.store.entries()
        except AppError as e:
            self._say(str(e))
            return
        self.canvas.delete("all")
        self._photos, self._cells = [], {}
        by_digit = {d: [e for e in entries if e["label"] == d] for d in range(10)}
        self.counts.configure(text=f"{plural(len(entries), 'drawing')}:  " +
                              "   ".join(f"{d}: {len(v)}" for d, v in by_digit.items()))
        side, y = 28 * THUMB, PAD
        for digit, items in by_digit.items():
            self.canvas.create_text(20, y + side // 2, text=str(digit), font=("TkDefaultFont", 16, "bold"))
            for k, entry in enumerate(items):
                row, col = divmod(k, PER_ROW)
                x0, y0 = 44 + col * (side + PAD), y + row * (side + PAD)
                photo = ImageTk.PhotoImage(Image.fromarray(255 - image_of(entry)).resize((side, side), Image.NEAREST))
                self._photos.append(photo)
                self.canvas.create_image(x0, y0, image=photo, anchor="nw")
                key = drawing_id(entry)
                self._cells[key] = (x0, y0, x0 + side, y0 + side)
                if key in self.selected:
                    self.canvas.create_rectangle(x0 - 2, y0 - 2, x0 + side + 2, y0 + side + 2, outline="#27f", width=3)
            rows = max(1, -(-len(items) // PER_ROW))
            y += rows * (side + PAD) + PAD
            self.canvas.create_line(0, y - PAD // 2, 2000, y - PAD // 2, fill="#ddd")
        self.canvas.configure(scrollregion=(0, 0, 0, y))
        self.selected &= set(self._cells)
        self.undo_button.state(["!disabled"] if self.undo_stack else ["disabled"])

    def _click(self, event) -> None:
        x, y = self.canvas.canvasx(event.x), self.canvas.canvasy(event.y)
        hit = next((k for k, (a, b, c, d) in self._cells.items() if a <= x <= c and b <= y <= d), None)
        if not event.state & 0x4:   # without Ctrl: this one alone
            self.selected = set()
        if hit is not None:
            self.selected ^= {hit}
        self.refresh()

    def _say(self, text: str) -> None:
        self.message = text
        self.status.configure(text=text)

    # -- changing --------------------------------------------------------------
    def relabel(self, digit: int) -> None:
        if not self.selected:
            self._say("click a drawing first")
            return
        done = []
        for key in sorted(self.selected):
            new = self._do(lambda key=key: self.store.relabel(key, digit))
            if new:
                done.append((new, next(e["label"] for e in self._entries_before if drawing_id(e) == key)))
        self.selected = {new for new, _ in done}
        self.undo_stack.append(("relabel", done))
        self._after(f"{plural(len(done), 'drawing')} relabelled as {digit}")

    def delete(self) -> None:
        if not self.selected:
            self._say("click a drawing first")
            return
        removed = self._do(lambda: self.store.delete(set(self.selected))) or []
        self.undo_stack.append(("delete", removed))
        self.selected = set()
        self._after(f"{plural(len(removed), 'drawing')} deleted (Undo brings it back until this window closes)")

    def undo(self) -> None:
        if not self.undo_stack:
            return
        kind, what = self.undo_stack.pop()
        if kind == "delete":
            self._do(lambda: self.store.add_entries(what))
            self.selected = {drawing_id(e) for e in what}
        else:
            self.selected = {self._do(lambda k=key, d=label: self.store.relabel(k, d)) for key, label in what}
        self._after("undone")

    def _do(self, change):
        self._entries_before = self.store.entries()
        try:
            return change()
        except AppError as e:
            self._say(str(e))
            return None

    def _after(self, text: str) -> None:
        self.refresh()
        self._say(text)
        self.changed()
