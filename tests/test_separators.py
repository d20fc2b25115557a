"""A hyphen between a number's digits ("12-34") is left out of the number, from strokes and from a
picture: by hand (what is a hyphen and what is a digit's own bar) and end to end. Uses the shipped model."""
from __future__ import annotations

import numpy as np
import pytest
from test_numbers import CROSSED_7, NINE, UNIT, write

from app.reading import number_pictures, numbers
from app.reading.number_pictures import ink_map, read_picture
from app.reading.numbers import _boxes, _reading_pieces, read_strokes
from app.reading.separators import is_separator, separator_blobs
from app.reading.stroke_inputs import drawing_picture
from app.reading.writing_line import leaned, upright_shifts

DASH = [[(0.1, 0.55), (0.9, 0.52)]]   # a slot as wide as a digit, its middle half way down


def _separators(strokes) -> list[int]:
    """Which strokes the stroke reader would leave out as hyphens (none is cut: plain digits), judged
    upright as it judges them."""
    pieces, owners, height = _reading_pieces(strokes)
    upright = [leaned([piece], lean)[0] for piece, lean in zip(pieces, upright_shifts(pieces))]
    boxes = _boxes(upright)
    return sorted(owners[k] for k in range(len(pieces)) if is_separator(upright, owners, k, boxes, height))


def _separator_blobs(strokes) -> list[int]:
    """Which blobs of the strokes' picture, left to right, the picture reader would leave out."""
    ink = ink_map(np.asarray(drawing_picture(strokes), np.float32), False)
    _, blobs, height, _ = number_pictures._ready(ink)
    return sorted(separator_blobs(blobs, height))


def test_a_hyphen_between_digits_is_a_separator_by_hand():
    assert _separators(write(UNIT[1], UNIT[2], DASH, UNIT[3])) == [2]
    assert _separator_blobs(write(UNIT[1], UNIT[2], DASH, UNIT[3])) == [2]
    # Slanted a little, written right to left, short: still one.
    assert _separators(write(UNIT[7], [[(0.85, 0.5), (0.2, 0.58)]], UNIT[0])) == [1]
    assert _separators(write(UNIT[7], [[(0.35, 0.5), (0.6, 0.5)]], UNIT[0])) == [1]


@pytest.mark.parametrize("name, strokes", [
    ("a 7's cross: its stem goes through it", write(UNIT[1], CROSSED_7, UNIT[0])),
    ("a 4's bar written apart: its stem goes through it", write(UNIT[1], [[(0.3, 0.0), (0.1, 0.6)], [(0.05, 0.6), (0.95, 0.6)],
                                                                          [(0.7, 0.2), (0.7, 1.0)]], UNIT[0])),
    ("a 5's top bar: at the writing's top", write(UNIT[1], [[(0.2, 0.0), (0.15, 0.45), (0.7, 0.45), (0.8, 0.8), (0.4, 1.0),
                                                              (0.1, 0.9)], [(0.2, 0.0), (0.85, 0.0)]], UNIT[0])),
    ("a 1's base: at the writing's foot", write(UNIT[2], [[(0.35, 0.12), (0.55, 0.0), (0.55, 1.0)], [(0.2, 1.0), (0.9, 1.0)]],
                                                UNIT[0])),
    ("a dash at the end: no digit right of it", write(UNIT[1], UNIT[2], DASH)),
    ("a dash alone", write(DASH)),
    ("a dash that rises: a 1 lying down", write(UNIT[1], [[(0.1, 0.8), (0.9, 0.3)]], UNIT[0])),
    ("a dash longer than a digit is high", write(UNIT[1], [[(-0.8, 0.5), (1.0, 0.5)]], UNIT[0], gap=1.4)),
    ("a dot", write(UNIT[1], [[(0.45, 0.5), (0.55, 0.5)]], UNIT[0])),
])
def test_what_is_no_separator_by_hand(name, strokes):
    assert _separators(strokes) == [], name
    assert _separator_blobs(strokes) == [], name   # (in a picture a digit's bar is ink of the digit's blob)


def test_a_7_s_cross_that_misses_its_stem_is_no_separator(model):
    """A cross drawn short of the stem is a stroke, and a blob of a picture, apart from its 7; it lies
    over the 7 (its blob is the 7's: ``ink_blobs.merge_overlapping``), not between digits."""
    seven = [[(0.05, 0.05), (0.95, 0.05), (0.4, 1.0)], [(0.15, 0.55), (0.45, 0.55)]]
    strokes = write(UNIT[1], seven, UNIT[0], height=200, gap=0.3)
    assert _separators(strokes) == [] and _separator_blobs(strokes) == []
    assert read_strokes(model, strokes).text == "170"
    assert read_picture(model, drawing_picture(strokes), ink_is_bright=False).text == "170"


HYPHENATED = [   # (digits, as read, height, gap)
    ((UNIT[1], UNIT[2], DASH, UNIT[3], UNIT[4]), "1234", 150, 0.05),
    ((UNIT[1], UNIT[2], DASH, UNIT[3], UNIT[4]), "1234", 100, 0.2),
    ((UNIT[2], UNIT[0], DASH, UNIT[7], UNIT[7]), "2077", 200, 0.3),
    ((UNIT[4], DASH, UNIT[1], UNIT[1]), "411", 150, 0.05),
    ((UNIT[1], DASH, UNIT[1]), "11", 100, 0.2),
    ((UNIT[1], DASH, UNIT[1]), "11", 150, 0.05),
    ((UNIT[1], DASH, UNIT[2]), "12", 200, 0.3),
    ((UNIT[1], DASH, UNIT[7]), "17", 200, 0.3),
    (([NINE], DASH, UNIT[3]), "93", 100, 0.2),
]


@pytest.mark.parametrize("digits, text, height, gap", HYPHENATED)
def test_a_hyphen_between_digits_is_left_out(model, digits, text, height, gap):
    strokes = write(*digits, height=height, gap=gap)
    assert read_strokes(model, strokes).text == text
    assert read_picture(model, drawing_picture(strokes), ink_is_bright=False).text == text


def test_without_leaving_hyphens_out_they_spoil_the_number(model, monkeypatch):
    """The cases above, read with hyphens as any other mark: joined to a digit, said "?", or the
    whole said "not a digit" ("1-1" in one blob, an "H" lying down). So they test the rule."""
    monkeypatch.setattr(numbers, "is_separator", lambda *args: False)
    monkeypatch.setattr(number_pictures, "separator_blobs", lambda *args: set())
    from_strokes = from_pictures = 0
    for digits, text, height, gap in HYPHENATED:
        strokes = write(*digits, height=height, gap=gap)
        from_strokes += read_strokes(model, strokes).text != text
        from_pictures += read_picture(model, drawing_picture(strokes), ink_is_bright=False).text != text
    assert from_strokes >= 6 and from_pictures >= 4, (from_strokes, from_pictures)   # (of 9 each)




def test_hyphenated_by_hand():
    """``synthetic_numbers.hyphenated``: the digits as they were but those after the hyphen moved right,
    the hyphen a level stroke between them, clear of both (0 to 0.2 of the height), 0.2-0.5 long."""
    from app.reading.strokes import Stroke
    from app.reading.synthetic_numbers import Number, hyphenated

    one, seven, bar = [(10.0, 100.0), (10.0, 0.0)], [(40.0, 5.0), (100.0, 5.0), (70.0, 100.0)], [(50.0, 50.0), (90.0, 50.0)]
    number = Number([Stroke(18.0, one), Stroke(18.0, seven), Stroke(18.0, bar)], "17", [1, 2])
    for seed in range(20):
        strokes = hyphenated(number, np.random.default_rng(seed))
        assert len(strokes) == 4 and strokes[0].points == one
        dash = np.array(strokes[1].points)
        shift = strokes[2].points[0][0] - seven[0][0]
        assert [s.points for s in strokes[2:]] == [[(x + shift, y) for x, y in p] for p in (seven, bar)]
        assert 20 <= np.ptp(dash[:, 0]) <= 50 and np.ptp(dash[:, 1]) <= 0.15 * np.ptp(dash[:, 0]) + 1e-9
        assert 10.0 <= dash[:, 0].min() <= 30.0 and 0 <= 40.0 + shift - dash[:, 0].max() <= 20.0 + 1e-9
        assert 40 <= dash[0, 1] <= 60 or 40 <= dash[-1, 1] <= 60


def test_a_long_row_of_dashes_is_looked_at_in_proportion_to_its_length(model, monkeypatch):
    """Each dash follows only the strokes over its middle through it (not every stroke of the drawing):
    a drawing file of a thousand dashes must not cost a million."""
    from app.reading import separators
    from app.reading.strokes import Stroke

    calls = []
    real = separators._passes
    monkeypatch.setattr(separators, "_passes", lambda *args: calls.append(1) or real(*args))
    for count in (30, 120):
        calls.clear()
        strokes = [Stroke(18.0, [(20 + 60 * k, 140.0), (60 + 60 * k, 140.0)]) for k in range(count)]
        strokes += [Stroke(18.0, [(40 + 60 * k, 60.0), (40 + 60 * k, 220.0)]) for k in range(0, count, 3)]
        read_strokes(model, strokes)
        assert len(calls) <= 4 * len(strokes), (count, len(calls))
