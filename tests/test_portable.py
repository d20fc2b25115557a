"""The platform-specific calls' fallbacks (network/portable.py), exercised here with the Unix-only
pieces hidden: no fcntl, no O_NOFOLLOW, no posix_fallocate, no /dev/shm, as on Windows or macOS."""
from __future__ import annotations

import errno
import os

import numpy as np
import pytest
from fixtures import make_arrays

from app.data import mnist_cache
from app.models import model_store
from app.personal import PersonalDataset
from network import portable


@pytest.fixture
def without_unix(monkeypatch, tmp_path):
    monkeypatch.setattr(portable, "fcntl", None)
    monkeypatch.setattr(portable, "NOFOLLOW", 0)
    monkeypatch.delattr(os, "posix_fallocate", raising=False)
    monkeypatch.setattr(portable, "shared_folder", lambda: str(tmp_path / "shm"))
    (tmp_path / "shm").mkdir()
    return tmp_path


def test_no_follow_refuses_a_link_without_o_nofollow(without_unix):
    target = without_unix / "target"
    target.write_text("keep")
    link = without_unix / "link"
    link.symlink_to(target)
    with pytest.raises(OSError) as e:
        portable.open_no_follow(link, os.O_WRONLY)
    assert e.value.errno == errno.ELOOP and target.read_text() == "keep"
    os.close(portable.open_no_follow(without_unix / "new", os.O_WRONLY | os.O_CREAT))


def test_reserve_without_posix_fallocate(without_unix):
    path = without_unix / "big"
    with open(path, "wb") as f:
        portable.reserve(f.fileno(), 1 << 20, without_unix)
    assert path.stat().st_size == 1 << 20
    with open(path, "wb") as f, pytest.raises(OSError) as e:
        portable.reserve(f.fileno(), 1 << 62, without_unix)
    assert e.value.errno == errno.ENOSPC


def test_the_app_works_with_the_unix_pieces_hidden(without_unix):
    with model_store.model_lock("m", without_unix / "models"):
        pass
    store = PersonalDataset(without_unix / "personal")
    store.add(np.zeros((28, 28), np.uint8), 5)
    assert store.arrays()[1].tolist() == [5]
    source = without_unix / "digits.npz"
    np.savez(source, **make_arrays())
    built = mnist_cache.build_cache(source=source, copies=1, cache_dir=without_unix / "cache", progress=False)
    assert len(built.x_train) == 240


def test_a_lock_without_any_os_lock_is_the_owners_tag(without_unix, monkeypatch):
    """With neither fcntl nor msvcrt: held while its owner runs, refused to a second taker, free
    once released or once its owner is gone (a stale tag is not a lock)."""
    monkeypatch.setattr(portable, "msvcrt", None)
    path = without_unix / "m.lock"
    first = portable.open_no_follow(path, os.O_RDWR | os.O_CREAT)
    second = portable.open_no_follow(path, os.O_RDWR | os.O_CREAT)
    try:
        assert portable.try_lock(first) and not portable.try_lock(second)
        with pytest.raises(model_store.ModelStoreError, match="another process"):
            with model_store.model_lock("m", without_unix / "models"):
                with model_store.model_lock("m", without_unix / "models"):
                    pass
        portable.unlock(first)
        assert portable.try_lock(second)
        portable.unlock(second)
        path.write_text("999999999-1")      # left by a process that is gone
        assert portable.try_lock(first)
        portable.unlock(first)
        path.write_text(f"1-{portable_start(1)}")   # held by a process that runs (init)
        assert not portable.try_lock(second)
    finally:
        os.close(first)
        os.close(second)


def portable_start(pid: int) -> int:
    from network.owners import process_start

    return process_start(pid)


def test_the_hidden_run_hides_what_it_says():
    """``PYTHONPATH=tests/without_unix`` (a second run of the whole suite in .ci/run): fcntl,
    O_NOFOLLOW, posix_fallocate and /dev/shm are out of reach for everything the tests start."""
    if not os.environ.get("DIGITS_WITHOUT_UNIX"):
        pytest.skip("the suite runs with the Unix-only pieces: PYTHONPATH=tests/without_unix hides them")
    assert portable.fcntl is None and portable.NOFOLLOW == 0 and not hasattr(os, "posix_fallocate")
    assert portable.shared_folder() != "/dev/shm"
    with pytest.raises(ImportError):
        import fcntl  # noqa: F401
