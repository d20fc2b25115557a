"""What ``fit`` shows while it trains: a progress bar during an epoch, one line after it."""
from __future__ import annotations


def progress_bar(verbose: int, epoch: int, epochs: int, steps: int):
    """A tqdm bar over one epoch's batches when ``verbose`` is 1, else None."""
    if verbose != 1:
        return None
    from tqdm.auto import tqdm  # here, for start-up time: only training shows a bar

    return tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch", leave=False, mininterval=0.2)


def epoch_line(epoch: int, epochs: int, logs: dict) -> str:
    """The line printed after each epoch: its metrics, the learning rate and the time it took."""
    parts = [f"{k} {v:.4f}" for k, v in logs.items() if k not in ("lr", "time")]
    return f"Epoch {epoch + 1}/{epochs}: " + ", ".join(parts) + f", lr {logs['lr']:.3g}, {logs['time']:.1f}s"
