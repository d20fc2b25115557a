"""Marks that are no digits, where the number readers (``numbers``, ``number_pictures``) found digits:
a stray stroke that belongs to a digit beside it, a letter or symbol cut into digit-like pieces, a
word, and specks (a pen's tap, a decimal point, a comma) among digits.
"""
from __future__ import annotations

import math
import statistics

import numpy as np

from app.reading.predictor import UNSURE_BELOW, digit_outputs, digit_scores, reject_threshold
from app.reading.stroke_inputs import span
from app.reading.strokes import Stroke

STRAY_OVER = 0.5          # a mark read as no digit lying this much over a digit may be part of it
MARK_WIDTH = 1.5          # writing no wider than this (of its height) read as several digits is one mark, not a
MARK_MARGIN = 1.5         # digit, where read whole it is "not a digit" this much likelier (log) than those digits,
ONE_PIECE_MARGIN = 0.5    # or this much when it is one stroke (one blob of a picture): likelier a letter than joined digits
SPECK_SIDE = 0.2          # a mark read as no digit, among digits, no larger than this (of the writing's height) is a speck
WORD_DOUBT = 0.2          # several digits whose not-a-digit outputs average this or more, at least two of them
WORD_DOUBTFUL = 0.1       # this much or more, are a word's letters cut into digit-like pieces, no number
CROSS_MARK = math.log(0.1)   # two straight strokes crossed at their middles (an X, a +) read as one mark score at least this
STRAIGHT = 1.1            # (a stroke no longer than this times the way between its ends is straight,
CROSS_MIDDLE = (0.2, 0.8)  # and they cross within this share of each one's length)
WHOLE_WIDTH = 2.0         # ink no wider than this (of its height) read as several digits is read whole too


def one_mark(model, whole: np.ndarray, outputs: list[np.ndarray], aspect: float, one_piece: bool = False) -> bool:
    """Whether writing read as several digits (``outputs``, a row of network outputs each) is rather one
    mark that is no digit: a letter or a symbol cut into digit-like pieces (an "m" read "771", a "k"
    "1?"). So when the writing is no wider than ``MARK_WIDTH`` times its height (``aspect``) and, read
    ``whole`` (its outputs), is "not a digit" at the model's threshold and ``MARK_MARGIN`` likelier so
    (log) than it is those digits (``digit_scores`` summed), or ``ONE_PIECE_MARGIN`` when it is
    ``one_piece``: one stroke, or one blob of a picture (an "h" in one stroke, cut at its turns as joined
    digits are, read "17"). Two digits side by side read sure each; the pieces of a letter seldom do,
    and digits joined as narrow as a letter are rare."""
    if len(outputs) < 2 or aspect > MARK_WIDTH:
        return False
    other = float(digit_outputs(whole)[1])
    margin = ONE_PIECE_MARGIN if one_piece else MARK_MARGIN
    return other >= reject_threshold(model) and math.log(other) > float(digit_scores(np.stack(outputs)).sum()) + margin


def all_ink(ink: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """All the ink of a picture cropped to its box, and the box (left, top, right, bottom), when it is
    no wider than ``WHOLE_WIDTH`` times its height: what may be one digit, though read as several (an
    odd or broken digit whose pieces each read as a sure digit; a wide 0 in faint pieces). Wider ink
    never reads better as one digit: reading it costs time for nothing."""
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows) or columns[-1] - columns[0] + 1 > WHOLE_WIDTH * (rows[-1] - rows[0] + 1):
        return None
    top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
    return ink[top:bottom, left:right], (int(left), int(top), int(right), int(bottom))


def a_word(digits: list) -> bool:
    """Whether a reading's ``digits`` (``numbers.DigitOfNumber``, two or more) are rather a word's pieces:
    each piece of a word is in some doubt that it is a digit at all ("ab" read "16": the network gives
    "not a digit" 30-50 % to each), a number's digits seldom 5 %. One odd digit among sure ones (a "75"
    whose 5 is 45 % doubted) is that digit's doubt, and marks said to be no digit among sure digits are
    symbols ("X7X7" read "?7?7"): a word has two pieces in doubt, one of them read as a digit
    (``WORD_DOUBT``, ``WORD_DOUBTFUL``). A pair reader's digits count as sure: theirs is its "not a
    pair", which crossing digits often half say."""
    doubts = [0.0 if d.pair else d.reading.not_digit for d in digits]
    doubtful = [v >= WORD_DOUBTFUL for v in doubts]
    return (sum(doubts) >= WORD_DOUBT * len(doubts) and sum(doubtful) >= 2
            and any(k and not d.reading.rejected for k, d in zip(doubtful, digits)))


def crossed_marks(pieces: list[Stroke], owners: list[int], boxes: np.ndarray,
                  scores: dict[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    """``scores`` (the stroke reader's, by runs of pieces) with each run of two whole strokes that cross
    as an X or a + does (``crossing``) scored at least ``CROSS_MARK``, read as one mark that is no
    digit: read alone such a mark is "not a digit", but among digits its strokes were read as digits
    ("2+3" read "213": the + a 1 and a bar joined to the 3; "X7X7" "117117"). No digit is two straight
    strokes crossed at their middles, and a digit so written reads better as itself. Only strokes whose
    ``boxes`` (left, top, right, bottom) overlap by half the smaller one's width and height are looked
    at closer (an X's and a +'s do wholly; the window asks after every stroke)."""
    def whole(k: int) -> bool:
        return (k == 0 or owners[k - 1] != owners[k]) and (k + 1 == len(owners) or owners[k + 1] != owners[k])

    rows = boxes.tolist()   # (Python floats: numpy's scalars are slow one by one)

    def over(k: int) -> bool:   # (pieces k and k + 1 overlap by half the smaller's width and height)
        a, b = rows[k], rows[k + 1]
        return all(min(a[n + 2], b[n + 2]) - max(a[n], b[n]) > 0.5 * min(a[n + 2] - a[n], b[n + 2] - b[n]) for n in (0, 1))

    crossed = {i for i, j in scores if j - i == 2 and whole(i) and whole(i + 1) and over(i) and crossing(pieces[i], pieces[i + 1])}
    return {(i, j): max(score, CROSS_MARK) if j - i == 2 and i in crossed else score for (i, j), score in scores.items()}


def crossing(a: Stroke, b: Stroke) -> bool:
    """Whether two strokes are straight (``STRAIGHT``) and cross each other within ``CROSS_MIDDLE`` of
    both their lengths: a 1's base or a 5's bar meets its stroke at an end, a 7's cross is a bent stroke's.
    (Where the lines between their ends meet is looked at first: it needs no more than the ends.)"""
    if len(a.points) < 2 or len(b.points) < 2:
        return False
    p, q = np.array(a.points[0], float), np.array(b.points[0], float)
    d, e = np.array(a.points[-1], float) - p, np.array(b.points[-1], float) - q
    cross = d[0] * e[1] - d[1] * e[0]
    if abs(cross) <= 1e-9 * float(np.hypot(*d) * np.hypot(*e)):
        return False   # (parallel, or a stroke that ends where it began)
    r = q - p
    t, u = (r[0] * e[1] - r[1] * e[0]) / cross, (r[0] * d[1] - r[1] * d[0]) / cross   # where along each they meet
    if not (CROSS_MIDDLE[0] <= t <= CROSS_MIDDLE[1] and CROSS_MIDDLE[0] <= u <= CROSS_MIDDLE[1]):
        return False
    for stroke, chord in ((a, d), (b, e)):
        length = float(np.hypot(*np.diff(np.asarray(stroke.points, float), axis=0).T).sum())
        if length > STRAIGHT * float(np.hypot(*chord)):
            return False
    return True


def attach_strays(groups: list[list[int]], read, pieces: list[Stroke], threshold: float,
                  unsure_from: float) -> list[list[int]]:
    """Groups read as "not a digit" that lie mostly over another group (a 5's bar or a 7's cross
    written apart from its digit, later or as a stroke of its own) joined to it when the two read as
    one confident digit. Anything else stays as it was: a scribble among digits is still said."""
    def fine(output) -> bool:
        digits, other = digit_outputs(output)
        return float(other) < unsure_from and float(digits.max()) >= UNSURE_BELOW

    # Whether each group reads as no digit, and its columns, found once (a drawing of thousands of dots
    # has thousands of groups, looked over again after every join); columns only when there are strays
    # (the window reads a number after every stroke, mostly without any).
    strays: dict[tuple, bool] = {}
    columns: dict[tuple, tuple[float, float]] = {}

    def is_stray(group: list[int]) -> bool:
        key = tuple(group)
        if key not in strays:
            strays[key] = bool(digit_outputs(read(group)[1])[1] >= threshold)
        return strays[key]

    def columns_of(group: list[int]) -> tuple[float, float]:
        key = tuple(group)
        if key not in columns:
            lo, hi = span([pieces[k] for k in group])
            columns[key] = float(lo[0]), float(hi[0])
        return columns[key]

    changed = True
    while changed and len(groups) > 1:
        changed = False
        found = [k for k, g in enumerate(groups) if is_stray(g)]
        edges = np.array([columns_of(g) for g in groups]) if found else None
        for index in found:
            stray = groups[index]
            lo, hi = edges[index]
            overlaps = np.minimum(hi, edges[:, 1]) - np.maximum(lo, edges[:, 0])
            overlaps[index] = -np.inf   # (not over itself)
            host = groups[int(overlaps.argmax())]   # (the first of the largest, as max() would)
            if overlaps.max() < STRAY_OVER * (hi - lo):
                continue
            merged = sorted(host + stray)
            joined = read(merged)
            if joined is not None and fine(joined[1]):
                groups = [merged if g is host else g for g in groups if g is not stray]
                changed = True
                break
    return groups


def without_specks(digits: list, height: float) -> list:
    """A number's digits (``numbers.DigitOfNumber``, left to right) without its specks: marks read as
    "not a digit", or as likelier no digit than a digit (a dot may be read "not sure: maybe not a
    digit"), whose box is no larger than ``SPECK_SIDE`` of the writing's ``height`` (a pen's tap, a
    decimal point), and small marks below the line among digits however they read
    (``_below_the_line``: a comma); the number is the digits. A speck alone, or among specks only,
    is still said."""
    kept = [d for d in digits if not ((d.reading.rejected or d.reading.not_digit >= 0.5)
                                      and max(d.box[2] - d.box[0], d.box[3] - d.box[1]) < SPECK_SIDE * height)]
    if len(kept) > 1:   # (and a comma among digits)
        kept = [d for d in kept if not _below_the_line(d, [o for o in kept if o is not d])] or kept
    return kept or digits


def _below_the_line(mark, others: list) -> bool:
    """A mark that lies wholly below the middle of the other digits and is smaller than 0.4 of their
    height each way: a comma or a low dot among digits ("1,234"), which the network, seeing it scaled
    up, may read as a sure 0 or 1. Digits stand on the line and reach up to the others' tops; a digit
    written small and low is wider than that (an MNIST 5 lying low in a number is kept)."""
    middle = float(statistics.median([(o.box[1] + o.box[3]) / 2 for o in others]))   # (np.median: 10x slower on a few)
    tall = float(statistics.median([o.box[3] - o.box[1] for o in others]))
    return mark.box[1] > middle and max(mark.box[2] - mark.box[0], mark.box[3] - mark.box[1]) < 0.4 * tall
