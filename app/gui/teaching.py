"""What the teach panel does for the drawing window: keep a drawing (or one digit of a number)
with its label in the personal store, and fine-tune a personal copy of the model in a background
thread, polled with ``after()`` so the window never waits.

``TeachingMixin`` is part of ``app.gui.window.DigitApp`` (kept here so each file has one role); it
uses the window's reading, number, drawing, ``show`` and ``refresh_models``.
"""
from __future__ import annotations

import threading

from app.errors import AppError, DataError
from app.models.finetune import MIN_DRAWINGS, learn_handwriting, too_few_drawings
from app.models.model_store import free_name
from app.reading.strokes import Stroke
from app.words import plural


class TeachingMixin:
    def personal_store(self):
        """The personal drawings, one store for the window's life (it re-reads only what changed)."""
        from app.personal import PersonalDataset, personal_dir

        if self._store is None or self._store.folder != personal_dir():
            self._store = PersonalDataset()
        return self._store

    def save_labelled(self, digit: int) -> None:
        """Keep the current drawing as an example of ``digit`` and clear the canvas for the next."""
        reading = self.reading
        if reading is None or reading.network_input is None:
            self.teach_message, self.teach_details = "draw a digit first, then say what it was", ""
            self.show(self.reading)
            return
        store = self.personal_store()
        digits = self.number.digits if self.number else []
        part = digits[self.selected] if len(digits) > 1 and self.selected is not None else None
        try:
            count = store.add(reading.network_input, digit, self._strokes_of(part))
        except (OSError, AppError) as e:
            self.teach_message, self.teach_details = "Could not save the drawing.", str(e)
            self.show(self.reading)
            return
        skipped = store.skipped()
        which = f"digit {self.selected + 1} of {len(digits)} " if part else ""
        self.teach_message = f"{which}saved as {digit}: {plural(count, 'drawing')} kept" + (
            f" ({plural(len(skipped), 'damaged line')} skipped)" if skipped else "")
        self.teach_details = "".join(f"{store.lines_path} line {n} skipped: {why}\n" for n, why in skipped)
        if part is None:
            self.clear()
        else:   # the number stays; the next digit is the one to label
            self.select_digit(self.selected + 1)

    def _strokes_of(self, part) -> list[dict]:
        """The strokes to keep with a labelled drawing: all of them for one digit; for a digit of a
        number its own ink (its strokes, or its part of a stroke that joins it to the next digit),
        moved to the middle of a digit's square canvas, as if drawn alone."""
        if part is None:
            return self.drawing.strokes_json()
        left, _, right, _ = part.box
        shift = (self.drawing.size - (right - left)) / 2 - left
        return [Stroke(s.width, [(x + shift, y) for x, y in s.points]).to_json() for s in part.ink]

    def learn_handwriting(self) -> None:
        """Fine-tune a personal copy of the current model in a background thread."""
        if self.learning is not None:
            return
        if self.predictor is None:
            self.teach_message, self.teach_details = "no model to start from", ""
            self.show(self.reading)
            return
        count = self.personal_store().count()
        if count < MIN_DRAWINGS:   # said at once, before anything is loaded or downloaded
            self.teach_message, self.teach_details = too_few_drawings(count), ""
            self.show(self.reading)
            return
        base = self.predictor.model.metadata.get("fine_tuned_from") or self.model_name
        new_name = free_name(f"{base}-personal", self.models_dir)   # never replaces a model
        job = {"progress": (0.0, "starting"), "result": None, "error": None, "name": new_name}

        def report(fraction: float, text: str) -> None:
            job["progress"] = (fraction, text)  # read by the Tk thread in _poll_learning

        def work() -> None:
            try:
                job["result"] = learn_handwriting(base, new_name, self.models_dir, report=report)
            except Exception as e:  # reported in the window, whatever it is
                job["error"] = e

        job["thread"] = threading.Thread(target=work, daemon=True)
        self.learning = job
        self.teach.learn.state(["disabled"])
        self.teach_message, self.teach_details = f"learning from your drawings (base model {base})...", ""
        job["thread"].start()
        self._poll_learning()

    def _poll_learning(self) -> None:
        job = self.learning
        fraction, text = job["progress"]
        self.teach.progress.configure(value=fraction)
        if job["thread"].is_alive():
            self.teach_message, self.teach_details = f"learning: {text}", ""
            self.show(self.reading)
            self.root.after(100, self._poll_learning)
            return
        self.learning = None
        self.teach.learn.state(["!disabled"])
        result = job["result"]
        if isinstance(job["error"], DataError):   # no MNIST here: say what is missing and where to give it
            self.teach_message, self.teach_details = (
                "Learning needs MNIST (to check the new model): use File > Use MNIST file...", str(job["error"]))
        elif job["error"] is not None:
            self.teach_message, self.teach_details = "Could not learn your handwriting.", str(job["error"])
        elif result.accepted:
            before = "-" if result.personal_before is None else f"{result.personal_before:.0%}"
            after = "-" if result.personal_after is None else f"{result.personal_after:.0%}"
            self.teach_message, self.teach_details = (f"your held-out drawings: {before} -> {after}; {result.reason}. "
                                  f"Saved as {job['name']} and selected."), ""
            self.refresh_models(select=job["name"])
        else:
            self.teach_message, self.teach_details = f"not kept: {result.reason}. Your model is unchanged.", ""
        self.show(self.reading)

