"""The one base class of the application's own errors.

Every error that a user can cause (a bad file, a bad setting, a missing model) derives from
``AppError`` and carries a one-line message; the commands print it as ``error: ...`` and exit
with a non-zero status instead of showing a traceback.
"""
from __future__ import annotations


class AppError(Exception):
    """A problem the user can act on, explained in one line."""


class DataError(AppError):
    """A data file or cache that cannot be used, with the reason."""
