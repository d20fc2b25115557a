"""Train, evaluate, list and use the digit models in ``saved_models/`` (the command line).

    python ModelManager.py train --name big --layers 784,800,800,10 --epochs 30 --copies 10
    python ModelManager.py train --resume big     # continue an interrupted run
    python ModelManager.py evaluate --model big [--json]
    python ModelManager.py predict photo.png drawing.jpg [--model big] [--json]
    python ModelManager.py explain drawing.png --png why.png   # inside the network, as a figure
    python ModelManager.py list
    python ModelManager.py delete big
    python ModelManager.py finetune | personal    # your own handwriting
    python ModelManager.py train-pairs [--model default]   # teach a model to read two crossing digits at once

This file turns arguments into calls and errors into one-line messages; the work is done in the
application core: ``app/models/training.py`` (``TrainConfig`` and the recipe), ``app/models/model_store.py``
(names, listing, safe saving and deleting), ``app/models/evaluation.py``, ``app/models/plots.py``,
``app/models/finetune.py``, ``app/models/pair_training.py`` and ``app/personal.py``. Every model is a folder ``saved_models/NAME/``
holding ``model.json`` and ``weights.npz`` (see ``network/serialization.py``) plus PNG plots.
"""
from __future__ import annotations

import os
import signal
import sys

if __name__ == "__main__":   # Ctrl-C while numpy and the rest load (the first half second): one line, no traceback
    signal.signal(signal.SIGINT, lambda *_: (print("interrupted", file=sys.stderr), os._exit(130)))

import argparse
import dataclasses
import json
from pathlib import Path

from app.errors import AppError
from app.files import check_output
from app.models.evaluation import evaluate, evaluation_sets, figures_folder, personal_evaluation_set, predict_files
from app.models.finetune import learn_handwriting
from app.models.model_store import DEFAULT_MODEL, delete_model, list_models, load, model_path
from app.models.pair_training import LEARNING_RATE as PAIR_LEARNING_RATE
from app.models.plots import save_confusion_png, save_mistakes_png
from app.models.training import CHOICES, TrainConfig, TrainingInterrupted, train
from app.paths import CACHE_DIR, MODELS_DIR
from app.signals import end_quietly_when_output_closes, stop_like_ctrl_c
from app.words import command, plural

MOST_EXPLAINED = 30   # digits of a number explained, a figure each (a long number is tens; a picture of 600 1s took 2 minutes)
COMMANDS = ("train", "evaluate", "predict", "explain", "list", "delete", "finetune", "personal", "train-pairs")


def cmd_train(args) -> int:
    log = (lambda *a, **k: None) if args.quiet else print
    if args.resume:
        config = TrainConfig.from_json({"name": args.resume})
    else:
        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        config = TrainConfig(**{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k in fields})
    try:
        train(config, args.models_dir, overwrite=args.overwrite, resume=bool(args.resume), quiet=args.quiet, log=log)
    except TrainingInterrupted as e:   # said even with --quiet: it is where the work went
        print(str(e), file=sys.stderr)
        return 130
    return 0


def cmd_evaluate(args) -> int:
    model = load(args.model, args.models_dir)
    if args.personal:
        sets = [personal_evaluation_set()]
    else:
        sets = evaluation_sets(model, args.dataset, args.source, args.pen_source, progress=not args.json,
                               skipped=lambda note: print(note, file=sys.stderr))
    folder = figures_folder(args.model, args.png_dir)
    figures = {}
    for k, (name, x, y, what) in enumerate(sets):
        result = evaluate(model, x, y)
        suffix = "" if k == 0 else f"-{name}"
        confusion_png, mistakes_png = folder / f"confusion{suffix}.png", folder / f"mistakes{suffix}.png"
        save_confusion_png(result["confusion_matrix"], confusion_png, f"{args.model} on {name}: {result['accuracy']:.2%}")
        save_mistakes_png(x, y, result, mistakes_png)
        figures[name] = {"accuracy": result["accuracy"], "errors": result["errors"], "test_images": len(y),
                         "evaluated_on": what, "per_digit_accuracy": result["per_digit_accuracy"],
                         "confusion_matrix": result["confusion_matrix"], "confusion_png": str(confusion_png),
                         "mistakes_png": str(mistakes_png), "rejected_as_not_a_digit": result["rejected"]}
        if not args.json:
            _print_figures(args.model, name, figures[name])
    if args.json:
        first_name, first = next(iter(figures.items()))
        print(json.dumps({"model": args.model, "data": first_name, **first, "datasets": figures}))
    return 0


def _print_figures(model_name: str, name: str, f: dict) -> None:
    print(f"model {model_name} on {name} ({f['evaluated_on']}): accuracy {f['accuracy']:.4f} "
          f"({f['errors']} errors in {f['test_images']}); answered 'not a digit': {f['rejected_as_not_a_digit']:.2%}")
    print("per digit: " + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(f["per_digit_accuracy"])))
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("      " + " ".join(f"{j:5d}" for j in range(10)))
    for i, row in enumerate(f["confusion_matrix"]):
        print(f"{i:5d} " + " ".join(f"{v:5d}" for v in row))
    print(f"wrote {f['confusion_png']} and {f['mistakes_png']}\n")


def cmd_predict(args) -> int:
    model = load(args.model, args.models_dir)
    failed = False
    for r in predict_files(model, args.images):   # (each printed as it is read)
        failed = failed or "error" in r
        if args.json:
            print(json.dumps(r))
        elif "error" in r:
            print(f"error: {r['error']}", file=sys.stderr)
        elif r["status"] == "read" and r["probabilities"] is not None:   # one digit: how sure, as the window says
            print(f"{r['path']}: {r['text']} ({max(r['probabilities']):.1%})")
        elif r["status"] == "read":   # a whole number
            print(f"{r['path']}: {r['text']}")
        else:   # the window's words: "not sure: 4 or 9", "not a digit (...)", "draw a digit" for a blank picture
            print(f"{r['path']}: {r['message'] if r['status'] != 'empty' else 'no digit (the picture is blank)'}")
        sys.stdout.flush()
    return 1 if failed else 0


def cmd_explain(args) -> int:
    from app.models.explain import explain
    from app.models.plots import save_explanation_png
    from app.reading.drawing_files import load_drawing
    from app.reading.lines import read_written
    from app.reading.number_pictures import read_picture
    from app.reading.preprocess import load_image, to_mnist

    check_output(args.png, "figure")   # before any work: a device or a folder named by mistake
    model = load(args.model, args.models_dir)
    if str(args.image).lower().endswith(".json"):   # a drawing file: read as predict and the window read it
        number = read_written(model, load_drawing(args.image))
        if not number.digits or number.digits[0].reading.network_input is None:
            raise AppError(f"{args.image}: no digit found (the drawing is empty)")
        first = number.digits[0].reading.network_input
    else:
        picture = load_image(args.image)
        prep = to_mnist(picture)
        if prep.empty:
            raise AppError(f"{args.image}: no digit found (the image is blank)")
        number, first = read_picture(model, picture), prep.image
    if len(number.digits) < 2:   # one digit: the whole picture (or drawing), as predict reads it
        inputs, pngs = [first], [Path(args.png)]
    else:   # a number: a figure per digit, beside the one named (why.png: why-1.png, why-2.png, ...)
        inputs = [d.reading.network_input for d in number.digits[:MOST_EXPLAINED]]
        pngs = [Path(args.png).with_name(f"{Path(args.png).stem}-{k}{Path(args.png).suffix}") for k in range(1, len(inputs) + 1)]
        for png in pngs:
            check_output(png, "figure")
        print(f"{args.image}: the number {number.text}" + (f" (its first {MOST_EXPLAINED} digits of {len(number.digits)} explained)"
                                                         if len(number.digits) > MOST_EXPLAINED else ""))
    for k, (image, png) in enumerate(zip(inputs, pngs), 1):
        e = explain(model, image)
        which = f"digit {k} of {len(number.digits)}: " if len(inputs) > 1 else ""
        save_explanation_png(e, png, title=f"{which}{args.model} reads {e.top_name} ({e.probabilities[e.top]:.0%}), "
                                           f"runner-up {e.second_name}; red raises a class's score, blue lowers it")
        pair = number.digits[k - 1].pair if len(inputs) > 1 else ""
        together = "the pair" if len(pair) == 2 else "the three digits"
        read_as = (f"read in {together} {pair} by the pair reader; the digit network alone reads it " if pair else "")
        print(f"{args.image}: {which}{read_as}{e.top_name} ({e.probabilities[e.top]:.1%}), runner-up {e.second_name}; wrote {png}")
    return 0


def cmd_list(args) -> int:
    models = list_models(args.models_dir)
    if not models:
        print(f"no models in {args.models_dir}; train one with: {command('ModelManager.py train')}")
        return 0
    print(f"{'name':<20} {'architecture':<24} {'MNIST':>8} {'pen':>8} {'pairs':>5} {'size':>9}  created")
    for m in models:
        acc = f"{m.accuracy:.2%}" if m.accuracy is not None else "-"
        pen = f"{m.pen_accuracy:.2%}" if m.pen_accuracy is not None else "-"
        extra = f"  DAMAGED: {m.error}" if m.error else ""
        pairs = "yes" if m.pair_reader else "-"   # (a pair reader: train-pairs)
        print(f"{m.name:<20} {m.architecture:<24} {acc:>8} {pen:>8} {pairs:>5} {m.size_bytes / 1e6:>7.1f}MB  {m.created}{extra}")
    return 0


def cmd_delete(args) -> int:
    model_path(args.name, args.models_dir)
    if args.name == DEFAULT_MODEL and not args.yes:
        if not sys.stdin.isatty():
            raise AppError(f"{args.name!r} is the model the app starts with; to delete it, add --yes")
        answer = input(f"delete {args.name!r}, the model the app starts with? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    print(f"deleted {delete_model(args.name, args.models_dir)}")
    return 0


def cmd_finetune(args) -> int:
    result = learn_handwriting(args.model, args.name, args.models_dir, args.epochs, args.source, args.overwrite,
                               report=None if args.quiet else (lambda f, text: print(f"  {text}")))
    before = "-" if result.personal_before is None else f"{result.personal_before:.0%}"
    after = "-" if result.personal_after is None else f"{result.personal_after:.0%}"
    print(f"your held-out drawings ({result.held_out}): {before} -> {after}; {result.reason}")
    if not result.accepted:
        print(f"not kept: the personal model forgot too much MNIST; {args.model} is unchanged", file=sys.stderr)
        return 1
    print(f"saved as {args.name}")
    return 0


def cmd_train_pairs(args) -> int:
    from app.models.pair_training import check_settings, train_pairs
    from app.pen.negatives import letters_source
    from app.pen.pen_data import pen_source

    check_settings(args.crops, args.epochs, args.learning_rate)   # (before the pen digits are looked for, or downloaded)
    load(args.model, args.models_dir)
    source = pen_source(args.pen_source, CACHE_DIR, not args.quiet, flag="--pen-source")
    letters = letters_source(args.letters_source, CACHE_DIR)
    result = train_pairs(args.model, source, args.models_dir, args.crops, args.epochs, args.seed, args.overwrite,
                         letters, progress=not args.quiet, log=(lambda *a, **k: None) if args.quiet else print,
                         threes=args.threes, go_on=args.go_on, learning_rate=args.learning_rate)
    held = "-" if result.held_out_accuracy is None else f"{result.held_out_accuracy:.1%}"
    print(f"pair reader of {args.model}: {result.trained_on:,} crops, held-out writers' crops read {held}, "
          f"{result.seconds / 60:.1f} min; saved in {result.path}")
    return 0


def cmd_personal(args) -> int:
    from app.personal import PersonalDataset, move_personal_dir

    store = PersonalDataset()
    if args.export:
        print(f"exported {plural(store.export(args.export), 'drawing')} to {args.export}")
    elif args.import_file:
        added, present = store.import_file(args.import_file)
        print(f"imported {plural(added, 'drawing')} into {store.folder}" + (f" ({present} already there, skipped)" if present else ""))
    elif args.move:
        folder, moved = move_personal_dir(args.move)
        if moved:
            print(f"moved {moved} drawings to {folder}; it is remembered as the place for your drawings")
        else:
            print(f"your drawings are already in {folder}: nothing to move")
        left = PersonalDataset(store.folder).skipped() if moved else []
        if left:
            print(f"{store.folder / 'drawings.jsonl'} is kept: {len(left)} damaged lines in it were not moved")
    else:
        counts = store.counts_by_digit()
        print(f"{sum(counts)} drawings in {store.folder}")
        print("per digit: " + "  ".join(f"{d}:{n}" for d, n in enumerate(counts)))
    for lineno, reason in store.skipped()[:10]:
        print(f"warning: {store.lines_path} line {lineno} skipped: {reason}", file=sys.stderr)
    return 0


def _add_train(t: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    t.add_argument("--name", default=DEFAULT_MODEL, help="model name (default %(default)s)")
    t.add_argument("--overwrite", action="store_true", help="replace an existing model of that name")
    t.add_argument("--layers", default=d.layers, help="layer sizes, input to output (default %(default)s)")
    t.add_argument("--activation", default=d.activation, choices=CHOICES["activation"])
    t.add_argument("--loss", default=d.loss, choices=CHOICES["loss"])
    t.add_argument("--optimizer", default=d.optimizer, choices=CHOICES["optimizer"])
    t.add_argument("--lr", type=float, default=d.lr, help="learning rate (default %(default)s)")
    t.add_argument("--momentum", type=float, default=d.momentum, help="SGD momentum (default %(default)s)")
    t.add_argument("--schedule", default=d.schedule, choices=CHOICES["schedule"])
    t.add_argument("--warmup", type=float, default=d.warmup, help="warm-up epochs (default %(default)s)")
    t.add_argument("--weight-decay", type=float, default=d.weight_decay)
    t.add_argument("--dropout", type=float, default=d.dropout, help="dropout after each hidden layer, 0-0.9")
    t.add_argument("--epochs", type=int, default=d.epochs)
    t.add_argument("--batch-size", type=int, default=d.batch_size)
    t.add_argument("--copies", type=int, default=d.copies, help="augmented copies of the training set")
    t.add_argument("--validation", type=int, default=d.validation, help="original images held out for validation")
    t.add_argument("--patience", type=int, default=d.patience, help="early-stopping patience, 0 = off")
    t.add_argument("--polish-epochs", type=int, default=d.polish_epochs,
                   help="epochs on the plain, un-augmented pictures at a low learning rate after the main ones "
                        "(default %(default)s; 0 = none)")
    t.add_argument("--seed", type=int, default=d.seed)
    t.add_argument("--dataset", default=d.dataset, choices=CHOICES["dataset"])
    t.add_argument("--source", type=Path, help="a local mnist.npz or IDX folder instead of the download")
    t.add_argument("--augment", type=_json_object, default=d.augment,
                   help='augmentation parameters as JSON, the others keep data.py\'s defaults '
                        '(default \'{"thickness": 0.3}\', e.g. \'{"rotation": 15, "elastic_alpha": 0}\')')
    t.add_argument("--pen-copies", type=int, default=d.pen_copies,
                   help="augmented renderings of each real pen-drawn digit added to the training set, "
                        "0 = MNIST only (default %(default)s)")
    t.add_argument("--pen-source", type=Path, metavar="FILE",
                   help="the UNIPEN pen-digit file (default: downloaded from UCI and verified)")
    t.add_argument("--pen-validation-writers", type=int, default=d.pen_validation_writers,
                   help="pen-digit writers held out for validation (default %(default)s)")
    t.add_argument("--no-negatives", dest="negatives", action="store_false",
                   help="no 'not a digit' output: ten digits only, as models before it")
    t.add_argument("--negative-copies", type=int, default=d.negative_copies,
                   help="augmented renderings of each letter, symbol and generated mark (default %(default)s)")
    t.add_argument("--generated", type=int, default=d.generated,
                   help="generated marks that are not digits: scribbles, hatching, two digits in one, pieces "
                        "(default %(default)s)")
    t.add_argument("--number-candidates", type=int, default=d.number_candidates, metavar="NUMBERS",
                   help="numbers written with the training writers' pen digits, cut into what the number readers "
                        "read: whole digits, and pieces and parts of two that are not digits (default %(default)s; "
                        "0 = none)")
    t.add_argument("--number-polish-share", type=float, default=d.number_polish_share, metavar="SHARE",
                   help="share of the polish's pictures that are those candidates (default %(default)s)")
    t.add_argument("--mnist-number-candidates", type=int, default=d.mnist_number_candidates, metavar="NUMBERS",
                   help="numbers written with MNIST's training digits, cut likewise into what the picture reader "
                        "reads (default %(default)s; 0 = none; MNIST runs only)")
    t.add_argument("--letters-source", type=Path, metavar="FILE",
                   help="the UNIPEN letters and symbols file (unipen-letters-train.unipen; see docs/data.md)")
    t.add_argument("--resume", metavar="NAME", help="continue the interrupted run NAME")
    t.add_argument("--personal", action="store_true", help="also train on your saved drawings")
    t.add_argument("--workers", type=_workers, default=d.workers,
                   help="processes sharing each batch: auto (one per core, up to 2) or a number; 1 = this one alone")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=cmd_train)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Train, evaluate, list and use digit models.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--models-dir", type=Path, default=MODELS_DIR, help=f"where models live (default {MODELS_DIR})")
    sub = p.add_subparsers(dest="command")
    _add_train(sub.add_parser("train", parents=[common], help="train a model (the defaults train the shipped one)"))
    e = sub.add_parser("evaluate", parents=[common], help="test accuracy, per-digit accuracy, confusion matrix, worst mistakes")
    e.add_argument("--model", default=DEFAULT_MODEL)
    e.add_argument("--dataset", choices=["mnist", "fashion", "pendigits"],
                   help="evaluate on this data set only (default: MNIST, and the held-out pen digits "
                        "if the model was trained on pen digits)")
    e.add_argument("--source", type=Path, help="a local mnist.npz or IDX folder (with --dataset pendigits: a UNIPEN file)")
    e.add_argument("--pen-source", type=Path, metavar="FILE", help="the UNIPEN pen-digit file")
    e.add_argument("--personal", action="store_true", help="evaluate on your saved drawings instead")
    e.add_argument("--png-dir", type=Path, metavar="DIR",
                   help="where to write the figures (default: a new folder cache/evaluations/<model>-<date>-<time>)")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)
    f = sub.add_parser("finetune", parents=[common], help="learn your handwriting: a personal copy of a model")
    f.add_argument("--model", default=DEFAULT_MODEL, help="the base model (left unchanged)")
    f.add_argument("--name", default="personal", help="name of the personal model (default %(default)s)")
    f.add_argument("--epochs", type=int, default=4)
    f.add_argument("--source", type=Path, help="a local mnist.npz for the replay and the guard")
    f.add_argument("--overwrite", action="store_true", help="replace an existing model named --name")
    f.add_argument("--quiet", action="store_true")
    f.set_defaults(func=cmd_finetune)
    q = sub.add_parser("personal", parents=[common], help="your saved drawings: summary, export, import, move")
    q.add_argument("--export", type=Path, metavar="FILE", help="write all drawings to one file")
    q.add_argument("--import", dest="import_file", type=Path, metavar="FILE", help="add the drawings of an exported file")
    q.add_argument("--move", type=Path, metavar="DIR", help="move the dataset to DIR and remember it")
    q.set_defaults(func=cmd_personal)
    r = sub.add_parser("predict", parents=[common], help="read the digit or number in pictures and drawing files")
    r.add_argument("images", nargs="+", help="pictures (PNG, JPEG, ... any size) or drawing files (.json strokes)")
    r.add_argument("--model", default=DEFAULT_MODEL, help="the model to read with (default %(default)s)")
    r.add_argument("--json", action="store_true", help="one JSON object per line")
    r.set_defaults(func=cmd_predict)
    sub.add_parser("list", parents=[common], help="the saved models").set_defaults(func=cmd_list)
    x = sub.add_parser("explain", parents=[common], help="inside the network: a figure of one image's reading")
    x.add_argument("image", help="a picture or a drawing file (.json); of a number, each digit is shown")
    x.add_argument("--model", default=DEFAULT_MODEL, help="the model to read with (default %(default)s)")
    x.add_argument("--png", type=Path, required=True, help="where to write the figure")
    x.set_defaults(func=cmd_explain)
    x = sub.add_parser("train-pairs", parents=[common],
                       help="teach a model's pair reader: two crossing digits of a picture read at once")
    x.add_argument("--model", default=DEFAULT_MODEL)
    x.add_argument("--pen-source", type=Path, metavar="FILE",
                   help="the UNIPEN pen-digit file (default: downloaded from UCI and verified)")
    x.add_argument("--letters-source", type=Path, metavar="FILE",
                   help="the UNIPEN letters and symbols (unipen-letters-train.unipen): letters among digits are "
                        "no pair (default: the copy kept by train, if any)")
    x.add_argument("--crops", type=int, default=250_000,
                   help="crops of numbers to train on, 1000-2000000 (default %(default)s; each takes about 9.4 KB of memory)")
    x.add_argument("--epochs", type=int, default=6)
    x.add_argument("--seed", type=int, default=0)
    x.add_argument("--overwrite", action="store_true", help="replace the model's pair reader")
    x.add_argument("--threes", action="store_true",
                   help="read three digits whose ink meets at once too (where a digit is buried in its neighbours)")
    x.add_argument("--continue", dest="go_on", action="store_true",
                   help="start from the model's pair reader (with --threes, widened to read threes) and replace it")
    x.add_argument("--learning-rate", type=float, default=PAIR_LEARNING_RATE,
                   help="Adam's learning rate, 0.00001-0.01 (default %(default)s; lower to go on from a reader)")
    x.add_argument("--quiet", action="store_true")
    x.set_defaults(func=cmd_train_pairs)
    x = sub.add_parser("delete", parents=[common], help="delete a saved model")
    x.add_argument("name")
    x.add_argument("--yes", action="store_true", help="do not ask (needed to delete 'default' without a terminal)")
    x.set_defaults(func=cmd_delete)
    return p



def _workers(text: str):
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'"auto" or a whole number, got {text!r}') from None


def _json_object(text: str):
    try:
        return json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not valid JSON: {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    from network import ModelFileError, ParallelTrainingError, TrainingDiverged

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv:
        parser.print_help()   # a bare command never trains (or replaces) anything
        return 0
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    stop_like_ctrl_c()   # from here on Ctrl-C, kill and a closed terminal unwind: checkpoints, no half files
    if args.command in ("predict", "list", "evaluate", "explain"):   # (read and print: `... | head` is fine)
        end_quietly_when_output_closes()
    try:
        return args.func(args)
    except MemoryError:
        print("error: not enough memory for this (try smaller settings: fewer --copies, a smaller model)", file=sys.stderr)
        return 1
    except (AppError, ModelFileError, ParallelTrainingError, TrainingDiverged, ValueError) as e:
        # Our own errors and the settings' checks (ValueError) carry a one-line message.
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # a full disk, a folder we may not write to, ...
        print(f"error: {e.filename or ''}{': ' if e.filename else ''}{e.strerror or e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
