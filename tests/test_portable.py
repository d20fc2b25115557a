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
