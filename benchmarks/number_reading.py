"""How well whole numbers are read (named number_reading.py, not numbers.py: a script's folder is
searched first, and numpy imports Python's own ``numbers``): synthetic numbers from the pen digits of writers the model never
trained on, read from their strokes (as the window and drawing files give them) and from pictures.

    .venv/bin/python benchmarks/number_reading.py --pen pendigits-train.unipen [--mnist mnist.npz] [--model default] [--count 300]

Prints exact-number accuracy (an unsure digit, "?", is wrong; and as ``predict --json`` says the
number, an unsure digit as its best guess) by length (2-10 digits) and by how far neighbouring digits' ink meets
(apart; touching, crossing: what a picture's cuts must part; or a digit buried in its neighbours'
ink, which no reader can tell from them: ``synthetic_numbers.covered_share``), per-digit accuracy (numbers
whose digit count was read right), and the time per number, for strokes and for pictures, on one
core; and for strokes again with a fifth of the digits of two or more strokes finished after the
number is written (``--late``: a 5's bar, a 7's cross added last, as people do); and exact-number
accuracy for half of the numbers' strokes sampled densely (a point every half canvas unit, as a
fast tablet or a slow hand records them), with half the joins people make written without lifting
the pen (``synthetic_numbers.joined``; strokes and pictures), with a hyphen between two digits
(``hyphenated``: "12-34" is read 1234), with half the digits that have styles written in one
(``styles.in_styles``: a slashed 0, a 1 with flag and base, a crossed 7...), and for half written again small with a broad pen (84
high, 18 wide) and large with a fine one (200 high, 4 wide), for half drawn as numbers people wrote
are drawn to be read (an 18-unit pen on a canvas 280 high, 120 to 240 high), for half as pictures made 28 pixels
high (a screenshot's number: the writing some 13-20 pixels, read enlarged), in a form's box and underlined (the
lines left out), and for half written on a line drifting
uphill (``synthetic_numbers.drifting``), turned (``turned``), leaning more and less (``leaning``):
read levelled and leaned back as the network reads best (``writing_line``). Pictures are read
with the model's pair reader, if it has one (``--without-pairs``: without, to compare).
With ``--mnist``, numbers of as many MNIST test digits (other writers, another collection: scanned
with a bold pen, never trained on) are read as pictures too; with ``--mnist-digits validation``, of the 5000 training originals
``train`` holds out for validation instead (never trained on either, and no test set: what to
choose between models on); with ``--lone N`` as well, the first N of those digits each read alone,
as its own 28 x 28 picture (as ``predict`` reads a picture of one digit). With ``--letters
unipen-letters-train.unipen``, letters of the writers the model's not-a-digit training held out, one,
two and 3-5 at a time (a word), written on the canvas as the numbers are: how many of them are said "not
a digit", from their strokes and from pictures (a letter cut into digit-like pieces is one mark:
``marks.one_mark``; a word's pieces, each in doubt that it is a digit: ``marks.a_word``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one core, as the window runs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from app.data.mnist_source import read_source  # noqa: E402
from app.models.model_store import load  # noqa: E402
from app.models.run_data import split_validation  # noqa: E402
from app.models.train_config import TrainConfig  # noqa: E402
from app.pen import negatives, pendigits, styles  # noqa: E402
from app.reading import synthetic_numbers  # noqa: E402
from app.reading.lines import read_written  # noqa: E402
from app.reading.number_pictures import read_picture  # noqa: E402
from app.reading.numbers import read_ahead  # noqa: E402

SMALL_PICTURE = 28   # pixels: numbers drawn as pictures, then made this high (as a screenshot of a number is)
PEN_18_HEIGHTS = (120, 160, 200, 240)   # canvas units: numbers redrawn with an 18-unit pen, each at one of these
INK_KINDS = ((0.0, "digits apart"), (0.1, "digits touch (under 10% of a digit's ink under its neighbours')"),
             (0.2, "digits cross (10-20% under)"), (1.0, "a digit buried (over 20% under: a 1 inside an 8)"))


def ink_kind(share: float) -> str:
    """How far a number's digits' ink meets, in words, from ``synthetic_numbers.covered_share``."""
    return next(name for most, name in INK_KINDS if share <= most)


def measure(model, numbers, how: str, covered: list[float] | None = None) -> dict:
    """How well ``numbers`` are read; with ``covered`` (per number, the share of its most covered
    digit's ink under its neighbours' ink), also by how far their ink meets (``INK_KINDS``)."""
    by_length: dict[int, list[bool]] = {}
    by_ink: dict[str, list[bool]] = {}
    digit_hits, digits, times, guessed = 0, 0, [], []
    for n, (strokes, text, *_) in enumerate(numbers):   # (synthetic_numbers.Number, or picture and text)
        # Drawn before the clock starts (numbers of digit pictures are pictures already).
        height = None if isinstance(strokes, np.ndarray) else synthetic_numbers.canvas_height(strokes)   # (280, or a drifting line's)
        picture = strokes if height is None else synthetic_numbers.picture(strokes, height) if how == "pictures" else None
        start = time.perf_counter()
        if how == "strokes":
            number = read_written(model, strokes, height)
        else:
            number = read_picture(model, picture, ink_is_bright=False)
        times.append(time.perf_counter() - start)
        read = number.text
        guessed.append(number.best_text == text)
        by_length.setdefault(len(text), []).append(read == text)
        if covered is not None:
            by_ink.setdefault(ink_kind(covered[n]), []).append(read == text)
        if len(read) == len(text):
            digit_hits += sum(a == b for a, b in zip(read, text))
            digits += len(text)
    result = {"exact": float(np.mean([ok for oks in by_length.values() for ok in oks])),
              "exact as predict --json says (an unsure digit its best guess)": float(np.mean(guessed)),
              "exact by length": {n: round(float(np.mean(v)), 3) for n, v in sorted(by_length.items())}}
    if by_ink:
        result["exact by ink"] = {name: f"{np.mean(by_ink[name]):.3f} of {len(by_ink[name])}"
                                  for _, name in INK_KINDS if name in by_ink}
    return result | {"per digit (length right)": round(digit_hits / max(digits, 1), 4),
                     "ms per number median": round(1000 * float(np.median(times)), 1),
                     "ms per number p99": round(1000 * float(np.percentile(times, 99)), 1)}


def mnist_digits(path: Path, digits: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices of the digits to use, images, labels): MNIST's test digits, or the 5000 training
    originals ``train`` holds out for validation (``digits="validation"``)."""
    mnist = read_source(path)
    if digits == "validation":
        _, pool = split_validation(len(mnist["y_train"]), 0, TrainConfig.validation, TrainConfig.seed)
        return pool, mnist["x_train"], mnist["y_train"]
    return np.arange(len(mnist["y_test"])), mnist["x_test"], mnist["y_test"]


def mnist_numbers(chosen: tuple[np.ndarray, np.ndarray, np.ndarray], count: int, seed: int,
                  lengths: tuple[int, int]) -> list[tuple[np.ndarray, str]]:
    """``count`` pictures of numbers of ``lengths[0]`` to ``lengths[1]`` of the ``chosen`` MNIST digits
    (``mnist_digits``: the test digits, or the validation originals: never trained on, and no test
    set: what a choice between models may be made on)."""
    pool, images, labels = chosen
    rng = np.random.default_rng([seed, 28])
    out = []
    for _ in range(count):
        chosen = pool[rng.integers(0, len(pool), int(rng.integers(lengths[0], lengths[1] + 1)))]
        out.append(synthetic_numbers.from_pictures(list(images[chosen]), list(labels[chosen]), rng))
    return out


def lone_digits(model, chosen: tuple[np.ndarray, np.ndarray, np.ndarray], count: int) -> dict:
    """The first ``count`` of the ``chosen`` MNIST digits (``mnist_digits``), each read alone as its own
    28 x 28 picture, as ``predict`` reads a picture file: how many read exactly, and how many as several
    digits (an odd digit's pieces each read as a sure digit)."""
    pool, images, labels = chosen
    texts = [read_picture(model, 255 - images[k].astype(np.float32)).text for k in pool[:count]]
    labels = labels[pool[:count]]
    return {"digits": len(texts), "read exactly": round(float(np.mean([t == str(v) for t, v in zip(texts, labels)])), 4),
            "read as several digits": int(sum(len(t) > 1 for t in texts))}


def letters_said(model, path: Path, count: int, seed: int) -> dict:
    """Of ``count`` letters of the held-out letter writers (``count`` // 2 pairs of them, ``count`` // 4
    words of 3-5 of them), written on the canvas one (two, a word) at a time as numbers are composed, how
    many are said "not a digit", from their strokes and from pictures."""
    held = set((model.metadata.get("negatives") or {}).get("held_out_writers") or [])
    letters = [c for c in negatives.read_letters(path) if not held or c.writer in held]
    rng = np.random.default_rng([seed, 26])
    result = {}
    for (fewest, most), many, name in (((1, 1), count, "letters alone"), ((2, 2), count // 2, "pairs of letters"),
                                       ((3, 5), count // 4, "words of 3-5 letters")):
        sizes = [fewest if fewest == most else int(rng.integers(fewest, most + 1)) for _ in range(many)]
        written = [synthetic_numbers.compose([letters[int(k)] for k in rng.integers(0, len(letters), size)], rng)[0]
                   for size in sizes]
        said = {how: 0 for how in ("strokes", "pictures")}
        for strokes in written:
            height = synthetic_numbers.canvas_height(strokes)
            said["strokes"] += read_written(model, strokes, height).status == "not a digit"
            picture = synthetic_numbers.picture(strokes, height)
            said["pictures"] += read_picture(model, picture, ink_is_bright=False).status == "not a digit"
        result[f"{many} {name}, said not a digit"] = {
            how: f"{n / max(many, 1):.3f}" for how, n in said.items()}
    return result


def window_times(model, numbers) -> dict:
    """As in the window: the number re-read after every stroke, what was read before remembered, and
    read ahead after it (``read_ahead``: the window does it with the pen lifted, timed apart)."""
    times, ahead = [], []
    for strokes, *_ in numbers:
        memo: dict = {}
        height = synthetic_numbers.canvas_height(strokes)
        for k in range(1, len(strokes) + 1):
            start = time.perf_counter()
            read_written(model, strokes[:k], height, memo)
            times.append(time.perf_counter() - start)
            start = time.perf_counter()
            read_ahead(model, strokes[:k], height, memo)
            ahead.append(time.perf_counter() - start)
    return {"ms per stroke median": round(1000 * float(np.median(times)), 1),
            "ms per stroke p99": round(1000 * float(np.percentile(times, 99)), 1),
            "ms reading ahead (pen lifted) median": round(1000 * float(np.median(ahead)), 1),
            "ms reading ahead p99": round(1000 * float(np.percentile(ahead, 99)), 1)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pen", type=Path, required=True, help="the UCI pen digits (UNIPEN)")
    p.add_argument("--model", default="default")
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--lengths", default="2,10", help="fewest and most digits (default 2,10)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mnist", type=Path, help="mnist.npz: also numbers of its test digits, as pictures")
    p.add_argument("--mnist-digits", choices=("test", "validation"), default="test",
                   help="numbers of MNIST's test digits, or of the training originals train holds out (default test)")
    p.add_argument("--lone", type=int, default=0,
                   help="with --mnist: also read this many of those digits alone, each its own 28 x 28 picture")
    p.add_argument("--late", type=float, default=0.2, help="share of digits of 2+ strokes finished last (default 0.2)")
    p.add_argument("--letters", type=Path, help="unipen-letters-train.unipen: also letters, said not a digit or not")
    p.add_argument("--without-pairs", action="store_true",
                   help="read pictures without the model's pair reader (app/reading/digit_pairs.py), to compare")
    args = p.parse_args()
    if args.lone < 0 or (args.lone and not args.mnist):
        p.error(f"--lone {args.lone}: a number of digits, 0 or more, and with --mnist")
    model = load(args.model)
    if args.without_pairs:
        model.pair_reader = None
    held = set((model.metadata.get("pen") or {}).get("held_out_writers") or [])
    digits = [d for d in pendigits.read_unipen(args.pen) if not held or d.writer in held]
    lo, hi = (int(v) for v in args.lengths.split(","))
    numbers = synthetic_numbers.numbers(digits, args.count, args.seed, (lo, hi))
    late = synthetic_numbers.numbers(digits, args.count, args.seed, (lo, hi), late=args.late)
    covered = [synthetic_numbers.covered_share(number) for number in numbers]   # (the late ones are the same numbers)
    result = {"model": args.model, "pair reader": model.pair_reader is not None, "writers": sorted(held) or "all",
              "numbers": len(numbers),
              "strokes": measure(model, numbers, "strokes", covered),
              f"strokes, {args.late:.0%} of digits finished last": measure(model, late, "strokes", covered),
              "pictures": measure(model, numbers, "pictures", covered),
              "window (re-read after each stroke)": window_times(model, numbers)}
    dense = [(synthetic_numbers.resampled(s, 0.5), t) for s, t, _ in numbers[:args.count // 2]]
    result[f"{len(dense)} sampled densely (a point every half unit), strokes"] = measure(model, dense, "strokes")["exact"]
    rng = np.random.default_rng([args.seed, 2])
    joined = [(synthetic_numbers.joined(number, 0.5, rng), number.text) for number in numbers[:args.count // 2]]
    result[f"{len(joined)} with half the joins people make written in one stroke"] = {
        how: measure(model, joined, how)["exact"] for how in ("strokes", "pictures")}   # (a picture shows the links)
    hyphens = [(synthetic_numbers.hyphenated(number, rng), number.text) for number in numbers[:args.count // 2]]
    result[f"{len(hyphens)} with a hyphen between two digits (left out)"] = {
        how: measure(model, hyphens, how)["exact"] for how in ("strokes", "pictures")}
    # Written in the world's digit styles (a slashed 0, a 1 with flag and base, a closed 4, a crossed 7, a 7
    # with a foot, a 9 with a curved tail: ``styles``), half of the digits that have one.
    styled = synthetic_numbers.numbers(styles.in_styles(digits, args.seed), args.count // 2, args.seed, (lo, hi))
    result[f"{len(styled)} with half the digits that have styles written in one"] = {
        how: measure(model, styled, how)["exact"] for how in ("strokes", "pictures")}
    # Small and bold, large and fine (read with the pen as read), and as numbers people wrote are drawn to be
    # read (a canvas 280 high, an 18-unit brush) at heights they fill it, one after another.
    for heights, pen in (((84,), 18), ((200,), 4), (PEN_18_HEIGHTS, 18)):
        again = [(synthetic_numbers.with_pen(s, heights[k % len(heights)], pen), t)
                 for k, (s, t, _) in enumerate(numbers[:args.count // 2])]
        result[f"{len(again)} written {'/'.join(map(str, heights))} high{' in turn' * (len(heights) > 1)}, pen {pen}"] = {
            how: measure(model, again, how)["exact"] for how in ("strokes", "pictures")}
    # Pictures made small (a screenshot, a crop of a scanned form): 28 pixels high, the writing some 13-20;
    # in a form's box, and underlined (the lines left out: ``form_lines``).
    plain = [(synthetic_numbers.picture(s, synthetic_numbers.canvas_height(s)), t) for s, t, _ in numbers[:args.count // 2]]
    for name, changed in ((f"made {SMALL_PICTURE} pixels high", lambda p: synthetic_numbers.made_small(p, SMALL_PICTURE)),
                          ("in a form's box", synthetic_numbers.in_a_box), ("underlined", synthetic_numbers.underlined)):
        result[f"{len(plain)} pictures {name}"] = measure(model, [(changed(p), t) for p, t in plain], "pictures")["exact"]
    for name, moved in (("written 0.1 uphill (the line drifting 6 degrees)", lambda s: synthetic_numbers.drifting(s, -0.1)),
                        ("turned 5 degrees (uphill)", lambda s: synthetic_numbers.turned(s, 5.0)),
                        ("leaning 0.3 more", lambda s: synthetic_numbers.leaning(s, 0.3)),
                        ("leaning 0.3 less (back)", lambda s: synthetic_numbers.leaning(s, -0.3))):
        again = [(moved(s), t) for s, t, _ in numbers[:args.count // 2]]
        result[f"{len(again)} {name}"] = {how: measure(model, again, how)["exact"] for how in ("strokes", "pictures")}
        if "uphill" in name:   # (a new slope as the number grows: the window reads ahead for it)
            result[f"{len(again)} {name}"]["window (re-read after each stroke)"] = window_times(model, again)
    if args.mnist:
        chosen = mnist_digits(args.mnist, args.mnist_digits)   # (read once: the numbers and the digits alone)
        result[f"pictures of MNIST {args.mnist_digits} digits"] = measure(
            model, mnist_numbers(chosen, args.count, args.seed, (lo, hi)), "pictures")
        if args.lone:
            result[f"MNIST {args.mnist_digits} digits alone, as 28 x 28 pictures"] = lone_digits(model, chosen, args.lone)
    if args.letters:
        result |= letters_said(model, args.letters, args.count, args.seed)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
