"""Two digits as the pair reader sees them (``app/reading/digit_pairs.py``), to train it on
(``ModelManager.py train-pairs``): numbers of 2 to 4 pen digits, composed as
``app/reading/synthetic_numbers.py`` composes them (touching, crossing or apart, from the pen
digits of the model's training writers only), drawn as a picture, and cut by columns as the pair
reader gets them: all the ink in the columns of a run of the picture reader's digits.

- **A pair**: the columns of two neighbouring digits -> the pair, 10 x first + second (0..99).
- **Three digits**, for a reader of threes too (``threes``): the columns of three neighbouring
  digits -> ``FIRST_THREE`` + 100 x first + 10 x second + third.
- **Not a pair** (``NOT_A_PAIR``): the columns of one digit, of three (for a reader of pairs only), or of a digit and a part
  (``PART`` of the next digit's ink, or of the one before it): what a run of the picture reader's
  digits holds when it is no pair (a narrow digit, a 1, is never cut: any part of it looks like it),
  and, given the UNIPEN letters, any crop holding a letter: words and letters among digits are no pair.

A crop holding ``OTHERS`` or more of a digit it is not about is left out (a crossing neighbour may
lie all in one digit's columns: that is a pair, not one digit). Each number drawn gives
``CROPS_PER_NUMBER`` crops, each of a kind and a place drawn anew: drawing the number is most of
the time a crop takes.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from app.pen.pendigits import NOT_A_DIGIT, PenAugment, PenDigit, place
from app.reading.digit_pairs import FIRST_THREE, NOT_A_PAIR, PAIR_SHAPE, pair_input
from app.reading.strokes import Stroke
from app.reading.synthetic_numbers import compose, picture

LENGTHS = (2, 4)                    # digits per number
KINDS = ("pair", "one", "three", "part")
SHARES = (0.6, 0.13, 0.1, 0.17)     # of the crops: pairs, and the three kinds of no pair
SHARES_WITH_THREES = (0.4, 0.08, 0.4, 0.12)   # for a reader of threes too: pairs, one, three, a part
PART = (0.25, 0.75)                 # a part of a digit: this share of its ink, at least and at most
OTHERS = 0.5                        # a crop holding this much of a digit it is not about is left out
WITH_LETTERS = 0.15                 # of the numbers have letters among their digits (when letters are given)
VARIED = 0.7                        # of the digits varied (``_varied``)
VARIATION = PenAugment(rotation=8.0, shear=0.15)
NARROW = 0.4                        # a digit narrower than this (of its height) is never cut into a part
CROPS_PER_NUMBER = 3                # crops drawn from each number drawn: drawing it is most of a crop's time


def _ink(strokes: list[Stroke]) -> tuple[np.ndarray, np.ndarray]:
    """Where the ink of ``strokes`` lies along x: each segment's middle and its length (a dot's: 1),
    sorted by x, to share a digit's ink out by columns."""
    middles, lengths = [], []
    for s in strokes:
        p = np.asarray(s.points, float)
        if len(p) == 1:
            p = np.concatenate([p, p])
        middles.append((p[1:, 0] + p[:-1, 0]) / 2)
        lengths.append(np.maximum(np.hypot(*np.diff(p, axis=0).T), 1.0))
    x, w = np.concatenate(middles), np.concatenate(lengths)
    order = np.argsort(x)
    return x[order], w[order]


def _share_inside(ink: tuple[np.ndarray, np.ndarray], left: float, right: float) -> float:
    x, w = ink
    return float(w[(x >= left) & (x <= right)].sum() / w.sum())


def _x_at(ink: tuple[np.ndarray, np.ndarray], share: float) -> float:
    """The column left of which ``share`` of the ink lies."""
    x, w = ink
    return float(x[min(len(x) - 1, int(np.searchsorted(np.cumsum(w) / w.sum(), share)))])


def _varied(digit: PenDigit, rng: np.random.Generator) -> PenDigit:
    """``digit``, with ``VARIED`` odds turned, sheared, stretched and shaken a little as the pen
    digits are for the digit network (``pendigits.place``): 26 writers' digits, each in many pairs."""
    if rng.random() >= VARIED:
        return digit
    strokes = [np.asarray(s.points, float) for s in place(digit, rng, VARIATION)]
    return dataclasses.replace(digit, strokes=strokes)


@dataclasses.dataclass
class _Drawn:
    """A number drawn as a picture, and where each of its digits lies: what ``_crop`` cuts from."""
    used: list[PenDigit]       # its digits (and letters), left to right
    strokes: list[Stroke]
    firsts: np.ndarray         # the index of each digit's first stroke (and one past the last)
    xs: list[np.ndarray]       # each digit's points' x
    ink: np.ndarray            # the picture, bright ink on dark
    inks: list                 # each digit's ink along x (``_ink``)
    lo: list[float]            # each digit's left and right edge, the pen's width included
    hi: list[float]


def _number(digits: list[PenDigit], letters: list[PenDigit], rng: np.random.Generator) -> _Drawn:
    """A number written with ``digits`` (and, ``WITH_LETTERS`` of the time, some of ``letters`` among
    them), drawn at random and drawn as a picture."""
    count = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
    used = [_varied(digits[int(i)], rng) for i in rng.integers(0, len(digits), count)]
    if letters and rng.random() < WITH_LETTERS:   # a word, or digits and letters, is no pair
        used = [letters[int(rng.integers(len(letters)))] if rng.random() < 0.6 else d for d in used]
    strokes, _ = compose(used, rng)
    firsts = np.cumsum([0, *[len(d.strokes) for d in used]])
    pen = strokes[0].width / 2
    xs = [np.array([x for s in strokes[a:b] for x, _ in s.points]) for a, b in zip(firsts[:-1], firsts[1:])]
    return _Drawn(used, strokes, firsts, xs, 1.0 - picture(strokes),
                  [_ink(strokes[a:b]) for a, b in zip(firsts[:-1], firsts[1:])],
                  [float(x.min()) - pen for x in xs], [float(x.max()) + pen for x in xs])


def _crop(number: _Drawn, rng: np.random.Generator, threes: bool = False) -> tuple[np.ndarray, int] | None:
    """One crop of ``number``, its kind and place drawn at random, as (input, label); None when the
    crop drawn is left out. (Three digits are labelled as such for a reader of ``threes`` too.)"""
    used, strokes, firsts, xs, inks = number.used, number.strokes, number.firsts, number.xs, number.inks
    count = len(used)
    kind = KINDS[int(rng.choice(len(KINDS), p=SHARES_WITH_THREES if threes else SHARES))]
    span = {"pair": 2, "one": 1, "three": 3, "part": 2}[kind]
    if span > count:
        return None
    k = int(rng.integers(0, count - span + 1))
    about = set(range(k, k + span))
    left, right = number.lo[k], number.hi[k + span - 1]
    labels = [used[q].label for q in sorted(about)]
    label = NOT_A_PAIR
    if kind == "pair" and max(labels) < NOT_A_DIGIT:
        label = 10 * labels[0] + labels[1]
    elif kind == "three" and threes and max(labels) < NOT_A_DIGIT:
        label = FIRST_THREE + 100 * labels[0] + 10 * labels[1] + labels[2]
    if kind == "part":   # a digit and a part of its neighbour (the right one, or the left one)
        cut_right = rng.random() < 0.5
        q = k + 1 if cut_right else k
        tall = np.ptp([y for s in strokes[firsts[q]:firsts[q + 1]] for _, y in s.points])
        if np.ptp(xs[q]) < NARROW * tall:   # (any part of a 1 looks like a 1)
            return None
        share = rng.uniform(*PART)
        x = _x_at(inks[q], share if cut_right else 1 - share)
        left, right = (left, x) if cut_right else (x, right)
    if any(q not in about and _share_inside(ink, left, right) >= OTHERS for q, ink in enumerate(inks)):
        return None
    columns = slice(max(0, int(round(left))), max(0, int(round(right))) + 1)
    return pair_input(number.ink[:, columns]), label


def mine_pairs(digits: list[PenDigit], count: int, seed: int, chunk: int, letters: list[PenDigit] = (),
               threes: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` crops (task ``chunk`` of a run) of numbers of ``digits`` (and ``letters``, if any):
    uint8 inputs ``PAIR_SHAPE``, uint16 labels (0..99 a pair, ``NOT_A_PAIR``, and with ``threes``
    ``FIRST_THREE``.. three digits), and 1 for digits, 0 for none (what they hold, as
    ``number_candidates.mine``)."""
    rng = np.random.default_rng([seed, 41, chunk])
    x, y, letters = [], [], list(letters)
    while len(y) < count:
        number = _number(digits, letters, rng)
        for _ in range(min(CROPS_PER_NUMBER, count - len(y))):
            found = _crop(number, rng, threes)
            if found is not None:
                x.append(np.clip(np.rint(found[0] * 255), 0, 255).astype(np.uint8))
                y.append(found[1])
    if not y:
        return np.zeros((0, *PAIR_SHAPE), np.uint8), np.zeros(0, np.uint16), np.zeros(0, np.uint8)
    labels = np.array(y, np.uint16)
    return np.stack(x), labels, (labels != NOT_A_PAIR).astype(np.uint8)
