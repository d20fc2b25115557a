"""How long a whole number's picture takes to read: ten-digit numbers of the pen writers the model
never trained on, drawn as pictures (280 high, an 18-unit brush), each read with ``read_picture``
on one core, with the model's pair reader and without it, alternating (one picture, then the same
without), over the pictures ``--rounds`` times.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/picture_speed.py \\
        --pen pendigits-train.unipen [--count 300] [--rounds 2] [--digits 10]

Prints the CPU, the median, p90 and p99 time per picture and how many were read exactly, both ways,
and those times as multiples of the digit network's own time on as many inputs as a picture gives
it (measured in the same run: to compare runs of different hours, whose milliseconds drift by a quarter).
To compare two versions of the reader, run it at each (``git worktree add``), one after the other,
twice: a machine's speed drifts by some per cent over minutes. The issue's target: p99 <= 50 ms.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one core, as the window runs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from app.errors import AppError  # noqa: E402
from app.models.model_store import load  # noqa: E402
from app.pen import pendigits  # noqa: E402
from app.reading import synthetic_numbers  # noqa: E402
from app.reading.number_pictures import read_picture  # noqa: E402
from benchmarks.pen_render_speed import cpu_name  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pen", type=Path, required=True, help="the UCI pen digits (UNIPEN)")
    p.add_argument("--model", default="default")
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--digits", type=int, default=10, help="digits per number (default 10)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if not (1 <= args.count <= 100_000 and 1 <= args.rounds <= 100 and 1 <= args.digits <= 20):
        p.error(f"--count {args.count}, --rounds {args.rounds}, --digits {args.digits}: out of range")
    try:
        model = load(args.model)
        every = pendigits.read_unipen(args.pen)
    except AppError as e:   # (a missing or bad file: one line)
        print(f"picture_speed: {e}", file=sys.stderr)
        return 2
    pairs = model.pair_reader
    held = set((model.metadata.get("pen") or {}).get("held_out_writers") or [])
    digits = [d for d in every if d.writer in held] or every   # (a file without those writers: all of it)
    numbers = synthetic_numbers.numbers(digits, args.count, args.seed, (args.digits, args.digits))
    pictures = [synthetic_numbers.picture(n.strokes, synthetic_numbers.canvas_height(n.strokes)) for n in numbers]
    ways = {"with the pair reader": pairs, "without": None} if pairs is not None else {"without a pair reader": None}
    times: dict[str, list[float]] = {way: [] for way in ways}
    exact = dict.fromkeys(ways, 0)
    for picture in pictures[:5]:   # (warm: the first reads fill caches)
        read_picture(model, picture)
    for _ in range(args.rounds):
        for picture, number in zip(pictures, numbers):
            for way, reader in ways.items():
                model.pair_reader = reader
                start = time.perf_counter()
                text = read_picture(model, picture).text
                times[way].append(time.perf_counter() - start)
                exact[way] += text == number.text
    model.pair_reader = pairs
    ceiling = network_ceiling(model, pictures)
    print(f"{cpu_name()}; {len(pictures)} pictures of {args.digits}-digit numbers, {args.rounds} rounds, one core")
    for way, seen in times.items():
        ms = np.array(seen) * 1000
        print(f"{way:22s} median {np.median(ms):5.1f}  p90 {np.percentile(ms, 90):5.1f}  p99 {np.percentile(ms, 99):5.1f} ms"
              f"  read exactly {exact[way] / args.rounds:.0f} of {len(pictures)}")
        print(f"{'':22s} as times the digit network alone: median {np.median(ms) / ceiling[0]:4.1f}"
              f"  p99 {np.percentile(ms, 99) / ceiling[1]:4.1f}")
    print(f"(the digit network alone on as many inputs as a picture reads: median {ceiling[0]:.1f}, p99 {ceiling[1]:.1f} ms;"
          " measured now, as the pictures were)")
    return 0


def network_ceiling(model, pictures: list[np.ndarray], rounds: int = 3) -> tuple[float, float]:
    """The time (ms) the digit network alone takes on as many inputs as a picture's reading gives it, for
    the pictures' median and 99th-percentile count, measured now (the least of ``rounds``): what the
    reading costs at the least, at this hour's speed of the machine."""
    counts, predict = [], model.predict_proba
    try:   # (the inputs each picture reads, counted in a pass of its own: the timed passes are untouched)
        model.predict_proba = lambda x: (counts.__setitem__(-1, counts[-1] + len(x)), predict(x))[1]
        for picture in pictures:
            counts.append(0)
            read_picture(model, picture)
    finally:
        del model.predict_proba   # (the method again)
    rng = np.random.default_rng(0)
    out = []
    for count in (int(np.median(counts)), int(np.percentile(counts, 99))):
        inputs = rng.random((max(count, 1), *model.input_shape), dtype=np.float32)
        best = np.inf
        for _ in range(rounds):
            start = time.perf_counter()
            predict(inputs)
            best = min(best, time.perf_counter() - start)
        out.append(1000 * best)
    return out[0], out[1]


if __name__ == "__main__":
    sys.exit(main())
