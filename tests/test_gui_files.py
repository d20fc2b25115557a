"""The window's File menu and data offers, in the real window: open a picture as if drawn, save the
drawing as a PNG, give MNIST or the pen digits through the menu, and "Learn" with too few drawings.

The actions run in-process on a real Tk window (Xvfb); one is driven through Tk's own file dialog
with xdotool, as a person would.
"""
from __future__ import annotations

import time
import tkinter as tk
from pathlib import Path

import numpy as np
import pytest
from fixtures import DIGIT_STROKES, make_arrays
from gui_driver import AppWindow, xdo
from PIL import Image, ImageDraw

from app.reading.number_pictures import read_picture

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def window(display, models_dir):
    from app.gui.window import DigitApp

    root = tk.Tk()
    errors = []
    root.report_callback_exception = lambda *exc: errors.append(exc)
    app = DigitApp(root, models_dir)
    root.update()
    yield app
    root.destroy()
    assert errors == []


def settle(app, until=lambda: True, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.root.update()
        if until():
            return
        time.sleep(0.02)


def number_picture(path: Path, digits=(1, 0, 7), height: int = 120) -> Path:
    """Dark digits on white paper, side by side, like a photo of a written number."""
    image = Image.new("L", (len(digits) * height, int(height * 1.4)), 255)
    draw = ImageDraw.Draw(image)
    for k, d in enumerate(digits):
        for stroke in DIGIT_STROKES[d]:
            draw.line([(k * height * 0.8 + 20 + x * height * 0.7, 20 + y * height) for x, y in stroke], fill=0, width=10,
                      joint="curve")
    image.save(path)
    return path


def test_open_a_picture_read_it_draw_on_it_and_save_it(window, tmp_path):
    from app.reading.preprocess import load_image

    window.open_picture(str(number_picture(tmp_path / "number.png")))
    settle(window)
    assert window.number.text == "107" and window.drawing.picture is not None
    assert window.root.title() == "Digit recogniser - 107" and "opened number.png" in window.teach_message
    # The window reads the file as `predict` does (the same digits, the same probabilities), its boxes
    # moved onto the picture where the canvas shows it.
    as_predict = read_picture(window.predictor.model, load_image(tmp_path / "number.png"))
    for shown, read in zip(window.number.digits, as_predict.digits):
        assert np.array_equal(shown.reading.probabilities, read.reading.probabilities)
        ink, left, top = window.drawing.picture
        assert left - 2 <= shown.box[0] < shown.box[2] <= left + ink.shape[1] + 2
        assert top - 2 <= shown.box[1] < shown.box[3] <= top + ink.shape[0] + 2
    # Drawn on, it is read as the canvas shows it: a fourth digit.
    window.drawing.begin(window.drawing.width - 40, 100, 18)
    for y in range(100, 200, 5):
        window.drawing.extend(window.drawing.width - 40, y)
    window.predict_now(final=True)
    assert window.number.text == "1071", window.number.text
    window.drawing.undo()
    window.predict_now(final=True)
    assert window.number.text == "107"
    saved = tmp_path / "saved.png"
    window.save_drawing(str(saved))
    assert saved.exists() and "saved the drawing" in window.teach_message
    assert read_picture(window.predictor.model, np.asarray(Image.open(saved), np.float32) / 255).text == "107"
    window.open_picture(str(tmp_path / "number.png"))   # (cleared, the picture's line goes with it; others stay)
    assert window.teach_message == "opened number.png"
    window.clear()
    settle(window)
    assert window.drawing.picture is None and window.number.text == "" and window.teach_message == ""
    window.drawing.begin(100, 50, 18)
    window.drawing.extend(100, 200)
    window.save_drawing(str(saved))
    window.clear()
    assert "saved the drawing" in window.teach_message



def _write(window, digits, height=120, left=30, top=80, gap=20) -> None:
    """``digits`` written on the canvas with DIGIT_STROKES, each ``height`` high, as strokes are drawn."""
    for k, d in enumerate(digits):
        for stroke in DIGIT_STROKES[d]:
            points = [(left + k * (0.7 * height + gap) + 0.7 * x * height, top + y * height) for x, y in stroke]
            window.drawing.begin(*points[0], 18)
            for point in points[1:]:
                window.drawing.extend(*point)
    window.predict_now(final=True)


def test_a_drawing_saved_as_a_drawing_file_opens_and_reads_as_it_was(window, tmp_path):
    """File > Save drawing... with a name ending in .json writes the strokes (what predict reads as the
    window does); File > Open... opens them again, as drawn; a bad file is one sentence."""
    from app.reading.drawing_files import load_drawing
    from app.reading.lines import read_written

    _write(window, (1, 0, 7))
    assert window.number.text == "107"
    drawn = [s.to_json() for s in window.drawing.strokes]
    window.save_drawing(str(tmp_path / "number.json"))
    assert window.teach_message == "saved the drawing as number.json"
    assert [s.to_json() for s in load_drawing(tmp_path / "number.json")] == drawn
    # The very points drawn (kept to a hundredth of a unit, as the file keeps them): predict reads the
    # file exactly as the window read the drawing, to the last probability.
    assert [s.points for s in load_drawing(tmp_path / "number.json")] == [s.points for s in window.drawing.strokes]
    as_predict = read_written(window.predictor.model, load_drawing(tmp_path / "number.json"))
    assert [d.reading.probabilities.tolist() for d in as_predict.digits] == \
        [d.reading.probabilities.tolist() for d in window.number.digits]
    window.clear()
    window.open_picture(str(tmp_path / "number.json"))
    settle(window)
    assert window.number.text == "107" and [s.to_json() for s in window.drawing.strokes] == drawn
    assert window.teach_message == "opened number.json" and window.drawing.picture is None
    window.clear()
    assert window.teach_message == "" and window.drawing.empty
    # A long number's file: the canvas zooms out for it, and no point is moved onto its edge.
    window.canvas.widen(window.canvas.MAX_ZOOM)   # (as the canvas zooms out while a long number is written)
    _write(window, (1, 0, 7) * 4, height=90, top=40, gap=10)
    wide = [s.to_json() for s in window.drawing.strokes]
    window.save_drawing(str(tmp_path / "long.json"))
    window.clear()
    window.open_picture(str(tmp_path / "long.json"))
    settle(window)
    assert window.number.text == "107" * 4 and window.canvas.zoom > 1
    assert [s.to_json() for s in window.drawing.strokes] == wide
    # A picture opened is no strokes: saved as a PNG only. Bad and blank files: one sentence each.
    window.open_picture(str(number_picture(tmp_path / "n.png")))
    window.save_drawing(str(tmp_path / "picture.json"))
    assert window.teach_message == "A drawing with a picture in it is saved as a PNG only."
    assert not (tmp_path / "picture.json").exists()
    (tmp_path / "bad.json").write_text('{"strokes": [{"width": 18, "points": "no"}]}')
    window.open_picture(str(tmp_path / "bad.json"))
    assert window.teach_message == "Could not open bad.json: not a drawing file this app can read."
    assert "bad.json" in window.teach_details and window.number.text == "107"   # (the picture still open)
    (tmp_path / "blank.json").write_text('{"strokes": []}')
    window.open_picture(str(tmp_path / "blank.json"))
    assert window.teach_message == "blank.json is blank: no strokes to read."


def test_a_picture_far_wider_than_high_is_shown_no_wider_than_the_canvas_can_be(window, tmp_path):
    """Dashes 3 pixels high along 40000 (a long strip) are shown at most MOST_PICTURE_WIDTH wide, not
    0.6 of the canvas high (2.4 million units wide, 1.7 GB), and read."""
    from app.gui.file_actions import MOST_PICTURE_WIDTH

    strip = np.full((20, 40_000), 255, np.uint8)
    for left in range(0, 40_000, 400):
        strip[8:11, left:left + 200] = 0
    Image.fromarray(strip).save(tmp_path / "strip.png")
    window.open_picture(str(tmp_path / "strip.png"))
    settle(window)
    ink, _, _ = window.drawing.picture
    assert ink.shape[1] <= MOST_PICTURE_WIDTH == 16 * 280 and window.number.text == ""
    assert "opened strip.png" in window.teach_message

def test_a_long_number_shows_all_its_digits_at_the_smallest_size(window, tmp_path):
    """A picture of twelve digits opened in the smallest window: all of it on the canvas (past the
    farthest zoom it is drawn smaller: its last digits were cut off), a button for each digit, in
    rows under the canvas (the last four were cut off by the window's edge), and the number in large
    type in two lines (one line widened the reading panel and narrowed the canvas)."""
    width, height = window.root.minsize()
    window.root.geometry(f"{width}x{height}")
    settle(window, seconds=0.3)
    panel_width = window.prediction.frame.winfo_width()
    window.open_picture(str(number_picture(tmp_path / "long.png", digits=(1, 0, 7) * 4)))
    settle(window, seconds=0.5)
    assert window.number.text == "107107107107"
    ink, left, _ = window.drawing.picture
    assert left + ink.shape[1] <= window.drawing.width, "the picture runs past the canvas's edge"
    canvas = window.canvas.widget
    right = canvas.winfo_rootx() + canvas.winfo_width()
    buttons = window.strip.buttons
    assert [b.cget("text") for b in buttons] == list("107107107107")
    for button in buttons:
        assert button.winfo_ismapped() and button.winfo_rootx() + button.winfo_width() <= right + 2, button.cget("text")
        assert button.winfo_rooty() + button.winfo_height() <= window.status.winfo_rooty()
    assert len({b.winfo_rooty() for b in buttons}) == 2   # two rows
    assert window.prediction.digit.cget("text") == "107107\n107107"
    assert window.prediction.frame.winfo_width() == panel_width


def test_a_long_file_name_is_shown_cut_in_its_middle_and_whole_behind_details(window, tmp_path):
    """Tk wraps a message at spaces only: a file's name longer than the teach panel is wide ran under
    the Details button, cut off. It is shown cut in its middle; Details has the whole path."""
    name = "a_very_long_file_name_of_a_scanned_form_" * 3 + ".png"
    window.open_picture(str(number_picture(tmp_path / name)))
    settle(window)
    shown = window.teach.info.cget("text")
    assert shown == "opened a_very_long_fi\u2026form_.png" and window.teach.details == str(tmp_path / name)
    assert window.teach_message == "opened " + name


def test_file_problems_are_one_sentence(window, tmp_path):
    (tmp_path / "not-a-picture.png").write_bytes(b"hello")
    window.open_picture(str(tmp_path / "not-a-picture.png"))
    assert window.teach_message.startswith("Could not open not-a-picture.png") and window.teach_details
    window.save_drawing(str(tmp_path / "x.png"))
    assert window.teach_message == "Nothing to save: the canvas is empty."
    window.open_picture(str(number_picture(tmp_path / "n.png")))
    window.save_drawing(str(tmp_path))   # a folder
    assert window.teach_message.startswith("Could not save") and "folder" in window.teach_details


def test_data_files_given_through_the_menu(window, tmp_path):
    small = tmp_path / "small.npz"
    np.savez(small, **make_arrays(n_train=50, n_test=10))
    window.use_data_file("mnist", str(small))
    settle(window, lambda: "checking" not in window.teach_message)
    assert window.teach_message == "small.npz is not MNIST (mnist.npz, Keras layout)."
    assert "60000" in window.teach_details
    (tmp_path / "pen.unipen").write_text(".COMMENT not the pen digits\n")
    window.use_data_file("pendigits", str(tmp_path / "pen.unipen"))
    settle(window, lambda: "checking" not in window.teach_message)
    assert window.teach_message.startswith("pen.unipen is not the UCI pen digits") and "SHA-256" in window.teach_details


def test_a_real_mnist_given_through_the_menu_is_kept(window):
    from conftest import required_file

    from app.paths import CACHE_DIR

    mnist = Path(required_file("MNIST_NPZ", "REQUIRE_MNIST", "mnist.npz"))
    window.use_data_file("mnist", str(mnist))
    settle(window, lambda: "checking" not in window.teach_message, seconds=60)
    assert window.teach_message == f"{mnist.name} is kept for offline use", window.teach_details
    assert (CACHE_DIR / "downloads" / "mnist-given.npz").is_file()


def test_learn_with_too_few_drawings_says_how_many_more(window, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITS_PERSONAL_DIR", str(tmp_path / "personal"))
    monkeypatch.setenv("DIGITS_MNIST_SOURCE", str(tmp_path / "no-such.npz"))   # never looked at
    for _ in range(2):
        window.drawing.begin(100, 60)
        window.drawing.extend(110, 220)
        window.predict_now(final=True)
        window.save_labelled(1)
    window.learn_handwriting()
    assert window.learning is None
    assert window.teach_message == "2 drawings saved; learning needs at least 5: draw 3 more and save each with its digit key"


def test_open_a_picture_through_the_file_dialog(display, models_dir, tmp_path):
    """Ctrl+O, type the file's path into Tk's own dialog, Return: the window reads the picture."""
    picture = number_picture(tmp_path / "dialog.png", digits=(7, 1))
    app = AppWindow(models_dir, tmp_path / "state.json")
    try:
        app.key("ctrl+o")
        dialog = xdo("search", "--sync", "--name", "Open a picture").splitlines()[0]
        xdo("windowfocus", "--sync", dialog)
        time.sleep(0.3)
        xdo("type", "--delay", "5", str(picture))
        xdo("key", "Return")
        state = app.wait_for(lambda s: s["text"] == "71", timeout=10)
        assert state["title"] == "Digit recogniser - 71"
        app.screenshot(tmp_path / "opened.png")
    finally:
        app.close()


def test_my_drawings_relabel_delete_and_undo(window, tmp_path, monkeypatch):
    """Tools > My drawings: the grid by digit with counts; a click selects, a digit relabels, Delete
    deletes, Undo brings each back; the store on disk follows every step."""
    from app.personal import PersonalDataset

    monkeypatch.setenv("DIGITS_PERSONAL_DIR", str(tmp_path / "personal"))
    store = PersonalDataset(tmp_path / "personal")
    from fixtures import draw_digit

    from app.reading.preprocess import to_mnist

    for label in (1, 1, 7):
        store.add(to_mnist(np.asarray(draw_digit(DIGIT_STROKES[label]), np.float32) / 255).image, label,
                  created=f"2026-12-0{label}T10:00:0{len(store.entries())}")
    window.open_my_drawings()
    view = window.my_drawings
    settle(window)
    assert view.counts.cget("text").startswith("3 drawings:") and "1: 2" in view.counts.cget("text")
    first = min(view._cells.items(), key=lambda kv: (kv[1][1], kv[1][0]))   # the first drawing of digit 1
    x0, y0, x1, y1 = first[1]
    view.canvas.event_generate("<ButtonPress-1>", x=(x0 + x1) // 2, y=(y0 + y1) // 2)
    settle(window)
    assert view.selected == {first[0]}
    view.relabel(4)
    assert sorted(e["label"] for e in PersonalDataset(tmp_path / "personal").entries()) == [1, 4, 7]
    view.delete()
    assert sorted(e["label"] for e in PersonalDataset(tmp_path / "personal").entries()) == [1, 7]
    assert "1 drawing deleted" in view.message
    view.undo()
    assert sorted(e["label"] for e in PersonalDataset(tmp_path / "personal").entries()) == [1, 4, 7]
    view.undo()
    assert sorted(e["label"] for e in PersonalDataset(tmp_path / "personal").entries()) == [1, 1, 7]
    assert "1: 2" in view.counts.cget("text") and view.undo_stack == []


def test_the_canvas_zooms_out_once_the_hand_rests_not_while_it_moves(window):
    """Writing near the right edge zooms the canvas out, but not while the pointer still moves over it
    (a hand on its way to a digit's next stroke, or a slow machine between two strokes)."""
    canvas = window.canvas
    widget = canvas.widget
    settle(window)
    x, y = int(widget.winfo_width() * 0.9), int(widget.winfo_height() * 0.5)
    widget.event_generate("<ButtonPress-1>", x=x, y=y)
    for dy in range(0, 60, 5):
        widget.event_generate("<B1-Motion>", x=x, y=y + dy)
    widget.event_generate("<ButtonRelease-1>", x=x, y=y + 60)
    deadline = time.monotonic() + 1.5   # well past the zoom's wait, the pointer moving all along
    while time.monotonic() < deadline:
        widget.event_generate("<Motion>", x=x - 40, y=y)
        window.root.update()
        time.sleep(0.05)
    assert canvas.zoom == 1.0
    settle(window, lambda: canvas.zoom > 1.0, seconds=3)   # at rest: it zooms out
    assert canvas.zoom > 1.0
