"""A number written in two lines (rows), read line by line (app/reading/lines.py): the geometry by
hand, hand-made strokes and their picture with the shipped model, and writing of one line (or one
digit broken in two) read exactly as before."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fixtures import run_command
from test_numbers import UNIT, write

from app.reading.lines import LINE_GAP, MOST_BANDS, in_lines, lines_of, picture_lines, read_written, stroke_lines
from app.reading.number_pictures import read_picture
from app.reading.numbers import read_strokes
from app.reading.stroke_inputs import drawing_picture
from app.reading.strokes import Stroke

ROOT = Path(__file__).resolve().parent.parent


def same(a, b) -> bool:
    """Two readings alike: each digit's box, strokes and shares."""
    return [(d.box, d.strokes, d.reading.shares.tobytes()) for d in a.digits] == [
        (d.box, d.strokes, d.reading.shares.tobytes()) for d in b.digits]


@pytest.fixture(scope="module")
def model():
    from app.models.model_store import load

    return load("default", ROOT / "saved_models")


def test_lines_by_hand():
    """Boxes (left, top, right, bottom) 100 high: two rows 30 apart are two lines, top to bottom,
    whatever the order given; 10 apart (under ``LINE_GAP`` of 100), one. A dash 10 high 30 above a
    row is no line of its own (under ``SHORTEST_LINE``); a row stepping up beside another, side by
    side, is one line (``STACKED``); heights that overlap are one line, however they chain."""
    row, below = (0, 0, 200, 100), (20, 130, 180, 230)
    assert lines_of([below, row]) == [[1], [0]]
    assert lines_of([row, (20, 100 + 10, 180, 210)]) == [[0, 1]]
    assert LINE_GAP * 100 > 10
    assert lines_of([row, (50, -40, 90, -30)]) == [[0, 1]]                # a dash above: its row's
    assert lines_of([row, (210, -130, 400, -30)]) == [[0, 1]]             # stepping up, side by side
    assert lines_of([(0, 0, 50, 100), (40, 90, 90, 190), (80, 180, 130, 280)]) == [[0, 1, 2]]
    assert lines_of([row, below, (0, 260, 150, 360)]) == [[0], [1], [2]]   # three rows
    assert lines_of([]) == []
    stripes = [(0, 10 * k, 100, 10 * k + 5) for k in range(MOST_BANDS + 1)]   # more bands than writing has: one line
    assert lines_of(stripes) == [list(range(MOST_BANDS + 1))]


def test_picture_lines_by_hand():
    """Ink in two bands (rows 10-40 and 60-90 of 100, the same columns): two lines, parted halfway
    through the gap (row 50); one band, or none: the whole picture."""
    ink = np.zeros((100, 80), np.float32)
    ink[10:40, 10:70] = 1.0
    assert picture_lines(ink) == [(0, 100)]
    ink[60:90, 10:70] = 1.0
    assert picture_lines(ink) == [(0, 50), (50, 100)]
    assert picture_lines(np.zeros((30, 30), np.float32)) == [(0, 30)]


TWO_ROWS = write(UNIT[1], UNIT[2], height=90, top=20, x=30) + write(UNIT[3], UNIT[4], height=90, top=150, x=30)


def test_a_number_in_two_rows_reads_line_by_line(model):
    """"12" written over "34" (90 high, 40 apart: 22 between their ink with the 18-unit brush):
    "1234", each digit its own strokes and box in its row; read as one line it is none of that
    (its digits levelled and leaned together). The same as a picture, and as a drawing file."""
    number = read_written(model, TWO_ROWS)
    assert number.text == "1234" and number.status == "read"
    assert [d.strokes for d in number.digits] == [(0,), (1,), (2,), (3, 4)]
    assert [d.box[1] < 120 for d in number.digits] == [True, True, False, False]
    assert read_strokes(model, TWO_ROWS).text != "1234"
    picture = drawing_picture(TWO_ROWS, 280)
    read = read_picture(model, picture, ink_is_bright=False)
    assert read.text == "1234" and [d.box[1] < 140 for d in read.digits] == [True, True, False, False]
    assert [len(line) for line in stroke_lines(TWO_ROWS)] == [2, 3]


def test_two_rows_in_a_drawing_file(tmp_path, capsys):
    """``predict`` of a drawing file of two rows says the number, top row first."""
    path = tmp_path / "rows.json"
    path.write_text(json.dumps({"strokes": [{"width": s.width, "points": [list(p) for p in s.points]} for s in TWO_ROWS]}))
    code, out, err = run_command(capsys, "predict", str(path), "--json", "--models-dir", str(ROOT / "saved_models"))
    assert code == 0 and json.loads(out.splitlines()[0])["text"] == "1234", err


def test_one_line_and_a_digit_apart_read_as_before(model):
    """A number of one line is read by ``read_strokes`` itself (the same reading); so is a digit whose
    strokes lie apart up and down (a 5's bar drawn high over its body), and a number written stepping
    up: one digit or one line, not rows."""
    line = write(UNIT[1], UNIT[4], UNIT[7])
    assert same(read_written(model, line), read_strokes(model, line))
    five = [Stroke(18.0, [(60, 150), (50, 190), (90, 190), (100, 230), (60, 250)]), Stroke(18.0, [(60, 100), (110, 100)])]
    assert len(stroke_lines(five)) == 1 and same(read_written(model, five), read_strokes(model, five))
    stepping = write(UNIT[1], UNIT[2], height=80, top=150) + write(UNIT[3], UNIT[7], height=80, top=20, x=200)
    assert len(stroke_lines(stepping)) == 1


def test_a_digit_broken_in_two_reads_as_one(model):
    """A 1 drawn as two strokes apart up and down (a pen that skipped): two lines of ink, but read as
    one line it is one digit, and so it stays (a digit alone reads as it always did), from its
    strokes and from its picture."""
    broken = [Stroke(18.0, [(100, 40), (100, 120)]), Stroke(18.0, [(100, 160), (100, 240)])]
    assert len(stroke_lines(broken)) == 2
    assert same(read_written(model, broken), read_strokes(model, broken))
    assert read_written(model, broken).text == "1"
    picture = drawing_picture(broken, 280)
    assert read_picture(model, picture, ink_is_bright=False).text == "1"


def test_in_lines_keeps_each_lines_digits_in_turn(model):
    first, second = read_strokes(model, write(UNIT[1])), read_strokes(model, write(UNIT[7]))
    assert in_lines([first, second]).digits == first.digits + second.digits
