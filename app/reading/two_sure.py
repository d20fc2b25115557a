"""Two sure digits are seldom one: where the ink a number reader (``numbers``, ``number_pictures``) may
read as one digit parts into two runs that each read as a sure digit, reading it as one costs.
"""
from __future__ import annotations

import bisect
import math

TWO_SURE = math.log(0.3)  # strokes (or a picture's blobs) that part into two sure digits, each scoring
SURE_PART = math.log(0.99)  # at least this, cost this more read as one digit (log)
CENTRED = 0.15            # (not two whose middles lie this close, of the wider's width: a 0 and its slash)


def two_sure(scores: dict[tuple[int, int], float], splits: list[int], spans: dict | None = None) -> dict[tuple[int, int], float]:
    """``scores`` (of runs i..j-1) with a run that parts, at one of ``splits`` (in order) inside it, into two runs
    each read as a sure digit (``SURE_PART``, what geometry says included; as scored before any such
    cost) costing ``TWO_SURE`` more as one digit. A 1 written close over a neighbour's side reads
    with it as that neighbour, sure of it (an 8 with a stroke down its side is still an 8: "814" read
    "84"); a digit's own strokes or pieces seldom each read as a sure digit (a 4's arm stands raised,
    a 5's bar and a 7's cross are short). But a 0 and its slash do: with the runs' ``spans`` (strokes: each
    run's box as ((left, top), (right, bottom))), two runs whose middles lie within ``CENTRED`` of the
    wider's width are not two digits side by side."""
    def beside(i: int, m: int, j: int) -> bool:
        if spans is None:
            return True
        (a0, _), (a1, _) = spans[i, m]
        (b0, _), (b1, _) = spans[m, j]
        return abs(a0 + a1 - b0 - b1) / 2 > CENTRED * max(a1 - a0, b1 - b0)
    costs = {(i, j): TWO_SURE for i, j in scores if any(
        scores.get((i, m), -math.inf) >= SURE_PART and scores.get((m, j), -math.inf) >= SURE_PART and beside(i, m, j)
        for m in splits[bisect.bisect_right(splits, i):bisect.bisect_left(splits, j)])}
    return {key: score + costs.get(key, 0.0) for key, score in scores.items()}
