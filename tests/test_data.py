"""data.py: downloads against a real local HTTP server, reading and validating sources, augmentation, the cache, the CLI."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from fixtures import FixtureServer, make_arrays
from scipy import ndimage

import data
from app.data import augment as augmentation
from app.data import mnist_cache, mnist_source
from app.errors import DataError


def write_idx(path: Path, array: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


@pytest.fixture
def npz_source(tmp_path):
    path = tmp_path / "small.npz"
    np.savez(path, **make_arrays())
    return path


@pytest.fixture
def idx_folder(tmp_path):
    folder = tmp_path / "idx"
    folder.mkdir()
    for key, stem in mnist_source.IDX_FILES.items():
        write_idx(folder / (stem + ".gz"), make_arrays()[key], gz=True)
    return folder


@pytest.fixture
def server(npz_source):
    s = FixtureServer({"mnist.npz": npz_source.read_bytes()})
    yield s
    s.close()


def test_download_is_verified_kept_and_never_fetched_twice(server, npz_source, tmp_path):
    sha = hashlib.sha256(npz_source.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    path = mnist_source.fetch_mnist(cache, url=server.url + "mnist.npz", sha256=sha, keras_copy=None, progress=False)
    assert path == cache / "downloads" / "mnist.npz" and path.read_bytes() == npz_source.read_bytes()
    again = mnist_source.fetch_mnist(cache, url=server.url + "mnist.npz", sha256=sha, keras_copy=None, progress=False)
    assert again == path and len(server.requests) == 1


def test_a_hash_mismatch_is_a_clear_error_and_leaves_nothing(server, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match="verification"):
        mnist_source.fetch_mnist(cache, url=server.url + "mnist.npz", sha256="0" * 64, keras_copy=None, progress=False)
    assert not any(p.is_file() for p in cache.rglob("*"))


def test_an_interrupted_transfer_is_a_clear_error_and_leaves_nothing(server, npz_source, tmp_path):
    server.truncate.add("mnist.npz")
    cache = tmp_path / "cache"
    sha = hashlib.sha256(npz_source.read_bytes()).hexdigest()
    with pytest.raises(DataError, match="could not download|verification"):
        mnist_source.fetch_mnist(cache, url=server.url + "mnist.npz", sha256=sha, keras_copy=None, progress=False)
    assert not any(p.is_file() for p in cache.rglob("*"))
    server.truncate.clear()  # and the next try succeeds
    assert mnist_source.fetch_mnist(cache, url=server.url + "mnist.npz", sha256=sha, keras_copy=None, progress=False).is_file()


def test_a_missing_file_on_the_server_is_a_clear_error(server, tmp_path):
    with pytest.raises(DataError, match="could not download"):
        mnist_source.fetch_mnist(tmp_path, url=server.url + "nope.npz", sha256="0" * 64, keras_copy=None, progress=False)


def test_keras_copy_is_used_without_downloading(server, npz_source, tmp_path):
    sha = hashlib.sha256(npz_source.read_bytes()).hexdigest()
    path = mnist_source.fetch_mnist(tmp_path, url=server.url + "mnist.npz", sha256=sha, keras_copy=npz_source, progress=False)
    assert path == npz_source and server.requests == []
    # A Keras copy with other bytes is not trusted: download instead.
    other = tmp_path / "other.npz"
    other.write_bytes(b"not mnist")
    assert mnist_source.fetch_mnist(tmp_path, url=server.url + "mnist.npz", sha256=sha, keras_copy=other, progress=False) != other


def test_fashion_downloads_the_four_idx_files(tmp_path, idx_folder, monkeypatch):
    files = {p.name: p.read_bytes() for p in idx_folder.iterdir()}
    monkeypatch.setattr(mnist_source, "FASHION_MD5", {k: hashlib.md5(v).hexdigest() for k, v in files.items()})
    s = FixtureServer(files)
    try:
        folder = mnist_source.fetch_fashion(tmp_path / "cache", url=s.url, progress=False, local_dir=None)
        assert mnist_source.read_source(folder)["x_train"].shape == (120, 28, 28)
    finally:
        s.close()


# -- reading and validating ------------------------------------------------

def test_npz_and_idx_sources_read_the_same(npz_source, idx_folder, tmp_path):
    a, b = mnist_source.read_source(npz_source), mnist_source.read_source(idx_folder)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    raw = tmp_path / "raw"
    raw.mkdir()
    for key, stem in mnist_source.IDX_FILES.items():
        write_idx(raw / stem, a[key], gz=False)
    np.testing.assert_array_equal(mnist_source.read_source(raw)["x_test"], a["x_test"])


@pytest.mark.parametrize("change,message", [
    (lambda d: d.update(x_train=d["x_train"][:, :20]), r"x_train is uint8 \(120, 20, 28\)"),
    (lambda d: d.update(x_train=d["x_train"].astype(np.float32)), "expected uint8"),
    (lambda d: d.update(y_train=d["y_train"] + 5), "labels from 5 to 14"),
    (lambda d: d.update(y_test=d["y_test"][:10]), "x_test has 30 images but y_test has 10"),
    (lambda d: d.pop("x_test"), "missing arrays"),
])
def test_bad_sources_get_clear_errors(tmp_path, change, message):
    arrays = make_arrays()
    change(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        mnist_source.read_source(path)


def test_bad_idx_files_get_clear_errors(idx_folder, tmp_path):
    stem = mnist_source.IDX_FILES["x_train"] + ".gz"
    raw = gzip.decompress((idx_folder / stem).read_bytes())
    (idx_folder / stem).write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DataError, match="header says"):
        mnist_source.read_source(idx_folder)
    (idx_folder / stem).write_bytes(gzip.compress(b"\x01\x02" + raw[2:]))
    with pytest.raises(DataError, match="magic"):
        mnist_source.read_source(idx_folder)
    (idx_folder / stem).unlink()
    with pytest.raises(DataError, match="missing train-images"):
        mnist_source.read_source(idx_folder)
    with pytest.raises(DataError, match="no such file"):
        mnist_source.read_source(tmp_path / "nowhere")


# -- augmentation ----------------------------------------------------------

def test_resample_matches_scipy_affine_transform():
    x = make_arrays()["x_train"][:4]
    angle, scale, shift = 20.0, 1.1, (1.5, -2.0)
    out = augmentation.resample(x, np.full(4, angle), np.full(4, scale), np.tile(shift, (4, 1)))
    t = np.deg2rad(angle)
    m = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]]) / scale
    c = np.array([13.5, 13.5])
    offset = c - m @ (c + np.array(shift))
    ref = np.stack([ndimage.affine_transform(im.astype(np.float32), m, offset=offset, order=1) for im in x])
    np.testing.assert_allclose(out, ref, atol=0.01)


def test_zero_parameters_give_the_originals_back():
    x = make_arrays()["x_train"]
    params = augmentation.AugmentParams(rotation=0, zoom=0, shift=0, elastic_alpha=0, noise=0)
    np.testing.assert_array_equal(augmentation.augment(x, params, seed=0), x)


def test_a_pure_shift_moves_the_centre_of_mass_by_that_much():
    x = make_arrays()["x_train"][:8]
    out = augmentation.resample(x, np.zeros(8), np.ones(8), np.tile([2.0, -3.0], (8, 1)))
    for a, b in zip(x, out):
        cy, cx = ndimage.center_of_mass(a)
        dy, dx = ndimage.center_of_mass(b)
        assert dy - cy == pytest.approx(2.0, abs=0.05) and dx - cx == pytest.approx(-3.0, abs=0.05)


def test_augmentation_is_reproducible_and_varied():
    x = make_arrays()["x_train"]
    params = augmentation.AugmentParams()
    a, b, c = augmentation.augment(x, params, seed=1), augmentation.augment(x, params, seed=1), augmentation.augment(x, params, seed=2)
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()
    assert a.dtype == np.uint8 and a.shape == x.shape
    # The ink is still there: augmentation moves digits, it does not erase them.
    assert (a.astype(float).sum(axis=(1, 2)) / x.astype(float).sum(axis=(1, 2))).min() > 0.5


def test_bad_parameters_are_refused_with_the_value():
    with pytest.raises(ValueError, match="rotation must be between 0 and 180, got -5"):
        augmentation.AugmentParams(rotation=-5)


# -- the cache -------------------------------------------------------------

def test_cache_is_built_once_and_reused(npz_source, tmp_path):
    cache = tmp_path / "cache"
    d = mnist_cache.build_cache(source=npz_source, copies=2, cache_dir=cache, progress=False)
    assert d.x_train.shape == (360, 28, 28) and d.y_train.shape == (360,) and d.x_train.dtype == np.uint8
    np.testing.assert_array_equal(d.x_train[:120], make_arrays()["x_train"])  # originals first
    np.testing.assert_array_equal(d.y_train[120:240], make_arrays()["y_train"])
    np.testing.assert_array_equal(d.x_test, make_arrays()["x_test"])  # never augmented
    assert d.meta["counts"] == {"originals": 120, "train": 360, "test": 30}
    stamp = (d.path / "x_train.npy").stat().st_mtime_ns
    again = mnist_cache.build_cache(source=npz_source, copies=2, cache_dir=cache, progress=False)
    assert again.path == d.path and (d.path / "x_train.npy").stat().st_mtime_ns == stamp
    other = mnist_cache.build_cache(source=npz_source, copies=2, params=augmentation.AugmentParams(rotation=5),
                                    cache_dir=cache, progress=False)
    assert other.path != d.path
    messages = []   # fewer copies: the first ones of the cache of more (copy c depends on the seed and c alone)
    fewer = mnist_cache.build_cache(source=npz_source, copies=1, cache_dir=cache, progress=False, log=messages.append)
    assert fewer.path == d.path and "the first 1 augmented copy of" in messages[0] and fewer.meta["copies"] == 1
    fresh = mnist_cache.build_cache(source=npz_source, copies=1, cache_dir=tmp_path / "fresh", progress=False)
    np.testing.assert_array_equal(fewer.x_train, fresh.x_train)
    np.testing.assert_array_equal(fewer.y_train, fresh.y_train)
    x = d.float32()
    assert x.dtype == np.float32 and x.max() <= 1.0 and x.min() >= 0.0
    rows = np.array([3, 150, 359])
    np.testing.assert_array_equal(d.float32(rows=rows, chunk=2), x[rows])
    xb, yb = next(d.batches(32))
    assert xb.shape == (32, 28, 28) and xb.dtype == np.float32 and yb.shape == (32,)


@pytest.mark.parametrize("damage", ["truncate", "flip", "meta"])
def test_a_damaged_cache_is_reported_and_rebuilt(npz_source, tmp_path, damage):
    cache = tmp_path / "cache"
    d = mnist_cache.build_cache(source=npz_source, copies=1, cache_dir=cache, progress=False)
    good = np.array(d.x_train)
    target = d.path / "x_train.npy"
    del d
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:5000])
    elif damage == "flip":
        raw = bytearray(target.read_bytes())
        raw[-10] ^= 0xFF
        target.write_bytes(bytes(raw))
    else:
        (target.parent / "meta.json").write_text("{")
    messages = []
    rebuilt = mnist_cache.build_cache(source=npz_source, copies=1, cache_dir=cache, progress=False, log=messages.append)
    assert messages and "damaged" in messages[0]
    np.testing.assert_array_equal(rebuilt.x_train, good)


def test_an_interrupted_build_leaves_no_cache(npz_source, tmp_path, monkeypatch):
    cache = tmp_path / "cache"

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(mnist_cache, "augment", boom)
    with pytest.raises(KeyboardInterrupt):
        mnist_cache.build_cache(source=npz_source, copies=1, cache_dir=cache, progress=False)
    assert [p.name for p in cache.iterdir()] == []   # no cache, no temporary folder (a small source is not kept)


def full_size_source(path):
    """A data set with MNIST's counts (60000 + 10000 images; blank ones, compressed: a small file)."""
    labels = np.arange(70000, dtype=np.uint8) % 10
    np.savez_compressed(path, x_train=np.zeros((60000, 28, 28), np.uint8), y_train=labels[:60000],
                        x_test=np.zeros((10000, 28, 28), np.uint8), y_test=labels[60000:])
    return path


def test_a_source_given_once_is_kept_for_offline_use(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.delenv("DIGITS_MNIST_SOURCE", raising=False)
    full = full_size_source(tmp_path / "full.npz")
    assert mnist_source.source_for("mnist", full, cache) == full
    kept = cache / "downloads" / "mnist-given.npz"
    assert kept.read_bytes() == full.read_bytes()
    full.unlink()   # the original is gone, and there is no network: the kept copy is used
    assert mnist_source.source_for("mnist", None, cache) == kept
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    mnist_source.source_for("mnist", bad, tmp_path / "other")
    assert not (tmp_path / "other" / "downloads" / "mnist-given.npz").exists()   # only valid data is kept


def test_a_small_source_is_used_when_named_and_never_replaces_the_kept_one(npz_source, tmp_path, monkeypatch):
    """evaluate --source small.npz replaced the kept MNIST: a later plain evaluate tested on its 30 images."""
    cache = tmp_path / "cache"
    monkeypatch.delenv("DIGITS_MNIST_SOURCE", raising=False)
    full = full_size_source(tmp_path / "full.npz")
    mnist_source.source_for("mnist", full, cache)
    assert mnist_source.source_for("mnist", npz_source, cache) == npz_source   # named: used
    kept = cache / "downloads" / "mnist-given.npz"
    assert kept.read_bytes() == full.read_bytes()                               # and not kept over the full one
    assert mnist_source.source_for("mnist", None, cache) == kept
    assert mnist_source.source_for("mnist", npz_source, tmp_path / "fresh") == npz_source
    assert not (tmp_path / "fresh" / "downloads" / "mnist-given.npz").exists()  # a part of a data set is never kept


def test_a_failed_download_names_the_offline_way(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITS_MNIST_SOURCE", raising=False)
    monkeypatch.setattr(mnist_source, "KERAS_MNIST", tmp_path / "none.npz")
    monkeypatch.setattr(mnist_source, "MNIST_URL", "http://127.0.0.1:9/mnist.npz")   # nothing listens there
    with pytest.raises(DataError, match="--source or DIGITS_MNIST_SOURCE"):
        mnist_source.source_for("mnist", None, tmp_path / "cache", progress=False)


def test_cli_build_info_preview_and_clear(npz_source, tmp_path, capsys):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "README.md").write_text("keep me")
    assert data.main(["--source", str(npz_source), "--copies", "1", "--cache-dir", str(cache), "--quiet"]) == 0
    assert "240 training images (1 augmented copies)" in capsys.readouterr().out
    assert data.main(["--info", "--cache-dir", str(cache)]) == 0
    info = capsys.readouterr().out
    assert "mnist, 240 train (1 copies), 30 test" in info
    png = tmp_path / "grid.png"
    assert data.main(["--source", str(npz_source), "--cache-dir", str(cache), "--preview-png", str(png), "--quiet"]) == 0
    from PIL import Image

    with Image.open(png) as im:
        assert im.size[0] > 300 and im.size[1] > 200
    assert data.main(["--clear", "--cache-dir", str(cache)]) == 0
    assert [p.name for p in cache.iterdir()] == ["README.md"]
    assert data.main(["--source", str(tmp_path / "missing.npz"), "--cache-dir", str(cache)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_fashion_from_a_local_folder(idx_folder, tmp_path):
    d = mnist_cache.build_cache("fashion", source=idx_folder, copies=1, cache_dir=tmp_path / "c", progress=False)
    assert d.meta["dataset"] == "fashion" and d.path.name.startswith("fashion-")


def test_real_mnist_cache(mnist, tmp_path):
    d = mnist_cache.build_cache(source=Path(os.environ["MNIST_NPZ"]), copies=1, cache_dir=tmp_path, progress=False)
    assert d.x_train.shape == (120000, 28, 28)
    np.testing.assert_array_equal(d.y_train[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    assert abs(float(d.x_train[:60000].mean()) - 33.3184) < 1e-3
    # Augmented digits keep roughly their ink and stay centred.
    aug = d.x_train[60000:61000].astype(np.float32)
    cy, cx = ndimage.center_of_mass(aug.sum(axis=0))
    assert abs(cy - 14) < 1.5 and abs(cx - 14) < 1.5
    json.dumps(d.meta)


def test_visualiser_window_renders_and_follows_the_sliders(display):
    import tkinter as tk

    from app.gui.augment_viewer import AugmentViewer

    arrays = make_arrays()
    root = tk.Tk()
    try:
        viewer = AugmentViewer(root, arrays["x_train"], arrays["y_train"])
        root.update()
        first = viewer.photo
        assert first.width() > 300 and viewer.top.title().startswith("Augmentation preview")
        viewer.vars["rotation"].set(40)
        viewer.schedule_render()
        deadline = time.monotonic() + 3
        while viewer.photo is first and time.monotonic() < deadline:
            root.update()
            time.sleep(0.01)
        assert viewer.photo is not first
        viewer.reshuffle()
        assert viewer.status.cget("text") == "sample set 2"
    finally:
        root.destroy()


def test_thickness_variation_thickens_some_and_thins_others():
    x = make_arrays()["x_train"].astype(np.uint8)
    x = ndimage.grey_dilation(x, size=(1, 2, 2))  # strokes 2-3 pixels wide, like MNIST
    out = augmentation.vary_thickness(x, 1.0, np.random.default_rng(0))
    ink_before, ink_after = x.sum(axis=(1, 2)).astype(float), out.sum(axis=(1, 2)).astype(float)
    assert (ink_after > ink_before).sum() > 20 and (ink_after < ink_before).sum() > 20
    assert (ink_after > 0).all()  # thinning never erases a digit
    np.testing.assert_array_equal(augmentation.vary_thickness(x, 0.0, np.random.default_rng(0)), x)
