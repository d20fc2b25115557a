"""A 1 written with a long flag, read from a picture: the upstroke from the foot to the top, then down
("/|", as many people write a 1), is no digit's piece cut off, and each leg alone reads as a sure 1:
the picture reader parts it at the top and reads "11", and so does the pair reader (a "108" read
"1108", a "911" read "9111"). Read whole, the digit network calls it a 1 among the digits but less
sure that it is a digit at all: a flag as long as the stem is rare in what it was trained on.

So two neighbouring 1s of a picture's reading whose ink is one shape like a flagged 1 are read as
one: joined in a single run at the top (``APEX``), two legs below (``LEGS``), the left one leaning
out to the left (``FLAG_LEAN``) and far more than the right one (``SPREAD``); two 1s written
side by side are no such shape (their legs lean alike, or stand apart at the top). And read whole
it must be a 1 to the digit network (``WHOLE_ONE``). The stroke reader knows which way the pen went:
there a flag written up from the foot, cut off its stroke, is the pen's way (``joined_strokes._flag_of_a_one``).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from app.reading.numbers import DigitOfNumber, judge_digit
from app.reading.predictor import digit_outputs
from app.reading.preprocess import on_square

APEX = (0.15, 0.8)     # the top 15 % of its rows: one run of ink in at least 80 % of them (the legs joined)
LEGS = (0.4, 0.9, 0.9)  # its rows from 40 % to 90 % of its height: two runs or more in at least 90 % of them
FLAG_LEAN = 0.3        # the left leg's middle moves at least this far left per row down (a flag: about 17 degrees or more)
SPREAD = 0.4           # and at least this much more than the right leg's (legs apart: two 1s lean alike)
WHOLE_ONE = 0.1        # read whole, the digit network's share for 1 at least this, and its likeliest digit
OWN = 0.8              # each 1's ink (in its box) at least this much in that shape: the flag and the stem, no other 1
MEET = 0.02            # the two 1s' boxes this close (of the writing's height), or overlapping


def flag_and_stem(ink: np.ndarray) -> np.ndarray | None:
    """Where the largest piece of ``ink`` (bright, 0..1) is shaped like a 1 with a long flag (two legs
    joined at the top, the left one leaning out far more than the right one): its pixels, without ink
    right of its stem (a neighbour's that touches it); None when it is no such shape."""
    labels, count = ndimage.label(ink > 0.35, np.ones((3, 3), bool))
    if not count:
        return None
    piece = labels == 1 + np.bincount(labels.ravel())[1:].argmax()
    rows = np.flatnonzero(piece.any(axis=1))
    solid = piece[rows[0]:rows[-1] + 1]
    h, w = solid.shape
    # Per row: its runs of ink, the middles of its first and second ones, and where its second one ends.
    edges = np.diff(np.pad(solid, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    starts, ends = np.cumsum(edges == 1, axis=1), np.cumsum(edges == -1, axis=1)   # (runs begun, ended by each column)
    runs = starts[:, -1]
    first = (np.argmax(starts >= 1, axis=1) + np.argmax(ends >= 1, axis=1) - 1) / 2   # (a run: its start to before its end)
    second = (np.argmax(starts >= 2, axis=1) + np.argmax(ends >= 2, axis=1) - 1) / 2
    top = runs[:max(1, int(APEX[0] * h))]
    legs = np.arange(int(LEGS[0] * h), int(LEGS[1] * h))
    two = legs[runs[legs] >= 2]
    if np.mean(top == 1) < APEX[1] or len(two) < max(3, LEGS[2] * len(legs)):
        return None
    left, right = np.polyfit(two, first[two], 1)[0], np.polyfit(two, second[two], 1)[0]
    if left > -FLAG_LEAN or right - left < SPREAD:
        return None
    stem_end = np.argmax(ends >= np.minimum(runs, 2)[:, None], axis=1)   # (a row's first two runs: the flag and the stem)
    piece[rows[0]:rows[-1] + 1] &= np.arange(w)[None, :] < stem_end[:, None]
    return piece


def joined_ones(model, ink_of: Callable[[], np.ndarray], digits: list[DigitOfNumber], height: float,
                side: int) -> list[DigitOfNumber]:
    """``digits`` (a picture's reading, boxes in the pixels of the ink ``ink_of()`` gives) with each
    two neighbouring 1s whose ink is a 1 with a long flag (``flag_and_stem``) read as that one 1:
    drawn on a square at least ``side`` high as the picture reader draws its digits; its digits'
    shares as read whole, its not-a-digit share the legs' (each a sure 1)."""
    out, k = list(digits), 0
    while k < len(out) - 1:
        a, b = out[k], out[k + 1]
        if a.reading.digit == 1 == b.reading.digit and b.box[0] - a.box[2] <= MEET * height:
            ink = ink_of()
            box = (min(a.box[0], b.box[0]), min(a.box[1], b.box[1]), max(a.box[2], b.box[2]), max(a.box[3], b.box[3]))
            crop = ink[box[1]:box[3], box[0]:box[2]]
            shape = flag_and_stem(crop) if crop.size else None
            if shape is not None and all(_inside(shape, crop, d.box, box) for d in (a, b)):   # (its ink's soft edge too)
                shape = ndimage.binary_dilation(shape, np.ones((3, 3), bool))
                rows, columns = np.flatnonzero(shape.any(axis=1)), np.flatnonzero(shape.any(axis=0))
                crop = np.where(shape, crop, 0)[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
                box = (int(box[0] + columns[0]), int(box[1] + rows[0]), int(box[0] + columns[-1] + 1), int(box[1] + rows[-1] + 1))
                prep = on_square(crop, max(*crop.shape, side))
                whole = model.predict_proba(prep.image[None])[0]
                digits_whole, _ = digit_outputs(whole)
                if digits_whole.argmax() == 1 and whole[1] >= WHOLE_ONE:
                    other = max(a.reading.not_digit, b.reading.not_digit)
                    output = np.append(digits_whole * (1 - other), other).astype(np.float32) if len(whole) > 10 else whole
                    out[k:k + 2] = [DigitOfNumber(judge_digit(model, prep, output, False), box)]
                    continue
        k += 1
    return out


def _inside(shape: np.ndarray, crop: np.ndarray, box: tuple[int, int, int, int], within: tuple[int, int, int, int]) -> bool:
    """Whether at least ``OWN`` of the solid ink of ``crop`` (the picture's in the box ``within``) that
    lies in ``box`` lies in ``shape``."""
    part = (slice(box[1] - within[1], box[3] - within[1]), slice(box[0] - within[0], box[2] - within[0]))
    solid = crop[part] > 0.35
    return np.count_nonzero(solid & shape[part]) >= OWN * max(1, np.count_nonzero(solid))
