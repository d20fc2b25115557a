"""Two digits read as one picture: where a picture's digits cross, no cut parts their ink, so the
picture reader (``number_pictures.py``) reads a crossing "96" as a "6", or as a "?" and a "7".
A second, small network (the *pair reader*, trained by ``ModelManager.py train-pairs`` on pairs
of pen digits written touching, crossing or apart) reads the ink of two digits at once: one of the
100 pairs "00".."99", or "not a pair" (one digit, three, a digit and a piece of one).

After the picture reader has chosen its digits, each run of one to three of them whose ink meets
(boxes touching or overlapping) and which is no wider than two wide digits (``PAIR_WIDTH``) is read by the pair reader
too; a small dynamic programme keeps, run by run, what reads better: the digits as the reader read
them (their scores summed) or the pair. Digits apart are never read as a pair: there the cuts are
clean and the digit network reads them best. Digits whose boxes overlap much are read as a pair however
sure, and the right one costs a little: a cut through crossing ink can leave a sure other digit ("66"
read "65": the second 6's loop halved).

A pair reader may read three digits too (``train-pairs --threes``: outputs ``FIRST_THREE``.. the
1000 threes "000".."999"): a thin digit inside its neighbours' ink (the 1 of a crossing "316") is
lost to the picture reader's cuts and to a pair alike. Each run is then read as its likelier pair or three.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from app.reading.numbers import DigitOfNumber
from app.reading.predictor import digit_scores, judge, reject_threshold, unsure_threshold
from app.reading.preprocess import on_square

PAIR_SHAPE = (28, 56)     # the pair reader's input: two digits side by side, each about 28 x 28,
PAIR_FIT = (24, 52)       # the ink fitted in this box (its aspect kept) and centred
NOT_A_PAIR = 100          # output 100: "not a pair"; 0..99 the pair "00".."99"
FIRST_THREE = NOT_A_PAIR + 1   # a reader of threes too: outputs 101..1100 the three digits "000".."999"
THREES = 1000
MOST_DIGITS = 3           # a pair may be read where the picture reader read up to three digits (or one)
PAIR_WIDTH = 2.2          # no wider than this (of the writing's height): two wide digits (a touching "00")
                          # or three narrow ones (at 1.6 touching 0s went unread and a reader of threes gained less)
WIDE_ONE = 0.4            # a lone digit at least this wide (of the writing's height) may be two merged (a 3 with
                          # a 1 against its side, 0.46: at 0.55 read "3")
MEET = 0.02               # boxes this close (of the writing's height), or overlapping, meet
SURE = 0.999              # digits read this sure together are never read as a pair (at 0.99: 0-1.4 points fewer numbers right),
CROSSED = 0.3             # unless their boxes overlap this much (of the narrower's width) or more: a cut through crossing
CROSS_DOUBT = math.log(0.99)   # ink can leave a sure other digit (a 6 whose loop it halves, a 5 at 0.9998), so the right
                          # one of two such digits costs this (log) against the pair


def pair_input(ink: np.ndarray) -> np.ndarray:
    """What the pair reader sees of ``ink`` (bright on dark, 0..1, any size): its ink cropped,
    scaled to fit ``PAIR_FIT`` with its aspect kept, centred in ``PAIR_SHAPE`` (float32)."""
    out = np.zeros(PAIR_SHAPE, np.float32)
    inked = ink > 0.35
    rows, columns = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if not len(rows):
        return out
    ink = np.clip(ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1], 0, 1)
    h, w = ink.shape
    scale = min(PAIR_FIT[0] / h, PAIR_FIT[1] / w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    small = Image.fromarray((ink * 255).astype(np.uint8)).resize((new_w, new_h), Image.BOX)   # (area average)
    top, left = (PAIR_SHAPE[0] - new_h) // 2, (PAIR_SHAPE[1] - new_w) // 2
    out[top:top + new_h, left:left + new_w] = np.asarray(small, np.float32) / 255
    return out


def _runs(digits: list[DigitOfNumber], scores: list[float], crossed: list[bool], height: float) -> list[tuple[int, int]]:
    """(first, count) of each run of digits that may be a pair read otherwise: one to ``MOST_DIGITS``
    digits whose boxes meet, together no wider than ``PAIR_WIDTH`` (a lone one at least ``WIDE_ONE``),
    read less sure than ``SURE`` (their ``scores`` summed: a pair could hardly read better), or two
    of them crossed (``crossed``: of each digit and the next, ``_crossed``)."""
    runs = []
    for first in range(len(digits)):
        for count in range(1, MOST_DIGITS + 1):
            if first + count > len(digits):
                break
            boxes = [d.box for d in digits[first:first + count]]
            width = max(b[2] for b in boxes) - min(b[0] for b in boxes)
            if width > PAIR_WIDTH * height or any(b[0] - a[2] > MEET * height for a, b in zip(boxes, boxes[1:])):
                break
            if (count > 1 or width >= WIDE_ONE * height) and (
                    any(crossed[first:first + count - 1]) or sum(scores[first:first + count]) < math.log(SURE)):
                runs.append((first, count))
    return runs


def _crossed(left: DigitOfNumber, right: DigitOfNumber) -> bool:
    """Whether two neighbouring digits' boxes overlap by ``CROSSED`` of the narrower's width or more."""
    (a0, _, a1, _), (b0, _, b1, _) = left.box, right.box
    return a1 - b0 >= CROSSED * max(1, min(a1 - a0, b1 - b0))


def reads_threes(pair_model) -> bool:
    """Whether ``pair_model`` reads runs of three digits too (its outputs ``FIRST_THREE``..: "000".."999")."""
    return tuple(getattr(pair_model, "output_shape", ())) == (FIRST_THREE + THREES,)


def _pair_digits(model, output: np.ndarray, ink: np.ndarray, box: tuple[int, int, int, int],
                 cuts: list[int]) -> list[DigitOfNumber]:
    """The two (or three) digits of a pair (or three) read (``output``: the pair reader's outputs),
    each judged as the picture reader's digits are (its share: the others summed out), in its part of
    ``box`` (between the columns ``cuts``); what the network saw of it is what the digit network sees
    of the ink there (the network view and ``explain`` show the digit network)."""
    if len(cuts) == 1:
        table = output[:NOT_A_PAIR].reshape(10, 10)   # [first, second]
    else:
        table = output[FIRST_THREE:FIRST_THREE + THREES].reshape(10, 10, 10)
    count = table.ndim
    text = "".join(map(str, np.unravel_index(int(table.argmax()), table.shape)))
    left, top, right, bottom = box
    edges = [left, *cuts, right]
    out = []
    for n in range(count):
        part = (edges[n], top, edges[n + 1], bottom)
        shares = table.sum(axis=tuple(a for a in range(count) if a != n))
        crop = ink[part[1]:part[3], part[0]:part[2]]
        seen = on_square(crop, max(crop.shape)).image if crop.size else np.zeros((28, 28), np.float32)
        reading = judge(np.append(shares, output[NOT_A_PAIR]).astype(np.float32), seen,
                        threshold=reject_threshold(model), unsure_from=unsure_threshold(model))
        # (what the window says of the digit selected: short, it fits)
        reading.message += f", pair {text}" if count == 2 else f", in {text}"
        out.append(DigitOfNumber(reading, part, pair=text))
    return out


def read_pairs(pair_model, model, ink_of: Callable[[], np.ndarray], digits: list[DigitOfNumber],
               height: float) -> list[DigitOfNumber]:
    """``digits`` (the picture reader's, boxes in the pixels of the ink ``ink_of()`` gives, left to
    right) with each run of them whose ink meets read again as a pair where the pair reads better
    (``pair_model``: the pair reader; ``model``: the digit network, whose thresholds judge a pair's
    digits). The ink is asked for only when some run is read (it may cost a pass over the picture)."""
    # How well each digit reads, as the picture reader scored its candidates (its shares are its outputs).
    scores = digit_scores(np.stack([d.reading.shares for d in digits])).tolist() if digits else []
    threes = reads_threes(pair_model)
    crossed = [_crossed(a, b) for a, b in zip(digits, digits[1:])]   # (each digit and the next)
    runs = _runs(digits, scores, crossed, height)
    if not runs:
        return digits
    ink = ink_of()
    boxes = {}
    for first, count in runs:
        run = [d.box for d in digits[first:first + count]]
        boxes[first, count] = (min(b[0] for b in run), min(b[1] for b in run), max(b[2] for b in run), max(b[3] for b in run))
    # All the ink in the run's columns: a crossing digit's ink the reader's boxes cut off is in them too.
    seen = np.stack([pair_input(ink[:, left:right]) for left, _, right, _ in boxes.values()])
    outputs = pair_model.predict_proba(seen).astype(np.float64)
    # each run read as its likeliest pair, or three: (score, how many digits)
    pair_score = {}
    for run, output in zip(boxes, outputs):
        pair_score[run] = (math.log(float(output[:NOT_A_PAIR].max()) + 1e-9), 2)
        if threes:
            pair_score[run] = max(pair_score[run], (math.log(float(output[FIRST_THREE:].max()) + 1e-9), 3))
    # best[k]: the best reading of the first k digits, its score and where its last part began.
    doubts = [0.0] + [CROSS_DOUBT if c else 0.0 for c in crossed]
    best: list[tuple[float, int, int]] = [(0.0, 0, 0)]
    for k in range(1, len(digits) + 1):
        options = [(best[k - 1][0] + scores[k - 1] + doubts[k - 1], k - 1, 0)]
        options += [(best[k - count][0] + pair_score[k - count, count][0], k - count, count)
                    for count in range(1, MOST_DIGITS + 1) if (k - count, count) in pair_score]
        best.append(max(options))
    out, k = [], len(digits)
    which = {run: n for n, run in enumerate(boxes)}
    while k:
        _, start, count = best[k]
        if count:
            n = which[start, count]
            box = boxes[start, count]
            out = _pair_digits(model, outputs[n], ink, box, _cuts(digits[start:start + count], box, pair_score[start, count][1])) + out
        else:
            out = [digits[start]] + out
        k = start
    return out


def _cuts(run: list[DigitOfNumber], box: tuple[int, int, int, int], count: int) -> list[int]:
    """Where the ``count`` digits read in the ink of ``run`` (the picture reader's digits, in ``box``)
    part: where the reader parted them when it read as many, or else evenly."""
    if len(run) == count:
        return [(a.box[2] + b.box[0]) // 2 for a, b in zip(run, run[1:])]
    return [box[0] + (box[2] - box[0]) * n // count for n in range(1, count)]
