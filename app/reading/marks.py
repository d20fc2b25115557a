"""Marks that are no digits, where the number readers (``numbers``, ``number_pictures``) found digits:
a stray stroke that belongs to a digit beside it, and a letter or symbol cut into digit-like pieces.
"""
from __future__ import annotations

import math

import numpy as np

from app.reading.predictor import UNSURE_BELOW, digit_outputs, digit_scores, reject_threshold
from app.reading.stroke_inputs import span
from app.reading.strokes import Stroke

STRAY_OVER = 0.5          # a mark read as no digit lying this much over a digit may be part of it
MARK_WIDTH = 1.5          # writing no wider than this (of its height) read as several digits is one mark, not a
MARK_MARGIN = 1.5         # digit, where read whole it is "not a digit" this much likelier (log) than those digits,
ONE_PIECE_MARGIN = 0.5    # or this much when it is one stroke (one blob of a picture): likelier a letter than joined digits


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


def attach_strays(groups: list[list[int]], read, pieces: list[Stroke], threshold: float,
                  unsure_from: float) -> list[list[int]]:
    """Groups read as "not a digit" that lie mostly over another group (a 5's bar or a 7's cross
    written apart from its digit, later or as a stroke of its own) joined to it when the two read as
    one confident digit. Anything else stays as it was: a scribble among digits is still said."""
    def fine(output) -> bool:
        digits, other = digit_outputs(output)
        return float(other) < unsure_from and float(digits.max()) >= UNSURE_BELOW

    changed = True
    while changed and len(groups) > 1:
        changed = False
        for stray in [g for g in groups if digit_outputs(read(g)[1])[1] >= threshold]:
            lo, hi = span([pieces[k] for k in stray])
            overlaps = [(min(hi[0], b[1][0]) - max(lo[0], b[0][0]), g) for g in groups if g is not stray
                        for b in [span([pieces[k] for k in g])]]
            overlap, host = max(overlaps, key=lambda t: t[0])
            if overlap < STRAY_OVER * (hi[0] - lo[0]):
                continue
            merged = sorted(host + stray)
            found = read(merged)
            if found is not None and fine(found[1]):
                groups = [merged if g is host else g for g in groups if g is not stray]
                changed = True
                break
    return groups
