"""How well a model says "not a digit", and what it costs the digits: the trade-off per threshold.

    .venv/bin/python benchmarks/rejection.py --model default --mnist mnist.npz \
        --pen pendigits-train.unipen --letters unipen-letters-train.unipen [--png docs/rejection.png]

Data, never the test set for choosing: the letters and symbols of the writers the model held out
(all letters if it never saw the file), drawn plainly on the canvas; the held-out pen-digit writers
(plain renderings, the styles the model trains on excluded); and the MNIST test set, reported
only. For each threshold of the not-a-digit output: the share of letters rejected and of each digit
set wrongly rejected; then, at the model's own threshold (chosen on validation digits when it was
trained), what the window would say: letters answered "not a digit" or "not sure", digits read
right, digits rejected, and the time one drawing takes. The band from the model's "not sure" start
(chosen on the same validation digits) to its threshold answers "not sure: maybe not a digit".
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.models import rejection  # noqa: E402
from app.models.model_store import load  # noqa: E402
from app.pen import negatives, pendigits  # noqa: E402
from app.reading.predictor import digit_outputs, judge, reject_threshold, unsure_threshold  # noqa: E402


def plain(chars: list) -> np.ndarray:
    return pendigits.render_many(chars, 0, 0).astype(np.float32) / 255


def window_says(model, x: np.ndarray) -> list[str]:
    threshold, unsure_from = reject_threshold(model), unsure_threshold(model)
    return [judge(p, img, threshold=threshold, unsure_from=unsure_from).status for p, img in zip(model.predict_proba(x), x)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="default")
    p.add_argument("--mnist", type=Path, required=True, help="a Keras-layout mnist.npz")
    p.add_argument("--pen", type=Path, required=True, help="the UCI pen digits (UNIPEN)")
    p.add_argument("--letters", type=Path, required=True, help="unipen-letters-train.unipen")
    p.add_argument("--png", type=Path, help="write the trade-off as a plot")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    model = load(args.model)
    meta = model.metadata
    held_letters = set((meta.get("negatives") or {}).get("held_out_writers") or [])
    letters = negatives.read_letters(args.letters)
    letters = [c for c in letters if c.writer in held_letters] if held_letters else letters
    held_pen = set((meta.get("pen") or {}).get("held_out_writers") or [])
    pen = [d for d in pendigits.read_unipen(args.pen) if not held_pen or d.writer in held_pen]
    with np.load(args.mnist) as d:
        x_mnist, y_mnist = d["x_test"].astype(np.float32) / 255, d["y_test"].astype(np.int64)
    x_letters, x_pen = plain(letters), plain(pen)
    y_pen = np.array([d.label for d in pen])

    scores = {"letters": rejection.scores(model, x_letters), "pen digits": rejection.scores(model, x_pen),
              "mnist test": rejection.scores(model, x_mnist)}
    table = rejection.tradeoff({"pen digits": scores["pen digits"], "mnist test": scores["mnist test"]},
                               {"letters": scores["letters"]})
    threshold, unsure_from = reject_threshold(model), unsure_threshold(model)
    said = {name: window_says(model, x) for name, x in (("letters", x_letters), ("pen digits", x_pen), ("mnist", x_mnist))}
    one = x_mnist[:1]
    for _ in range(20):
        model.predict_proba(one[0])
    start = time.perf_counter()
    for _ in range(500):
        model.predict_proba(one[0])
    per_drawing = (time.perf_counter() - start) / 500
    summary = {
        "model": args.model, "threshold": threshold, "not sure from": unsure_from,
        "letters": {"count": len(letters), "writers": sorted(held_letters) or "all",
                    "not a digit": float(np.mean([s == "not a digit" for s in said["letters"]])),
                    "not a digit or unsure": float(np.mean([s in ("not a digit", "unsure") for s in said["letters"]]))},
        "pen digits": {"count": len(pen), "writers": sorted(held_pen) or "all",
                       "read right": float(np.mean(digit_outputs(model.predict_proba(x_pen))[0].argmax(1) == y_pen)),
                       "rejected": float(np.mean([s == "not a digit" for s in said["pen digits"]])),
                       "unsure": float(np.mean([s == "unsure" for s in said["pen digits"]]))},
        "mnist test": {"top-class accuracy": rejection.digit_accuracy(model, x_mnist, y_mnist),
                       "rejected": float(np.mean([s == "not a digit" for s in said["mnist"]])),
                       "unsure": float(np.mean([s == "unsure" for s in said["mnist"]]))},
        "per drawing predict_proba us": round(per_drawing * 1e6, 1),
    }
    per_digit = {d: float(np.mean(digit_outputs(model.predict_proba(x_pen[y_pen == d]))[0].argmax(1) == d))
                 for d in range(10)}
    summary["pen digits"]["per digit"] = per_digit
    if args.json:
        print(json.dumps({"summary": summary, "tradeoff": table}))
    else:
        print(f"threshold  letters rejected  pen digits rejected  mnist test rejected   ({args.model})")
        for row in table:
            mark = ("  <- the model's threshold" if abs(row["threshold"] - threshold) < 1e-9 else
                    "  <- 'not sure' from here" if abs(row["threshold"] - unsure_from) < 1e-9 else "")
            print(f"{row['threshold']:9.2f}  {row['letters rejected']:16.1%}  {row['pen digits rejected']:19.1%}  "
                  f"{row['mnist test rejected']:19.2%}{mark}")
        print(json.dumps(summary, indent=1))
    if args.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5.5, 4))
        for name, style in (("pen digits", "-"), ("mnist test", "--")):
            ax.plot([100 * r[f"{name} rejected"] for r in table], [100 * r["letters rejected"] for r in table], style,
                    marker="o", ms=3, label=f"digits: {name}")
        at = next(r for r in table if abs(r["threshold"] - threshold) < 1e-9)
        ax.plot(100 * at["pen digits rejected"], 100 * at["letters rejected"], "r*", ms=12, label=f"threshold {threshold}")
        band = next((r for r in table if abs(r["threshold"] - unsure_from) < 1e-9), None)
        if band is not None and unsure_from < threshold:
            ax.plot(100 * band["pen digits rejected"], 100 * band["letters rejected"], "y*", ms=12,
                    label=f"'not sure' from {unsure_from}")
        ax.set(xlabel="real digits wrongly rejected (%)", ylabel="held-out letters rejected (%)",
               title=f"'not a digit', model {args.model}", xscale="symlog")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.png, dpi=90)
        print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
