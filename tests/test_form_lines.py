"""A box round a number (a form's field) and a line drawn under it (app/reading/form_lines.py): by hand
on small ink maps, hand-made pictures with the shipped model, and end to end on real data."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_numbers import UNIT, write

from app.reading import number_pictures
from app.reading.form_lines import without_box, without_underline
from app.reading.number_pictures import read_picture
from app.reading.stroke_inputs import drawing_picture
from app.reading.synthetic_numbers import in_a_box, underlined

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def model():
    from app.models.model_store import load

    return load("default", ROOT / "saved_models")


def framed(ink: np.ndarray, thickness: int) -> np.ndarray:
    """``ink`` with a box of lines ``thickness`` thick along its edges."""
    out = ink.copy()
    out[:thickness], out[-thickness:], out[:, :thickness], out[:, -thickness:] = 1.0, 1.0, 1.0, 1.0
    return out


def test_without_box_by_hand():
    """A box 2 pixels thick round a blob: the box goes, the blob stays; a stroke that touches the top
    side stays below it; a square drawn bold (a 0 as a rectangle), a box holding nothing and three
    sides of one are left as they are."""
    ink = np.zeros((60, 100), np.float32)
    ink[20:40, 30:50] = 1.0
    out = without_box(framed(ink, 2))
    assert np.array_equal(out, ink)
    touching = framed(ink, 2)
    touching[2:20, 60:63] = 1.0   # (a stroke from the top side down)
    out = without_box(touching)
    assert out[3:20, 60:63].all() and not out[:, :2].any() and not out[-2:].any() and out[20:40, 30:50].all()
    square = framed(np.zeros((40, 40), np.float32), 8)
    assert np.array_equal(without_box(square), square)
    empty = framed(np.zeros((60, 100), np.float32), 2)
    assert np.array_equal(without_box(empty), empty)
    three = framed(ink, 2)
    three[:, -2:] = 0.0
    assert np.array_equal(without_box(three), three)


def test_without_underline_by_hand():
    """Three blobs 30 high and a line 3 thick and 115 long under them: the line goes. A dash under
    them shorter than 1.2 of their height, a line over them and a line under one of them only stay."""
    ink = np.zeros((60, 200), np.float32)
    for left in (20, 60, 100):
        ink[10:40, left:left + 20] = 1.0
    under = ink.copy()
    under[46:49, 15:130] = 1.0
    assert np.array_equal(without_underline(under), ink)
    for rows, columns in ((slice(46, 49), slice(50, 80)), (slice(2, 5), slice(15, 130)), (slice(46, 49), slice(95, 200))):
        other = ink.copy()
        other[rows, columns] = 1.0
        if columns == slice(95, 200):   # (a line under the last blob only: the writing reaches to 200)
            other[10:40, 170:190] = 1.0
        assert np.array_equal(without_underline(other), other), (rows, columns)


def as_before(monkeypatch, read):
    """What ``read()`` gives with boxes and lines under the writing read as writing (before 2026-12-07)."""
    with monkeypatch.context() as m:
        m.setattr(number_pictures, "without_box", lambda ink: ink)
        m.setattr(number_pictures, "without_underline", lambda ink: ink)
        return read()


@pytest.mark.parametrize("digits, text, thickness, margin", [((UNIT[1], UNIT[3], UNIT[7]), "137", 2, 15),
                                                            ((UNIT[2], UNIT[0], UNIT[4], UNIT[7]), "2047", 5, 15),
                                                            ((UNIT[7], UNIT[1]), "71", 3, 2)])
def test_a_number_in_a_box_is_read_without_it(model, monkeypatch, digits, text, thickness, margin):
    """A hand-made number in a box, thin or thick, apart or touching it: its digits, where the box's
    sides read as 1s before ("11371", "20971", "171")."""
    picture = in_a_box(drawing_picture(write(*digits)), thickness, margin)
    assert read_picture(model, picture).text == text
    assert as_before(monkeypatch, lambda: read_picture(model, picture).text) != text


def test_numbers_in_a_box_or_underlined_end_to_end(model, pendigits_file, monkeypatch):
    """End to end on real data: 60 numbers of 2-6 digits of the held-out pen writers, drawn on the
    canvas, each in a box (2 pixels, 15 from its ink) and underlined: read as well as without (all 60
    here; in a box 10 before, underlined 44); and the plain ones exactly as before."""
    from app.pen import pendigits
    from app.reading import synthetic_numbers

    held = set(model.metadata["pen"]["held_out_writers"])
    digits = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    numbers = synthetic_numbers.numbers(digits, 60, 3, (2, 6))
    plain = [synthetic_numbers.picture(n.strokes) for n in numbers]

    def right(pictures) -> float:
        return float(np.mean([read_picture(model, p).text == n.text for p, n in zip(pictures, numbers)]))

    in_boxes, under = [in_a_box(p) for p in plain], [underlined(p) for p in plain]
    now = right(in_boxes), right(under)
    before = as_before(monkeypatch, lambda: (right(in_boxes), right(under)))
    assert now[0] >= 0.9 and now[1] >= 0.9 and now[0] >= before[0] + 0.3 and now[1] >= before[1] + 0.1, (now, before)
    texts = [read_picture(model, p).text for p in plain]
    assert texts == as_before(monkeypatch, lambda: [read_picture(model, p).text for p in plain])
