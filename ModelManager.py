"""Train, evaluate, list and use the digit models in ``saved_models/``.

    python ModelManager.py                        # = train with the defaults (the shipped model)
    python ModelManager.py train --name big --layers 784,800,800,10 --epochs 30 --copies 10
    python ModelManager.py train --resume big     # continue an interrupted run
    python ModelManager.py evaluate --model big [--json]
    python ModelManager.py predict photo.png drawing.jpg [--model big] [--json]
    python ModelManager.py list
    python ModelManager.py delete big

Every model is a folder ``saved_models/NAME/`` holding ``model.json`` and ``weights.npz``
(see ``network/serialization.py``), plus the learning curves and evaluation plots as PNGs.
Ctrl-C during training saves a checkpoint in ``saved_models/.checkpoints/NAME/`` and exits;
the finished model replaces ``saved_models/NAME`` only when training completes.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
MODELS_DIR = Path(os.environ.get("DIGITS_MODELS_DIR", ROOT / "saved_models"))
CHECKPOINTS = ".checkpoints"
DEFAULT_MODEL = "default"
PREPROCESSING_VERSION = 1
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# The defaults reproduce the shipped model (see README, "The default model").
TRAIN_DEFAULTS = dict(layers="784,800,800,10", activation="tanh", loss="categorical_crossentropy", optimizer="sgd",
                      lr=0.05, momentum=0.9, schedule="cosine", warmup=0.0, weight_decay=0.0, epochs=12,
                      batch_size=128, copies=25, validation=5000, patience=4, seed=0, dataset="mnist",
                      augment={"thickness": 0.3})


class ManagerError(Exception):
    """A user error with a clear message (bad name, missing model, unreadable file)."""


# ---------------------------------------------------------------------------
# Names and listing
# ---------------------------------------------------------------------------

def model_path(name: str, models_dir: Path = MODELS_DIR) -> Path:
    """``models_dir/name``, after checking that the name cannot point anywhere else."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or name in (".", "..") or ".." in name:
        raise ManagerError(f"invalid model name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit")
    root = Path(models_dir).resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise ManagerError(f"invalid model name {name!r}: it points outside {models_dir}")
    return path


@dataclasses.dataclass
class ModelInfo:
    name: str
    path: Path
    architecture: str
    accuracy: float | None
    size_bytes: int
    created: str
    error: str | None = None


def list_models(models_dir: Path = MODELS_DIR) -> list[ModelInfo]:
    """Every saved model (damaged ones too, with their error), default first, then by name."""
    from network import ModelFileError, read_description

    infos = []
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    for folder in sorted(models_dir.iterdir()):
        if not folder.is_dir() or folder.name.startswith(".") or not (folder / "model.json").exists():
            continue
        size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
        try:
            desc = read_description(folder)
            meta = desc.get("metadata", {})
            infos.append(ModelInfo(folder.name, folder, _architecture(desc),
                                   meta.get("test_accuracy"), size, meta.get("created", "")))
        except ModelFileError as e:
            infos.append(ModelInfo(folder.name, folder, "?", None, size, "", error=e.problem))
    infos.sort(key=lambda m: (m.name != DEFAULT_MODEL, m.name))
    return infos


def _architecture(desc: dict) -> str:
    sizes = [int(np.prod(desc["input_shape"]))]
    acts = []
    for layer in desc["layers"]:
        if layer.get("class") == "Dense":
            sizes.append(layer["config"]["units"])
            acts.append(layer["config"]["activation"]["name"])
    hidden = sorted(set(acts[:-1])) or ["-"]
    return "-".join(map(str, sizes)) + f" {'/'.join(hidden)}"


def load(name: str = DEFAULT_MODEL, models_dir: Path = MODELS_DIR):
    """The saved model ``name``; ManagerError if it does not exist, ModelFileError if damaged."""
    from network import load_model

    path = model_path(name, models_dir)
    if not (path / "model.json").exists():
        available = ", ".join(m.name for m in list_models(models_dir)) or "none"
        raise ManagerError(f"no model named {name!r} in {models_dir} (available: {available})")
    return load_model(path)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

def build_model(layers: str, activation: str, seed: int):
    from network import Dense, Flatten, Sequential

    try:
        sizes = [int(s) for s in str(layers).split(",")]
    except ValueError:
        raise ManagerError(f"--layers must be comma-separated integers like 784,800,800,10, got {layers!r}") from None
    if len(sizes) < 2 or sizes[0] != 784 or sizes[-1] != 10 or min(sizes) < 1:
        raise ManagerError(f"--layers must start with 784 (28x28 inputs) and end with 10 (digits), got {layers!r}")
    model = Sequential([Flatten(input_shape=(28, 28))], seed=seed, name="digits")
    for units in sizes[1:-1]:
        model.add(Dense(units, activation))
    model.add(Dense(10, "softmax"))
    model.build()
    return model


def _optimizer(args) -> dict:
    spec = {"name": args.optimizer, "learning_rate": args.lr}
    if args.optimizer == "sgd":
        spec["momentum"] = args.momentum
    if args.weight_decay:
        spec["weight_decay"] = args.weight_decay
    return spec


def _schedule(args) -> dict | None:
    schedules = {
        "constant": None,
        "cosine": {"name": "cosine", "learning_rate": args.lr, "epochs": args.epochs, "min_learning_rate": args.lr * 0.01},
        "step": {"name": "step", "learning_rate": args.lr, "drop": 0.5, "every": max(1, args.epochs // 4)},
        "exponential": {"name": "exponential", "learning_rate": args.lr, "rate": 0.9},
    }
    schedule = schedules[args.schedule]
    if args.warmup:
        schedule = {"name": "warmup", "schedule": schedule or {"name": "constant", "learning_rate": args.lr},
                    "warmup_epochs": args.warmup}
    return schedule


def split_validation(n_originals: int, copies: int, validation: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation indices into the cache (originals, then ``copies`` augmented copies).

    Validation uses originals only, and none of their augmented copies is trained on: a copy of a
    validation digit in the training set would make the validation score a lie.
    """
    total = n_originals * (1 + copies)
    if validation <= 0:
        return np.arange(total), np.array([], dtype=np.int64)
    if validation >= n_originals:
        raise ManagerError(f"--validation {validation} must be smaller than the {n_originals} training images")
    held = np.random.default_rng(seed).choice(n_originals, validation, replace=False)
    mask = np.ones(total, bool)
    for c in range(copies + 1):
        mask[held + c * n_originals] = False
    return np.flatnonzero(mask), np.sort(held)


class _Interrupt:
    """Turns the first Ctrl-C (SIGINT) into KeyboardInterrupt as usual, and restores the handler after."""

    def __enter__(self):
        self.old = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return self

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self.old)
        return False


def _save_final(model, name: str, models_dir: Path) -> Path:
    """Write to a temporary folder, then swap it into place: the old model survives any failure."""
    final = model_path(name, models_dir)
    tmp = final.with_name(f".{name}.new")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(tmp, include_optimizer=False)  # a finished model needs no optimiser state: half the size
    save_learning_curves(model.history, tmp / "curves.png", title=name)
    old = final.with_name(f".{name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def train(args, log=print) -> Path:
    """Train as ``args`` says; returns the saved model's folder."""
    import data
    from network import EarlyStopping, ModelCheckpoint, load_model

    models_dir = Path(args.models_dir)
    checkpoint = models_dir / CHECKPOINTS / args.name
    if args.resume:
        model_path(args.resume, models_dir)
        checkpoint = models_dir / CHECKPOINTS / args.resume
        if not (checkpoint / "model.json").exists():
            raise ManagerError(f"no interrupted run named {args.resume!r} to resume (looked in {checkpoint})")
        model = load_model(checkpoint)
        saved_args = model.metadata["train_args"]
        for key, value in saved_args.items():  # the run continues with its own settings
            setattr(args, key, value)
        args.name = saved_args["name"]
        start_epoch = len(model.history.get("loss", []))
        log(f"resuming {args.name!r} after epoch {start_epoch} of {args.epochs}")
    else:
        model_path(args.name, models_dir)
        model = build_model(args.layers, args.activation, args.seed)
        model.compile(loss=args.loss, optimizer=_optimizer(args), lr_schedule=_schedule(args))
        start_epoch = 0

    params = data.AugmentParams(**(args.augment or {}))
    dataset = data.load_training_data(args.dataset, args.source, args.copies, params, args.seed,
                                      progress=not args.quiet)
    n_originals = dataset.meta["counts"]["originals"]
    train_idx, val_idx = split_validation(n_originals, args.copies, args.validation, args.seed)
    # Only the rows used are converted to float32: the whole set as float32 and then a selection
    # of it would hold two float copies at once (about 10 GB for the default 25 copies).
    x, y = dataset.float32(rows=train_idx), np.asarray(dataset.y_train)[train_idx]
    if args.personal:
        x, y = _with_personal(x, y, args.copies, params, args.seed, log)
    validation = (dataset.float32(rows=val_idx), np.asarray(dataset.y_train)[val_idx]) if len(val_idx) else None
    x_test, y_test = dataset.float32("x_test"), np.asarray(dataset.y_test)
    train_args = {k: v for k, v in vars(args).items() if k not in ("command", "func", "resume", "quiet", "models_dir")}
    train_args["source"] = str(args.source) if args.source else None
    model.metadata.update({"train_args": train_args, "data": {"cache": dataset.path.name,
                           "source_sha256": dataset.meta["source_sha256"], "copies": args.copies,
                           "train_images": len(x), "validation_images": len(val_idx)}})
    log(f"training {args.layers} {args.activation} on {len(x)} images ({args.copies} augmented copies), "
        f"validating on {len(val_idx)}, for {args.epochs} epochs")
    model.summary(print_fn=log if not args.quiet else None)

    callbacks = [ModelCheckpoint(checkpoint)]
    if validation is not None and args.patience:
        callbacks.insert(0, EarlyStopping(monitor="val_accuracy", patience=args.patience, restore_best_weights=True))
    started = time.perf_counter()
    previous_time = float(model.metadata.get("training_seconds", 0.0))
    try:
        with _Interrupt():
            model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size, validation_data=validation,
                      callbacks=callbacks, verbose=0 if args.quiet else 1, initial_epoch=start_epoch)
    except KeyboardInterrupt:
        model.metadata["training_seconds"] = previous_time + time.perf_counter() - started
        model.save(checkpoint)
        log(f"\ninterrupted: checkpoint saved after {len(model.history.get('loss', []))} epochs in {checkpoint}; "
            f"continue with: python ModelManager.py train --resume {args.name}")
        raise
    seconds = previous_time + time.perf_counter() - started
    result = model.evaluate(x_test, y_test)
    model.metadata.update({
        "test_accuracy": round(result["accuracy"], 5), "test_loss": round(result["loss"], 5),
        "training_seconds": round(seconds, 1), "preprocessing_version": PREPROCESSING_VERSION,
        "created": time.strftime("%Y-%m-%d %H:%M"), "dataset": args.dataset,
    })
    path = _save_final(model, args.name, models_dir)
    shutil.rmtree(checkpoint, ignore_errors=True)
    log(f"test accuracy {result['accuracy']:.4f} ({seconds / 60:.1f} min); saved {path}")
    return path


def _with_personal(x: np.ndarray, y: np.ndarray, copies: int, params, seed: int, log) -> tuple[np.ndarray, np.ndarray]:
    """Add the user's saved drawings, augmented as many times as MNIST is, to the training set."""
    import data
    from app.personal import PersonalDataset

    store = PersonalDataset()
    images, labels = store.arrays()
    if not len(labels):
        raise ManagerError(f"--personal: no saved drawings in {store.folder}")
    extra = [images] + [data.augment(images, params, seed=seed * 1000 + 500 + c) for c in range(copies)]
    log(f"adding {len(labels)} personal drawings x {copies + 1} from {store.folder}")
    x = np.concatenate([x, np.concatenate(extra).astype(np.float32) / 255])
    return x, np.concatenate([y, np.tile(labels, copies + 1)])


def save_learning_curves(history: dict, path: Path, title: str = "") -> None:
    """Loss and accuracy per epoch, training and validation, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key, style in (("loss", "-"), ("val_loss", "--")):
        if key in history:
            ax1.plot(epochs, history[key], style, label=key.replace("_", " "))
    for key, style in (("accuracy", "-"), ("val_accuracy", "--")):
        if key in history:
            ax2.plot(epochs, history[key], style, label=key.replace("_", " "))
    ax1.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax2.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------

def evaluate(model, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    from network import confusion_matrix

    proba = model.predict_proba(x_test)
    predicted = proba.argmax(axis=1)
    matrix = confusion_matrix(y_test, predicted, num_classes=10)
    per_digit = (np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)).tolist()
    wrong = np.flatnonzero(predicted != y_test)
    # Worst mistakes: the ones the model was most confident about.
    worst = wrong[np.argsort(-proba[wrong, predicted[wrong]])]
    return {"accuracy": float(np.mean(predicted == y_test)), "per_digit_accuracy": per_digit,
            "confusion_matrix": matrix.tolist(), "errors": int(len(wrong)), "worst": worst, "proba": proba,
            "predicted": predicted}


def save_confusion_png(matrix, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(np.log1p(m), cmap="Blues")
    for i in range(10):
        for j in range(10):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if i == j else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true", title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def save_mistakes_png(x, y, result: dict, path: Path, count: int = 40) -> None:
    """A gallery of the most confident mistakes: image, true label and prediction."""
    from PIL import Image, ImageDraw

    worst = result["worst"][:count]
    cols, cell = 10, 64
    rows = max(1, int(np.ceil(len(worst) / cols)))
    sheet = Image.new("L", (cols * cell, rows * (cell + 14)), 255)
    draw = ImageDraw.Draw(sheet)
    for k, i in enumerate(worst):
        r, c = divmod(k, cols)
        img = Image.fromarray((255 - x[i] * 255).astype(np.uint8)).resize((cell - 8, cell - 8), Image.NEAREST)
        sheet.paste(img, (c * cell + 4, r * (cell + 14) + 2))
        p = result["proba"][i, result["predicted"][i]]
        draw.text((c * cell + 4, r * (cell + 14) + cell - 5), f"{y[i]}->{result['predicted'][i]} {p:.0%}", fill=0)
    sheet.save(path)


def cmd_evaluate(args) -> int:
    import data

    model = load(args.model, args.models_dir)
    if args.personal:
        from app.personal import PersonalDataset

        images, labels = PersonalDataset().arrays()
        if not len(labels):
            raise ManagerError(f"--personal: no saved drawings in {PersonalDataset().folder}")
        x, y = images.astype(np.float32) / 255, labels.astype(np.int64)
    else:
        arrays = data.load_raw(args.dataset, args.source, progress=not args.json)
        x, y = arrays["x_test"].astype(np.float32) / 255, arrays["y_test"].astype(np.int64)
    result = evaluate(model, x, y)
    folder = model_path(args.model, args.models_dir)
    confusion_png, mistakes_png = folder / "confusion.png", folder / "mistakes.png"
    save_confusion_png(result["confusion_matrix"], confusion_png, f"{args.model}: {result['accuracy']:.2%}")
    save_mistakes_png(x, y, result, mistakes_png)
    if args.json:
        print(json.dumps({"model": args.model, "data": "personal" if args.personal else args.dataset,
                          "accuracy": result["accuracy"], "errors": result["errors"],
                          "test_images": len(y), "per_digit_accuracy": result["per_digit_accuracy"],
                          "confusion_matrix": result["confusion_matrix"], "confusion_png": str(confusion_png),
                          "mistakes_png": str(mistakes_png)}))
        return 0
    print(f"model {args.model}: test accuracy {result['accuracy']:.4f} ({result['errors']} errors in {len(y)})")
    print("per digit: " + "  ".join(f"{d}:{a:.3f}" for d, a in enumerate(result["per_digit_accuracy"])))
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("      " + " ".join(f"{j:5d}" for j in range(10)))
    for i, row in enumerate(result["confusion_matrix"]):
        print(f"{i:5d} " + " ".join(f"{v:5d}" for v in row))
    print(f"wrote {confusion_png} and {mistakes_png}")
    return 0


# ---------------------------------------------------------------------------
# Prediction from image files
# ---------------------------------------------------------------------------

def predict_files(model, paths: list[str]) -> list[dict]:
    """One result per path: digit and probabilities, or an error for that file alone."""
    from app.preprocess import ImageError, load_image, to_mnist

    results = []
    for path in paths:
        try:
            prep = to_mnist(load_image(path))
        except ImageError as e:
            results.append({"path": path, "error": str(e)})
            continue
        if prep.empty:
            results.append({"path": path, "error": f"{path}: no digit found (the image is blank)"})
            continue
        proba = model.predict_proba(prep.image)
        results.append({"path": path, "digit": int(proba.argmax()), "probabilities": [round(float(p), 6) for p in proba]})
    return results


def cmd_predict(args) -> int:
    model = load(args.model, args.models_dir)
    results = predict_files(model, args.images)
    for r in results:
        if args.json:
            print(json.dumps(r))
        elif "error" in r:
            print(f"error: {r['error']}", file=sys.stderr)
        else:
            print(f"{r['path']}: {r['digit']} ({max(r['probabilities']):.1%})")
    return 1 if any("error" in r for r in results) else 0


def cmd_list(args) -> int:
    models = list_models(args.models_dir)
    if not models:
        print(f"no models in {args.models_dir}; train one with: python ModelManager.py train")
        return 0
    print(f"{'name':<20} {'architecture':<24} {'accuracy':>9} {'size':>9}  created")
    for m in models:
        acc = f"{m.accuracy:.2%}" if m.accuracy is not None else "-"
        extra = f"  DAMAGED: {m.error}" if m.error else ""
        print(f"{m.name:<20} {m.architecture:<24} {acc:>9} {m.size_bytes / 1e6:>7.1f}MB  {m.created}{extra}")
    return 0


def cmd_delete(args) -> int:
    path = model_path(args.name, args.models_dir)
    if not path.is_dir():
        raise ManagerError(f"no model named {args.name!r} in {args.models_dir}")
    shutil.rmtree(path)
    print(f"deleted {path}")
    return 0


def finetune(base_name: str, new_name: str, models_dir: Path, epochs: int = 4, source: Path | None = None,
             report=None, cancel=None, log=print):
    """Fine-tune a copy of ``base_name`` on the personal drawings; save it as ``new_name`` if the guard passes."""
    import data
    from app.finetune import fine_tune
    from app.personal import PersonalDataset

    model_path(new_name, models_dir)
    base = load(base_name, models_dir)
    images, labels = PersonalDataset().arrays()
    if len(labels) == 0:
        raise ManagerError("no saved drawings yet: draw digits in the app and save them with their digit key")
    mnist = data.load_raw("mnist", source, progress=False)
    result = fine_tune(base, images, labels, mnist, epochs=epochs, report=report, cancel=cancel)
    if result.accepted:
        model = result.model
        model.metadata.update({
            "test_accuracy": round(result.mnist_after, 5),
            "created": time.strftime("%Y-%m-%d %H:%M"), "fine_tuned_from": base_name,
            "personal": {"drawings": int(len(labels)), "held_out": result.held_out,
                         "accuracy_before": result.personal_before, "accuracy_after": result.personal_after},
            "preprocessing_version": PREPROCESSING_VERSION})
        _save_final(model, new_name, models_dir)
    return result


def cmd_finetune(args) -> int:
    result = finetune(args.model, args.name, args.models_dir, args.epochs, args.source,
                      report=None if args.quiet else (lambda f, text: print(f"  {text}")))
    before = "-" if result.personal_before is None else f"{result.personal_before:.0%}"
    after = "-" if result.personal_after is None else f"{result.personal_after:.0%}"
    print(f"your held-out drawings ({result.held_out}): {before} -> {after}; {result.reason}")
    if not result.accepted:
        print(f"not kept: the personal model forgot too much MNIST; {args.model} is unchanged", file=sys.stderr)
        return 1
    print(f"saved as {args.name}")
    return 0


def cmd_personal(args) -> int:
    from app.personal import PersonalDataset, move_personal_dir

    store = PersonalDataset()
    if args.export:
        print(f"exported {store.export(args.export)} drawings to {args.export}")
    elif args.import_file:
        try:
            print(f"imported {store.import_file(args.import_file)} drawings into {store.folder}")
        except ValueError as e:
            raise ManagerError(str(e)) from None
    elif args.move:
        try:
            print(f"moved the personal dataset to {move_personal_dir(args.move)}")
        except ValueError as e:
            raise ManagerError(str(e)) from None
    else:
        counts = store.counts_by_digit()
        print(f"{sum(counts)} drawings in {store.folder}")
        print("per digit: " + "  ".join(f"{d}:{n}" for d, n in enumerate(counts)))
    return 0


def cmd_train(args) -> int:
    try:
        train(args, log=(lambda *a, **k: None) if args.quiet else print)
    except KeyboardInterrupt:
        return 130
    return 0


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

COMMANDS = ("train", "evaluate", "predict", "list", "delete", "finetune", "personal")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Train, evaluate, list and use digit models.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--models-dir", type=Path, default=MODELS_DIR, help=f"where models live (default {MODELS_DIR})")
    sub = p.add_subparsers(dest="command")
    d = TRAIN_DEFAULTS
    t = sub.add_parser("train", parents=[common], help="train a model (the default command)")
    t.add_argument("--name", default=DEFAULT_MODEL, help="model name (default %(default)s)")
    t.add_argument("--layers", default=d["layers"], help="layer sizes, input to output (default %(default)s)")
    t.add_argument("--activation", default=d["activation"], choices=["tanh", "relu", "sigmoid", "leaky_relu"])
    t.add_argument("--loss", default=d["loss"], choices=["categorical_crossentropy", "mse"])
    t.add_argument("--optimizer", default=d["optimizer"], choices=["sgd", "rmsprop", "adam", "adamw"])
    t.add_argument("--lr", type=float, default=d["lr"], help="learning rate (default %(default)s)")
    t.add_argument("--momentum", type=float, default=d["momentum"], help="SGD momentum (default %(default)s)")
    t.add_argument("--schedule", default=d["schedule"], choices=["constant", "cosine", "step", "exponential"])
    t.add_argument("--warmup", type=float, default=d["warmup"], help="warm-up epochs (default %(default)s)")
    t.add_argument("--weight-decay", type=float, default=d["weight_decay"])
    t.add_argument("--epochs", type=int, default=d["epochs"])
    t.add_argument("--batch-size", type=int, default=d["batch_size"])
    t.add_argument("--copies", type=int, default=d["copies"], help="augmented copies of the training set")
    t.add_argument("--validation", type=int, default=d["validation"], help="original images held out for validation")
    t.add_argument("--patience", type=int, default=d["patience"], help="early-stopping patience, 0 = off")
    t.add_argument("--seed", type=int, default=d["seed"])
    t.add_argument("--dataset", default=d["dataset"], choices=["mnist", "fashion"])
    t.add_argument("--source", type=Path, help="a local mnist.npz or IDX folder instead of the download")
    t.add_argument("--augment", type=json.loads, default=d["augment"],
                   help='augmentation parameters as JSON, the others keep data.py\'s defaults '
                        '(default \'{"thickness": 0.3}\', e.g. \'{"rotation": 15, "elastic_alpha": 0}\')')
    t.add_argument("--resume", metavar="NAME", help="continue the interrupted run NAME")
    t.add_argument("--personal", action="store_true", help="also train on your saved drawings")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("evaluate", parents=[common], help="test accuracy, per-digit accuracy, confusion matrix, worst mistakes")
    e.add_argument("--model", default=DEFAULT_MODEL)
    e.add_argument("--dataset", default="mnist", choices=["mnist", "fashion"])
    e.add_argument("--source", type=Path, help="a local mnist.npz or IDX folder")
    e.add_argument("--personal", action="store_true", help="evaluate on your saved drawings instead")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)
    f = sub.add_parser("finetune", parents=[common], help="learn your handwriting: a personal copy of a model")
    f.add_argument("--model", default=DEFAULT_MODEL, help="the base model (left unchanged)")
    f.add_argument("--name", default="personal", help="name of the personal model (default %(default)s)")
    f.add_argument("--epochs", type=int, default=4)
    f.add_argument("--source", type=Path, help="a local mnist.npz for the replay and the guard")
    f.add_argument("--quiet", action="store_true")
    f.set_defaults(func=cmd_finetune)
    q = sub.add_parser("personal", parents=[common], help="your saved drawings: summary, export, import, move")
    q.add_argument("--export", type=Path, metavar="FILE", help="write all drawings to one file")
    q.add_argument("--import", dest="import_file", type=Path, metavar="FILE", help="add the drawings of an exported file")
    q.add_argument("--move", type=Path, metavar="DIR", help="move the dataset to DIR and remember it")
    q.set_defaults(func=cmd_personal)
    r = sub.add_parser("predict", parents=[common], help="classify image files")
    r.add_argument("images", nargs="+")
    r.add_argument("--model", default=DEFAULT_MODEL)
    r.add_argument("--json", action="store_true", help="one JSON object per line")
    r.set_defaults(func=cmd_predict)
    sub.add_parser("list", parents=[common], help="the saved models").set_defaults(func=cmd_list)
    x = sub.add_parser("delete", parents=[common], help="delete a saved model")
    x.add_argument("name")
    x.set_defaults(func=cmd_delete)
    return p


def main(argv: list[str] | None = None) -> int:
    import data
    from network import ModelFileError, TrainingDiverged

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["train", *argv]  # no command means train
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except (ManagerError, ModelFileError, TrainingDiverged, data.DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
