"""Learning-rate schedules: functions of the (fractional) epoch, called before every step.

``fit`` passes ``epoch + batch / batches_per_epoch``, so warm-up and cosine decay
are smooth within an epoch while step decay still changes at epoch boundaries.
"""
from __future__ import annotations

import math

from .registry import from_spec


class Schedule:
    name = "schedule"

    def __call__(self, epoch: float) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name, **{k: v for k, v in vars(self).items()}}


class Constant(Schedule):
    name = "constant"

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = float(learning_rate)

    def __call__(self, epoch):
        return self.learning_rate


class StepDecay(Schedule):
    """lr * drop ** floor(epoch / every)."""

    name = "step"

    def __init__(self, learning_rate: float, drop: float = 0.5, every: int = 10) -> None:
        self.learning_rate, self.drop, self.every = float(learning_rate), float(drop), int(every)

    def __call__(self, epoch):
        return self.learning_rate * self.drop ** math.floor(epoch / self.every)


class ExponentialDecay(Schedule):
    """lr * rate ** epoch (continuous)."""

    name = "exponential"

    def __init__(self, learning_rate: float, rate: float = 0.95) -> None:
        self.learning_rate, self.rate = float(learning_rate), float(rate)

    def __call__(self, epoch):
        return self.learning_rate * self.rate**epoch


class CosineDecay(Schedule):
    """Half a cosine from lr down to min_lr over ``epochs``, then min_lr."""

    name = "cosine"

    def __init__(self, learning_rate: float, epochs: int, min_learning_rate: float = 0.0) -> None:
        self.learning_rate, self.epochs, self.min_learning_rate = float(learning_rate), int(epochs), float(min_learning_rate)

    def __call__(self, epoch):
        t = min(epoch / self.epochs, 1.0)
        return self.min_learning_rate + 0.5 * (self.learning_rate - self.min_learning_rate) * (1 + math.cos(math.pi * t))


class WarmUp(Schedule):
    """Linear ramp from 0 to ``schedule(warmup_epochs)`` over the first epochs, then ``schedule``."""

    name = "warmup"

    def __init__(self, schedule: Schedule | dict, warmup_epochs: float = 1.0) -> None:
        self.schedule = get_schedule(schedule)
        self.warmup_epochs = float(warmup_epochs)

    def __call__(self, epoch):
        if epoch < self.warmup_epochs:
            return self.schedule(self.warmup_epochs) * (epoch + 1e-3) / self.warmup_epochs
        return self.schedule(epoch)

    def get_config(self):
        return {"name": self.name, "schedule": self.schedule.get_config(), "warmup_epochs": self.warmup_epochs}


SCHEDULES: dict[str, type[Schedule]] = {cls.name: cls for cls in (Constant, StepDecay, ExponentialDecay, CosineDecay, WarmUp)}


def get_schedule(spec: Schedule | dict) -> Schedule:
    """A Schedule instance, or its config such as ``{"name": "cosine", "learning_rate": 0.1, "epochs": 20}``."""
    return from_spec("learning-rate schedule", SCHEDULES, spec, Schedule)
