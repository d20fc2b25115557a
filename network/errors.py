"""The library's own exceptions, so callers can tell a bad file from a bug."""


class ModelFileError(Exception):
    """A saved model is missing, truncated, tampered with or does not match its description."""

    def __init__(self, path, problem: str) -> None:
        self.path, self.problem = str(path), problem
        super().__init__(f"{path}: {problem}")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: training stopped instead of running on garbage."""


class ParallelTrainingError(RuntimeError):
    """Training shared among processes could not start or a helper process failed (network/parallel.py)."""
