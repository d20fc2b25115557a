"""Hide what only Unix has, in every Python process started with this folder on PYTHONPATH, so the
whole suite runs the way it runs on Windows or macOS (``.ci/run`` runs it once so):

- ``import fcntl`` fails (Windows has no fcntl: file locks fall back),
- ``os.O_NOFOLLOW`` and ``os.posix_fallocate`` are gone (Windows has neither; macOS has no
  posix_fallocate): no-follow opens and space reservation fall back,
- ``/dev/shm`` is not a folder (macOS and Windows have none): shared training files go to the
  temporary folder.

Used as ``PYTHONPATH=tests/without_unix python -m pytest``; helper processes, the window and the
commands the tests start inherit it.
"""
import os
import sys

sys.modules["fcntl"] = None   # "import fcntl" now raises ImportError
for _name in ("O_NOFOLLOW", "posix_fallocate"):
    if hasattr(os, _name):
        delattr(os, _name)

_isdir = os.path.isdir


def _isdir_without_shm(path) -> bool:
    return False if os.fspath(path).rstrip("/") == "/dev/shm" else _isdir(path)


os.path.isdir = _isdir_without_shm
os.environ["DIGITS_WITHOUT_UNIX"] = "1"   # for the tests that check the hook took effect
