"""Whole numbers: hand-made stroke sets, a picture of touching digits, drawing files, and the
rule that one digit drawn alone reads exactly as the window reads it. Uses the shipped model."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from fixtures import phone_photo, run_command
from scipy import ndimage

from app.reading.drawing_files import DrawingFileError, load_drawing
from app.reading.ink_blobs import Blob, find_blobs
from app.reading.number_pictures import ink_as_read, ink_map, read_picture
from app.reading.numbers import read_strokes
from app.reading.predictor import Predictor, Reading, prepare_drawing
from app.reading.stroke_inputs import drawing_picture
from app.reading.strokes import Drawing, Stroke

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "saved_models" / "default"

# Digits on a unit square (x right, y down), one list per stroke: how people write them.
UNIT = {
    0: [[(0.5, 0.0), (0.15, 0.2), (0.05, 0.5), (0.15, 0.8), (0.5, 1.0), (0.85, 0.8), (0.95, 0.5), (0.85, 0.2), (0.5, 0.0)]],
    1: [[(0.35, 0.12), (0.55, 0.0), (0.55, 1.0)]],
    2: [[(0.1, 0.25), (0.35, 0.02), (0.7, 0.05), (0.85, 0.3), (0.6, 0.6), (0.1, 1.0), (0.95, 1.0)]],
    3: [[(0.15, 0.1), (0.5, 0.0), (0.8, 0.15), (0.75, 0.38), (0.4, 0.5), (0.8, 0.62), (0.85, 0.85), (0.5, 1.0), (0.1, 0.9)]],
    4: [[(0.65, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.25), (0.7, 1.0)]],   # two strokes
    7: [[(0.05, 0.05), (0.95, 0.05), (0.4, 1.0)]],
}
CROSSED_7 = UNIT[7] + [[(0.35, 0.55), (0.85, 0.5)]]
# A 4 whose arm curves down into a low bar, then its stem: the arm alone reads as a sure 2.
FOUR_LOW_BAR = [[(0.45, 0.0), (0.48, 0.22), (0.35, 0.59), (0.12, 0.77), (0.0, 0.84), (0.23, 0.85), (0.63, 0.87), (1.0, 0.85)],
                [(0.85, 0.38), (0.71, 0.3), (0.71, 0.4), (0.77, 0.6), (0.85, 0.86), (0.87, 1.0)]]
LOOPED_00 = [[(x, y) for x, y in UNIT[0][0]] + [(1.15 + x, y) for x, y in UNIT[0][0]]]   # one stroke
TWO_BASE_UP = [(0.1, 0.25), (0.35, 0.02), (0.7, 0.05), (0.85, 0.3), (0.6, 0.6), (0.1, 1.0), (0.6, 0.97), (0.95, 0.9)]
NINE = [(0.85, 0.2), (0.5, 0.0), (0.15, 0.2), (0.3, 0.45), (0.85, 0.3), (0.8, 0.6), (0.7, 1.0)]   # one stroke
ONE_THEN_0 = [[(0.1, 0.0), (0.1, 1.0), (0.3, 0.2)] + [(0.35 + 0.8 * x, y) for x, y in UNIT[0][0]]]
ZIGZAG_111 = [[(0.1, 0.0), (0.1, 1.0), (0.45, 0.0), (0.45, 1.0), (0.8, 0.0), (0.8, 1.0)]]


def write(*digits, height=150.0, gap=0.35, top=60.0, brush=18.0, x=20.0) -> list[Stroke]:
    """Strokes of ``digits`` (unit-square stroke lists) written left to right on the canvas."""
    strokes = []
    for unit in digits:
        width = height * 0.6
        for line in unit:
            strokes.append(Stroke(brush, [(x + px * width, top + py * height) for px, py in line]))
        x += width * (1 + gap)
    return strokes


@pytest.mark.parametrize("name, strokes, text", [
    ("a 4 in two strokes", write(UNIT[4]), "4"),
    ("a crossed 7", write(CROSSED_7), "7"),
    ("11", write(UNIT[1], UNIT[1]), "11"),
    ("1994 with a 4 in two strokes", write(UNIT[1], UNIT[3], UNIT[7], UNIT[4]), "1374"),
    ("a 7 whose bar reaches over the next digit", write([[(0.05, 0.05), (1.3, 0.05), (0.45, 1.0)]], UNIT[1], gap=0.45), "71"),
    ("a looped 00 in one stroke", write(LOOPED_00), "00"),
    ("10 in one stroke", write(ONE_THEN_0), "10"),
    ("111 in one zigzag stroke", write(ZIGZAG_111), "111"),
    ("digits that overlap in x", write(UNIT[2], UNIT[3], UNIT[0], UNIT[7], gap=-0.12), "2307"),
    ("a 4 in two strokes between other digits", write(UNIT[2], UNIT[4], UNIT[1], gap=0.05), "241"),
    # (read "21", "212" and "121" before a foot raised above the baseline cost)
    ("a 4 whose arm reads as a 2 alone", write(FOUR_LOW_BAR), "4"),
    ("42, the 4's arm reading as a 2 alone", write(FOUR_LOW_BAR, UNIT[2], gap=0.2), "42"),
    ("14, the 4's arm reading as a 2 alone", write(UNIT[1], FOUR_LOW_BAR, gap=0.05), "14"),
])
def test_hand_made_stroke_sets(model, name, strokes, text):
    assert read_strokes(model, strokes).text == text, name


@pytest.mark.parametrize("step", [0.25, 1.0, 4.0])
def test_strokes_sampled_densely_read_as_sampled_sparsely(model, step):
    """The same lines with a point every quarter unit, every unit or every four units (tablets sample
    at their own rates; a slow hand on the window gives a point a unit) draw the same candidates and
    read alike. A candidate drawn small skipped each point within a pixel of the one before: a densely
    sampled stroke was drawn as its first point, and 300 held-out numbers sampled 8 times as densely
    read 77 % instead of 98 %."""
    from app.reading.stroke_inputs import fast_crop
    from app.reading.synthetic_numbers import resampled

    strokes = write(UNIT[2], UNIT[4], UNIT[1], UNIT[7], gap=0.05)
    dense = resampled(strokes, step)
    for group in ([0], [1, 2], [3], [4]):
        sparse_crop, dense_crop = fast_crop([strokes[k] for k in group]), fast_crop([dense[k] for k in group])
        assert np.abs(np.subtract(sparse_crop.shape, dense_crop.shape)).max() <= 2, group
        ink = (sparse_crop > 0.5).sum()   # (a disc at every point widens the line's edges by a pixel at most)
        assert ink <= (dense_crop > 0.5).sum() <= 1.2 * ink, group
        h, w = np.minimum(sparse_crop.shape, dense_crop.shape)
        assert (np.abs(sparse_crop[:h, :w] - dense_crop[:h, :w]) > 0.5).sum() < 0.2 * ink, group
    assert read_strokes(model, dense).text == read_strokes(model, strokes).text == "2417"


def joined(*digits, height=150.0, gap=0.35, top=60.0, brush=18.0, x=20.0) -> Stroke:
    """One stroke through the unit-square strokes of digits written left to right without lifting
    the pen: the pen goes on from one digit's last point to the next one's first."""
    points = []
    for unit in digits:
        width = height * 0.6
        points += [(x + px * width, top + py * height) for px, py in unit]
        x += width * (1 + gap)
    return Stroke(brush, points)


TWO_TOP = [(45.0 - 32.0 * np.cos(t), 90.0 - 36.0 * np.sin(t)) for t in np.linspace(0.2, np.pi - 0.3, 8)]   # a 2's arc


@pytest.mark.parametrize("strokes, text", [
    ([joined(UNIT[1][0][1:], UNIT[7][0])], "17"),   # a 1's stem, up to the 7's bar and down
    ([joined(UNIT[7][0], UNIT[1][0])], "71"),
    ([joined(UNIT[1][0][1:], UNIT[4][0]), write(UNIT[4], x=20 + 90 * 1.35)[1]], "14"),   # the 4's stem apart
    ([joined(UNIT[2][0], UNIT[2][0])], "22"),   # the first 2's base runs on, rising, into the second
    ([Stroke(18.0, [(30.0, 60.0), (30.0, 210.0), (95.0, 60.0), (95.0, 210.0)])], "11"),   # narrow zigzags
    ([Stroke(18.0, [(40.0, 60.0), (40.0, 210.0), (60.0, 60.0), (110.0, 60.0), (70.0, 210.0)])], "17"),
    ([joined(UNIT[2][0], UNIT[0][0], UNIT[0][0], gap=0.1)], "200"),   # the links reach over the 0s
    ([joined(UNIT[2][0], UNIT[3][0])], "23"),   # (read "713" while a link left out cost log 0.5)
    ([joined(UNIT[3][0], UNIT[2][0])], "32"),   # ("312")
    ([joined(UNIT[2][0], UNIT[2][0], UNIT[2][0])], "222"),   # ("2012")
    ([joined(TWO_BASE_UP, UNIT[7][0])], "27"),   # a base rising a little, then into the link ("751")
    ([joined(UNIT[3][0], UNIT[3][0])], "33"),   # sharp corners (cut at 45 degrees, not 90, it read "263")
    ([joined(UNIT[2][0], NINE)], "29"),   # the link turns into the 9 by about 90 degrees ("791" when cut over 90 only)
    (write(UNIT[7]) + [joined(CROSSED_7[1], UNIT[3][0])], "73"),   # a 7's cross written last, run on up into
    (write(UNIT[7], gap=0.2) + [joined(CROSSED_7[1], UNIT[0][0], gap=0.2)], "70"),   # the next digit ("?3", "7?")
    *[([joined(*digits, gap=gap)], text) for gap in (0.2, 0.35, 0.5) for digits, text in (
        ([UNIT[0][0]] * 3, "000"), ([UNIT[1][0][1:]] + [UNIT[0][0]] * 3, "1000"), ([UNIT[0][0]] * 2, "00"),
        ([UNIT[0][0], UNIT[7][0]], "07"))],   # looped 0s, the pen going on along their tops ("070", "1070", "":
    # the link read with a 0 spoilt it); a 7's bar run on from a 0 is still the 7's
    *[([Stroke(18.0, TWO_TOP + [(12.0, 205.0), (base, 205.0), (base + 28.0, 60.0), (base + 28.0, 205.0)])], "21")
      for base in (95.0, 105.0, 115.0)],   # a 2's base run on straight up into a 1: 0.76-0.88 of its height
])                                         # wide, cut at its corners too since 2026-12-05 (22) ("71": no base)
def test_a_link_between_digits_written_in_one_stroke_is_left_out(model, strokes, text):
    """The pen's way up from one digit's foot to the next one's top is no digit; attached to one it
    spoilt it ("17" in one stroke read "1?"). Left out, it costs ``LINK_COST``: numbers of the
    held-out writers with half their natural joins made (the pen going on to the right, under 0.8 of
    a digit's height) read 83.3 -> 87.0 %, with every one 72.0 -> 76.3 %, numbers without joins alike;
    since 2026-12-05 (20) it cost nothing but the split penalty (kept, it still spoilt digits: "23" read
    "713"), since 2026-12-07 (44) log 0.99 and no split penalty (a 6 with a link read "8").
    A 2's level base is cut where it ends as well as where it begins ("22" read "72": the base and
    the link were one piece), and a link lying over the digit it rises to costs nothing ("200" with
    close 0s read "700"). A stroke no wider than a digit that goes down, all the way up and down again
    is two digits joined ("11" read "", not a digit; "17" alike). A level part running right from
    where the stroke closed a loop is a link too (looped 0s joined along their tops)."""
    assert read_strokes(model, strokes).text == text



SIX = [(0.8, 0.05), (0.4, 0.2), (0.15, 0.55), (0.2, 0.9), (0.5, 1.0), (0.8, 0.85), (0.75, 0.6), (0.4, 0.55), (0.2, 0.7)]


@pytest.mark.parametrize("gap", [0.1, 0.2, 0.35, 0.5])
def test_a_six_whose_stroke_runs_on_into_the_next_digit_is_no_8(model, gap):
    """A 6 whose pen, its loop closed, goes on up into the next digit: the link, left out, costs
    ``LINK_COST`` and no split penalty (it is no digit). While it paid that penalty too (log 0.97
    more), the 6 with the link through its stem, a sure 8 at 0.99, read better ("67" read "87",
    "64" "84", "60" "80", "61" "81")."""
    assert read_strokes(model, [joined(SIX, UNIT[1][0], gap=gap)]).text == "61"
    assert read_strokes(model, [joined(SIX, UNIT[4][0], gap=gap), write(UNIT[4], x=20 + 90 * (1 + gap))[1]]).text == "64"
    assert read_strokes(model, [joined(SIX, UNIT[7][0], gap=gap)]).text == "67"
    assert read_strokes(model, [joined(SIX, UNIT[0][0], gap=gap)]).text == "60"

def test_corners_apart_are_found_as_by_comparing_each_with_all():
    """Corners (and cuts) more than a distance apart along the path are kept by looking at the nearest
    ones only (``_apart``): the same corners and cuts as comparing each with all before it, which took
    minutes for a scribble of thousands of turns."""
    from app.reading import joined_strokes
    from app.reading.joined_strokes import corners, cut_joined
    from app.reading.strokes import arc_lengths

    def apart_by_all(taken: list[float], at: float, distance: float) -> bool:   # the definition
        if all(abs(at - other) > distance for other in taken):
            taken.append(at)
            taken.sort()
            return True
        return False

    rng = np.random.default_rng(0)
    for _ in range(40):
        path = np.cumsum(rng.normal(0, 3, (int(rng.integers(5, 300)), 2)), axis=0)
        reach, least = float(rng.uniform(0.5, 6)), float(rng.uniform(10, 120))
        stroke, height = Stroke(2.0, [tuple(q) for q in path.tolist()]), float(rng.uniform(5, 40))
        found, cut = corners(path, reach, least), cut_joined(stroke, height)
        original = joined_strokes._apart
        joined_strokes._apart = apart_by_all
        try:
            assert corners(path, reach, least) == found and cut_joined(stroke, height) == cut
        finally:
            joined_strokes._apart = original
        along = arc_lengths(path)
        assert all(abs(along[a] - along[b]) > 2 * reach for a, b in zip(found, found[1:]))
    assert joined_strokes._apart([1.0, 5.0], 3.0, 1.5) and not joined_strokes._apart([1.0, 5.0], 3.0, 2.0)


def test_a_scribble_of_thousands_of_turns_is_read_uncut(model):
    """A stroke cut at more than MOST_CUT_PIECES turns is no number: the drawing is read uncut, in the
    time a few strokes take (a zigzag of 4000 points took 15 s, 100000 hours)."""
    from app.reading.numbers import MOST_CUT_PIECES, _reading_pieces

    zigzag = [Stroke(18.0, [(x / 4, 100 + (x % 2) * 50) for x in range(4000)])]
    assert MOST_CUT_PIECES == 1000
    assert len(_reading_pieces(zigzag)[0]) == 1 and len(_reading_pieces([Stroke(18.0, zigzag[0].points[:800])])[0]) == 799
    assert read_strokes(model, zigzag).text == ""


def test_a_stroke_far_longer_than_the_canvas_is_drawn_scaled_down(model, monkeypatch):
    """A drawing file's stroke 200000 units long (a canvas 280 high) is drawn at most MOST_DRAWN units
    (drawn as it was, it wanted 23 GB of memory): read, as a 1."""
    from app.reading import stroke_inputs
    from app.reading.strokes import Drawing

    sizes, draw = [], Drawing.from_strokes.__func__
    monkeypatch.setattr(Drawing, "from_strokes", classmethod(lambda cls, strokes, size=280, width=None:
                                                             (sizes.append(size), draw(cls, strokes, size, width))[1]))
    line = [Stroke(18.0, [(10.0, -100_000.0), (10.0, 100_000.0)])]
    assert read_strokes(model, line).text == "1"
    assert sizes and max(sizes) <= stroke_inputs.MOST_DRAWN + 4 == 8 * 280 + 4

def test_where_a_joined_stroke_is_cut_by_hand():
    """A stroke of joined digits is cut at its tops and bottoms, at both ends of a level one, and
    at its corners (where a link runs flat into the next digit there is no top or bottom)."""
    import dataclasses

    from app.reading.joined_strokes import READING, TRAINED, corners, cut_joined, flat_ends, y_turns

    zigzag = np.array([(0, 0), (0, 10), (5, 0), (5, 10)], float)
    assert y_turns(zigzag[:, 1], 1.0) == [1, 2]
    seven = np.array([(x, 0.0) for x in range(0, 11)] + [(10.0 - 0.5 * y, y) for y in range(1, 11)])   # 117 degrees
    assert corners(seven, 2.0, least=90.0) == [10]
    assert corners(np.array([(x, 0.0) for x in range(21)]), 2.0, least=1.0) == []   # straight: none
    assert corners(seven, 2.0, least=135.0) == []   # none sharper than 135 degrees
    two = np.array([(0, 3), (2, 0), (4, 3), (0, 10), (2, 10), (4, 10), (8, 2)], float)   # a 2, base level, run on up
    assert y_turns(two[:, 1], 1.5) == [1, 3] and flat_ends(two, [1, 3], 10.0) == [5]
    narrow = Stroke(1.0, [(0.0, 0.0), (0.0, 10.0)])
    assert cut_joined(narrow, 10.0) == [narrow]   # a digit's own stroke stays whole
    pieces = cut_joined(Stroke(1.0, [tuple(p) for p in two]), 8.0)   # (wider than a digit)
    assert [len(p.points) for p in pieces] == [2, 2, 2, 3, 2]   # cut at the top, its neck (63 degrees), the base's two ends
    assert [len(p.points) for p in cut_joined(Stroke(1.0, [tuple(p) for p in two]), 8.0, TRAINED)] == [2, 3, 3, 2]   # (90)
    assert len(cut_joined(Stroke(1.0, [tuple(p) for p in two]), 10.0)) == 5   # (0.9 wide: the same)
    assert len(cut_joined(Stroke(1.0, [tuple(p) for p in two]), 14.0)) == 1   # (0.64 wide, two turns: a digit's own)
    bend = Stroke(1.0, [(0.0, 0.0), (10.0, 0.0), (11.7, 9.85)])   # a turn of 80 degrees, 12.7 wide
    # The readers' rules: wider than 0.8 heights, cut at every corner over 60 degrees...
    assert [len(cut_joined(bend, h)) for h in (8.0, 12.0, 15.0)] == [2, 2, 2]   # (1.6, 1.06, 0.85 wide)
    assert len(cut_joined(bend, 17.0)) == 1   # ...0.7-0.8 (a wide digit's width) only where it then goes up,
    assert len(cut_joined(bend, 17.0, on_ink=True)) == 2   # or, set off on ink, a level bar turns down (``_bar_corner``)
    assert len(cut_joined(bend, 17.0, dataclasses.replace(READING, bars=False), on_ink=True)) == 1
    up = Stroke(1.0, [(0.0, 10.0), (10.0, 10.0), (11.7, 0.15)])   # the same, turning up: a base run on into a link
    assert len(cut_joined(up, 17.0)) == 2
    rising = Stroke(1.0, [(0.0, 10.0), (10.0, 10.0), (16.43, 2.34)])   # a base turning up by 50 degrees, 1.45 heights wide
    assert len(cut_joined(rising, 12.0)) == 2   # (over 45 degrees, where the pen then rises)
    assert len(cut_joined(rising, 12.0, dataclasses.replace(READING, rising=180.0))) == 1   # (under 60 otherwise)
    # The training candidates' (TRAINED): over 1.2 corners over 60 degrees, over 0.9 over 90, 0.7-0.9 only going up.
    assert [len(cut_joined(bend, h, TRAINED)) for h in (8.0, 12.0, 15.0)] == [2, 1, 1]
    assert [len(cut_joined(up, h, TRAINED)) for h in (12.0, 15.0, 17.0)] == [1, 2, 2]
    from app.reading.joined_strokes import SHORTEST_PART, is_link

    # A level part running right from where its stroke closed a loop is a link; a 7's bar after a
    # link rising to it (the pen has not been there) and a level part going left are not.
    loop = [(5.0, 0.0), (0.0, 5.0), (5.0, 10.0), (10.0, 5.0), (5.0, 0.0)]   # a 0, from its top round to it
    link, half = [(5.0, 0.0), (15.0, 0.0)], [(15.0, 0.0), (12.0, 9.0)]
    pieces = [Stroke(1.0, loop), Stroke(1.0, link), Stroke(1.0, half)]
    assert is_link(pieces, [0, 0, 0], 1, 10.0)
    assert not is_link([Stroke(1.0, [(0.0, 10.0), (5.0, 0.0)]), Stroke(1.0, link), Stroke(1.0, half)], [0, 0, 0], 1, 10.0)
    assert not is_link([Stroke(1.0, loop[::-1]), Stroke(1.0, link[::-1]), Stroke(1.0, half)], [0, 0, 0], 1, 10.0)
    assert not is_link([Stroke(1.0, loop), Stroke(1.0, [(5.0, 0.0), (15.0, 4.0)]), Stroke(1.0, half)], [0, 0, 0], 1, 10.0)

    stroke = joined(UNIT[2][0], UNIT[2][0])   # (no stub: one beside a link read with it as a 1)
    lengths = [np.hypot(*np.diff(np.array(p.points), axis=0).T).sum() for p in cut_joined(stroke, 168.0)]
    assert len(lengths) >= 5 and min(lengths) > SHORTEST_PART * 168.0


def test_each_digit_of_a_joined_stroke_has_its_own_ink(model):
    """A digit of a stroke that runs on into the next digit is its own part of the stroke (what the
    personal store keeps of a digit taught), its parts joined again where they meet; the pen's way
    between them is no digit's. A digit of strokes of its own is those strokes, as written."""
    stroke = joined(UNIT[1][0][1:], UNIT[7][0])
    one, seven = read_strokes(model, [stroke]).digits
    assert [len(one.ink), len(seven.ink)] == [1, 1] and one.strokes == seven.strokes == (0,)
    assert max(x for x, _ in one.ink[0].points) < min(x for x, _ in seven.ink[0].points)   # (no link in either)
    everything = [tuple(p) for p in stroke.points]
    for digit in (one, seven):   # a run of the stroke's own points, in order
        first = everything.index(digit.ink[0].points[0])
        assert everything[first:first + len(digit.ink[0].points)] == list(digit.ink[0].points)
    apart = write(UNIT[1], UNIT[4])
    assert [d.ink for d in read_strokes(model, apart).digits] == [tuple(apart[:1]), tuple(apart[1:])]


def test_a_bar_written_after_the_next_digit_joins_the_digit_it_lies_on(model):
    """A crossed 7's cross, written once the 2 after it is done: two strokes apart in writing order."""
    seven, cross, two = write(CROSSED_7, UNIT[2], gap=0.9)
    number = read_strokes(model, [seven, two, cross])
    assert number.text == "72" and [d.strokes for d in number.digits] == [(0, 2), (1,)]


def test_a_bar_is_cut_where_it_turns_down_by_hand():
    """A stroke that sets off on another's ink as a level bar to the right and turns down at a
    corner is cut there, however narrow (a 5's bar written last, the pen running on into a 1); a bar
    too short, one that climbs, or a turn up is no such corner."""
    from app.reading.joined_strokes import _bar_corner, cut_joined, starts_on_ink
    from app.reading.numbers import _boxes

    body, bar = Stroke(18.0, [(60.0, 90.0), (20.0, 90.0), (20.0, 25.0)]), Stroke(18.0, [(22.0, 20.0), (80.0, 20.0)])
    assert starts_on_ink([body, bar], _boxes([body, bar]), 70.0, [0, 1]) == [False, True]   # (the bar begins by the body's end)
    away = [body, Stroke(18.0, [(50.0, 20.0), (80.0, 20.0)])]
    assert starts_on_ink(away, _boxes(away), 70.0, [0, 1]) == [False, False]

    seven = np.array([(0.0, 0.0), (5.0, 0.2), (10.0, 0.0), (8.0, 5.0), (6.0, 10.0)])   # 0.2 heights of bar at height 50
    assert _bar_corner(seven, 10.0) == 2 and _bar_corner(seven, 50.0) == 2
    assert _bar_corner(seven, 60.0) is None   # (the bar under 0.2 of the height)
    assert _bar_corner(np.array([(0.0, 5.0), (5.0, 2.0), (10.0, 0.0), (8.0, 5.0), (6.0, 10.0)]), 10.0) is None   # climbs
    assert _bar_corner(np.array([(0.0, 10.0), (5.0, 10.0), (10.0, 10.0), (11.0, 0.0)]), 10.0) is None   # turns up
    assert [len(p.points) for p in cut_joined(Stroke(1.0, [tuple(p) for p in seven]), 50.0, on_ink=True)] == [3, 3]
    assert len(cut_joined(Stroke(1.0, [tuple(p) for p in seven]), 50.0)) == 1   # (not set off on ink: a 7)


@pytest.mark.parametrize("gap", [10.0, 40.0])
def test_a_fives_bar_run_on_into_a_one_is_the_fives(model, gap):
    """A 5's bar written last, the pen going on into the 1 beside it: one stroke, narrower than the
    writing is high, that reads as a 7 ("57", or with the 1 close all of it as a "9") unless cut where
    the bar turns down; a 7 in one stroke still reads whole, and a 5 and a 7 apart as before."""
    body = [(60.0, 60.0), (56.0, 130.0)] + [(95 + 45 * math.cos(a), 175 + 45 * math.sin(a))
                                            for a in np.radians(np.linspace(-120, 140, 16))]
    x = 140 + gap
    joined = [Stroke(18.0, body), Stroke(18.0, [(62, 60), (100, 58), (130, 56), (x, 55), (x - 2, 130), (x - 4, 215)])]
    assert read_strokes(model, joined).text == "51"
    assert read_strokes(model, [Stroke(18.0, [(60, 55), (140, 55), (90, 215)])]).text == "7"
    apart = [Stroke(18.0, body), Stroke(18.0, [(62, 60), (130, 58)]), Stroke(18.0, [(x - 10, 55), (x + 50, 55), (x + 10, 215)])]
    assert read_strokes(model, apart).text == "57"


FIVE = [[(0.2, 0.05), (0.15, 0.45), (0.55, 0.38), (0.85, 0.6), (0.8, 0.88), (0.5, 1.0), (0.12, 0.9)],
        [(0.2, 0.05), (0.9, 0.05)]]   # body, then the bar


@pytest.mark.parametrize("name, digits, late, text", [
    ("a 4 finished after the 1 beside it", (UNIT[4], UNIT[1]), [1], "41"),
    ("both bars of 55 added at the end", (FIVE, FIVE), [1, 3], "55"),
    ("1574 with the 5's bar, the 7's cross and the 4's stem added last", (UNIT[1], FIVE, CROSSED_7, UNIT[4]), [2, 4, 6], "1574"),
])
def test_strokes_added_after_the_number_join_their_digits(model, name, digits, late, text):
    """People go back to finish a digit (a 5's bar, a 7's cross, a 4's stem) once the number is written:
    the stroke joins the digit it lies on, and each digit says which strokes (as written) make it."""
    strokes = write(*digits, gap=0.25)
    written = [k for k in range(len(strokes)) if k not in late] + late
    number = read_strokes(model, [strokes[k] for k in written])
    assert number.text == text, name
    assert read_strokes(model, strokes).text == text   # (written in order, it reads the same)
    assert [list(d.strokes) for d in number.digits] == [sorted(written.index(k) for k in group)
                                                        for group in _digit_strokes(digits)]


def _digit_strokes(digits) -> list[list[int]]:
    """Each digit's stroke numbers, as ``write`` writes them."""
    out, k = [], 0
    for unit in digits:
        out.append(list(range(k, k + len(unit))))
        k += len(unit)
    return out


def test_writing_order_moves_a_stroke_back_to_where_it_lies():
    """By hand: strokes by their x-spans. The third goes back over the first (its middle is left of
    the second), so it moves before the first stroke whose middle is right of its own."""
    from app.reading.numbers import _writing_order

    def at(lo, hi):
        return Stroke(2.0, [(lo + 1, 10.0), (hi - 1, 20.0)])   # (a stroke's span is its points +- half the width)

    assert _writing_order([at(0, 10), at(20, 30), at(2, 12)]) == [0, 2, 1]
    assert _writing_order([at(0, 10), at(20, 30), at(-5, 3)]) == [2, 0, 1]   # left of everything: first
    assert _writing_order([at(0, 10), at(20, 30), at(16, 26), at(40, 50)]) == [0, 1, 2, 3]   # overlapping: in turn
    # Two strokes added late: each measured against the last stroke written in turn (the 30-40).
    assert _writing_order([at(0, 10), at(30, 40), at(2, 8), at(22, 28)]) == [0, 2, 3, 1]


@pytest.mark.parametrize("digits, height, text", [((FIVE, UNIT[0], CROSSED_7), 60, "507"), ((UNIT[2], UNIT[3], UNIT[0]), 50, "230"),
                                                  ((UNIT[3],), 50, "3")])
def test_small_digits_written_with_a_broad_pen_are_read_thinned(model, digits, height, text):
    """The window's brush (24) on digits 50-60 units high: fat blots the network read as "?" (each of
    these, before); read with the pen thinned to 0.12 of their height, they are read, and each box is
    still of the ink as drawn."""
    strokes = write(*digits, height=height, brush=24.0, gap=0.3)
    number = read_strokes(model, strokes)
    assert number.text == text and number.status == "read"
    first = number.digits[0].box
    drawn = [(x, y) for s in strokes[:len(digits[0])] for x, y in s.points]
    assert first[1] <= min(y for _, y in drawn) - 11.5 and first[3] >= max(y for _, y in drawn) + 11.5   # (pen 24)


def test_pen_as_read_by_hand():
    """Writing 100 high: the pen as read is at most 12 and at least 8 (24 -> 12, 6 -> 8); writing 20
    high: at most the thinnest brush, 6, not 2.4; a line 40 long drawn 24 wide (ink 64 long: a small
    1 written with the window's brush) at most 6 too; a line under one pen long (its ink under two) is
    a dot, left be."""
    from app.reading.strokes import pen_as_read

    tall = [Stroke(24.0, [(0.0, 0.0), (0.0, 100.0)]), Stroke(6.0, [(10.0, 50.0)]), Stroke(10.0, [(20.0, 50.0)])]
    assert [s.width for s in pen_as_read(tall)] == [12.0, 8.0, 10.0] and pen_as_read(tall)[0].points == tall[0].points
    assert [s.width for s in pen_as_read([Stroke(10.0, [(0.0, 0.0), (5.0, 20.0)])])] == [6.0]
    assert [s.width for s in pen_as_read([Stroke(24.0, [(0.0, 0.0), (0.0, 40.0)])])] == [6.0]
    dot = [Stroke(24.0, [(0.0, 0.0), (5.0, 20.0)])]   # its ink under two pens long: a blob, left be
    assert pen_as_read(dot) == dot and pen_as_read([]) == []


# (The first read "1?74" from 2026-12-04 until pictures leaning less than 0.05 were leaned forward.
# Since the pair reader reads threes too, 2026-12-05 (19), it reads "1874": its 3 is a blot the digit
# network reads 0.898 sure, and the reader of threes reads "374" as "874". Four digits, no row of 1s,
# but a digit wrong: a known miss, kept as what it should read; strict, so a fix shows.)
BLOT_374 = pytest.mark.xfail(strict=True, reason='the reader of threes reads the blotted "374" as "874"')


@pytest.mark.parametrize("digits, height, text", [pytest.param((UNIT[1], UNIT[3], UNIT[7], UNIT[4]), 50, "1374", marks=BLOT_374),
                                                  ((UNIT[1], UNIT[3], UNIT[7], UNIT[4]), 60, "1374"),
                                                  ((UNIT[4], FIVE, UNIT[0], UNIT[7]), 64, "4507")])
def test_a_picture_of_small_digits_written_with_a_broad_pen_is_read_thinned(model, digits, height, text):
    """The pictures of small numbers drawn with the window's brush (24) are worn down to the pen as
    read: each of these read as a row of 1s before ("18114", "11814", "1111107"). (Smaller, the 4507 is
    blots: at 60 high the default of 2026-12-03 reads its 4's slanted stroke as a 1 of its own, at 56
    the one before it failed too.)"""
    picture = drawing_picture(write(*digits, height=height, brush=24.0, gap=0.3))
    assert read_picture(model, picture, ink_is_bright=False).text == text


def test_ink_as_read_by_hand():
    """Bars 100 pixels high drawn 24 wide: the pen is measured as twice the area over the outline,
    2 * 2400 / 244 = 19.7 (a bar's ends count: short bold strokes seem thinner), 7.7 over 0.12 of
    the height, so the ink is worn down by 4 on each side (to 16 wide). Bars drawn 2 wide (a pen
    measured 2) are grown by 3 on each side, to 8: 0.08 of the height. A pen between, a blot under
    two pens long and one bold digit alone (one blob no wider than a digit) are left as they are."""
    from app.reading.ink_pen import pen_width

    ink = np.zeros((140, 200), np.float32)
    ink[20:120, 30:54] = ink[20:120, 100:124] = 1.0   # two bars: "11"
    assert pen_width([ink > 0.5]) == pytest.approx(2 * 2 * 2400 / (2 * 244))
    thin = ink_as_read(ink, 100)
    assert thin.shape == ink.shape and (thin[70] > 0).sum() == 2 * 16 and thin[70, 34:50].all()
    assert (thin[:, 40] > 0).sum() == 100 - 2 * 4
    fine = np.zeros_like(ink)
    fine[20:120, 30:32] = fine[20:120, 100:102] = 1.0
    grown = ink_as_read(fine, 100)
    assert (grown[70] > 0).sum() == 2 * 8 and grown[70, 27:35].all() and (grown[:, 31] > 0).sum() == 100 + 2 * 3
    between = np.zeros_like(ink)
    between[20:120, 30:40] = between[20:120, 100:110] = 1.0
    assert ink_as_read(between, 100) is between
    blot = np.zeros_like(ink)
    blot[20:60, 30:70] = 1.0
    assert ink_as_read(blot, 40) is blot
    alone = np.zeros_like(ink)
    alone[20:120, 30:54] = 1.0
    assert ink_as_read(alone, 100) is alone


def test_by_disk_is_grey_dilation_and_erosion_by_a_disk():
    """The fast disk filter gives scipy's values exactly, at the edges too."""
    from scipy import ndimage

    from app.reading.ink_pen import by_disk

    rng = np.random.default_rng(0)
    ink = (rng.random((40, 70)) > 0.8) * rng.random((40, 70)).astype(np.float32)
    ink[0, :], ink[:, -1] = 1.0, 0.7
    inner = np.zeros((60, 90), np.float32)   # ink away from the edges (only its box is filtered), and at one
    inner[20:40, 30:50] = ink[5:25, 10:30]
    edge = np.zeros((60, 90), np.float32)
    edge[:20, 70:] = ink[5:25, 10:30]
    for radius in (1, 2, 5):
        yy, xx = np.ogrid[-radius:radius + 1, -radius:radius + 1]
        disk = xx * xx + yy * yy <= radius * radius + radius
        for picture in (ink, inner, edge, np.zeros((9, 9), np.float32)):
            assert np.array_equal(by_disk(picture, radius, True), ndimage.grey_dilation(picture, footprint=disk))
            assert np.array_equal(by_disk(picture, radius, False), ndimage.grey_erosion(picture, footprint=disk))


def test_large_digits_written_with_a_fine_pen_are_read_with_the_pen_as_read(model, pendigits_file):
    """300 digits of the held-out writers, 200 units high, drawn 4 wide (hairlines once shrunk to the
    network's 20 pixels): from strokes and from pictures 99.3 % read right (98.3 and 98.7 % before the
    pen was grown to 0.08 of their height)."""
    from app.pen import pendigits

    held = set(json.loads((SHIPPED / "model.json").read_text())["metadata"]["pen"]["held_out_writers"])
    digits = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    chosen = [digits[int(i)] for i in np.random.default_rng(5).choice(len(digits), 300, replace=False)]

    def drawn(digit) -> list[Stroke]:
        points = np.concatenate([np.asarray(s, float) for s in digit.strokes])
        lo, scale = points.min(axis=0), 200.0 / max(np.ptp(points[:, 1]), 1e-6)
        return [Stroke(4.0, [(40 + (x - lo[0]) * scale, 40 + (y - lo[1]) * scale) for x, y in s]) for s in digit.strokes]

    assert np.mean([read_strokes(model, drawn(d)).text == str(d.label) for d in chosen]) >= 0.99
    assert np.mean([read_picture(model, drawing_picture(drawn(d)), ink_is_bright=False).text == str(d.label) for d in chosen]) >= 0.99


def test_digits_written_small_with_the_windows_brush_are_read_thinned(model, pendigits_file):
    """The window's brush (24) on digits 44 high and numbers 48 high: their lines are under two pens
    long, their ink is not; read as fat blots (as dots were) 33 % of the digits and 10 % of the
    numbers were read right, 99 % and 96.5 % with their pen thinned (hand-made "1234" read "8??4")."""
    from app.pen import pendigits
    from app.reading import synthetic_numbers
    from app.reading.strokes import DEFAULT_BRUSH

    assert read_strokes(model, write(UNIT[1], UNIT[2], UNIT[3], UNIT[4], height=44.0, brush=DEFAULT_BRUSH)).text == "1234"
    held = set(json.loads((SHIPPED / "model.json").read_text())["metadata"]["pen"]["held_out_writers"])
    digits = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    for height, lengths, least in ((44.0, (1, 1), 0.97), (48.0, (2, 5), 0.9)):
        numbers = synthetic_numbers.numbers(digits, 150, 12, lengths)
        right = [read_strokes(model, synthetic_numbers.with_pen(n.strokes, height, DEFAULT_BRUSH)).text == n.text for n in numbers]
        assert np.mean(right) >= least, (height, np.mean(right))


def test_a_bold_number_whose_digits_are_one_blob_is_read_as_digits_end_to_end(model, pendigits_file):
    """Held-out writers' numbers of 2-10 digits written small and bold (80 and 100 high, the 18-unit
    pen), as pictures: of the 300 of seed 17, the 45 with a blob over 2.5 of the writing's height
    wide (digits touching) are read within a digit of their length 44 times, 42 before a blob read
    whole cost for being wider than any digit ("0800788016" read "0?6": its middle blob one "?")."""
    from app.pen import pendigits
    from app.reading import synthetic_numbers

    held = set(json.loads((SHIPPED / "model.json").read_text())["metadata"]["pen"]["held_out_writers"])
    digits = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    lengths = []
    for k, number in enumerate(synthetic_numbers.numbers(digits, 300, 17, (2, 10))):
        strokes = synthetic_numbers.with_pen(number.strokes, (80, 100)[k % 2], 18)
        picture = synthetic_numbers.picture(strokes, synthetic_numbers.canvas_height(strokes))
        ink = (picture < 0.5).astype(np.float32)
        rows = np.flatnonzero(ink.any(axis=1))
        if any(right - left > 2.5 * (rows[-1] - rows[0] + 1) for left, right, _ in find_blobs(ink)):
            lengths.append((len(read_picture(model, picture, ink_is_bright=False).text), len(number.text)))
    assert len(lengths) >= 30 and np.mean([read >= length - 1 for read, length in lengths]) >= 0.95, lengths


def test_a_speck_among_digits_is_left_out_and_a_speck_alone_is_still_said(model):
    """A pen's tap or a decimal point between digits is no digit of the number, from strokes and from
    a picture; drawn alone it is still answered (it is all there is)."""
    one, two, three = write(UNIT[1], UNIT[2], UNIT[3], gap=0.3)
    x = one.points[-1][0] + 40
    dot = Stroke(18.0, [(x, 200.0), (x + 1, 201.0)])
    for read in (lambda s: read_strokes(model, s), lambda s: read_picture(model, drawing_picture(s), ink_is_bright=False)):
        number = read([one, dot, two, three])
        assert number.text == "123" and number.status == "read"
        alone = read([dot])
        assert alone.status != "empty" and len(alone.digits) == 1
    assert [d.strokes for d in read_strokes(model, [one, dot, two, three]).digits] == [(0,), (2,), (3,)]


COMMA = [[(0.5, 0.9), (0.45, 1.1)]]   # a short tick below the line


@pytest.mark.parametrize("digits, text", [
    ((UNIT[1], COMMA, UNIT[2], UNIT[3], UNIT[4]), "1234"),   # its comma was read as a sure 0: "10234"
    ((UNIT[2], UNIT[0], COMMA), "20"),
    ((UNIT[1], COMMA, UNIT[1]), "11"),
])
@pytest.mark.parametrize("height", [100, 150, 200])
def test_a_comma_among_digits_is_left_out(model, digits, text, height):
    strokes = write(*digits, height=height, gap=0.3)
    assert read_strokes(model, strokes).text == text
    assert read_picture(model, drawing_picture(strokes), ink_is_bright=False).text == text


def test_boxes_of_pieces_by_hand():
    from app.reading.numbers import _boxes

    pieces = [Stroke(4.0, [(0.0, 0.0), (10.0, 5.0)]), Stroke(2.0, [(3.0, 3.0)]), Stroke(6.0, [(9.0, 1.0), (5.0, 8.0), (7.0, 2.0)])]
    assert _boxes(pieces).tolist() == [[-2, -2, 12, 7], [2, 2, 4, 4], [2, -2, 12, 11]]   # the pen's half around the points
    assert _boxes([]).shape == (0, 4)


def test_below_the_line_by_hand():
    from app.reading.marks import _below_the_line
    from app.reading.numbers import DigitOfNumber

    def mark(box):
        return DigitOfNumber(None, box)

    digits = [mark((0, 0, 60, 100)), mark((80, 10, 140, 110)), mark((160, 0, 220, 100))]   # middles 50, 60, 50
    assert _below_the_line(mark((145, 70, 160, 105)), digits)          # a comma: below 50, 35 high
    assert not _below_the_line(mark((145, 40, 160, 75)), digits)       # reaches above the middle
    assert not _below_the_line(mark((145, 55, 190, 100)), digits)      # 45 wide: a digit written small and low
    assert not _below_the_line(mark((145, 55, 160, 100)), digits)      # 45 high


def test_a_scribble_among_digits_is_still_said(model):
    """Only a mark that lies over a digit and makes it a confident digit joins it."""
    hatch = [[(0.1 + 0.2 * k, 0.9), (0.2 + 0.2 * k, 0.1)] for k in range(4)] + [[(0.0, 0.5), (1.0, 0.45)]]
    number = read_strokes(model, write(UNIT[1], hatch, UNIT[7]))
    assert len(number.digits) >= 3 and number.text != "17"


def test_an_x_is_one_mark_not_two_digits(model):
    """Its two strokes each read as a 1, but two digits never lie right over each other."""
    number = read_strokes(model, write([[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]], height=180, x=50))
    assert number.status == "not a digit" and number.text == "" and len(number.digits) == 1


def test_what_the_window_remembers_changes_nothing(model):
    """The window re-reads after every stroke with a memo; each reading equals a fresh one."""
    strokes = write(UNIT[1], UNIT[4], UNIT[7], UNIT[0], gap=0.1)
    memo: dict = {}
    for k in range(1, len(strokes) + 1):
        again = read_strokes(model, strokes[:k], memo=memo)
        fresh = read_strokes(model, strokes[:k])
        assert again.text == fresh.text and [d.box for d in again.digits] == [d.box for d in fresh.digits]
    assert again.text == "1470" and [d.strokes for d in again.digits] == [(0,), (1, 2), (3,), (4,)]


def test_one_digit_drawn_alone_reads_exactly_as_the_window_reads_it(model):
    for unit in (UNIT[2], UNIT[4], CROSSED_7):
        strokes = write(unit, x=80)
        window = Predictor(model).read_drawing(Drawing.from_strokes(strokes))
        number = read_strokes(model, strokes)
        assert len(number.digits) == 1
        assert number.digits[0].reading.digit == window.digit
        assert np.allclose(number.digits[0].reading.probabilities, window.probabilities, atol=1e-6)
        assert number.digits[0].reading.message == window.message


def test_only_a_digit_s_box_is_prepared_the_same_input_as_the_whole_canvas():
    """The chosen digits are drawn on the canvas as it draws them, and only their box prepared: the
    same input, box and size relative to the canvas (a speck stays one) as the whole canvas gives."""
    from app.reading.stroke_inputs import canvas_input

    for unit, x, y in ((UNIT[2], 80, 0), (CROSSED_7, 33.3, 17.6), (UNIT[0], 10, -0.4), (UNIT[4], 150.5, 0)):
        group = [Stroke(s.width, [(px + x, py + y) for px, py in s.points]) for s in write(unit)]
        whole, own = prepare_drawing(Drawing.from_strokes(group)), canvas_input(group, 280)
        assert np.array_equal(own.image, whole.image) and own.bbox == whole.bbox
        assert own.source_size == whole.source_size == (280, 280)
    dot = Drawing.from_strokes([Stroke(18.0, [(100.0, 100.0)])])
    assert prepare_drawing(dot, (80, 80, 130, 120)).relative_size == prepare_drawing(dot).relative_size < 0.1


def test_a_picture_of_touching_digits(model):
    strokes = write(UNIT[2], UNIT[3], UNIT[7], gap=-0.02, brush=22)   # each touches the next
    picture = drawing_picture(strokes)
    number = read_picture(model, picture, ink_is_bright=False)
    assert number.text == "237" and [d.reading.digit for d in number.digits] == [2, 3, 7]
    boxes = [d.box for d in number.digits]
    assert all(a[0] < b[0] for a, b in zip(boxes, boxes[1:]))   # left to right


def test_a_photo_of_a_number_in_uneven_light_is_read_as_its_scan(model):
    """A number photographed with the light falling off across the page (and the ink with it): the
    shaded paper is no ink (with one paper level for the picture it was, and the number read ""),
    and the digits read as the scan's do."""
    scan = np.pad(drawing_picture(write(UNIT[2], UNIT[0], UNIT[7], UNIT[4], gap=0.2)), 60, constant_values=1.0)
    rows, columns = np.mgrid[0:scan.shape[0], 0:scan.shape[1]]
    light = 0.95 - 0.5 * columns / scan.shape[1] - 0.1 * rows / scan.shape[0]
    photo = light * scan + 0.12 * light * (1 - scan)
    expected = read_picture(model, scan)
    number = read_picture(model, photo)
    assert expected.text == number.text == "2074"
    assert np.abs(np.array([d.box for d in number.digits]) - [d.box for d in expected.digits]).max() <= 4


def test_a_photo_of_a_number_on_a_sheet_lying_on_a_desk_is_read_as_its_scan(model):
    """The sheet (0.9) lying on a darker desk (0.3, with a grain), the photo turned 5 degrees: read as
    the sheet alone (read as one paper level, the desk was paper and the sheet a blot: "")."""
    scan = np.pad(drawing_picture(write(UNIT[2], UNIT[0], UNIT[7], UNIT[4], gap=0.2)), 60, constant_values=1.0)
    h, w = scan.shape
    desk = 0.3 + 0.05 * np.sin(np.arange(w + 300) / 7.0)[None, :] + np.zeros((h + 200, 1))
    desk[100:100 + h, 150:150 + w] = 0.9 * scan
    photo = ndimage.rotate(desk.astype(np.float32), 5, reshape=False, order=1, cval=0.3)
    assert read_picture(model, scan).text == read_picture(model, photo).text == "2074"


def test_a_sheet_on_a_desk_in_uneven_light_is_told_from_the_desk_by_the_light_the_desk_shows(model):
    """The desk (0.45) and the sheet (0.9) in light falling from 0.95 to 0.35 across the photo: the
    sheet's shaded side (0.41) is darker than the lit desk (0.43), and no one level parts them ("" before);
    the light, fitted to the desk round the edge, does. ``desk_light`` by hand: that light as a share
    of the middle's (0.65): 1.46 at the left edge, 0.54 at the right; an evenly lit desk: None."""
    from app.reading.paper import desk_light

    scan = np.pad(drawing_picture(write(UNIT[2], UNIT[0], UNIT[7], UNIT[4], gap=0.2)), 60, constant_values=1.0)
    h, w = scan.shape
    desk = np.full((h + 200, w + 300), 0.45)
    desk[100:100 + h, 150:150 + w] = 0.9 * scan
    photo = (desk * (0.95 - 0.6 * np.arange(w + 300)[None, :] / (w + 300))).astype(np.float32)
    assert read_picture(model, photo).text == "2074"
    found = desk_light(photo, 0.45 * 0.65, 0.9 * 0.65)
    assert found[0, 0] == pytest.approx(0.95 / 0.65, abs=0.01) and found[0, -1] == pytest.approx(0.35 / 0.65, abs=0.01)
    assert desk_light((desk * 0.8).astype(np.float32), 0.36, 0.72) is None


def test_a_number_on_ruled_paper_is_read_as_its_scan(model):
    """Lines 2 pixels thick, 0.4 dark, 110 apart and turned 2 degrees, through the digits and past
    them on both sides: read as the plain sheet (read with its lines, one blob: "")."""
    scan = np.pad(drawing_picture(write(UNIT[2], UNIT[0], UNIT[7], UNIT[4], gap=0.2)), ((0, 0), (60, 60)),
                  constant_values=1.0)
    rows, columns = np.mgrid[0:scan.shape[0], 0:scan.shape[1]]
    lines = np.mod(rows - np.tan(np.radians(2)) * columns - 30, 110) < 2
    assert read_picture(model, scan).text == read_picture(model, np.where(lines, np.minimum(scan, 0.4), scan)).text == "2074"


def test_predict_reads_a_phone_photo_of_a_number_on_ruled_paper_lying_on_a_desk(capsys, tmp_path):
    """All three at once, as a phone takes it, through ``predict``: a ruled sheet (soft lines 0.55
    dark) on a grained desk, the light falling off to one side, the photo turned 4 degrees, blurred,
    twice the size and saved as JPEG: "1742" (before: "", the desk the paper and the sheet a blot)."""
    page = np.pad(drawing_picture(write(UNIT[1], UNIT[7], UNIT[4], UNIT[2], gap=0.25)), ((60, 60), (80, 80)),
                  constant_values=1.0)
    rows, columns = np.mgrid[0:page.shape[0], 0:page.shape[1]]
    page = np.where(np.mod(rows - np.tan(np.radians(1.5)) * columns - 40, 105) < 2, np.minimum(page, 0.55), page)
    photo = phone_photo(page, tmp_path / "photo.jpg", 4)
    code, out, err = run_command(capsys, "predict", str(photo), "--json", "--models-dir", str(SHIPPED.parent))
    assert code == 0 and json.loads(out)["text"] == "1742", (out, err)


def test_an_odd_digit_whose_pieces_read_as_digits_is_read_whole(model, mnist, monkeypatch):
    """Odd MNIST test digits whose pieces the number reader cuts and reads as sure digits: a 6 read
    "10", a 5 "15", a 4 "11", a 0 "61". Ink no wider than two digits is also read whole, exactly, and one
    digit wins when it reads better than the digits chosen (of MNIST's 10,000 test digits as 28 x 28
    pictures, 87 were read as several, now 50; none read right before is read wrong)."""
    from app.reading import number_pictures

    chosen = [2131, 2162, 2514, 8859]
    for k in chosen:
        assert read_picture(model, 255 - mnist["x_test"][k].astype(np.float32)).text == str(mnist["y_test"][k])
    monkeypatch.setattr(number_pictures, "all_ink", lambda ink: None)   # never read whole: several digits each
    monkeypatch.setattr(number_pictures, "NARROW_CUT", 0.0)              # (nor a narrow blob kept whole,
    monkeypatch.setattr(number_pictures, "RAISED_COST", 0.0)             # nor a raised piece shunned)
    assert all(len(read_picture(model, 255 - mnist["x_test"][k].astype(np.float32)).digits) > 1 for k in chosen)


def test_a_blob_no_wider_than_a_digit_is_parted_only_when_it_is_worth_it(model, mnist, monkeypatch):
    """Odd MNIST test digits, one blob no wider than a digit, whose pieces the unsure second reading cuts
    and reads as sure digits: a 6 read "10", a 4 "11", an 8 "97" (read whole as well, they read worse
    than their pieces). Parting such a blob costs (``NARROW_CUT``): they read as one digit (of MNIST's
    10,000 test digits as 28 x 28 pictures, 49 were read as several, now 42)."""
    from app.reading import number_pictures

    def read(k: int) -> str:
        return read_picture(model, 255 - mnist["x_test"][k].astype(np.float32)).text

    chosen = [366, 3530, 6603]
    assert [read(k) for k in chosen] == [str(mnist["y_test"][k]) for k in chosen]
    monkeypatch.setattr(number_pictures, "NARROW_CUT", 0.0)
    assert [len(read(k)) for k in chosen] == [2, 2, 2]
    # (the picture reader's own choice: the pair reader, given the 4's two pieces, reads them "41")
    monkeypatch.setattr(model, "pair_reader", None)
    assert [read(k) for k in chosen] == ["10", "11", "97"]


def test_real_digits_photographed_in_uneven_light_read_as_their_scans(model, mnist):
    """MNIST test digits, 280 high on a 400 x 400 page, photographed with the light falling off to 0.45-0.7
    of its brightness across it, or lying on a desk (0.15-0.45) and turned up to 10 degrees: read as
    well as their scans (``benchmarks/photos.py``, 200 each: 99.0 % in uneven light, 98.0 % on a desk,
    99.0 % the scans; with one paper level for the picture, 55.5 and 1.5 %)."""
    rng = np.random.default_rng(0)
    rows, columns = np.mgrid[0:400, 0:400]
    scans, photos, on_desk = [], [], []
    for image, label in zip(mnist["x_test"][:100], mnist["y_test"][:100]):
        page = np.pad(1 - np.clip(ndimage.zoom(image.astype(np.float32) / 255, 10, order=1), 0, 1), 60, constant_values=1.0)
        light = 0.95 - rng.uniform(0.25, 0.5) * columns / 400 - rng.uniform(0, 0.2) * rows / 400
        scans.append(read_picture(model, page).text == str(label))
        photos.append(read_picture(model, light * page + 0.12 * light * (1 - page)).text == str(label))
        desk = np.full((560, 560), rng.uniform(0.15, 0.45), np.float32)
        desk[80:480, 80:480] = 0.9 * page
        on_desk.append(read_picture(model, ndimage.rotate(desk, rng.uniform(-10, 10), reshape=False, order=1,
                                                          cval=float(desk[0, 0]))).text == str(label))
    for read in (photos, on_desk):
        assert np.mean(read) >= 0.97 and np.mean(read) >= np.mean(scans) - 0.02, (np.mean(read), np.mean(scans))


@pytest.mark.parametrize("strokes, text", [
    ([joined(UNIT[2][0], UNIT[2][0])], "22"),
    ([joined(UNIT[1][0][1:], UNIT[7][0])], "17"),   # ("117" until cut lines bent round the ink: the 7 whole)
    (write(UNIT[1], UNIT[1], UNIT[1], gap=-0.3), "111"),   # 1s that touch are still 1s
    (write(UNIT[4], UNIT[1], UNIT[4], gap=-0.05), "414"),
])
def test_a_picture_of_digits_written_without_lifting_the_pen(model, strokes, text):
    """In a picture the pen's way from one digit to the next is a thin line between two cuts, which
    reads as a sure 1 ("22" read "212", "17" read "117"): a 1 between two cut lines costs
    ``MIDDLE_ONE``. Pictures of held-out writers' numbers with half their joins made, those with a
    join: 62.4 -> 67.3 %; without joins 88.4 -> 88.9 % (1000 of seed 11)."""
    assert read_picture(model, drawing_picture(strokes), ink_is_bright=False).text == text


def _one_blob_cut_at(ink: np.ndarray, x: float) -> tuple[list, list, list]:
    """An ink map of one blob, cut by a vertical line at ``x``: the blob, the pairs of boundaries of its
    left piece, its right piece and itself whole, and their boxes as ``number_pictures._crops`` gives them."""
    from app.reading import number_pictures as pictures

    (lo, hi, mask), = find_blobs(ink)
    blobs = [Blob(ink, lo, hi, mask, 1)]
    edge, cut, end = (0, None), (0, (x, 0.0)), (1, None)
    pairs = [(edge, cut), (cut, end), (edge, end)]
    return blobs, pairs, [box for _, box in pictures._crops(blobs, pairs)]


def test_a_piece_much_shorter_than_its_blob_costs_by_hand():
    """A tall bar with a low block beside it: one blob 80 rows high. Cut at x = 60, the block's piece
    is 30 rows high (0.375 of the blob): it costs 10 * (0.65 - 0.375) / 0.65 = 4.2308 (log); the
    bar's side, as tall as the blob, and the blob whole cost nothing."""
    from app.reading import number_pictures as pictures

    ink = np.zeros((100, 200), np.float32)
    ink[10:90, 20:30] = 1
    ink[60:90, 30:120] = 1
    blobs, pairs, (left, right, whole) = _one_blob_cut_at(ink, 60.0)
    assert right[1::2] == (60, 90) and left[1::2] == (10, 90)
    costs = pictures._shortness(blobs, pairs, [left, right, whole], 80)
    assert costs[1] == pytest.approx(-4.2308, abs=1e-4) and [costs[0], costs[2]] == [0.0, 0.0]


def test_a_blob_read_whole_wider_than_any_digit_costs_by_hand():
    """A bar 300 wide, 40 high, in writing 100 high: whole it is 3 heights wide, 1 over the widest a
    blob read whole may be (2): it costs 5 * 1 = 5 (log); 700 wide 10 (5 * 5 = 25, at most 10); 190
    wide (1.9) nothing. Its pieces either side of a cut at x = 150 are as tall as it: no cost."""
    from app.reading import number_pictures as pictures

    ink = np.zeros((100, 800), np.float32)
    ink[30:70, 50:350] = 1
    blobs, pairs, boxes = _one_blob_cut_at(ink, 150.0)
    assert boxes[2] == (50, 30, 350, 70)
    assert list(pictures._shortness(blobs, pairs, boxes, 100)) == pytest.approx([0.0, 0.0, -5.0])
    ink[30:70, 350:750] = 1
    assert pictures._shortness(*_one_blob_cut_at(ink, 150.0), 100)[2] == pytest.approx(-10.0)
    ink[:, 240:] = 0
    blobs, pairs, boxes = _one_blob_cut_at(ink, 150.0)
    assert list(pictures._shortness(blobs, pairs, boxes, 100)) == [0.0, 0.0, 0.0]


def test_a_piece_whose_foot_is_raised_above_the_baseline_around_it_costs_by_hand():
    """One blob: a tick 56 rows high (0.7 of the blob's 80: not short), its foot at 66, beside a block
    whose foot is at 90. Cut at x = 30, the tick's piece stands (90 - 66) / 80 = 0.3 of the height
    above the baseline around it (the feet of the columns within 40 of it, its own left out: 90):
    3 * (0.3 - 0.1) = 0.6 (log). The block's piece and the blob whole cost nothing."""
    from app.reading import number_pictures as pictures

    ink = np.zeros((100, 200), np.float32)
    ink[10:66, 20:30] = 1
    ink[10:90, 30:120] = 1
    blobs, pairs, boxes = _one_blob_cut_at(ink, 30.0)
    assert boxes == [(20, 10, 30, 66), (30, 10, 120, 90), (20, 10, 120, 90)]
    costs = pictures._shortness(blobs, pairs, boxes, 80)
    assert costs[0] == pytest.approx(-0.6) and list(costs[1:]) == [0.0, 0.0]


def test_a_0_begun_with_a_tick_is_no_10(model, pendigits_file, monkeypatch):
    """Real pen writing (writers the shipped model never trained on, numbers as ``number_reading.py``
    redraws them with an 18-unit pen): a 0 begun with a short stroke down its left side, whose foot
    ends well above the line, was cut into that tick and the rest, read as a sure 1 and a sure 0:
    "695099" read "6951099", "150429842" read "1510429842". A piece whose foot is raised above the
    baseline around it costs (``RAISED_COST``), as a stroke's does in the window."""
    from app.pen import pendigits
    from app.reading import number_pictures, synthetic_numbers

    held = set(json.loads((SHIPPED / "model.json").read_text())["metadata"]["pen"]["held_out_writers"])
    digits = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    numbers = synthetic_numbers.numbers(digits, 263, 43, (2, 10))
    pictures = {}
    for k in (22, 262):
        strokes = synthetic_numbers.with_pen(numbers[k].strokes, (120, 160, 200, 240)[k % 4], 18)
        pictures[numbers[k].text] = synthetic_numbers.picture(strokes, synthetic_numbers.canvas_height(strokes))
    assert list(pictures) == ["695099", "150429842"]
    assert [read_picture(model, picture).text for picture in pictures.values()] == list(pictures)
    monkeypatch.setattr(number_pictures, "RAISED_COST", 0.0)
    assert [read_picture(model, picture).text for picture in pictures.values()] == ["6951099", "1510429842"]


def test_a_run_of_strokes_much_shorter_than_the_writing_around_it_costs_by_hand():
    """Boxes (left, top, right, bottom), writing 100 high. The second piece alone is 50 high among
    writing 100 high: 10 * (0.65 - 0.5) / 0.65 = 2.3077 (log); with the first, 100 high, nothing; a
    speck (5 wide, 5 high: under a fifth of the height) nothing; the writing far off in x (the
    fourth piece, 300 to the right, 20 high) is not what it is measured against."""
    from app.reading.numbers import _shortness

    boxes = np.array([[0, 0, 10, 100], [20, 50, 30, 100], [40, 90, 45, 95], [340, 80, 350, 100]], float)
    costs = _shortness(boxes, [(1, 2), (0, 2), (2, 3), (3, 4)], 100.0)
    assert costs[0] == pytest.approx(-2.3077, abs=1e-4)
    assert list(costs[1:]) == [0.0, 0.0, 0.0]   # (the last as tall as the writing around it: itself)


def test_a_run_of_strokes_whose_foot_is_raised_above_the_baseline_around_it_costs_by_hand():
    """Boxes (left, top, right, bottom), writing 100 high: a 4's arm and bar (foot at 70), its stem
    and the next digit (feet at 100). The arm alone: the other pieces' median foot 100, raised 0.3
    of the height: 5 * (0.3 - 0.05) = 1.25 (log; 0.7 high: not short). The stem, the whole 4 and the
    next digit stand on the line: nothing. A 9 written below the line (foot 130) moves the median
    foot of the three others near the 1 beside it not at all: neither costs; alone, a digit is its
    own baseline."""
    from app.reading.numbers import _shortness

    boxes = np.array([[0, 0, 60, 70], [50, 20, 70, 100], [100, 0, 160, 100]], float)
    costs = _shortness(boxes, [(0, 1), (1, 2), (0, 2), (2, 3)], 100.0)
    assert costs[0] == pytest.approx(-1.25) and list(costs[1:]) == [0.0, 0.0, 0.0]
    boxes = np.array([[0, 0, 40, 100], [50, 0, 60, 100], [65, 30, 105, 130], [108, 0, 148, 100]], float)
    assert list(_shortness(boxes, [(1, 2), (2, 3)], 100.0)) == [0.0, 0.0]
    assert list(_shortness(boxes[:1], [(0, 1)], 100.0)) == [0.0]


def lean(strokes: list[Stroke], slant: float, baseline: float = 210.0) -> list[Stroke]:
    """``strokes`` leaning right: x moves ``slant`` per unit of height above the baseline."""
    return [Stroke(s.width, [(x + slant * (baseline - y), y) for x, y in s.points]) for s in strokes]


@pytest.mark.parametrize("strokes, text, as_one", [
    (write(UNIT[1], UNIT[0], gap=-0.5), "10", "0"),                   # a 1 written over a 0's side
    (lean(write(UNIT[7], UNIT[2], gap=-0.3), 0.3), "72", "2"),          # a 7 leaning over a 2
])
def test_strokes_that_part_into_two_sure_digits_are_read_as_two(model, monkeypatch, strokes, text, as_one):
    """Strokes of two digits written over each other read together as one of them, sure of it; each
    alone is a sure digit too, which a digit's own strokes seldom are: read as one digit, that costs
    (``TWO_SURE``). Hand-made pairs (six digits, gaps -0.5 to 0.2, upright and leaning): 480 of 504
    right, now 485, none fewer."""
    from app.reading import two_sure

    assert read_strokes(model, strokes).text == text
    monkeypatch.setattr(two_sure, "TWO_SURE", 0.0)
    assert read_strokes(model, strokes).text == as_one


@pytest.mark.parametrize("seed", [2, 3, 9])
def test_blobs_apart_that_read_as_two_sure_digits_are_read_as_two(model, mnist, monkeypatch, seed):
    """A number of MNIST training originals held out for validation ("3134": a plain 1 beside a 3),
    laid out three ways (``synthetic_numbers.from_pictures``): the 1 and the 3 are blobs apart, each a
    sure digit, and read together as a 3, sure of it too. As one digit that costs (``TWO_SURE``):
    "3134", not "334" (1000 MNIST validation numbers of 2-10 digits: 6 more right, none fewer). The
    picture reader alone: since 2026-12-05 (19) the pair reader, reading threes, finds the 1 without it."""
    from app.reading import two_sure
    from app.reading.synthetic_numbers import from_pictures

    chosen = [4033, 58091, 19368, 24822]
    picture, text = from_pictures(list(mnist["x_train"][chosen]), list(mnist["y_train"][chosen]),
                                  np.random.default_rng(seed))
    assert text == "3134" and read_picture(model, picture).text == "3134"
    monkeypatch.setattr(model, "pair_reader", None)
    assert read_picture(model, picture).text == "3134"
    monkeypatch.setattr(two_sure, "TWO_SURE", 0.0)
    assert read_picture(model, picture).text == "334"


def test_two_sure_digits_read_as_one_cost_by_hand():
    """Scores of runs of pieces i..j-1 (log): pieces 0 and 1 parts of one joined stroke, 2 and 3
    strokes of their own. With piece 2 alone under ``SURE_PART``, nothing costs. At ``SURE_PART``, the
    runs 2..3 and 1..2 each part into two sure digits: they cost; 0..1 parts into two sure ones too,
    but of one stroke: it does not; 1..3 parts into 1 and 2..3, or 1..2 and 3, one of each pair
    (as scored before any cost) unsure: nor does it."""
    from app.reading.two_sure import SURE_PART, TWO_SURE, two_sure

    owners = [0, 0, 1, 2]
    scores = {(0, 1): 0.0, (1, 2): 0.0, (0, 2): -0.1, (2, 3): 0.0, (3, 4): 0.0, (2, 4): -0.2,
              (1, 3): -0.3, (1, 4): -0.4}
    scores[(2, 3)] = SURE_PART - 0.01
    between_strokes = [m for m in range(1, len(owners)) if owners[m] != owners[m - 1]]   # [2, 3]
    assert two_sure(scores, between_strokes) == scores
    scores[(2, 3)] = SURE_PART
    out = two_sure(scores, between_strokes)
    assert out[(2, 4)] == pytest.approx(-0.2 + TWO_SURE) and out[(1, 3)] == pytest.approx(-0.3 + TWO_SURE)
    assert {key: out[key] for key in [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (1, 4)]} == {
        key: scores[key] for key in [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (1, 4)]}
    # With the runs' boxes (the pieces' boxes, left, top, right, bottom, together): piece 3 across piece 2's
    # middle (a slash through a 0: middles 50 and 52, 2 apart, under 0.15 of the wider's 100) is no two
    # digits side by side: 2..3 costs nothing; 1..2 parts into pieces 1 (middle 5) and 2 (50), 45 apart:
    # it still costs.
    from app.reading.numbers import _run_boxes

    boxes = np.array([[0, 0, 4, 100], [0, 0, 10, 100], [0, 0, 100, 100], [14, 0, 90, 100]], float)
    spans = {run: (box[:2], box[2:]) for run, box in zip(scores, _run_boxes(boxes, list(scores)).tolist())}
    out = two_sure(scores, between_strokes, spans)
    assert out[(2, 4)] == pytest.approx(-0.2) and out[(1, 3)] == pytest.approx(-0.3 + TWO_SURE)


def test_numbers_with_a_slashed_0_end_to_end(model, pendigits_file, monkeypatch):
    """End to end on real data: 120 numbers of 2-4 digits of the held-out pen writers, one of them a 0
    with a slash through it (``styles.slashed_zero``), read from their strokes. A 0 and its slash each read
    as a sure digit (a 0, a 1), and read as one digit that cost (``TWO_SURE``): "70002" read "717002". Two
    runs whose middles lie together are no two digits side by side (``CENTRED``): here 0.967, before
    0.95."""
    from app.pen import pendigits, styles
    from app.reading import synthetic_numbers, two_sure

    held = set(model.metadata["pen"]["held_out_writers"])
    every = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    zeros = [d for d in every if d.label == 0]
    rng = np.random.default_rng(2)
    numbers = []
    for _ in range(120):
        chosen = [every[int(k)] for k in rng.integers(0, len(every), int(rng.integers(1, 4)))]
        zero = zeros[int(rng.integers(len(zeros)))]
        slashed = styles.slashed_zero([s.copy() for s in zero.strokes], rng)
        chosen.insert(int(rng.integers(0, len(chosen) + 1)), pendigits.PenDigit(0, zero.writer, tuple(slashed)))
        numbers.append(synthetic_numbers.compose(chosen, rng))
    now = np.mean([read_strokes(model, s).text == t for s, t in numbers])
    monkeypatch.setattr(two_sure, "CENTRED", -1.0)   # (every two runs beside each other, as before)
    before = np.mean([read_strokes(model, s).text == t for s, t in numbers])
    assert now > before and now >= 0.95, (now, before)


@pytest.mark.parametrize("digits, gap, slant", [((7, 4), -0.2, 0.4), ((1, 4), -0.3, 0.3)])
def test_a_picture_of_slanted_touching_digits_is_cut_along_the_slant(model, monkeypatch, digits, gap, slant):
    from app.reading import number_pictures

    picture = drawing_picture(lean(write(*(UNIT[d] for d in digits), gap=gap, brush=20), slant))
    text = "".join(map(str, digits))
    assert len(find_blobs(number_pictures.ink_map(picture, False))) == 1   # they touch
    assert read_picture(model, picture, ink_is_bright=False).text == text
    monkeypatch.setattr(model, "pair_reader", None)     # (the cuts alone: the pair reader reads it right too)
    monkeypatch.setattr(number_pictures, "SLANTS", ())   # with vertical cuts alone (straight), neither
    monkeypatch.setattr(Blob, "bent", lambda self, lines: [])
    assert read_picture(model, picture, ink_is_bright=False).text != text


def test_a_picture_of_digits_read_whole_at_first_is_parted_again(model, monkeypatch):
    """Three slanted digits that touch, one blob read whole at first (as a 0: no vertical line parts
    them), are looked at again with slanted and bent cuts like any unsure digit: a blob up to
    ``LOOK_AGAIN_WIDTH`` of the writing's height wide read whole is no long scribble."""
    from app.reading import number_pictures

    picture = drawing_picture(lean(write(UNIT[3], UNIT[2], UNIT[3], gap=-0.15, brush=20), 0.4))
    assert len(find_blobs(ink_as_read(ink_map(picture, False), 150))) == 1   # they touch
    assert read_picture(model, picture, ink_is_bright=False).text == "323"
    monkeypatch.setattr(number_pictures, "LOOK_AGAIN_WIDTH", number_pictures.PICTURE_DIGIT_WIDTH)
    assert read_picture(model, picture, ink_is_bright=False).text == "0"


def test_a_narrow_digit_against_a_1_is_read_by_the_pair_reader(model, monkeypatch):
    """A "713" written tight, its 3 narrow against the 1: the 1 and the 3 are one candidate under 0.55
    of the writing's height wide, read as one odd digit (and then all the ink as one mark: nothing at
    all); the pair reader reads a lone digit from 0.4 of the height (``WIDE_ONE``) and finds the 1 and
    the 3 in it."""
    from app.reading import digit_pairs

    narrow_3 = [[(0.5 + (x - 0.5) * 0.6, y) for x, y in line] for line in UNIT[3]]
    picture = drawing_picture(write(UNIT[7], UNIT[1], narrow_3, gap=-0.6))
    assert read_picture(model, picture, ink_is_bright=False).text == "713"
    monkeypatch.setattr(digit_pairs, "WIDE_ONE", 0.55)
    assert read_picture(model, picture, ink_is_bright=False).text == ""


@pytest.mark.parametrize("digits, gap, slant, straight", [
    ((7, 2), -0.3, 0.0, "22"),   # the 7's bar over the 2's top: any straight line gives the 2 a piece of it
    ((7, 3), -0.25, 0.4, "23"),
    ((0, 2), -0.2, 0.2, "122"),  # the 0's side under the 2's top
    ((7, 1), -0.2, 0.2, "77"),
])
def test_a_picture_of_digits_reaching_over_each_other_is_cut_round_the_ink(model, monkeypatch, digits, gap, slant, straight):
    """Where a digit of the first reading is unsure, the vertical cut lines near it are bent round
    the ink in their way (``Blob.bent``) as well: no straight line parts a 7 whose bar reaches over
    the next digit."""
    from app.reading.ink_blobs import Blob

    picture = drawing_picture(lean(write(*(UNIT[d] for d in digits), gap=gap, brush=20), slant))
    assert len(find_blobs(ink_as_read(ink_map(picture, False), 150))) == 1   # they touch
    assert read_picture(model, picture, ink_is_bright=False).text == "".join(map(str, digits))
    monkeypatch.setattr(model, "pair_reader", None)             # (the cuts alone: the pair reader may read it right)
    monkeypatch.setattr(Blob, "bent", lambda self, lines: [])   # straight lines alone
    assert read_picture(model, picture, ink_is_bright=False).text == straight


def test_bent_cut_lines_by_hand():
    """A bent line runs from the blob's top row to its bottom one through the least ink, moving at most a
    column a row, within ``BEND_REACH`` of its line; where no ink lies in its way it stays on the line."""
    from app.reading.ink_blobs import BEND_REACH

    # Two pieces with a winding gap between them, 3 columns wide, joined by a bridge in one row:
    # the gap's left edge moves by at most a column a row, as a bent line may.
    rows, width = 40, 40
    edge = np.round(18 + 4 * np.sin(np.arange(rows) / 5)).astype(int)
    columns = np.arange(width)[None, :]
    left, right = columns < edge[:, None], columns >= edge[:, None] + 3
    ink = (left | right).astype(np.float32)
    ink[20, :] = 1   # the bridge
    for k in (1, 2):
        blob = Blob(ink, 0, width, ink > 0, k)
        (line,) = blob.bent([(19.5, 0.0)])
        c, slant, bend = line
        assert slant == 0.0 and len(bend.columns) == rows and c == pytest.approx(bend.columns.mean())
        assert np.abs(bend.columns - 19.5).max() <= BEND_REACH * rows + k   # (shrunk columns are k wide)
        assert np.all(np.abs(np.diff(bend.columns[::k])) <= k + 1e-9)
        if k == 1:   # every pixel of the left piece left of it, of the right piece right of it
            right_of = blob.right_of(line)
            assert not (right_of & left).any() and (right_of | ~right).all()
            # No straight line parts them: each leaves ink of both pieces on one side.
            for straight in [(float(x) + 0.5, s) for x in range(10, 30) for s in (0.0, -0.25, 0.25)]:
                right_of = blob.right_of(straight)
                assert (right_of & left).any() or (~right_of & right).any()
        # Where each row's ink right of the bent line begins is worked out as for a straight one.
        expected = blob.right_of(line)
        assert np.array_equal(blob._first(line, 0), np.where(expected.any(axis=1), expected.argmax(axis=1), expected.shape[1]))
        assert blob.span(line) == (bend.columns.min(), bend.columns.max())
    # A straight gap: the line through it, bent, is the line itself.
    ink = np.ones((30, 30), np.float32)
    ink[:, 14:17] = 0
    ink[5, :] = 1
    (line,) = Blob(ink, 0, 30, ink > 0, 1).bent([(15.0, 0.0)])
    assert np.allclose(line[2].columns, 15.0)


def test_the_second_reading_reads_new_candidates_around_the_unsure_digits_only(model, monkeypatch):
    """Read again with slanted lines, a candidate not read before lies between new lines, blob edges
    or the first reading's boundaries: never between a new line and another of the first's cut lines."""
    from app.reading import number_pictures

    picture = drawing_picture(lean(write(UNIT[0], UNIT[3], UNIT[0], UNIT[3], gap=-0.12, brush=20), 0.2))
    readings, read_pairs, crops = [], [], number_pictures._crops
    monkeypatch.setattr(number_pictures, "_crops", lambda blobs, pairs: (read_pairs.append(list(pairs)), crops(blobs, pairs))[1])
    best = number_pictures._best_reading
    monkeypatch.setattr(number_pictures, "_best_reading", lambda *args: readings.append(best(*args)) or readings[-1])
    assert read_picture(model, picture, ink_is_bright=False).text == "0303"
    assert len(readings) == 2   # (it was read again)
    blobs = number_pictures._ready(number_pictures.ink_as_read(number_pictures.ink_map(picture, False), 150))[1]
    first_lines = {bound for bound in number_pictures._boundaries(blobs, {}) if bound[1] is not None}
    chosen = {bound for a, b, _ in readings[0] for bound in (a, b)}
    others = first_lines - chosen
    assert others and read_pairs[1] and all(not ({a, b} & others) for a, b in read_pairs[1])


def test_a_long_scribble_costs_work_in_proportion_to_its_length(model, monkeypatch):
    """A zigzag thousands of pixels long is one blob with thousands of cut lines: each boundary looks
    at a bounded number after it, and a blob wider than any digit is not read again with slants
    (comparing every slanted line with every other took a minute)."""
    from PIL import Image, ImageDraw

    from app.reading import number_pictures

    rows, slanted, read = [0], [], model.predict_proba
    monkeypatch.setattr(model, "predict_proba", lambda x: (rows.__setitem__(0, rows[0] + len(x)), read(x))[1])
    best = number_pictures._best_reading
    monkeypatch.setattr(number_pictures, "_best_reading", lambda *args: (slanted.append(args[3]), best(*args))[1])
    work = []
    for width in (1000, 3000):
        image = Image.new("L", (width, 60), 255)
        ImageDraw.Draw(image).line([(x, 5 if (x // 7) % 2 else 55) for x in range(0, width, 7)], fill=0, width=3)
        rows[0] = 0
        assert read_picture(model, np.asarray(image, np.float32) / 255).status == "not a digit"
        work.append(rows[0])
    assert work[1] <= 3.5 * work[0] and not any(slanted)


@pytest.mark.parametrize("shape, box, status, digits", [
    ("a dash", (80, 131, 320, 149), "not a digit", 1),        # its square bits read as 1s: 41 of them
    ("a short dash", (150, 131, 250, 149), "not a digit", 1),
    ("a dot", (190, 130, 210, 150), None, 1),                  # it was cut into "10"
])
def test_bits_no_wider_than_the_pen_are_no_digits(model, shape, box, status, digits):
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 280), 255)
    (ImageDraw.Draw(image).rectangle if "dash" in shape else ImageDraw.Draw(image).ellipse)(box, fill=0)
    number = read_picture(model, np.asarray(image, np.float32) / 255)
    assert len(number.digits) == digits and (status is None or number.status == status)


def test_cut_lines_by_hand():

    # A "U": two bars joined at the bottom; the thinnest columns are the bridge's.
    ink = np.zeros((10, 12), np.float32)
    ink[:, 2:4] = ink[:, 8:10] = 1
    ink[9, 2:10] = 1
    blob = Blob(ink, 0, 12, ink > 0, 1)
    # Its profile is 10 10 1 1 1 1 10 10 over columns 2..9; cuts keep 2 columns from the ends and more
    # than 2 from each other: before column 4 and before column 7 (a line's ink right of it: x >= c).
    assert blob.cut_lines((0.0,)) == [(3.5, 0.0), (6.5, 0.0)]
    (crop, x, top), = blob.crops([((3.5, 0.0), (6.5, 0.0))])   # the bridge alone: row 9 of columns 4..6
    assert (x, top) == (4, 9) and crop.tolist() == [[1, 1, 1]]
    (crop, x, top), = blob.crops([(None, (3.5, 0.0))])          # the left bar and its foot
    assert (x, top, crop.shape) == (2, 0, (10, 2))
    # A line leaning right keeps more of the top row to the left: x + s (y - middle) >= c.
    square = Blob(np.ones((5, 5), np.float32), 0, 5, np.ones((5, 5), bool), 1)
    right = square.right_of((2.0, 0.5))
    assert right[0].tolist() == [False, False, False, True, True]
    assert right[2].tolist() == [False, False, True, True, True]
    assert right[4].tolist() == [False, True, True, True, True]
    assert square.span((2.0, 0.5)) == (1.0, 3.0)
    # Two cut lines make a candidate only if they lie apart across the blob (not crossing).
    from app.reading.number_pictures import _candidates
    apart = [(0, None), (0, (1.0, 0.0)), (0, (3.0, 0.0)), (1, None)]
    crossing = [(0, None), (0, (1.0, 0.5)), (0, (2.0, -0.5)), (1, None)]
    assert sorted(_candidates([square], apart, 5)) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    assert sorted(_candidates([square], crossing, 5)) == [(0, 1), (0, 2), (0, 3), (1, 3), (2, 3)]
    # Two blobs, each with a cut line: every stretch is a candidate but the piece cut off one and the
    # piece cut off the other together (a digit's own ink apart, touching both neighbours); the
    # training candidates (as_trained) keep it, as the shipped model learnt from them.
    ink_apart = np.zeros((5, 12), np.float32)
    ink_apart[:, 0:5] = ink_apart[:, 7:12] = 1
    two_blobs = [Blob(ink_apart, 0, 5, np.ones((5, 5), bool), 1), Blob(ink_apart, 7, 12, np.ones((5, 5), bool), 1)]
    two_cuts = [(0, None), (0, (2.0, 0.0)), (1, None), (1, (9.0, 0.0)), (2, None)]
    all_pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    assert sorted(_candidates(two_blobs, two_cuts, 10)) == [pair for pair in all_pairs if pair != (1, 3)]
    assert sorted(_candidates(two_blobs, two_cuts, 10, as_trained=True)) == all_pairs
    # Many pairs of cut lines cropped at once: the ink between the lines, cropped to its box.
    pairs = [(None, None), (None, (3.5, 0.0)), ((3.5, 0.0), (6.5, 0.0)), ((9.5, 0.0), None), (None, (0.5, 0.0)),
             ((2.5, 0.5), (8.0, -0.4)), ((4.0, 1.0), None), (None, (5.0, -1.0)), ((5.0, 0.3), (5.5, 0.3))]
    for (left, right), (crop, x, top) in zip(pairs, blob.crops(pairs)):
        part = ink * (blob.right_of(left) if left else 1) * (~blob.right_of(right) if right else 1)
        rows, cols = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))
        if not len(cols):
            assert crop.size == 0
            continue
        assert (x, top) == (cols[0], rows[0])
        assert np.array_equal(crop, part[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    # Blobs by hand: a bar, a speck (dropped), an L whose foot overlaps the next bar (merged with it:
    # one digit's pieces), each with its columns and the mask of its own ink there.
    page = np.zeros((20, 40), np.float32)
    page[2:18, 3:7] = 1          # a bar, columns 3..6
    page[10, 8] = 1              # a speck
    page[2:18, 14] = page[17, 14:19] = 1   # an L, columns 14..18
    page[3:16, 17:20] = 1        # over its foot (apart by a row): columns 17..19
    (lo1, hi1, mask1), (lo2, hi2, mask2) = find_blobs(page)
    assert (lo1, hi1, lo2, hi2) == (3, 7, 14, 20)
    assert np.array_equal(mask1, page[:, 3:7] > 0) and np.array_equal(mask2, page[:, 14:20] > 0)
    # Shrunk twice: each pixel the mean of a 2 x 2 block, blocks from the picture's own edges.
    wide = np.zeros((4, 6), np.float32)
    wide[:, 3:5] = 1
    half = Blob(wide, 3, 5, wide[:, 3:5] > 0, 2)
    assert half.x0 == 1 and np.allclose(half.ink, [[0.5, 0.5], [0.5, 0.5]])
    # Where each row's ink right of a line begins is worked out, not searched: the same columns.
    rng = np.random.default_rng(0)
    for k in (1, 3):
        picture = np.zeros((40, 100), np.float32)
        picture[5:35, 31:77] = 1
        blob = Blob(picture, 31, 77, picture[:, 31:77] > 0, k)
        for c, slant in zip(rng.uniform(20, 90, 200).round(1), rng.choice([0.0, -0.25, 0.25, 0.4, 1.0], 200)):
            right = blob.right_of((float(c), float(slant)))
            searched = np.where(right.any(axis=1), right.argmax(axis=1), right.shape[1])
            assert np.array_equal(blob._first((float(c), float(slant)), 0), searched), (k, c, slant)
    # Shrinking sums strided slices (fast): the means of k x k blocks; vertical cut lines come from
    # column sums (fast): the same as the profile of the ink's pixels any other slant is made from.
    for k in (2, 3, 4, 5):
        picture = rng.random((47, 83)).astype(np.float32) * (rng.random((47, 83)) > 0.7)
        for lo in (0, 7):
            left = lo - (lo // k) * k
            padded = np.zeros((-(-47 // k) * k, -(-(left + 83) // k) * k), np.float32)
            padded[:47, left:left + 83] = picture
            means = padded.reshape(padded.shape[0] // k, k, padded.shape[1] // k, k).mean(axis=(1, 3))
            assert np.allclose(Blob.shrunk(picture, lo, k), means, atol=1e-6)
    for seed in range(5):
        picture = np.zeros((40, 160), np.float32)
        dots = np.random.default_rng(seed).random((2, 30, 140))
        picture[5:35, 10:150] = dots[0] * (dots[1] > 0.5)
        blob = Blob(picture, 10, 150, picture[:, 10:150] > 0, 1)
        ys, xs = np.nonzero(blob.full)
        start, profile = blob.profile(0.0)
        assert start == 10 + xs.min() and np.array_equal(profile, np.bincount(xs - xs.min(), weights=blob.full[ys, xs]))
        assert blob.cut_lines((0.0,)) == [(c, s) for c, s in blob.cut_lines((0.0, 0.25)) if s == 0.0]


def test_a_picture_of_one_digit_reads_exactly_as_predict_reads_it(model):
    from app.reading.predictor import Predictor

    picture = drawing_picture(write(UNIT[2], x=80))
    number = read_picture(model, picture, ink_is_bright=False)
    alone = Predictor(model).read(picture, ink_is_bright=False)
    assert len(number.digits) == 1 and number.digits[0].reading.message == alone.message
    # (the digit's crop is centred on a square of its own: its input differs by a few grey levels)
    assert np.allclose(number.digits[0].reading.probabilities, alone.probabilities, atol=1e-5)


def test_area_weights_average_what_each_new_pixel_covers_by_hand():
    from app.reading.fast_input import area_weights, padded_weights

    assert np.allclose(area_weights(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    assert np.allclose(area_weights(3, 2), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    assert np.allclose(area_weights(57, 20).sum(axis=1), 1)
    padded = padded_weights(3, 2, 32)   # (a crop padded with zeros: weights padded with zeros)
    assert padded.shape == (20, 32) and np.array_equal(padded[:2, :3], area_weights(3, 2))
    assert not padded[2:].any() and not padded[:, 3:].any() and not padded.flags.writeable


def test_candidates_drawn_fast_look_as_to_mnist_draws_them(model):
    """Candidates are read from a fast copy of to_mnist: the same box, place and reading."""
    from app.reading.fast_input import fast_mnist
    from app.reading.preprocess import ink_map, to_mnist

    for unit in (UNIT[2], UNIT[4], CROSSED_7):
        ink = ink_map(drawing_picture(write(unit, x=80)), ink_is_bright=False)
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        fast, exact = fast_mnist([crop.copy()])[0], to_mnist(crop, ink_is_bright=True).image
        assert np.abs(fast - exact).mean() < 0.02, np.abs(fast - exact).mean()
        assert np.argmax(model.predict_proba(fast[None])[0]) == np.argmax(model.predict_proba(exact[None])[0])


def test_candidates_drawn_together_look_as_each_drawn_alone():
    """Crops of many sizes resized in batches (padded with zeros) come out as each does alone."""
    from app.reading.fast_input import fast_mnist

    rng = np.random.default_rng(0)
    crops = [rng.random((h, w)).astype(np.float32) for h, w in [(56, 20), (30, 31), (3, 70), (1, 1), (56, 300), (57, 33)]]
    crops[3][:] = 0   # no ink at all: an empty field
    together = fast_mnist(crops)
    for crop, drawn in zip(crops, together):
        assert np.allclose(fast_mnist([crop])[0], drawn, atol=1e-6)
    assert not together[3].any() and together[[0, 1, 2, 4, 5]].any(axis=(1, 2)).all()


def test_a_drawing_file_round_trip_and_predict(model, tmp_path, capsys):
    strokes = write(UNIT[1], UNIT[2], UNIT[3])
    path = tmp_path / "number.json"
    path.write_text(json.dumps({"strokes": [s.to_json() for s in strokes]}))
    assert [s.points for s in load_drawing(path)] == [[(round(x, 2), round(y, 2)) for x, y in s.points] for s in strokes]
    code, out, err = run_command(capsys, "predict", str(path), "--json", "--models-dir", str(SHIPPED.parent))
    result = json.loads(out)
    assert code == 0 and result["text"] == "123" and result["status"] == "read" and result["digit"] is None
    assert [d["digit"] for d in result["digits"]] == [1, 2, 3] and all(len(d["box"]) == 4 for d in result["digits"])
    code, out, _ = run_command(capsys, "predict", str(path), "--models-dir", str(SHIPPED.parent))
    assert out.strip() == f"{path}: 123" or out.startswith(f"{path}: 123")


def test_json_text_gives_an_unsure_digit_as_its_best_guess():
    """By hand: a "1", an unsure 4 (4 or 9), a mark read as no digit (best guess 7) and a "1". The
    window and the plain output show "1??1"; ``predict --json``'s "text", for programs, "14?1": the
    digits read, an unsure one as its best guess (as "digit" is for one digit alone), a mark that is
    no digit still "?"; its "status" ("unsure") and each digit's "unsure" say how sure."""
    from app.models.evaluation import number_result
    from app.reading.numbers import DigitOfNumber, NumberReading
    from app.reading.predictor import Reading

    shares = np.full(10, 0.1, np.float32)
    one = Reading(1, shares, None, False, "1 (99% sure)")
    four = Reading(4, shares, None, True, "not sure: 4 or 9")
    mark = Reading(7, shares, None, True, "not a digit", not_digit=0.9, rejected=True)
    number = NumberReading([DigitOfNumber(r, (20 * k, 0, 20 * k + 10, 30)) for k, r in enumerate([one, four, mark, one])])
    result = number_result("n.png", number)
    assert number.text == "1??1" and result["text"] == "14?1" and result["status"] == "unsure"
    assert [d["unsure"] for d in result["digits"]] == [False, True, True, False] and result["message"].startswith("1??1")
    alone = number_result("d.png", NumberReading([DigitOfNumber(four, (0, 0, 10, 30))]))
    assert alone["text"] == "4" and alone["digit"] == 4 and alone["status"] == "unsure"
    nothing = number_result("m.png", NumberReading([DigitOfNumber(mark, (0, 0, 10, 30))]))
    assert nothing["text"] == "" and nothing["digit"] is None and nothing["status"] == "not a digit"


def test_pieces_each_in_doubt_are_a_word_not_a_number():
    """By hand (``NumberReading.status``): digits each 30 % "not a digit" to the network are a word's
    pieces ("ab" read "16"): "not a digit", no text. One odd digit among sure ones (a 5 the network
    is 45 % unsure is a digit at all) is that digit's doubt, and a pair reader's digits share its "not a
    pair", which crossing digits often half say: both read as before."""
    from app.reading.numbers import DigitOfNumber, NumberReading
    from app.reading.predictor import Reading

    def number(doubts, pair=""):
        shares = np.full(10, 0.02, np.float32)
        shares[1] = 0.82
        return NumberReading([DigitOfNumber(Reading(1, shares, None, False, "1", not_digit=v), (20 * k, 0, 20 * k + 10, 30),
                                            pair=pair) for k, v in enumerate(doubts)])

    assert number([0.3, 0.3]).status == "not a digit" and number([0.3, 0.3]).text == ""
    assert number([0.0, 0.15, 0.3, 0.4]).status == "not a digit"       # (on average 0.21, three of them 0.1 or more)
    assert number([0.0, 0.45]).status == "read" and number([0.0, 0.45]).text == "11"   # (one in doubt: the digit's)
    assert number([0.0, 0.0, 0.12, 0.12]).status == "read"              # (two in some doubt, on average 0.06)
    assert number([0.7, 0.7], pair="11").status == "read"
    marks = number([0.95, 0.0, 0.95, 0.0])   # (two marks said to be no digit among sure digits: "X7X7" is "?7?7")
    for k in (0, 2):
        marks.digits[k].reading.rejected = marks.digits[k].reading.unsure = True
    assert marks.status == "unsure" and marks.text == "?1?1"
    assert number([0.3]).status == "read"                                # (one digit alone: as the window judges it)


@pytest.mark.parametrize("content, problem", [
    ("{", "not a drawing file"), ('{"lines": []}', "not a drawing file"),
    ('{"strokes": [{"width": 10, "points": [[1, "x"]]}]}', "point"),
    ('{"strokes": [{"width": -1, "points": []}]}', "width"), ('{"strokes": 5}', "not a list"),
    ('{"strokes": [' + ",".join(['{"width": 18, "points": [[0, 0]]}'] * 1001) + "]}", "more than 1000 strokes"),
])
def test_a_damaged_drawing_file_is_one_line(model, tmp_path, capsys, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(DrawingFileError, match=problem):
        load_drawing(path)
    code, out, err = run_command(capsys, "predict", str(path), "--json", "--models-dir", str(SHIPPED.parent))
    assert code == 1 and problem in json.loads(out)["error"] and "Traceback" not in err


def test_explain_on_a_number_shows_each_digit(model, tmp_path, capsys):
    picture = tmp_path / "number.png"
    from PIL import Image

    Image.fromarray((drawing_picture(write(UNIT[1], UNIT[2], UNIT[3])) * 255).astype(np.uint8)).save(picture)
    code, out, err = run_command(capsys, "explain", str(picture), "--png", str(tmp_path / "why.png"),
                                 "--models-dir", str(SHIPPED.parent))
    assert code == 0, err
    assert f"{picture}: the number 123" in out and "digit 2 of 3: 2" in out
    assert sorted(p.name for p in tmp_path.glob("why*.png")) == ["why-1.png", "why-2.png", "why-3.png"]



def test_explain_reads_drawing_files_as_predict_does(model, tmp_path, capsys):
    """A drawing file (``.json`` strokes) is explained as predict reads it: "123" a figure a digit, a
    lone 7 one figure of what the network saw of it; an empty or damaged file one line (it said "not a
    readable image" of every drawing file until 2026-12-06)."""
    number, seven = tmp_path / "number.json", tmp_path / "seven.json"
    number.write_text(json.dumps({"strokes": [s.to_json() for s in write(UNIT[1], UNIT[2], UNIT[3])]}))
    seven.write_text(json.dumps({"strokes": [s.to_json() for s in write(UNIT[7])]}))
    code, out, err = run_command(capsys, "explain", str(number), "--png", str(tmp_path / "why.png"),
                                 "--models-dir", str(SHIPPED.parent))
    assert code == 0 and f"{number}: the number 123" in out and "digit 3 of 3: 3" in out, err
    assert sorted(p.name for p in tmp_path.glob("why*.png")) == ["why-1.png", "why-2.png", "why-3.png"]
    code, out, err = run_command(capsys, "explain", str(seven), "--png", str(tmp_path / "seven.png"),
                                 "--models-dir", str(SHIPPED.parent))
    assert code == 0 and f"{seven}: 7 (" in out and (tmp_path / "seven.png").exists(), err
    for content, problem in (('{"strokes": []}', "no digit found (the drawing is empty)"),
                             ('{"strokes": 5}', "strokes is not a list")):
        number.write_text(content)
        code, out, err = run_command(capsys, "explain", str(number), "--png", str(tmp_path / "bad.png"),
                                     "--models-dir", str(SHIPPED.parent))
        assert code != 0 and problem in err and "Traceback" not in err and not (tmp_path / "bad.png").exists()


def test_explain_on_a_long_number_explains_its_first_digits(model, tmp_path, capsys, monkeypatch):
    """A figure each for the first MOST_EXPLAINED digits (30; here 2), and the line says so."""
    from PIL import Image

    import ModelManager as mm

    picture = tmp_path / "number.png"
    Image.fromarray((drawing_picture(write(UNIT[1], UNIT[2], UNIT[3])) * 255).astype(np.uint8)).save(picture)
    monkeypatch.setattr(mm, "MOST_EXPLAINED", 2)
    code, out, err = run_command(capsys, "explain", str(picture), "--png", str(tmp_path / "why.png"),
                                 "--models-dir", str(SHIPPED.parent))
    assert code == 0, err
    assert "the number 123 (its first 2 digits of 3 explained)" in out and "digit 2 of 3: 2" in out
    assert sorted(p.name for p in tmp_path.glob("why*.png")) == ["why-1.png", "why-2.png"]

def test_a_photo_of_a_number_reads_as_its_small_copy_and_boxes_are_in_its_pixels(model, monkeypatch):
    """A phone's photo is thousands of pixels high: its writing is read shrunk (the same digits, a
    fraction of the work), and the boxes are said in the photo's own pixels."""
    from PIL import Image

    from app.reading import number_pictures

    seen = []
    blobs = number_pictures.find_blobs
    monkeypatch.setattr(number_pictures, "find_blobs", lambda ink: seen.append(ink.shape) or blobs(ink))

    small = drawing_picture(write(UNIT[3], UNIT[4], UNIT[7]))
    big = np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((small.shape[1] * 6, small.shape[0] * 6),
                                                                           Image.BILINEAR), np.float32)
    a, b = read_picture(model, small, ink_is_bright=False), read_picture(model, big, ink_is_bright=False)
    assert a.text == b.text == "347"
    assert seen[0] == small.shape and seen[1][0] < big.shape[0] / 2   # (its writing, 1000 pixels high, read 3x smaller)
    for x, y in zip(a.digits, b.digits):
        assert np.allclose(np.array(y.box), 6 * np.array(x.box), atol=6 * 4), (x.box, y.box)
    # And a reading's boxes moved to where a picture is shown (the window): x -> dx + scale x.
    placed = a.placed(0.5, 10, 20)
    assert [d.box for d in placed.digits] == [tuple(round(v) for v in (10 + 0.5 * d.box[0], 20 + 0.5 * d.box[1],
                                                                        10 + 0.5 * d.box[2], 20 + 0.5 * d.box[3]))
                                              for d in a.digits]
    assert placed.text == a.text


def test_the_rising_links_of_a_joined_stroke_are_never_a_digit_alone():
    """A "111" in one zigzag: its pieces are three downstrokes and two links rising between them.
    A link alone is a slanted line, which reads as a 1; it can only be part of a digit (a flag)."""
    from app.reading.joined_strokes import is_link
    from app.reading.numbers import _boxes, _group_cost, _pieces

    strokes = write(ZIGZAG_111)
    pieces, owners = _pieces(strokes, 280.0)
    assert len(pieces) == 5
    assert [is_link(pieces, owners, k, 280.0) for k in range(5)] == [False, True, False, True, False]
    boxes = _boxes(pieces)
    assert _group_cost(pieces, owners, 1, 2, 280.0, boxes) is None and _group_cost(pieces, owners, 1, 3, 280.0, boxes) is not None
    rising = [Stroke(18.0, [(30.0, 210.0), (90.0, 60.0)])]   # a stroke of its own that rises: may be a 1
    pieces, owners = _pieces(rising, 280.0)
    assert _group_cost(pieces, owners, 0, 1, 280.0, _boxes(pieces)) == 0.0


def test_finished_late_moves_the_last_stroke_of_some_digits_to_the_end_by_hand():
    from app.reading.synthetic_numbers import finished_late

    strokes = [Stroke(1.0, [(float(k), 0.0)]) for k in range(6)]   # digits of 1, 3 and 2 strokes
    everything = finished_late(strokes, [1, 3, 2], 1.0, np.random.default_rng(0))
    assert [s.points[0][0] for s in everything] == [0, 1, 2, 4, 3, 5]
    assert finished_late(strokes, [1, 3, 2], 0.0, np.random.default_rng(0)) == strokes


def test_neighbours_meet_when_their_ink_touches_or_crosses_by_hand():
    """What the benchmark parts pictures' numbers by: a digit's ink meeting its neighbour's (a 1
    in two strokes, a 1 in one, as the canvas draws them), not a digit's own strokes meeting."""
    from app.reading.synthetic_numbers import Number, neighbours_meet

    def ones(second: float, gap: float) -> Number:   # a 1 of two strokes crossing, then one of one
        strokes = [Stroke(18.0, [(40.0, 60.0), (40.0, 200.0)]), Stroke(18.0, [(20.0, 80.0), (60.0, 80.0)]),
                   Stroke(18.0, [(second, 60.0), (second + gap, 200.0)])]
        return Number(strokes, "11", [2, 1])

    assert not neighbours_meet(ones(100.0, 0.0))
    assert neighbours_meet(ones(70.0, 0.0))      # the first's bar (to 69) and the second (from 61) touch
    assert neighbours_meet(ones(100.0, -80.0))   # the second leans across the first


def test_covered_share_is_the_most_covered_digits_ink_under_its_neighbours_by_hand():
    """What the benchmark tells buried digits by: one-stroke 1s 18 units wide, 140 long, side by side;
    a 1 nine units right of another has about half its ink under it, one in the same place all, and a
    middle 1 between two such has all of it under its two neighbours."""
    from app.reading.synthetic_numbers import Number, covered_share, neighbours_meet

    def ones(*xs: float) -> Number:
        return Number([Stroke(18.0, [(x, 60.0), (x, 200.0)]) for x in xs], "1" * len(xs), [1] * len(xs))

    assert covered_share(ones(40.0, 100.0)) == 0.0 and not neighbours_meet(ones(40.0, 100.0))
    assert 0.4 < covered_share(ones(40.0, 49.0)) < 0.6 and neighbours_meet(ones(40.0, 49.0))
    assert covered_share(ones(40.0, 40.0)) == 1.0
    assert covered_share(ones(40.0, 49.0, 58.0)) > 0.95
    assert covered_share(ones(40.0, 100.0, 109.0)) == covered_share(ones(100.0, 109.0))   # (the most covered digit)


def test_a_number_slanted_back_stays_on_the_canvas():
    """A back-slanted number's first digit leans left of where it starts: the number is moved right,
    so its picture does not cut the digit's top off (it did: a 9 read as "?")."""
    from types import SimpleNamespace

    from app.reading.synthetic_numbers import compose

    one = SimpleNamespace(label=1, strokes=[np.array([[0.0, 0.0], [0.0, 10.0]])])
    for seed in range(40):
        strokes, text = compose([one, one], np.random.default_rng(seed))
        assert text == "11"
        assert min(x for s in strokes for x, _ in s.points) >= strokes[0].width - 1e-9


def test_resampled_by_hand():
    """``resampled``: each segment cut into equal steps no longer than asked, its own points kept."""
    from app.reading.synthetic_numbers import resampled

    stroke = Stroke(18.0, [(0.0, 0.0), (10.0, 0.0), (10.0, 2.0)])
    again, = resampled([stroke], 4.0)
    assert again.width == 18.0
    assert np.allclose(again.points, [(0, 0), (10 / 3, 0), (20 / 3, 0), (10, 0), (10, 2)])


def test_joined_by_hand():
    """``synthetic_numbers.joined``: a digit's last stroke runs on into the next digit's first where the
    pen goes on to the right, under 0.8 of the writing's height; never back to the left, nor far."""
    from app.reading.synthetic_numbers import Number, joined

    one, seven, bar = [(10.0, 100.0), (10.0, 0.0)], [(40.0, 5.0), (100.0, 5.0), (70.0, 100.0)], [(50.0, 50.0), (90.0, 50.0)]
    number = Number([Stroke(18.0, one), Stroke(18.0, seven), Stroke(18.0, bar)], "17", [1, 2])
    assert [s.points for s in joined(number, 1.0, np.random.default_rng(0))] == [one + seven, bar]
    assert [s.points for s in joined(number, 0.0, np.random.default_rng(0))] == [one, seven, bar]
    far = Number([Stroke(18.0, one), Stroke(18.0, [(x + 100, y) for x, y in seven])], "17", [1, 1])
    back = Number([Stroke(18.0, one), Stroke(18.0, [(x - 35, y) for x, y in seven])], "17", [1, 1])
    assert len(joined(far, 1.0, np.random.default_rng(0))) == len(joined(back, 1.0, np.random.default_rng(0))) == 2


def test_a_number_written_again_with_another_pen_by_hand():
    """``with_pen``: the strokes scaled to the height asked (of their points), the pen set, the top
    left a pen from the edge, the writing centred on the canvas's 280 when there is room."""
    from app.reading.synthetic_numbers import with_pen

    strokes = [Stroke(10.0, [(50.0, 100.0), (60.0, 150.0)]), Stroke(12.0, [(80.0, 100.0), (70.0, 120.0)])]
    again = with_pen(strokes, 200.0, 4.0)
    assert [s.width for s in again] == [4.0, 4.0]
    assert again[0].points == [(4.0, 40.0), (44.0, 240.0)] and again[1].points == [(124.0, 40.0), (84.0, 120.0)]
    assert with_pen(strokes, 300.0, 18.0)[0].points[0] == (18.0, 18.0)


def test_numbers_of_held_out_writers_read_end_to_end(model, pendigits_file):
    """The floor on real pen digits of writers the shipped model never trained on: synthetic numbers of
    2-5 digits from their strokes, their strokes with half the digits finished last, their pictures,
    and their strokes with digits joined. (benchmarks/number_reading.py measures the same on more
    numbers: about 98, 97, 88 and, half the joins made, 90 %.)"""
    from app.pen import pendigits
    from app.reading import synthetic_numbers

    held = set(json.loads((SHIPPED / "model.json").read_text())["metadata"]["pen"]["held_out_writers"])
    digits = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    numbers = synthetic_numbers.numbers(digits, 60, 11, (2, 5))
    late = synthetic_numbers.numbers(digits, 60, 11, (2, 5), late=0.5)
    assert [n.text for n in late] == [n.text for n in numbers]
    strokes = np.mean([read_strokes(model, s).text == t for s, t, _ in numbers])
    finished_last = np.mean([read_strokes(model, s).text == t for s, t, _ in late])
    pictures = np.mean([read_picture(model, drawing_picture(s), ink_is_bright=False).text == t for s, t, _ in numbers])
    assert strokes >= 0.9 and finished_last >= 0.9 and pictures >= 0.8, (strokes, finished_last, pictures)
    # Every join people make written without lifting the pen: 58 % before strokes were cut at their
    # corners and level ends too (``joined_strokes``), 72 % since; 77 -> 82 % (these 60) with a link
    # left out at no cost, a bar run on into one a link, and gentler corners cut where wider than 1.2
    # (600 of seed 11: 76.3 -> 84.3 %).
    rng = np.random.default_rng(0)
    joined_up = np.mean([read_strokes(model, synthetic_numbers.joined(n, 1.0, rng)).text == n.text for n in numbers])
    assert joined_up >= 0.72, joined_up


def test_a_bar_written_last_and_run_on_over_ink_is_a_link_by_hand():
    """A cut stroke's first part that is a level bar to the right, set off on another stroke's ink
    or across it (a 5's bar, a 7's cross written last, the pen going on into the next digit), is a
    link: part of a digit or left out, never a digit alone; the same bar set off on no ink is not."""
    from app.reading.joined_strokes import is_link

    body = Stroke(18.0, [(20.0, 20.0), (18.0, 90.0), (60.0, 95.0), (55.0, 150.0), (15.0, 145.0)])   # a 5's body
    bar, on = Stroke(18.0, [(20.0, 20.0), (80.0, 18.0)]), Stroke(18.0, [(80.0, 18.0), (90.0, 150.0)])   # bar, then a 1
    assert is_link([body, bar, on], [0, 1, 1], 1, 150.0)
    away = Stroke(18.0, [(120.0, 20.0), (180.0, 18.0)])
    assert not is_link([body, away, Stroke(18.0, [(180.0, 18.0), (190.0, 150.0)])], [0, 1, 1], 1, 150.0)
    stem = Stroke(18.0, [(20.0, 20.0), (80.0, 20.0), (40.0, 150.0)])   # a 7, then its cross across the stem
    cross = Stroke(18.0, [(35.0, 90.0), (110.0, 88.0)])
    assert is_link([stem, cross, Stroke(18.0, [(110.0, 88.0), (120.0, 20.0), (125.0, 150.0)])], [0, 1, 1], 1, 150.0)
    assert not is_link([stem, cross], [0, 1], 1, 150.0)   # (a stroke of its own: no link)
    assert not is_link([body, Stroke(18.0, [(20.0, 20.0), (80.0, 60.0)]), on], [0, 1, 1], 1, 150.0)   # (not level)


def test_joined_numbers_of_held_out_writers_read_end_to_end(model, pendigits_file):
    """Numbers of 2-10 digits of the held-out pen writers with half the joins people make written
    without lifting the pen (300 of seed 13; the 111 with a join): 92 read right before a bar turning
    down was cut (``joined_strokes._bar_corner``), a link left out paid no split penalty
    (``numbers.LINK_COST``) and a bar run on over ink was a link (``_bar_over_ink``); 98 since."""
    from app.pen import pendigits
    from app.reading import synthetic_numbers

    held = set(json.loads((SHIPPED / "model.json").read_text())["metadata"]["pen"]["held_out_writers"])
    digits = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    rng = np.random.default_rng(1013)
    written = [(synthetic_numbers.joined(n, 0.5, rng), n) for n in synthetic_numbers.numbers(digits, 300, 13, (2, 10))]
    joined = [(strokes, n.text) for strokes, n in written if len(strokes) < len(n.strokes)]
    right = sum(read_strokes(model, strokes, synthetic_numbers.canvas_height(strokes)).text == text for strokes, text in joined)
    assert len(joined) == 111 and right >= 96, (len(joined), right)

def test_crossing_bar_is_a_7s_cross_not_a_2s_base_nor_a_7s_top():
    """By hand (canvas units, y down): a bar across a 7's stem low down (at 0.71 of its height, 19 of its 50
    units left of the crossing) is a cross; a 2's base begun where its stem ends, a 7's top bar, and a
    lone stroke are not."""
    from app.reading.crossed_sevens import crossing_bar

    stem = Stroke(18.0, [(10, 10), (80, 10), (30, 100)])
    assert crossing_bar([stem, Stroke(18.0, [(25, 75), (75, 72)])]) == 1
    assert crossing_bar([Stroke(18.0, [(25, 75), (75, 72)]), stem]) == 0   # (written first)
    two = Stroke(18.0, [(15, 30), (50, 10), (80, 30), (20, 100)])
    assert crossing_bar([two, Stroke(18.0, [(20, 100), (85, 100)])]) is None
    assert crossing_bar([Stroke(18.0, [(10, 10), (80, 10)]), Stroke(18.0, [(80, 10), (30, 100)])]) is None
    assert crossing_bar([stem]) is None and crossing_bar([]) is None and crossing_bar([Stroke(18.0, []), stem]) is None


def test_read_uncrossed_reads_a_crossed_2_again_without_its_bar():
    """A 2 with a stroke across it is read again without that stroke (all of its pieces), and a 7 read so
    is taken; anything else read so, or a digit that is no 2, stays as it was."""
    from app.reading.crossed_sevens import read_uncrossed

    pieces = [Stroke(18.0, [(10, 10), (80, 10)]), Stroke(18.0, [(80, 10), (30, 100)]), Stroke(18.0, [(25, 75), (75, 72)])]
    owners, group = [0, 0, 1], [0, 1, 2]   # (a stroke cut in two pieces, and the bar)
    two, seven, one = (Reading(d, None, None, False, "") for d in (2, 7, 1))
    asked = []
    assert read_uncrossed(two, pieces, owners, group, lambda rest: asked.append(rest) or seven) is seven
    assert asked == [[0, 1]]
    assert read_uncrossed(two, pieces, owners, group, lambda rest: one) is two
    assert read_uncrossed(two, pieces, owners, group, lambda rest: None) is two
    assert read_uncrossed(one, pieces, owners, group, lambda rest: seven) is one
    assert read_uncrossed(two, pieces[:2], owners[:2], group[:2], lambda rest: seven) is two   # (no bar)


def _ink_of(strokes: list[Stroke]) -> np.ndarray:
    """The ink map of strokes drawn as the window draws them, cropped to the ink."""
    ink = ink_map(drawing_picture(strokes), ink_is_bright=False)
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def test_picture_bar_is_a_7s_cross_in_the_ink_not_a_2s_middle_nor_base():
    """By hand, from pictures (the canvas's 18-unit pen, a digit 90 high): a 7 crossed low (at 0.71 of its
    height) has its bar found, the stem it crosses kept, and a curl at the bar's end taken out with it;
    a 2 with a flat middle, a 2 with its base a second stroke, a 7 without a cross, and a speck have none."""
    from app.reading.crossed_sevens import picture_bar

    stem = Stroke(18.0, [(30, 10), (100, 10), (50, 100)])
    seven = _ink_of([stem, Stroke(18.0, [(40, 62), (35, 70), (45, 75), (95, 72)])])   # (a curl at its left end)
    bar = picture_bar(seven)
    assert bar is not None
    ys, xs = np.nonzero(bar)
    assert 0.55 < ys.mean() / seven.shape[0] < 0.8 and np.ptp(xs) > 0.5 * seven.shape[1]
    assert (bar <= (seven > 0.5)).all()                              # (only ink)
    crossing = int(round(50 + (100 - 50) * (100 - 72) / 90)) - 30 + 9   # (the stem's column at the bar)
    assert not bar[:, crossing - 3:crossing + 4].any()             # (the stem kept)
    assert bar[:, :12].any()                                        # (the curl taken out)
    flat_two = Stroke(18.0, [(15, 30), (50, 10), (85, 25), (90, 50), (20, 62), (15, 100), (95, 100)])
    assert picture_bar(_ink_of([flat_two])) is None
    two = Stroke(18.0, [(15, 30), (50, 10), (80, 30), (20, 100)])
    assert picture_bar(_ink_of([two, Stroke(18.0, [(20, 100), (85, 100)])])) is None
    assert picture_bar(_ink_of([stem])) is None
    assert picture_bar(np.ones((5, 5), np.float32)) is None


def test_picture_uncrossed_reads_a_crossed_2_again_without_its_bar():
    """A picture's digit read as a 2 with a 7's cross in its ink (and some 7 seen in it) is read again
    without the bar, and a 7 read so is taken; anything else read so, a digit that is no 2, a 2 without
    a 7 seen in it, or a digit alone stays as it was."""
    from app.reading.crossed_sevens import picture_uncrossed

    seven = _ink_of([Stroke(18.0, [(30, 10), (100, 10), (50, 100)]), Stroke(18.0, [(40, 72), (95, 72)])])
    shares = np.zeros(10, np.float32)
    shares[[2, 7]] = 0.99, 0.01
    two, again, one = (Reading(d, shares, None, False, "") for d in (2, 7, 1))
    sure_two = Reading(2, np.eye(10, dtype=np.float32)[2], None, False, "")
    assert picture_uncrossed(sure_two, seven, lambda ink: again) is sure_two
    asked = []
    assert picture_uncrossed(two, seven, lambda ink: asked.append(ink) or again) is again
    assert len(asked) == 1 and asked[0].sum() < seven.sum() and asked[0][:20].sum() == seven[:20].sum()
    assert picture_uncrossed(two, seven, lambda ink: one) is two
    assert picture_uncrossed(one, seven, lambda ink: again) is one
    assert picture_uncrossed(two, seven, lambda ink: again, alone=True) is two
    assert picture_uncrossed(two, _ink_of([Stroke(18.0, [(30, 10), (100, 10), (50, 100)])]), lambda ink: again) is two


def test_numbers_with_a_writers_own_crossed_7_end_to_end(model, pendigits_file, monkeypatch):
    """End to end on real data: 120 numbers of 2-4 digits of the held-out pen writers, one of them a 7
    the writer crossed (two strokes or more), read from their strokes and as pictures. A 7 crossed low with a curved top
    reads as a 2 to the network; read again without its cross it is a 7 (``crossed_sevens``): here
    0.992, before 0.958; drawn as pictures, where the cross is found in the ink, 0.983, before 0.975."""
    from app.pen import pendigits
    from app.reading import number_pictures, synthetic_numbers
    from app.reading import numbers as number_reader

    held = set(model.metadata["pen"]["held_out_writers"])
    every = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    sevens = [d for d in every if d.label == 7 and len(d.strokes) > 1]
    rng = np.random.default_rng(3)
    numbers = []
    for _ in range(120):
        chosen = [every[int(k)] for k in rng.integers(0, len(every), int(rng.integers(1, 4)))]
        chosen.insert(int(rng.integers(0, len(chosen) + 1)), sevens[int(rng.integers(len(sevens)))])
        numbers.append(synthetic_numbers.compose(chosen, rng))
    now = np.mean([read_strokes(model, s).text == t for s, t in numbers])
    pictures = np.mean([read_picture(model, drawing_picture(s), ink_is_bright=False).text == t for s, t in numbers])
    monkeypatch.setattr(number_reader, "read_uncrossed", lambda reading, *_: reading)
    monkeypatch.setattr(number_pictures, "picture_uncrossed", lambda reading, *_: reading)
    before = np.mean([read_strokes(model, s).text == t for s, t in numbers])
    pictures_before = np.mean([read_picture(model, drawing_picture(s), ink_is_bright=False).text == t for s, t in numbers])
    assert now > before and now >= 0.95, (now, before)
    assert pictures > pictures_before and pictures >= 0.9, (pictures, pictures_before)
