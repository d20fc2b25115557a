"""Training a digit model: the recipe (``train``), with the settings in ``app/models/train_config.py``
and the data in ``app/models/run_data.py``.

The recipe: the data of the run; SGD with momentum and a cosine schedule; early stopping on the
MNIST validation accuracy; a checkpoint after every epoch and every few minutes, and on Ctrl-C; the
finished model swapped in only at the end, and only if it learned something; for a model with a
not-a-digit output, its threshold chosen on the validation digits (``app/models/rejection.py``).
"""
from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import numpy as np

from app.errors import AppError
from app.models import rejection
from app.models.model_store import CHECKPOINTS, ModelStoreError, exists, model_lock, model_path, own_folder, save_final
from app.models.plots import save_learning_curves
from app.models.run_data import RunData, prepare_data
from app.models.train_config import CHOICES, PREPROCESSING_VERSION, ConfigError, TrainConfig
from app.paths import CACHE_DIR, MODELS_DIR
from app.words import command, duration, plural

__all__ = ["CHOICES", "PREPROCESSING_VERSION", "ConfigError", "TrainConfig", "TrainingFailed", "TrainingInterrupted",
           "build_model", "train"]
CHANCE_MARGIN = 0.2          # a model under 20 % on ten classes has learned (almost) nothing: not saved
CHECKPOINT_EVERY_S = 180.0   # a checkpoint at least this often, inside long epochs too
POLISH_LR = 0.005            # the polish: a tenth of the main learning rate, as fine-tuning uses


def build_model(config: TrainConfig):
    from network import Dense, Dropout, Flatten, Sequential

    sizes = config.layer_sizes()
    model = Sequential([Flatten(input_shape=(28, 28))], seed=config.seed, name="digits")
    for units in sizes[1:-1]:
        model.add(Dense(units, config.activation))
        if config.dropout:
            model.add(Dropout(config.dropout))
    model.add(Dense(config.outputs, "softmax"))
    model.build()
    model.compile(loss=config.loss, optimizer=config.optimizer_spec(), lr_schedule=config.schedule_spec())
    return model


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

class TrainingFailed(AppError):
    """Training ended without a model worth keeping (nothing was saved)."""


class TrainingInterrupted(AppError):
    """Ctrl-C during training: what was learned is in a checkpoint, and the message says how to go on."""


def checkpoint_path(name: str, models_dir: Path = MODELS_DIR) -> Path:
    """Where the interrupted run ``name`` keeps its checkpoint: never through a symbolic link (the
    checkpoint is written there and deleted at the end; through a link that would be elsewhere)."""
    path = own_folder(models_dir, CHECKPOINTS) / model_path(name, models_dir).name
    if path.is_symlink():
        raise ModelStoreError(f"{path} is a symbolic link; remove it (checkpoints are written and deleted there)")
    return path


def resume_config(name: str, models_dir: Path = MODELS_DIR):
    """The interrupted run ``name``: its checkpointed model and its settings."""
    from network import ModelFileError, load_model

    checkpoint = checkpoint_path(name, models_dir)
    if not (checkpoint / "model.json").exists():
        raise ModelStoreError(f"no interrupted run named {name!r} to resume (looked in {checkpoint})")
    try:
        model = load_model(checkpoint)
        config = TrainConfig.from_json(model.metadata.get("train_args"))
        # The run is the one asked for: a checkpoint folder renamed (rr -> rr-keep) finishes as
        # rr-keep, under the lock taken for that name, never as the name written inside it.
        return model, dataclasses.replace(config, name=name)
    except (ModelFileError, ConfigError, TypeError) as e:
        raise ModelStoreError(f"the checkpoint of {name!r} cannot be resumed ({e}); delete {checkpoint} "
                              "and train again") from None


def train(config: TrainConfig, models_dir: Path = MODELS_DIR, overwrite: bool = False, resume: bool = False,
          quiet: bool = False, log=print, cache_dir: Path = CACHE_DIR) -> Path:
    """Train as ``config`` says (or continue the interrupted run of that name); returns the saved model."""
    from network import EarlyStopping, ExtraValidation, ModelCheckpoint

    models_dir = Path(models_dir)
    with model_lock(config.name, models_dir):
        if resume:
            model, config = resume_config(config.name, models_dir)
            overwrite = overwrite or bool(model.metadata.get("overwrite"))
            log(f"resuming {config.name!r} after epoch {len(model.history.get('loss', []))} of {config.epochs}")
        else:
            model = build_model(config)
        if exists(config.name, models_dir) and not overwrite:   # said now, not after hours of training
            raise ModelStoreError(f"a model named {config.name!r} exists already; choose another --name or "
                                  "replace it with --overwrite")
        prepared = time.perf_counter()
        run = prepare_data(config, cache_dir, progress=not quiet, log=log)
        run.metadata["data_seconds"] = round(time.perf_counter() - prepared, 1)
        model.metadata.update(run.metadata)
        model.metadata.update({"train_args": config.to_json(), "overwrite": overwrite})
        model.summary(print_fn=None if quiet else log)
        checkpoint = checkpoint_path(config.name, models_dir)
        callbacks = [ExtraValidation("pen", *run.pen_validation)] if run.pen_validation else []
        if run.negative_validation:   # val_letters_accuracy: the share of held-out letters answered "not a digit"
            callbacks.append(ExtraValidation("letters", *run.negative_validation))
        if run.validation is not None and config.patience:
            callbacks.append(EarlyStopping(monitor="val_accuracy", patience=config.patience, restore_best_weights=True))
        callbacks.append(ModelCheckpoint(checkpoint, every_seconds=CHECKPOINT_EVERY_S))
        seconds = _fit(model, config, run, callbacks, checkpoint, quiet, log)
        seconds += _polish(model, config, run, checkpoint, log)
        return _finish(model, config, run, seconds, models_dir, overwrite, checkpoint, log)


def _fit(model, config: TrainConfig, run: RunData, callbacks, checkpoint: Path, quiet: bool, log) -> float:
    started = time.perf_counter()
    previous = float(model.metadata.get("training_seconds", 0.0))
    try:
        model.fit(run.x, run.y, epochs=config.epochs, batch_size=config.batch_size, validation_data=run.validation,
                  callbacks=callbacks, verbose=0 if quiet else 1, initial_epoch=len(model.history.get("loss", [])),
                  workers=config.workers)
    except KeyboardInterrupt:   # Ctrl-C: keep what was learned so far, and say how to go on
        model.metadata["training_seconds"] = previous + time.perf_counter() - started
        model.save(checkpoint)
        epochs = len(model.history.get("loss", []))
        raise TrainingInterrupted(f"interrupted: checkpoint saved after {plural(epochs, 'epoch')} in {checkpoint}; "
                                  f"continue with: {command('ModelManager.py train --resume ' + config.name)}") from None
    return previous + time.perf_counter() - started


def _polish(model, config: TrainConfig, run: RunData, checkpoint: Path, log) -> float:
    """A few last epochs on the plain pictures alone (MNIST's originals, the pen digits and the
    negatives drawn plainly) at a low learning rate: the augmented copies taught the shapes, this
    settles the network on pictures as they come (MNIST test 99.15 -> 99.35 % for the default; see
    docs/default-model.md). Its losses go to the metadata; the history stays the main run's."""
    if not config.polish_epochs or run.plain_rows is None or not len(run.plain_rows):
        return 0.0
    from network import SGD

    started = time.perf_counter()
    history = model.history
    model.compile(loss=config.loss, optimizer=SGD(POLISH_LR, momentum=config.momentum))
    model.history = {}
    try:
        model.fit(run.x[run.plain_rows], run.y[run.plain_rows], epochs=config.polish_epochs,
                  batch_size=config.batch_size, verbose=0, workers=config.workers)
    except KeyboardInterrupt:   # the main epochs are kept: a resume polishes again from them
        model.history = history
        raise TrainingInterrupted(f"interrupted while polishing; the checkpoint in {checkpoint} has every main epoch; "
                                  f"continue with: {command('ModelManager.py train --resume ' + config.name)}") from None
    polish = {"epochs": config.polish_epochs, "lr": POLISH_LR, "images": int(len(run.plain_rows)),
              "loss": [round(float(v), 5) for v in model.history.get("loss", [])]}
    model.history = history
    model.metadata["polish"] = polish
    log(f"polished on {len(run.plain_rows):,} plain pictures for {plural(config.polish_epochs, 'epoch')} "
        f"(lr {POLISH_LR:g}): loss {polish['loss'][-1] if polish['loss'] else float('nan'):.4f}")
    return time.perf_counter() - started


def _rejection_figures(model, run: RunData) -> dict:
    """The not-a-digit threshold, chosen on the validation digits, and what it does on each set."""
    digits = {"mnist validation": rejection.scores(model, run.validation[0]) if run.validation else np.zeros(0)}
    if run.pen_validation is not None:
        digits["pen validation"] = rejection.scores(model, run.pen_validation[0])
    threshold = rejection.choose_threshold(digits)
    unsure = rejection.choose_unsure(digits, threshold)
    others = {"letters validation": rejection.scores(model, run.negative_validation[0])} if run.negative_validation else {}
    others["mnist test (reported, not chosen on)"] = rejection.scores(model, run.test[0])
    figures = rejection.tradeoff(digits, others, (threshold,))[0]
    band = rejection.tradeoff(digits, others, (unsure,))[0]
    return {"threshold": threshold, "unsure": unsure, "chosen_on": "validation digits: at most "
            f"{rejection.MAX_DIGITS_REJECTED:.1%} of each set rejected, at most {rejection.MAX_DIGITS_FLAGGED:.0%} "
            "rejected or not sure",
            **{k: round(v, 5) for k, v in figures.items() if k != "threshold"},
            **{k.replace(" rejected", " rejected or not sure"): round(v, 5) for k, v in band.items() if k != "threshold"}}


def _finish(model, config: TrainConfig, run: RunData, seconds: float, models_dir: Path, overwrite: bool,
            checkpoint: Path, log) -> Path:
    result = model.evaluate(*run.test)
    result["accuracy"] = rejection.digit_accuracy(model, *run.test)   # over the ten digits, with or without an 11th output
    if result["accuracy"] < CHANCE_MARGIN:
        raise TrainingFailed(f"the model reached only {result['accuracy']:.1%} on the test set (chance is 10 %): "
                             f"not saved; try a smaller --lr (it was {config.lr:g}) or more --epochs")
    if run.pen_validation is not None:
        model.metadata["pen"]["validation_accuracy"] = round(rejection.digit_accuracy(model, *run.pen_validation), 5)
    if config.outputs == 11:
        model.metadata["reject"] = _rejection_figures(model, run)
    model.metadata.pop("overwrite", None)
    model.metadata.update({
        "test_accuracy": round(result["accuracy"], 5), "test_loss": round(result["loss"], 5),
        "training_seconds": round(seconds, 1), "preprocessing_version": PREPROCESSING_VERSION,
        "created": time.strftime("%Y-%m-%d %H:%M"), "dataset": config.dataset,
    })
    path = save_final(model, config.name, models_dir, overwrite=overwrite,
                      extra=lambda folder: save_learning_curves(model.history, folder / "curves.png", title=config.name))
    shutil.rmtree(checkpoint, ignore_errors=True)
    pen = model.metadata.get("pen", {})
    pen_figure = f", held-out pen digits {pen['validation_accuracy']:.4f}" if "validation_accuracy" in pen else ""
    reject = model.metadata.get("reject", {})
    reject_figure = (f", held-out letters answered not a digit {reject['letters validation rejected']:.4f}"
                     if "letters validation rejected" in reject else "")
    log(f"{config.dataset} test accuracy {result['accuracy']:.4f}{pen_figure}{reject_figure}; "
        f"data {duration(run.metadata.get('data_seconds', 0.0))}, training {duration(seconds)}; saved {path}")
    return path
