"""Reading a whole number: the digits of one drawing or one picture, left to right.

Segmentation by recognition. The ink is cut into small pieces, and runs of neighbouring pieces are
candidate digits; the network reads every candidate in one batch, and a dynamic programme picks
the cutting of the whole drawing whose candidates together read best: the product of each
candidate's best digit share, which a piece of a digit or two digits squeezed together lose to the
not-a-digit output (``app/pen/negatives.py`` teaches exactly those), with what geometry says.

- Strokes (the window, drawing files): the pieces are the strokes in the order they were written,
  a stroke that runs on into the next digit cut at its tops, bottoms and corners. Writing order, not
  position, groups them, so digits that overlap in x still come apart; a digit's own strokes
  overlap in x, and two strokes lying over each other (an X) are one mark, not two digits.
- Pictures (``app/reading/number_pictures.py``): blobs of ink, left to right, wide ones cut along
  straight lines where the ink is thin; a candidate is the ink between two cuts.

A drawing of one digit is one candidate, drawn as the canvas draws it, and reads as the window
always did.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from app.reading.crossed_sevens import read_uncrossed
from app.reading.fast_input import fast_mnist
from app.reading.joined_strokes import READING, CutRules, cut_joined, has_bar_corner, is_link, starts_on_ink
from app.reading.marks import MARK_WIDTH, SPECK_SIDE, a_word, attach_strays, crossed_marks, one_mark, without_specks
from app.reading.predictor import Reading, digit_scores, judge, reject_threshold, unsure_threshold
from app.reading.preprocess import Preprocessed
from app.reading.separators import is_separator
from app.reading.stroke_inputs import canvas_input, fast_crop, span
from app.reading.strokes import LOGICAL_SIZE, Stroke, pen_as_read
from app.reading.two_sure import two_sure
from app.reading.writing_line import leaned, leans_ahead, sheared, slopes_ahead, strokes_slope, upright_shifts

MAX_PIECES = 4            # pieces one digit may be made of (a 4 or a crossed 7 in up to four strokes),
MAX_PARTS = 6             # and parts of strokes cut where digits may be joined (a 2's body and base)
SPLIT_PENALTY = math.log(0.97)   # each extra digit must be worth it: a tie reads as fewer digits
# Strokes; lengths in units of the writing's height
MAX_DIGIT_WIDTH = 1.6     # pieces spanning more than this are never one digit
MAX_GAP = 0.4             # nor pieces with a gap wider than this between them
LINK_COST = math.log(0.99)   # part of a digit (a 1's flag), or left out of the number at this cost, less than a
                          # digit's split (at log 0.5, numbers with half their joins made read 86.0 % against 89.0:
                          # a link kept spoils a digit; at the split penalty, a 6 with the link on from it read "8")
STACKED_FREE = 0.5        # two digits side by side overlap at most this much of the wider one's width;
STACKED_COST = 25.0       # more costs this per unit (log): strokes over each other are one mark
MERGE_FREE = 0.5          # one digit's strokes overlap in x at least this much of the narrower's width;
MERGE_COST = 4.0          # reading less overlapping strokes as one digit costs this per unit short (log)
SHORT_FLOOR = 0.65        # a candidate under this share of the writing's height around it is likely a
SHORT_COST = 10.0         # digit's piece: it costs this (log) at no height, linearly less up to the floor
SHORT_REACH = 0.5         # (the writing around it: within this of the writing's height, in x)
RAISED_FREE = 0.05        # a candidate whose foot lies this much (of that height) above the baseline around it
RAISED_COST = 5.0         # costs this (log) per unit more: digits stand on a line, a 4's arm and bar do not
MEMO_SIZE = 4000          # candidates remembered between readings (at most some MB)
MOST_CUT_PIECES = 1000    # a drawing whose strokes cut into more pieces is read uncut (a scribble of thousands of turns)
FAST_SIDE = 56            # pixels: a picture's writing, shrunk to read its candidates


@dataclasses.dataclass
class DigitOfNumber:
    reading: Reading
    box: tuple[int, int, int, int]       # left, top, right, bottom (pixels, or canvas units for strokes)
    strokes: tuple[int, ...] = ()        # the drawing's strokes that make it (strokes only)
    ink: tuple[Stroke, ...] = ()         # and its own ink of them, as written (a joined stroke's part: strokes only)
    pair: str = ""                       # the pair it was read in by the pair reader ("96"; pictures only)


@dataclasses.dataclass
class NumberReading:
    digits: list[DigitOfNumber]

    @property
    def text(self) -> str:
        """The digits read, left to right; "?" for an unsure one; "" when none (what the window shows)."""
        return "" if self.status in ("empty", "not a digit") else "".join(
            "?" if d.reading.unsure else str(d.reading.digit) for d in self.digits)

    @property
    def best_text(self) -> str:
        """``text`` with an unsure digit as its best guess (a mark read as no digit still "?"): what
        ``predict --json`` says, for programs (its "status" and each digit's "unsure" say how sure)."""
        return "" if self.status in ("empty", "not a digit") else "".join(
            "?" if d.reading.rejected else str(d.reading.digit) for d in self.digits)

    def placed(self, scale: float, dx: float, dy: float) -> "NumberReading":
        """The same reading with each box moved to where a picture is shown: x -> dx + scale * x."""
        return NumberReading([dataclasses.replace(d, box=(round(dx + scale * d.box[0]), round(dy + scale * d.box[1]),
                                                          round(dx + scale * d.box[2]), round(dy + scale * d.box[3])))
                              for d in self.digits])

    @property
    def status(self) -> str:
        if len(self.digits) < 2:   # (one digit: as the window says it)
            return self.digits[0].reading.status if self.digits else "empty"
        rejected, unsure = sum(d.reading.rejected for d in self.digits), sum(d.reading.unsure for d in self.digits)
        # No digits mostly, "?" mostly and some no digit ("1?1"; all "?" is a number), or a word's pieces (``a_word``).
        word = 2 * rejected > len(self.digits) or (rejected and 2 * unsure > len(self.digits)) or a_word(self.digits)
        return "not a digit" if word else "unsure" if unsure else "read"


def _segments(n: int, most: int = MAX_PIECES) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i + 1, min(n, i + most) + 1)]


def _best_path(n: int, scores: dict[tuple[int, int], float], between=None) -> list[tuple[int, int]]:
    """The cutting of pieces 0..n into consecutive runs (the candidates in ``scores``) with the
    highest total score, ``between(a, b)`` added for each two neighbouring runs a, b."""
    # best[(i, j)]: the best cutting of pieces 0..j whose last run is i..j (the last run is part
    # of the state so that what lies between two neighbours can be counted).
    best: dict[tuple[int, int], float] = {}
    back: dict[tuple[int, int], tuple[int, int] | None] = {}
    ending: dict[int, list[tuple[int, int]]] = {}   # the runs scored so far, by the piece they end at
    top: dict[int, tuple[float, tuple[int, int]]] = {}   # the best of them and its total (nothing between)
    for i, j in sorted(scores, key=lambda k: (k[1], k[0])):
        if i == 0:
            best[(i, j)], back[(i, j)] = scores[(i, j)], None
        else:
            if between is None:   # (a picture's hundreds of runs: the best ending at i is known)
                option = top.get(i)
            else:
                option = max(((best[h] + between(h, (i, j)), h) for h in ending.get(i, ())), default=None)
            if option is None:
                continue
            best[(i, j)], back[(i, j)] = option[0] + scores[(i, j)] + SPLIT_PENALTY, option[1]
        ending.setdefault(j, []).append((i, j))
        if between is None:
            top[j] = max(top.get(j, (best[(i, j)], (i, j))), (best[(i, j)], (i, j)))
    ends = [key for key in best if key[1] == n]
    path: list[tuple[int, int]] = []
    key = max(ends, key=best.__getitem__) if ends else None
    while key is not None:
        path.append(key)
        key = back[key]
    return path[::-1]


def _stacked(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """What it costs (log) to read two neighbours a, b (x-spans as lo, hi corners) as two digits
    when one lies over the other: two digits side by side overlap a little (a 1 tucked under a 7's
    bar), the two strokes of an X or a crossed-out mark lie over each other entirely."""
    overlap = min(a[1][0], b[1][0]) - max(a[0][0], b[0][0])
    wider = max(a[1][0] - a[0][0], b[1][0] - b[0][0], 1e-6)
    return -STACKED_COST * max(0.0, overlap / wider - STACKED_FREE)


def short_cost(ratio: float | np.ndarray) -> float | np.ndarray:
    """What a candidate's height, as a share ``ratio`` of the writing's height around it, says (log):
    a digit in a number is about as tall as its neighbours, a piece of one often is not, though the
    network, which sees a candidate scaled up, reads it as a sure digit (mostly a 1: a 4's stem, the
    left arc of a 0). In pictures of numbers of the training writers, 99 % of the digits cut out of
    touching digits are over 0.84 of their blobs' height, half such pieces under 0.8."""
    return -SHORT_COST * np.maximum(0.0, SHORT_FLOOR - ratio) / SHORT_FLOOR   # (ratios: a float or an array)


def judge_digit(model, prep: Preprocessed, output: np.ndarray, alone: bool) -> Reading:
    """A digit of a drawing or picture judged with the model's thresholds: alone, as the window judges
    a drawing (a dot is too small, a dash too wide); within a number, a 1 is narrow and a 7's bar may be
    wide, so size and shape tell nothing there."""
    return judge(output, prep.image, prep.relative_size if alone else 1.0, 0.0, prep.aspect if alone else 1.0,
                 reject_threshold(model), unsure_threshold(model))


# ---------------------------------------------------------------------------
# From strokes (the window, drawing files)
# ---------------------------------------------------------------------------

def _writing_height(strokes: list[Stroke]) -> float:
    """The height of the writing's ink (canvas units): the measure of a digit's size in a number."""
    ys = [y for s in strokes for _, y in s.points]
    return max(ys) - min(ys) + float(np.median([s.width for s in strokes]))


def _boxes(pieces: list[Stroke]) -> np.ndarray:
    """Each piece's box, its pen included (``span`` of each): (pieces, 4) as left, top, right, bottom."""
    if not pieces:
        return np.zeros((0, 4))
    points = np.array([q for p in pieces for q in p.points], float).reshape(-1, 2)   # (all at once: the window asks often)
    starts, pad = np.cumsum([0] + [len(p.points) for p in pieces[:-1]]), np.array([p.width for p in pieces])[:, None] / 2
    return np.concatenate([np.minimum.reduceat(points, starts) - pad, np.maximum.reduceat(points, starts) + pad], axis=1)


def _run_boxes(boxes: np.ndarray, runs: list[tuple[int, int]]) -> np.ndarray:
    """The box of each run of pieces i..j-1: its pieces' ``boxes`` together (all runs at once)."""
    if not runs:
        return np.zeros((0, 4))
    padded = np.vstack([boxes, np.zeros((1, 4))])   # (reduceat's index j may be the last piece's end)
    edges = np.array(runs, np.int64).reshape(-1)
    return np.hstack([np.minimum.reduceat(padded[:, :2], edges)[::2], np.maximum.reduceat(padded[:, 2:], edges)[::2]])


def _group_cost(pieces: list[Stroke], owners: list[int], i: int, j: int, height: float,
                boxes: np.ndarray) -> float | None:
    """What geometry says of pieces i..j-1 as one digit, as a log cost (0 for one piece), or None when
    they cannot be one: far wider than the writing is high, or with a wide gap between them in x.
    A digit's separate strokes overlap in x (a 4's two strokes, a 5's bar, a crossed 7), where two
    digits side by side do not: a stroke that overlaps the others little costs ``MERGE_COST``.
    (``boxes``: all pieces' boxes, ``_boxes``.)"""
    if j - i == 1:
        return None if is_link(pieces, owners, i, height) else 0.0
    mine = boxes[i:j]
    if mine[:, 2].max() - mine[:, 0].min() > MAX_DIGIT_WIDTH * height and owners[i] != owners[j - 1]:
        return None   # (one stroke whole is always a candidate: a flat 0 is still a 0)
    spans = sorted(zip(mine[:, 0].tolist(), mine[:, 2].tolist(), owners[i:j]))
    cost, left, reach, owner = 0.0, spans[0][0], spans[0][1], spans[0][2]
    for lo_x, hi_x, who in spans[1:]:
        if lo_x - reach > MAX_GAP * height:
            return None
        if who != owner:   # the parts of one cut stroke join end to end, whatever their overlap
            shared = (min(reach, hi_x) - lo_x) / max(min(reach - left, hi_x - lo_x), 1e-6)
            cost -= MERGE_COST * max(0.0, MERGE_FREE - shared)
        left, reach, owner = min(left, lo_x), max(reach, hi_x), who
    return cost


def _writing_order(strokes: list[Stroke]) -> list[int]:
    """The strokes' order for grouping into digits: as written, but a stroke that goes back over the
    writing (its middle lies left of the last stroke written in turn: a 5's bar or a 7's cross added
    after the number, a 4 finished later) moves back to where it lies, before the first stroke whose
    middle is right of its own. The reader groups runs of neighbours in this order."""
    boxes = _boxes(strokes)
    lefts, middles = boxes[:, 0].tolist(), ((boxes[:, 0] + boxes[:, 2]) / 2).tolist()
    order: list[int] = []
    latest = 0   # the last stroke written in turn (not moved back)
    for k in range(len(strokes)):
        if k and middles[k] < lefts[latest]:
            order.insert(next((n for n, other in enumerate(order) if middles[other] > middles[k]), len(order)), k)
        else:
            order.append(k)
            latest = k
    return order


def _reading_pieces(strokes: list[Stroke], memo: dict | None = None) -> tuple[list[Stroke], list[int], float]:
    """The pieces the reader groups into digits, the stroke each is of (as numbered in ``strokes``), and
    the writing's height: the strokes in the order that groups them (``_writing_order``), joined ones
    cut at their turns (each stroke's cuts remembered in ``memo``)."""
    writing_height = _writing_height(strokes)
    order = _writing_order(strokes)
    pieces, owners = _pieces([strokes[k] for k in order], writing_height, memo=memo)
    return pieces, [order[k] for k in owners], writing_height


def _pieces(strokes: list[Stroke], height: float, rules: CutRules = READING,
            memo: dict | None = None) -> tuple[list[Stroke], list[int]]:
    """The strokes in writing order, joined ones cut (``cut_joined``, by ``rules``), and the stroke each piece is
    of (each stroke's cuts remembered in ``memo``, when given: the window cuts the same strokes after every stroke)."""
    pieces, owners = [], []
    memo = {} if memo is None else memo
    on_ink = [False] * len(strokes)   # (measured only for a stroke with a bar corner: the window asks after every stroke)
    if rules.bars:
        keys = [("bar", height, stroke.width, tuple(stroke.points)) for stroke in strokes]
        barred = [k for k, (key, stroke) in enumerate(zip(keys, strokes))
                  if (memo[key] if key in memo else memo.setdefault(key, has_bar_corner(stroke, height)))]
        for k, near in zip(barred, starts_on_ink(strokes, _boxes(strokes), height, barred) if barred else []):
            on_ink[k] = near
    for index, stroke in enumerate(strokes):
        key = ("cut", rules, height, stroke.width, tuple(stroke.points), on_ink[index])
        parts = memo[key] if key in memo else memo.setdefault(key, cut_joined(stroke, height, rules, on_ink[index]))
        pieces += parts
        owners += [index] * len(parts)
    if len(pieces) > max(MOST_CUT_PIECES, len(strokes)):   # (no number: a scribble, read in bounded time)
        return list(strokes), list(range(len(strokes)))
    return pieces, owners


def _candidate_scores(model, pieces: list[Stroke], owners: list[int], height: float, memo: dict,
                      boxes: np.ndarray, leans: list[float]) -> dict:
    """Each candidate digit's score: how well the network reads it plus what geometry says.
    Candidates are the runs ``_runs`` gives (a stroke cut in many parts is still one candidate
    whole); ``boxes``: each piece's (``_boxes``); each read leaned back by ``leans`` of its last piece."""
    geometry = {(i, j): _group_cost(pieces, owners, i, j, height, boxes) for i, j in _runs(owners)}
    piece_keys = [_memo_key([piece]) for piece in pieces]   # (a run's key: its pieces' keys, each made once)
    keys = {(i, j): (leans[j - 1], sum(piece_keys[i:j], ())) for (i, j), cost in geometry.items() if cost is not None}
    geometry.update(zip(keys, (np.array([geometry[k] for k in keys]) + _shortness(boxes, list(keys), height)).tolist()))
    new = [k for k in keys if keys[k] not in memo]
    crops = [fast_crop(pen_as_read(leaned(pieces[i:j], leans[j - 1]))) for i, j in new]   # (each with the pen as read)
    inked = [k for k, crop in zip(new, crops) if crop.size]
    outputs = model.predict_proba(fast_mnist([crop for crop in crops if crop.size])) if inked else []
    memo.update({keys[k]: None for k in new})   # a candidate without ink can never be a digit
    memo.update(zip([keys[k] for k in inked], outputs))
    scores = dict.fromkeys(keys, -1e9)
    read = [k for k in keys if memo[keys[k]] is not None]   # (all scored at once: tens of candidates a stroke)
    if read:
        scores.update(zip(read, (digit_scores(np.stack([memo[keys[k]] for k in read])) + [geometry[k] for k in read]).tolist()))
    return scores


def _shortness(boxes: np.ndarray, runs: list[tuple[int, int]], height: float) -> np.ndarray:
    """What the height and foot of each run of pieces i..j-1 as one digit say (log; ``boxes``: each
    piece's, ``_boxes``), against the writing around it: the pieces within ``SHORT_REACH`` of the
    writing's height in x (a long number's baseline drifts). ``short_cost`` of its height; and a
    foot raised above the baseline there (the median foot of the other pieces near it: a 9 or 7
    written below the line moves it little) costs ``RAISED_COST`` per unit of their height over
    ``RAISED_FREE``: the arm and bar of a 4 written in two strokes end well above its foot, and read
    alone as a sure 2 or 1 ("42" read "212", a 4 alone "21"). A speck costs nothing. All runs at
    once: the window asks after every stroke."""
    left, top, right, bottom = _run_boxes(boxes, runs).T
    near = ((boxes[None, :, 2] >= (left - SHORT_REACH * height)[:, None])
            & (boxes[None, :, 0] <= (right + SHORT_REACH * height)[:, None]))   # (runs, pieces)
    tall = np.maximum(np.where(near, boxes[None, :, 3], -np.inf).max(axis=1)
                      - np.where(near, boxes[None, :, 1], np.inf).min(axis=1), 1e-6)
    # The baseline: the median foot of the other pieces near it (of itself when alone: one digit).
    index, ends = np.arange(len(boxes))[None, :], np.array(runs, np.int64).reshape(-1, 2)
    others = near & ((index < ends[:, :1]) | (index >= ends[:, 1:]))
    others |= near & ~others.any(axis=1, keepdims=True)
    feet, count, rows = np.sort(np.where(others, boxes[None, :, 3], np.inf), axis=1), others.sum(axis=1), np.arange(len(runs))
    baseline = (feet[rows, (count - 1) // 2] + feet[rows, count // 2]) / 2   # (np.nanmedian: slower than all the rest)
    cost = short_cost((bottom - top) / tall) - RAISED_COST * np.maximum(0.0, (baseline - bottom) / tall - RAISED_FREE)
    # A speck is no piece of a digit to shun: alone, it is left out of the number.
    return np.where(np.maximum(right - left, bottom - top) < SPECK_SIDE * tall, 0.0, cost)


def _runs(owners: list[int]) -> list[tuple[int, int]]:
    """The runs of pieces that may be one digit, (first, past the last): up to ``MAX_PARTS`` pieces
    of up to ``MAX_PIECES`` strokes, and up to ``MAX_PIECES`` whole strokes (``owners`` says whose
    stroke each piece is)."""
    starts = [k for k in range(len(owners)) if k == 0 or owners[k] != owners[k - 1]] + [len(owners)]
    # (a stroke's pieces are neighbours: the strokes a run spans are its owner changes, plus one)
    changes = np.concatenate([[0], np.cumsum(np.diff(owners) != 0)]) if owners else np.zeros(0, int)
    parts = [(i, j) for i, j in _segments(len(owners), MAX_PARTS) if changes[j - 1] - changes[i] < MAX_PIECES]
    return sorted(set(parts) | {(starts[a], starts[b]) for a, b in _segments(len(starts) - 1)})


def _memo_key(group: list[Stroke]) -> tuple:
    return tuple((p.width, tuple(p.points)) for p in group)


def read_ahead(model, strokes: list[Stroke], height: int, memo: dict) -> None:
    """Read ``strokes`` into ``memo`` as levelled by each slope they may soon be (``slopes_ahead``) and
    leaned by each lean they may soon be (``leans_ahead``): the window's work while the pen is lifted,
    so the stroke that changes the slope or says the lean reads fast."""
    strokes = [s for s in strokes if s.points]
    for slope in slopes_ahead(strokes):
        read_strokes(model, strokes, height, memo, slope)
    slope = strokes_slope(strokes)
    for lean in leans_ahead(sheared(strokes, slope) if slope else strokes):
        read_strokes(model, strokes, height, memo, slope, lean)


def read_strokes(model, strokes: list[Stroke], height: int = LOGICAL_SIZE, memo: dict | None = None,
                 slope: float | None = None, lean: float | None = None) -> NumberReading:
    """The number written with ``strokes`` on a canvas ``height`` units high (any width).

    Pieces are the strokes in the order they were written (a joined stroke cut at its turns and
    corners, ``joined_strokes``); every run of up to ``MAX_PIECES`` strokes (``MAX_PARTS`` pieces) is
    a candidate digit. Writing order, not position, says which strokes make one digit, so
    neighbours that overlap in x still come apart. ``memo`` (a dict the caller keeps) remembers
    what the network said of each candidate, and each stroke's cuts: the window re-reads a growing
    drawing after every stroke and then only cuts the new strokes and reads the new candidates.
    ``slope``: levelled by this, not by the strokes' own; ``lean``: every piece leaned back by this,
    not as the writing's lean says (both as ``read_ahead`` asks)."""
    strokes = [s for s in strokes if s.points]
    if not strokes:
        return NumberReading([])
    memo = {} if memo is None else memo
    if len(memo) > MEMO_SIZE:
        memo.clear()
    # A long number written uphill or downhill is read levelled (``writing_line``).
    slope = strokes_slope(strokes) if slope is None else slope   # (or as ``read_ahead`` asks)
    if slope:
        strokes = sheared(strokes, slope)
    pieces, owners, writing_height = _reading_pieces(strokes, memo)   # (height: the canvas's)
    # Writing that leans far is read leaning as the network reads best (``writing_line.upright_shifts``):
    # each candidate leaned as its last piece says, and each piece's box (what geometry sees) as its own.
    leans = upright_shifts(pieces) if lean is None else [lean] * len(pieces)
    upright = [leaned([piece], lean)[0] for piece, lean in zip(pieces, leans)]
    boxes = _boxes(upright)
    scores = _candidate_scores(model, pieces, owners, writing_height, memo, boxes, leans)
    # Two sure digits are seldom one: parted between strokes (a joined stroke's parts are what its
    # cuts and the links below are for), unless one lies through the other's middle (a 0's slash);
    # an X or a + among digits is one mark, no digits.
    between_strokes = [m for m in range(1, len(owners)) if owners[m] != owners[m - 1]]
    spans = dict(zip(scores, ((box[:2], box[2:]) for box in _run_boxes(boxes, list(scores)).tolist())))
    scores = crossed_marks(pieces, owners, boxes, two_sure(scores, between_strokes, spans))
    # A link between digits written without lifting the pen may be left out (it is no digit, and as
    # part of one it spoils it: "17" in one stroke read "1?"); it lies over the digits it joins,
    # which costs nothing (a rising link spans the next digit's left side).
    links = {(k, k + 1) for k in range(len(pieces)) if is_link(pieces, owners, k, writing_height)
             or is_separator(upright, owners, k, boxes, writing_height)}   # (and a hyphen: ``separators``)
    scores.update(dict.fromkeys(links, LINK_COST - SPLIT_PENALTY))   # (left out it is no digit: no split penalty)
    links_new = [link for link in links if link not in spans]
    spans.update(zip(links_new, ((box[:2], box[2:]) for box in _run_boxes(boxes, links_new).tolist())))
    path = _best_path(len(pieces), scores,
                      lambda a, b: 0.0 if a in links or b in links else _stacked(spans[a], spans[b]))
    threshold, unsure_from = reject_threshold(model), unsure_threshold(model)   # (for the strays)
    groups = [list(range(i, j)) for i, j in path if (i, j) not in links]
    groups = [g for g in groups if _exact(model, pieces, g, height, memo, leans) is not None]
    groups = attach_strays(groups, lambda g: _exact(model, pieces, g, height, memo, leans), pieces, threshold, unsure_from)
    digits = _digits(model, pieces, owners, groups, (height, writing_height, slope), memo, leans)
    if len(digits) > 1 and _a_mark(model, pieces, [d.reading.shares for d in digits], height, memo, leans, len(set(owners)) == 1):
        digits = _digits(model, pieces, owners, [list(range(len(pieces)))], (height, writing_height, slope), memo, leans)
    return NumberReading(digits)


def _digits(model, pieces: list[Stroke], owners: list[int], groups: list[list[int]], sizes: tuple[int, float, float],
            memo: dict, leans: list[float]) -> list[DigitOfNumber]:
    """The digits the pieces ``groups`` make, each read exactly and judged, left to right, specks left out
    (``sizes``: the canvas's height, the writing's, and the slope the pieces were levelled by)."""
    height, writing_height, slope = sizes
    digits = []
    for group in groups:
        prep, output = _exact(model, pieces, group, height, memo, leans)
        reading = judge_digit(model, prep, output, alone=len(groups) == 1)
        reading = read_uncrossed(reading, pieces, owners, group, lambda rest: None if (
            found := _exact(model, pieces, rest, height, memo, leans)) is None else judge_digit(model, *found, len(groups) == 1))
        ink = sheared(_joined_up(pieces, owners, group), -slope)   # (where it lies on the canvas)
        lo, hi = span(ink)
        box = (int(lo[0]), int(lo[1]), int(math.ceil(hi[0])), int(math.ceil(hi[1])))
        digits.append(DigitOfNumber(reading, box, tuple(sorted({owners[k] for k in group})), tuple(ink)))
    digits.sort(key=lambda d: d.box[0] + d.box[2])   # written in any order, read left to right
    return without_specks(digits, writing_height)


def _joined_up(pieces: list[Stroke], owners: list[int], group: list[int]) -> list[Stroke]:
    """The pieces ``group``, in order, each run of neighbouring parts of one stroke joined again where
    they meet (a stroke wholly in the group is the stroke as written; a digit of a joined stroke is
    its own part of it: what the personal store keeps of a digit taught)."""
    out: list[Stroke] = []
    for k in sorted(group):
        if out and k - 1 in group and owners[k - 1] == owners[k]:
            out[-1] = Stroke(out[-1].width, out[-1].points + pieces[k].points[1:])   # (a cut's point is in both)
        else:
            out.append(pieces[k])
    return out


def _exact(model, pieces: list[Stroke], group: list[int], height: int, memo: dict, leans: list[float]):
    """(input, output) of the pieces ``group`` drawn exactly as on the canvas (None without ink), leaned
    back by ``leans`` of its last piece, remembered."""
    lean = leans[max(group)]
    key = ("canvas", height, lean, _memo_key([pieces[k] for k in group]))
    if key not in memo:
        prep = canvas_input(pen_as_read(leaned([pieces[k] for k in group], lean)), height)
        memo[key] = None if prep.empty else (prep, model.predict_proba(prep.image[None])[0])
    return memo[key]


def _a_mark(model, pieces: list[Stroke], shares: list[np.ndarray], height: int, memo: dict, leans: list[float],
            one_stroke: bool) -> bool:
    """Whether the digits read (each one's ``shares``) are rather one mark of all the ``pieces`` that is
    no digit (``one_mark``; ``one_stroke``: the pieces are all of one stroke)."""
    lo, hi = span(pieces)
    aspect = float((hi - lo)[0] / max((hi - lo)[1], 1e-6))
    if aspect > MARK_WIDTH:   # (a number as wide as most: no need to read it whole)
        return False
    whole = _exact(model, pieces, list(range(len(pieces))), height, memo, leans)
    return whole is not None and one_mark(model, whole[1], shares, aspect, one_stroke)
