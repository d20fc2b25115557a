"""A number written in more than one line (rows: "12" over "34", a long phone number wrapped): each
line read as a number, and the lines' digits put together top to bottom, as text is read.

Read as one line, two rows are nonsense to the number reader: it levels and leans the writing as if
it were one line, and its candidates join digits of both rows ("12" over "34" read "not a digit" or
"1?2"). Lines are found from where the ink lies up and down: strokes (or rows of a picture's ink)
whose heights overlap are one line, and two lines lie apart by an empty band at least ``LINE_GAP``
of the taller one's height, each at least ``SHORTEST_LINE`` of the tallest line's height (a dot or
a 5's bar above its digit is no line of its own), one over the other (``STACKED``: writing stepping
up or down as it goes right is one line, which the reader levels). Writing of one line is read
exactly as before: the reader is called on all of it; and so is writing of lines that it reads as
one digit (a digit broken in two: an MNIST 5 whose top half is faint; read as one line, two rows are
more digits or one mark that is no digit).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from app.reading.numbers import NumberReading, read_strokes
from app.reading.strokes import LOGICAL_SIZE, Stroke

LINE_GAP = 0.15       # an empty band this high (of the taller line's height) or more parts two lines,
SHORTEST_LINE = 0.5   # each at least this high (of the tallest line): lower, it belongs to the line nearest
STACKED = 0.3         # and overlapping in x by this (of the narrower one's width): else one line stepping
MOST_BANDS = 64       # more bands of ink than this up and down is no writing in lines (specks, stripes): one line


def lines_of(boxes: list[tuple[float, float, float, float]]) -> list[list[int]]:
    """The lines of items with ``boxes`` (left, top, right, bottom; y down): lists of their indices,
    top to bottom (one list when all lie on one line)."""
    order = sorted(range(len(boxes)), key=lambda k: boxes[k][1])
    groups: list[list[int]] = []
    bottom = -np.inf   # the lowest ink of the last group
    for k in order:   # overlapping heights: one line
        if groups and boxes[k][1] <= bottom:
            groups[-1].append(k)
            bottom = max(bottom, boxes[k][3])
        else:
            groups.append([k])
            bottom = boxes[k][3]
    if len(groups) > MOST_BANDS:   # (and joining them pair by pair would take long: a striped picture has thousands)
        return [list(range(len(boxes)))]
    while len(groups) > 1:
        spans = [_span(boxes, group) for group in groups]
        tallest = max(bottom - top for _, top, _, bottom in spans)
        join = _first_to_join(spans, tallest)
        if join is None:
            break
        groups[join:join + 2] = [groups[join] + groups[join + 1]]
    return [sorted(group) for group in groups]


def _span(boxes, group: list[int]) -> tuple[float, float, float, float]:
    return (min(boxes[k][0] for k in group), min(boxes[k][1] for k in group),
            max(boxes[k][2] for k in group), max(boxes[k][3] for k in group))


def _first_to_join(spans: list[tuple[float, float, float, float]], tallest: float) -> int | None:
    """The first of two neighbouring groups (up and down) that are no two lines, or None: too close,
    not one over the other, or one too low to be a line (joined to the nearer of its neighbours)."""
    for k, (a, b) in enumerate(zip(spans, spans[1:])):
        overlap = min(a[2], b[2]) - max(a[0], b[0])
        if b[1] - a[3] < LINE_GAP * max(a[3] - a[1], b[3] - b[1]) or overlap < STACKED * min(a[2] - a[0], b[2] - b[0]):
            return k
    for k, (_, top, _, bottom) in enumerate(spans):
        if bottom - top < SHORTEST_LINE * tallest:
            above = top - spans[k - 1][3] if k > 0 else np.inf
            below = spans[k + 1][1] - bottom if k + 1 < len(spans) else np.inf
            return k - 1 if above <= below else k
    return None


def stroke_lines(strokes: list[Stroke]) -> list[list[int]]:
    """The lines of a drawing: its strokes' indices, line by line, top to bottom (where their ink lies,
    as a picture of them shows it)."""
    boxes = [(float(p[:, 0].min()) - r, float(p[:, 1].min()) - r, float(p[:, 0].max()) + r, float(p[:, 1].max()) + r)
             for p, r in ((np.asarray(s.points, float).reshape(-1, 2), s.width / 2) for s in strokes)]   # (the ink, pen and all)
    return lines_of(boxes)


def picture_lines(ink: np.ndarray) -> list[tuple[int, int]]:
    """The lines of an ink map: (first row, past the last) of each, top to bottom, the rows between
    two lines shared between them (one band, all rows, when the ink is one line or none)."""
    inked = ink > 0.35
    rows = np.flatnonzero(inked.any(axis=1))
    if not len(rows):
        return [(0, ink.shape[0])]
    starts = np.flatnonzero(np.diff(rows) > 1) + 1   # runs of inked rows
    runs = [(int(run[0]), int(run[-1]) + 1) for run in np.split(rows, starts)]
    boxes = []
    for top, bottom in runs:
        columns = np.flatnonzero(inked[top:bottom].any(axis=0))
        boxes.append((float(columns[0]), float(top), float(columns[-1] + 1), float(bottom)))
    lines = [(min(runs[k][0] for k in line), max(runs[k][1] for k in line)) for line in lines_of(boxes)]
    if len(lines) == 1:
        return [(0, ink.shape[0])]
    edges = [0] + [(a[1] + b[0]) // 2 for a, b in zip(lines, lines[1:])] + [ink.shape[0]]
    return list(zip(edges[:-1], edges[1:]))


def in_lines(readings: list[NumberReading]) -> NumberReading:
    """The readings of a number's lines, top to bottom, as one: their digits in turn."""
    return NumberReading([d for reading in readings for d in reading.digits])


def more_than_a_digit(one: NumberReading) -> bool:
    """Whether writing of two lines or more, read as one line (``one``), is to be read line by line:
    read so it is more digits or one mark that is no digit (two rows are); one digit, it is a digit
    broken in two (the pen skipped, a faint band across a scanned digit), and reads as it always did."""
    return len(one.digits) > 1 or one.status == "not a digit"


def read_written(model, strokes: list[Stroke], height: int = LOGICAL_SIZE, memo: dict | None = None) -> NumberReading:
    """``numbers.read_strokes`` of a drawing of one line or more: each line read as a number (the
    digits' ``strokes`` the drawing's), and the lines' digits together, top to bottom."""
    drawn = [k for k, s in enumerate(strokes) if s.points]
    lines = stroke_lines([strokes[k] for k in drawn])
    one = read_strokes(model, strokes, height, memo)
    if len(lines) < 2 or not more_than_a_digit(one):
        return one
    readings = []
    for line in lines:
        mine = [drawn[k] for k in line]
        reading = read_strokes(model, [strokes[k] for k in mine], height, memo)
        readings.append(NumberReading([dataclasses.replace(d, strokes=tuple(mine[k] for k in d.strokes))
                                       for d in reading.digits]))
    return in_lines(readings)
