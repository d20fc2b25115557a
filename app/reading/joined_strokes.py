"""Where a stroke written without lifting the pen between digits may be cut: the stroke reader of
``app/reading/numbers.py`` groups the parts into digits as it groups strokes.

A stroke much wider than the writing is high (a looped "00", cursive digits), or one that turns up
and down often (a "111" in one zigzag, or a "11": down, all the way up, down), may be digits joined.
It is cut at its tops and bottoms (a pen going from one digit's foot up to the next one's top turns
there; a level one at both its ends: a 2's base runs on into the next digit) and, wider than a digit
is, at its corners (the pen turns where a digit ends and the link to the next begins: a link that
runs flat, from an 8's top into a 2's, makes no top or bottom; a link often turns by 45-90 degrees
only); as wide as a wide digit, only where it turns and goes on up (a 2's base run on up into a 1).
Cutting too often costs little but time: the parts are put together again by recognition. A part
that is the pen's way from one digit to the next (``is_link``) is never a digit alone: the reader
keeps it in a digit or leaves it out. So is a 1's flag written up from its foot, the stroke then
going down as the 1's stem and ending there (cut at its top however narrow: read whole, such a 1 is
a doubtful one to the digit network, and read as two parts "11"). And a stroke that sets off as a
level bar to the right from another stroke's ink and turns down is cut at that corner, however narrow:
a 5's bar written last and run on into the next digit ("51" read "57").

Where corners are cut is a ``CutRules``: the readers' (``READING``), and the one the default model's
training candidates were cut by (``TRAINED``: ``app/pen/number_candidates.py``), kept until a retrain
weighs the readers' (docs/app.md).
"""
from __future__ import annotations

import bisect
import dataclasses

import numpy as np

from app.reading.crossed_sevens import crossings
from app.reading.strokes import Stroke, arc_lengths

# Lengths in units of the writing's height
JOINED_WIDTH = 0.7        # a stroke wider than this may be digits written without lifting the pen
JOINED_TURNS = 3          # or one that turns up or down this often (narrow digits joined, a "111"),
ZIGZAG_RISE = 0.75        # or twice, down, up more than this of its height and down again (a "11")
TURN = 0.15               # its tops and bottoms, where it may be cut, are turns at least this deep
CORNER_REACH = 0.08       # a corner's turn is measured over this much before and after it (shorter wiggles are none)
RISE_REACH = 0.4          # "then rises": steeper than 45 degrees over this much of its length (an 8's own corners rise a little way)
FLAT = 0.04               # both ends of a top or bottom that runs on level (within this) for
FLAT_LONG = 0.15          # more than this are cut too (a 2's base, run on into the next digit),
SHORTEST_PART = 0.1       # where no part shorter than this is made (a stub and a link read as a 1)
CONNECTOR_RISE = 0.5      # a middle part of a joined stroke rising this much of its height is a link, no digit alone;
BAR_LINK_RISE = 0.3       # a stroke's first part that sets off level (its first LEVEL_START of the height
LEVEL_START = 0.1         # no steeper than 45 degrees) and rises this much of it is a bar run on into a link
LEVEL_LINK = 0.15         # a middle part running right, rising or falling no more than this, is a link too where it
LOOP_CLOSED = 0.1         # sets off within this of where its stroke has been (a looped "00": the first 0 closed)
BAR_RUN = 0.2             # a stroke that sets off as a bar this long, to the right (straight: its run at least
BAR_STRAIGHT = 0.8        # this of its length), rising or falling no more than BAR_SLOPE per unit of its run,
BAR_SLOPE = 0.3           # and turns by more than BAR_TURN degrees at a corner, then going down at least
BAR_TURN = 60.0           # BAR_DOWN per unit across, is cut there however narrow (``_bar_corner``: a 5's bar
BAR_DOWN = 0.5            # run on into the next digit), where it sets off within a pen's width and
NEAR_INK = 0.1            # this of another stroke's ink (``starts_on_ink``: a bar begun by the body's top)
FLAG_RISE = 0.5           # a stroke's first part rising this much of the height from its lowest point, leaning
FLAG_LEAN = 0.3           # right this much per unit it rises or more, then its last one falling
STEM_DROP = 0.6           # this much of it, leaning FLAG_SPREAD less, is a 1 with a long flag written up from its
FLAG_SPREAD = 0.3         # foot: the flag is a link (read alone, the flag and the stem were "11", whole a doubtful 1),
STEM_STRAIGHT = 1.06      # the stem straight: along it no more than this times the way between its ends (a "t" hooks),
FLAG_FOOT = 0.8           # and the flag from about its foot: rising this much of the stem's fall (a 1's short flag is its own)


@dataclasses.dataclass(frozen=True)
class CutRules:
    """Where a stroke wider than ``JOINED_WIDTH`` of the writing's height is cut at its corners (widths
    in units of the height, turns in degrees): up to ``wide``, a wide digit's width, only at corners
    turning more than ``gentle`` where the pen then rises (a 2's base run on up into a 1); wider, at
    every corner turning more than ``corner``, and more than ``gentle`` past ``surely`` (wider than
    digits are written), at corners turning more than ``rising`` where the pen then rises, and at
    both ends of a level top or bottom; and, with ``flags``, a narrower stroke at the top of a 1 written
    with a long flag from its foot."""
    wide: float
    corner: float
    surely: float
    gentle: float
    rising: float = 180.0   # (none)
    flags: bool = False     # (``_flag_and_stem``)
    bars: bool = False      # (``_bar_corner``)


# The readers': past 0.8 every corner over 60 degrees, and over 45 where the pen then rises. Numbers
# of the held-out writers with half the joins people make, read from strokes: 1077 -> 1102 of 1200
# (seeds 13, 17, 21, 5); numbers without joins, leaning, lone digits: one of 800 either way, if any.
# Every corner over 45 degrees read joined numbers better still, but hand-made digits of sharp corners
# written joined fell apart ("33" read "263", "23" nothing): docs/app.md.
READING = CutRules(wide=0.8, corner=60.0, surely=0.8, gentle=60.0, rising=45.0, flags=True, bars=True)
# Before 2026-12-05 (24), and the default model's training candidates: over 0.9 corners over 90
# degrees, over 1.2 over 60, 0.7-0.9 turning 60 and rising; no flag cut off a narrow 1 (2026-12-07).
TRAINED = CutRules(wide=0.9, corner=90.0, surely=1.2, gentle=60.0)


def y_turns(ys: np.ndarray, least: float) -> list[int]:
    """Where a path turns in y (its tops and bottoms), ignoring wiggles smaller than ``least``."""
    turns: list[int] = []
    low = high = extreme = 0
    going = 0   # 1 while y grows (the pen goes down), -1 while it shrinks, 0 until it has moved
    for k in range(1, len(ys)):
        if not going:
            low, high = (k if ys[k] < ys[low] else low), (k if ys[k] > ys[high] else high)
            if ys[high] - ys[low] > least:
                going, extreme = (1, high) if high > low else (-1, low)
        elif going * (ys[k] - ys[extreme]) > 0:
            extreme = k
        elif abs(ys[k] - ys[extreme]) > least:
            turns.append(extreme)
            going, extreme = -going, k
    return turns


def corners(points: np.ndarray, reach: float, least: float) -> list[int]:
    """Where a path (n, 2) turns by more than ``least`` degrees, its direction measured over ``reach``
    of its length before and after each point: the sharpest first, each more than twice ``reach``
    along the path from a sharper one (a rounded turn is one corner, not several). None within
    ``reach`` of its ends."""
    along = arc_lengths(points)
    if along[-1] < 3 * reach:
        return []
    last = len(points) - 1
    back = np.clip(np.searchsorted(along, along - reach, side="right") - 1, 0, last)
    ahead = np.clip(np.searchsorted(along, along + reach, side="left"), 0, last)
    before, after = points - points[back], points[ahead] - points
    cosine = (before * after).sum(axis=1) / np.maximum(np.hypot(*before.T) * np.hypot(*after.T), 1e-9)
    angle = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    angle[(along < reach) | (along > along[-1] - reach)] = 0.0
    found: list[int] = []
    taken: list[float] = []   # where along the path the corners found lie, in order
    for k in np.argsort(-angle, kind="stable").tolist():
        if angle[k] <= least:
            break
        if _apart(taken, float(along[k]), 2 * reach):
            found.append(k)
    return sorted(found)


def _apart(taken: list[float], at: float, distance: float) -> bool:
    """Whether ``at`` lies more than ``distance`` from every one of ``taken`` (sorted), and if so, it is
    taken too: only its neighbours there need be looked at (a scribble of thousands of turns has
    thousands of corners, and each compared with all took minutes)."""
    place = bisect.bisect_left(taken, at)
    if any(abs(at - taken[n]) <= distance for n in (place - 1, place) if 0 <= n < len(taken)):
        return False
    taken.insert(place, at)
    return True


def flat_ends(points: np.ndarray, turns: list[int], height: float) -> list[int]:
    """Where the pen leaves each top or bottom ``turns`` that runs on level (within ``FLAT`` of the
    writing's ``height``) for more than ``FLAT_LONG`` of it: a turn is where the pen first reaches its
    extreme, and a 2's base, level, may run on into the next digit without a corner."""
    ends = []
    for k in turns:
        j = k
        while j + 1 < len(points) and abs(points[j + 1, 1] - points[k, 1]) <= FLAT * height:
            j += 1
        if j < len(points) - 1 and np.hypot(*(points[j] - points[k])) > FLAT_LONG * height:
            ends.append(j)
    return ends


def cut_joined(stroke: Stroke, height: float, rules: CutRules = READING, on_ink: bool = False) -> list[Stroke]:
    """A stroke that may be digits written without lifting the pen (wider than ``JOINED_WIDTH`` of
    the writing's ``height``, turning up and down ``JOINED_TURNS`` times, or a zigzag: down, up
    ``ZIGZAG_RISE`` of its height and down again) cut at its tops and bottoms, and wider than
    ``JOINED_WIDTH`` at its corners as ``rules`` say, but for those that would leave a part shorter
    than ``SHORTEST_PART``; a 1 written with a long flag from its foot up, at its top
    (``_flag_and_stem``: its flag is a link); and a stroke that sets off as a level bar and turns down,
    at that corner when it sets off ``on_ink`` (another stroke's: ``starts_on_ink``; as ``rules.bars``
    say). Other strokes (a 7's or 5's bar alone is wide but short) are kept whole."""
    points = np.asarray(stroke.points, float)
    turns = [k for k in y_turns(points[:, 1], TURN * height) if 0 < k < len(points) - 1]
    # (a digit's own two turns rise less between them: a 6's loop, half its height)
    zigzag = len(turns) == 2 and points[turns[0], 1] - points[turns[1], 1] > ZIGZAG_RISE * np.ptp(points[:, 1])
    width = np.ptp(points[:, 0]) + stroke.width
    bar = _bar_corner(points, height) if rules.bars and on_ink else None
    if width <= JOINED_WIDTH * height and len(turns) < JOINED_TURNS and not zigzag:
        # (a 1 written with its flag from the foot up, then the stem: cut at its top, the flag is a link)
        if rules.flags and len(turns) == 1 and _flag_and_stem(points[:turns[0] + 1], points[turns[0]:], height):
            return [Stroke(stroke.width, stroke.points[:turns[0] + 1]), Stroke(stroke.width, stroke.points[turns[0]:])]
        if bar is None:
            return [stroke]
    cuts = list(turns) + ([bar] if bar is not None else [])
    if width > JOINED_WIDTH * height:
        along = arc_lengths(points)
        if width > rules.wide * height:
            least = rules.gentle if width > rules.surely * height else rules.corner
            found = corners(points, CORNER_REACH * height, least) + flat_ends(points, turns, height)
            if rules.rising < least:   # (gentler ones where the pen then goes on up: a 2's base rising into a link)
                found += [k for k in corners(points, CORNER_REACH * height, rules.rising)
                          if _turns_up(points, along, k, RISE_REACH * height)]
        else:   # (as wide as a wide digit: only where the pen turns up, into a link; every corner of a wide 2 or 5 cost time)
            found = [k for k in corners(points, CORNER_REACH * height, rules.gentle)
                     if _turns_up(points, along, k, RISE_REACH * height)]
        taken = sorted(float(along[k]) for k in [0, len(points) - 1, *cuts])
        cuts += [k for k in found if _apart(taken, float(along[k]), SHORTEST_PART * height)]
    edges = [0, *sorted({k for k in cuts if 0 < k < len(points) - 1}), len(points) - 1]
    return [Stroke(stroke.width, stroke.points[a:b + 1]) for a, b in zip(edges[:-1], edges[1:])]


def has_bar_corner(stroke: Stroke, height: float) -> bool:
    """Whether a stroke sets off as a level bar and turns down (``_bar_corner``): only such a stroke's
    start need be measured against the other strokes' ink (``starts_on_ink``)."""
    return _bar_corner(np.asarray(stroke.points, float).reshape(-1, 2), height) is not None


def starts_on_ink(strokes: list[Stroke], boxes: np.ndarray, height: float, which: list[int]) -> list[bool]:
    """Whether each stroke of ``which`` sets off on or by another one's ink (its first point within its
    pen's width and ``NEAR_INK`` of the writing's ``height`` of it; ``boxes``: each stroke's, its pen
    included): a 5's bar begun at its body's top. Only strokes whose box is that near are measured."""
    out = []
    for k in which:
        stroke = strokes[k]
        (x, y), reach = stroke.points[0], stroke.width + NEAR_INK * height
        near = np.flatnonzero((boxes[:, 0] - reach <= x) & (x <= boxes[:, 2] + reach)
                               & (boxes[:, 1] - reach <= y) & (y <= boxes[:, 3] + reach))
        out.append(any(_distance(np.array([x, y], float), np.asarray(strokes[m].points, float).reshape(-1, 2)) <= reach
                       for m in near.tolist() if m != k))
    return out


def _bar_corner(points: np.ndarray, height: float) -> int | None:
    """Where a stroke that sets off as a level bar to the right (at least ``BAR_RUN`` of the writing's
    ``height`` long, rising or falling no more than ``BAR_SLOPE`` per unit) turns down at a corner of
    more than ``BAR_TURN`` degrees, or None: a 5's bar written last, the pen running on into the next
    digit ("51" in two strokes, the bar and the 1 one of them, read "57"). Looked for only where the
    stroke sets off on ink: cut so, a 7 in one stroke is read whole again, but its candidates cost time."""
    along = arc_lengths(points)
    for k in corners(points, CORNER_REACH * height, BAR_TURN):
        run, fall = points[k, 0] - points[0, 0], points[:k + 1, 1] - points[0, 1]
        if along[k] < BAR_RUN * height or along[-1] - along[k] < SHORTEST_PART * height:
            continue
        ahead = min(int(np.searchsorted(along, along[k] + RISE_REACH * height)), len(points) - 1)
        level = np.abs(fall).max() <= BAR_SLOPE * run and run >= BAR_STRAIGHT * along[k]
        down = points[ahead, 1] - points[k, 1] > BAR_DOWN * abs(points[ahead, 0] - points[k, 0])
        return k if level and down else None   # (only the first corner past the bar is looked at)
    return None


def _turns_up(points: np.ndarray, along: np.ndarray, k: int, reach: float) -> bool:
    """Whether a path goes on upwards from point k, steeper than 45 degrees over ``reach`` of its length:
    a link from one digit's foot up to the next one's top (a 2's base run on into a 1; a corner of an
    8 read "81" as "74" when a tenth of the height was looked at)."""
    ahead = min(int(np.searchsorted(along, along[k] + reach)), len(points) - 1)
    rise, run = points[k, 1] - points[ahead, 1], abs(points[ahead, 0] - points[k, 0])
    return bool(rise > run)


def is_link(pieces: list[Stroke], owners: list[int], k: int, height: float) -> bool:
    """Whether piece k is the pen's way up from one digit's foot to the next one's top in a joined
    stroke (a "111" in one zigzag): a middle part of a cut stroke that rises; or a bar run on into
    such a way up (a 7's cross written last, going on up into the next digit: ``_bar_into_link``); or
    a level way on from a digit whose loop the pen closed (a looped "00": ``_leaves_a_loop``).
    Or a 1's long flag written up from its foot, then the stem (``_flag_of_a_one``); or a cut
    stroke's first part, a level bar set off on or across another stroke's ink (a 5's bar or a 7's
    cross written last, run on into the next digit: ``_bar_over_ink``). Alone it is a
    slanted line, which reads as a 1; it is part of a digit (a 1's flag, a 7's cross) or left out,
    never a digit."""
    middle = 0 < k < len(pieces) - 1 and owners[k - 1] == owners[k] == owners[k + 1]
    first = k + 1 < len(pieces) and owners[k + 1] == owners[k] and (k == 0 or owners[k - 1] != owners[k])
    if not (middle or first):
        return False
    points = np.asarray(pieces[k].points, float)
    ys = points[:, 1]
    rises = ys[0] - ys[-1] > CONNECTOR_RISE * np.ptp(ys)
    return (rises and (middle or _bar_into_link(points, height) or _flag_of_a_one(pieces, owners, k, height))
            or (middle and _leaves_a_loop(pieces, owners, k, height))
            or (first and _bar_over_ink(pieces, owners, k, height)))


def _flag_of_a_one(pieces: list[Stroke], owners: list[int], k: int, height: float) -> bool:
    """Whether a cut stroke's first part k, and its second and last one, are a 1 written as many write
    it: the flag from the foot up (from about its lowest point, rising ``FLAG_RISE`` of the writing's
    ``height``, leaning right ``FLAG_LEAN`` per unit risen or more), then the stem down (falling
    ``STEM_DROP`` of it to its lowest point, leaning ``FLAG_SPREAD`` less than the flag). A letter
    written so goes on (an "r"'s arc, a "w"'s next stroke up): its stroke has more parts."""
    if k + 2 < len(pieces) and owners[k + 2] == owners[k]:
        return False
    return _flag_and_stem(np.asarray(pieces[k].points, float), np.asarray(pieces[k + 1].points, float), height)


def _flag_and_stem(flag: np.ndarray, stem: np.ndarray, height: float) -> bool:
    """``_flag_of_a_one``'s shape: ``flag`` rising from about its lowest point, near the foot
    (``FLAG_FOOT``), leaning right, and ``stem`` falling from where it ends, upright or leaning less, and
    straight (``STEM_STRAIGHT``: a "t" written in one stroke so ends in a hook, and read as a 1 without
    its flag). A flag begun higher up is no link: cut off, it was read into the digit before ("1871" read "1821")."""
    rise, bottom = flag[0, 1] - flag[-1, 1], int(stem[:, 1].argmax())
    drop = stem[bottom, 1] - stem[0, 1]
    if (rise < FLAG_RISE * height or rise < FLAG_FOOT * drop or flag[:, 1].max() - flag[0, 1] > 0.1 * rise
            or drop < STEM_DROP * height):
        return False
    lean, stem_lean = (flag[-1, 0] - flag[0, 0]) / rise, (stem[0, 0] - stem[bottom, 0]) / drop
    straight = arc_lengths(stem)[-1] <= STEM_STRAIGHT * np.hypot(*(stem[-1] - stem[0]))
    return lean >= FLAG_LEAN and lean - stem_lean >= FLAG_SPREAD and bool(straight)


def _leaves_a_loop(pieces: list[Stroke], owners: list[int], k: int, height: float) -> bool:
    """Whether middle part k of a cut stroke runs right, level (within ``LEVEL_LINK`` of the writing's
    ``height``), from where its stroke closed a loop: within ``LOOP_CLOSED`` of where the pen was
    before, and went away from (a looped "00": the pen goes round the first 0 and on along its top
    into the next; read with either 0, the link spoilt it: "000" read "070")."""
    points = np.asarray(pieces[k].points, float)
    if np.ptp(points[:, 1]) > LEVEL_LINK * height or points[-1, 0] - points[0, 0] < LEVEL_LINK * height:
        return False
    previous = np.asarray(pieces[k - 1].points, float)
    along = arc_lengths(previous)   # (the part just before it ends where it begins: only what lies further back on it)
    earlier = [np.asarray(pieces[m].points, float) for m in range(k - 1) if owners[m] == owners[k]]
    earlier = np.concatenate(earlier + [previous[along < along[-1] - 2 * LOOP_CLOSED * height]])
    return len(earlier) > 0 and bool(np.hypot(*(earlier - points[0]).T).min() < LOOP_CLOSED * height)


def _bar_over_ink(pieces: list[Stroke], owners: list[int], k: int, height: float) -> bool:
    """Whether a cut stroke's first part k is a level bar to the right (at least ``BAR_RUN`` of the
    writing's ``height`` long, within ``LEVEL_LINK`` of it in y) that sets off on, or crosses, another
    stroke's ink: a 5's bar or a 7's cross written last, the pen running on into the next digit."""
    bar = np.asarray(pieces[k].points, float)
    if np.ptp(bar[:, 1]) > LEVEL_LINK * height or bar[-1, 0] - bar[0, 0] < BAR_RUN * height:
        return False
    reach = pieces[k].width
    for other, owner in zip(pieces, owners):
        if owner == owners[k] or len(other.points) < 2:
            continue
        line = np.asarray(other.points, float)
        if _distance(bar[0], line) <= reach or crossings(bar, line):
            return True
    return False


def _distance(point: np.ndarray, line: np.ndarray) -> float:
    """The distance from ``point`` to the polyline ``line`` (n, 2)."""
    a, b = line[:-1], line[1:]
    d = b - a
    t = np.clip(((point - a) * d).sum(axis=1) / np.maximum((d * d).sum(axis=1), 1e-12), 0.0, 1.0)
    return float(np.hypot(*(a + t[:, None] * d - point).T).min())


def _bar_into_link(points: np.ndarray, height: float) -> bool:
    """Whether a cut stroke's first part sets off level (its first ``LEVEL_START`` of the writing's
    ``height`` no steeper than 45 degrees), from about its lowest point, and rises ``BAR_LINK_RISE`` of
    it: a bar run on up into the next digit. A 1's flag written upwards rises from its start."""
    ys, along = points[:, 1], arc_lengths(points)
    j = int(np.searchsorted(along, LEVEL_START * height))
    if ys[0] - ys[-1] <= BAR_LINK_RISE * height or along[-1] < 2 * LEVEL_START * height or j >= len(points):
        return False
    return ys.max() - ys[0] < 0.1 * np.ptp(ys) and abs(ys[j] - ys[0]) <= abs(points[j, 0] - points[0, 0])
