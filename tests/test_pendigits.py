"""Pen digits: the UNIPEN parser, rendering through the window's own path, the verified download,
the cache, the trainer's mixing, and (on real data) that the pen digits make a difference."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
from fixtures import FixtureServer, make_arrays, make_unipen

import ModelManager as mm
from app.errors import DataError
from app.pen import pen_data, pendigits
from app.pen.styles import styled_digits
from app.reading.predictor import prepare_drawing
from app.reading.strokes import Drawing

SNIPPET = """.INCLUDE dene.doc
.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"

.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 12  224
.PEN_DOWN
 100  400
 300  400
 200  100
.PEN_UP
.PEN_DOWN
 150  250
 250  250
.PEN_UP
.DT 100

.SEGMENT DIGIT    1 ? "1"
.COMMENT some free text
.PEN_DOWN
 200  400
 200  100
.PEN_UP
"""


# -- the parser -----------------------------------------------------------

def test_parser_reads_labels_writers_and_strokes_with_y_flipped():
    digits = pendigits.parse_unipen(SNIPPET)
    assert [d.label for d in digits] == [7, 1]
    assert digits[0].writer == 12 and digits[1].writer is None   # a free-text comment names no writer
    assert len(digits[0].strokes) == 2 and digits[0].strokes[0].shape == (3, 2)
    # y grows upwards on the tablet, downwards on the screen: the top bar of the 7 is the smallest y
    top_bar = digits[0].strokes[0]
    assert top_bar[0, 1] == top_bar[1, 1] == -400 and top_bar[2, 1] == -100
    labels, writers = pendigits.as_arrays(digits)
    assert labels.tolist() == [7, 1] and writers.tolist() == [12, -1]


@pytest.mark.parametrize("text, message", [
    ("", "no .SEGMENT"),
    (".INCLUDE x\n.LEXICON \"1\"\n", "no .SEGMENT"),
    ('.SEGMENT DIGIT 0 ? "7"\n.PEN_DOWN\n 1 2\n 3 4\n', "pen down .*truncated"),
    ('.SEGMENT DIGIT 0 ? "7"\n.DT 100\n', "no pen-down strokes"),
    ('.SEGMENT DIGIT 0 ? "x"\n.PEN_DOWN\n 1 2\n.PEN_UP\n', "not a digit"),
    ('.SEGMENT DIGIT 0 ? "12"\n.PEN_DOWN\n 1 2\n.PEN_UP\n', "not a digit"),
    ('.SEGMENT DIGIT 0 ?\n.PEN_DOWN\n 1 2\n.PEN_UP\n', "without a quoted label"),
    ('.SEGMENT DIGIT 0 ? "7"\n.PEN_DOWN\n 1 2\n 1e9 5\n.PEN_UP\n', "line 4: coordinates .* out of range"),
    ('.SEGMENT DIGIT 0 ? "7"\n.PEN_DOWN\n nan 5\n.PEN_UP\n', "out of range"),
    ('.SEGMENT DIGIT 0 ? "7"\n.PEN_DOWN\n 1 two\n.PEN_UP\n', "line 3: expected a point"),
    ('.SEGMENT DIGIT 0 ? "7"\n.PEN_DOWN\n 1\n.PEN_UP\n', "expected a point"),
    ('.PEN_DOWN\n 1 2\n.PEN_UP\n', "before any .SEGMENT"),
    ('.SEGMENT DIGIT 0 ? "7"\n.PEN_UP\n', "without .PEN_DOWN"),
    ('.SEGMENT DIGIT 0 ? "7"\n.PEN_DOWN\n.PEN_DOWN\n', "already down"),
])
def test_parser_rejects_bad_files_with_one_line(text, message):
    with pytest.raises(DataError, match=message) as e:
        pendigits.parse_unipen(text, origin="bad.unipen")
    assert "\n" not in str(e.value) and str(e.value).startswith("bad.unipen")


def test_reading_bad_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        pendigits.read_unipen(tmp_path / "missing.unipen")
    binary = tmp_path / "binary.unipen"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    with pytest.raises(DataError, match="binary"):
        pendigits.read_unipen(binary)
    with pytest.raises(DataError, match="not a regular file"):
        pendigits.read_unipen(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):   # and no hang waiting for a writer
        pendigits.read_unipen(fifo)
    huge = tmp_path / "huge.unipen"
    with open(huge, "wb") as f:
        f.truncate(pendigits.MAX_FILE_BYTES + 1)   # sparse: costs no disk
    with pytest.raises(DataError, match="too large"):
        pendigits.read_unipen(huge)
    many = '.SEGMENT DIGIT 0 ? "1"\n.PEN_DOWN\n' + " 1 2\n" * (pendigits.MAX_POINTS_PER_DIGIT + 1) + ".PEN_UP\n"
    with pytest.raises(DataError, match="points in one digit"):
        pendigits.parse_unipen(many)


def test_real_file_has_the_documented_counts(pendigits_file):
    digits = pendigits.read_unipen(pendigits_file)
    labels, writers = pendigits.as_arrays(digits)
    assert len(digits) == 7494
    assert np.bincount(labels).tolist() == [780, 779, 780, 719, 780, 720, 720, 778, 719, 719]
    assert sorted(np.unique(writers).tolist()) == list(range(1, 31))


# -- rendering ---------------------------------------------------------------

def test_rendering_is_what_the_window_makes_of_the_same_strokes():
    digit = pendigits.parse_unipen(SNIPPET)[0]
    strokes = pendigits.place(digit, None)
    # Replay the strokes as the canvas does, event by event: press, then motion.
    canvas = Drawing()
    for stroke in strokes:
        canvas.begin(*stroke.points[0], width=stroke.width)
        for x, y in stroke.points[1:]:
            canvas.extend(x, y)
    expected = np.round(prepare_drawing(canvas).image * 255).astype(np.uint8)
    rendered = pendigits.render(digit)
    assert rendered.shape == (28, 28) and rendered.dtype == np.uint8
    np.testing.assert_array_equal(rendered, expected)


def test_plain_rendering_is_an_mnist_style_digit():
    seven = pendigits.render(pendigits.parse_unipen(SNIPPET)[0])
    rows, cols = np.nonzero(seven)
    assert rows.max() - rows.min() + 1 == 20               # the longer side fitted to 20 pixels
    assert abs(np.average(np.arange(28), weights=seven.sum(axis=1)) - 14) < 1   # centred by mass
    assert seven[:rows.min() + 3].sum() > seven[rows.max() - 3:].sum()          # the bar is at the top


def test_augmented_renderings_differ_and_stay_inside_the_canvas():
    digit = pendigits.parse_unipen(SNIPPET)[0]
    params = pendigits.PenAugment()
    for seed in range(20):
        strokes = pendigits.place(digit, np.random.default_rng(seed), params)
        points = np.concatenate([s.points for s in strokes])
        width = strokes[0].width
        assert params.brush[0] <= width <= params.brush[1] and width <= params.max_brush_ratio * params.size[1]
        assert points.min() >= width / 2 and points.max() <= 280 - width / 2
    renders = [pendigits.render(digit, np.random.default_rng(seed)) for seed in range(5)]
    assert all(not np.array_equal(renders[0], r) for r in renders[1:])
    assert all(r.max() > 200 for r in renders)


def test_smooth_passes_through_the_points():
    points = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    curve = pendigits.smooth(points, steps=4)
    assert len(curve) == 3 * 4 + 1
    np.testing.assert_allclose(curve[::4], points)
    np.testing.assert_array_equal(pendigits.smooth(points[:2]), points[:2])  # a line stays a line


def test_augment_settings_are_validated():
    with pytest.raises(ValueError, match="rotation must be between 0 and 45, got 90"):
        pendigits.PenAugment(rotation=90)
    with pytest.raises(ValueError, match="brush"):
        pendigits.PenAugment(brush=(40, 10))


def test_renderings_do_not_depend_on_the_number_of_workers():
    digits = pendigits.parse_unipen(make_unipen(writers=2, per_digit=3))
    one = pen_data.render_copies(digits, 2, seed=3, params=pendigits.PenAugment(), workers=1)
    two = pen_data.render_copies(digits, 2, seed=3, params=pendigits.PenAugment(), workers=2)
    np.testing.assert_array_equal(one, two)
    n = len(digits)
    assert one.shape == (3 * n, 28, 28)
    assert not np.array_equal(one[:n], one[n:2 * n])   # copies differ from the plain renderings


# -- the cache and the split -------------------------------------------------

@pytest.fixture
def unipen_file(tmp_path):
    path = tmp_path / "pens.unipen"
    path.write_text(make_unipen(writers=5, per_digit=2))
    return path


def test_cache_is_built_reused_and_rebuilt_when_damaged(unipen_file, tmp_path):
    cache = tmp_path / "cache"
    first = pen_data.build_pen_cache(unipen_file, copies=2, cache_dir=cache, progress=False, workers=1)
    n = 5 * 3 * 2
    items = first.digits   # the writers' digits, then the styled ones made from them (app/pen/styles.py)
    assert first.meta["counts"]["originals"] == n and n < items < 2 * n
    assert first.x.shape == (3 * items, 28, 28) and len(first.y) == len(first.writers) == 3 * items
    assert first.meta["counts"]["writers"] == 5 and first.path.name.startswith("pendigits-")
    again = pen_data.build_pen_cache(unipen_file, copies=2, cache_dir=cache, progress=False, workers=1)
    assert again.path == first.path and again.meta["created"] == first.meta["created"]
    other = pen_data.build_pen_cache(unipen_file, copies=1, cache_dir=cache, progress=False, workers=1,
                                     params=pendigits.PenAugment(rotation=5.0))
    assert other.path != first.path   # other settings, another cache
    messages = []
    fewer = pen_data.build_pen_cache(unipen_file, copies=1, cache_dir=cache, progress=False, workers=1,
                                     log=messages.append)
    assert fewer.path == first.path and "the first 1 copy of" in messages[0]   # fewer copies: taken from the cache of more
    fresh = pen_data.build_pen_cache(unipen_file, copies=1, cache_dir=tmp_path / "fresh", progress=False, workers=1)
    np.testing.assert_array_equal(fewer.x, fresh.x)
    np.testing.assert_array_equal(fewer.writers, fresh.writers)
    assert [a.tolist() for a in fewer.split(2, 0)[:2]] == [a.tolist() for a in fresh.split(2, 0)[:2]]
    # a flipped byte is found and the cache rebuilt with the same content
    path = first.path / "x.npy"
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    messages = []
    rebuilt = pen_data.build_pen_cache(unipen_file, copies=2, cache_dir=cache, progress=False, workers=1,
                                       log=messages.append)
    assert "damaged" in messages[0] and "SHA-256" in messages[0]
    digits = pendigits.read_unipen(unipen_file)
    np.testing.assert_array_equal(rebuilt.x, pen_data.render_copies(
        digits + styled_digits(digits, 0), 2, 0, pendigits.PenAugment(), workers=1))
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]   # no temporary folder left


def test_split_holds_out_whole_writers(unipen_file, tmp_path):
    d = pen_data.build_pen_cache(unipen_file, copies=2, cache_dir=tmp_path / "cache", progress=False, workers=1)
    train, val, held = d.split(held_writers=2, seed=0)
    writers = np.asarray(d.writers)
    assert len(held) == 2 and set(writers[val]) == set(held)
    assert not set(writers[train]) & set(held)               # no copy of a held-out writer is trained on
    assert val.max() < d.meta["counts"]["originals"]          # the plain renderings of the writers' own digits
    held_items = np.isin(writers[:d.digits], held).sum()      # theirs, and the styles made from them
    assert len(train) + 3 * held_items == len(d.x)
    with pytest.raises(DataError, match="only 5"):
        d.split(held_writers=5, seed=0)
    train, val, held = pen_data.split_by_writer(np.full(20, -1), 1, 2, 0)   # no writer information
    assert held == [] and val.tolist() == [0, 10] and len(train) == 36


# -- the download ------------------------------------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in members.items():
            z.writestr(name, body)
    return buf.getvalue()


def test_download_extracts_and_verifies_the_training_file(unipen_file, tmp_path):
    text = unipen_file.read_bytes()
    sha = hashlib.sha256(text).hexdigest()
    server = FixtureServer({"good.zip": _zip({"pendigits.names": b"x", "pendigits-orig.tra": text}),
                            "tampered.zip": _zip({"pendigits-orig.tra": text + b"\n"}),
                            "other.zip": _zip({"readme.txt": b"x"}),
                            "notzip.zip": b"<html>not found</html>"})
    try:
        cache = tmp_path / "cache"
        path = pen_data.fetch_pendigits(cache, server.url + "good.zip", progress=False, expected_sha256=sha)
        assert path.read_bytes() == text and path.parent == cache / "downloads"
        for name, message in (("tampered.zip", "cannot be verified.*--source"), ("other.zip", "has no pendigits-orig"),
                              ("notzip.zip", "not a readable zip"), ("missing.zip", "could not download.*--source")):
            (cache / "downloads" / "pendigits-uci.zip").unlink(missing_ok=True)
            with pytest.raises(DataError, match=message):
                pen_data.fetch_pendigits(cache, server.url + name, progress=False, expected_sha256=sha)
            assert not (cache / "downloads" / "pendigits-uci.zip").exists()   # a bad archive is not kept
    finally:
        server.close()


@pytest.mark.skipif(not shutil.which("compress"), reason="needs compress (apt-get install ncompress)")
def test_download_reads_the_unix_compressed_member(unipen_file, tmp_path):
    text = unipen_file.read_bytes()
    compressed = subprocess.run(["compress", "-c"], input=text, capture_output=True, check=True).stdout
    server = FixtureServer({"uci.zip": _zip({"pendigits-orig.tra.Z": compressed})})
    try:
        path = pen_data.fetch_pendigits(tmp_path, server.url + "uci.zip", progress=False,
                                        expected_sha256=hashlib.sha256(text).hexdigest())
        assert path.read_bytes() == text
    finally:
        server.close()


def test_source_setting_and_missing_source(unipen_file, tmp_path, monkeypatch):
    monkeypatch.setenv(pen_data.SOURCE_ENV, str(unipen_file))
    assert pen_data.pen_source(None, tmp_path) == unipen_file
    with pytest.raises(DataError, match="no such file"):
        pen_data.pen_source(tmp_path / "nope.unipen", tmp_path)


# -- the trainer and the evaluation -------------------------------------------

def test_train_mixes_pen_digits_and_evaluates_them_separately(unipen_file, tmp_path, capsys):
    source = tmp_path / "digits.npz"
    np.savez(source, **make_arrays(n_train=300, n_test=60))
    models = tmp_path / "models"
    code = mm.main(["train", "--name", "pens", "--layers", "784,32,10", "--epochs", "2", "--copies", "1",
                    "--validation", "50", "--source", str(source), "--pen-source", str(unipen_file),
                    "--pen-copies", "2", "--pen-validation-writers", "1", "--no-negatives", "--models-dir", str(models),
                    "--quiet"])
    assert code == 0
    meta = json.loads((models / "pens" / "model.json").read_text())["metadata"]
    pen = meta["pen"]
    assert pen["copies"] == 2 and len(pen["held_out_writers"]) == 1 and pen["validation_images"] == 6
    # the other 4 writers' 6 digits, and the styles made from them, in 3 renderings each
    assert pen["train_images"] % 3 == 0 and 4 * 6 * 3 < pen["train_images"] < 2 * 4 * 6 * 3
    assert meta["data"]["train_images"] == (300 - 50) * 2 + pen["train_images"]
    assert 0 <= pen["validation_accuracy"] <= 1 and meta["train_args"]["pen_copies"] == 2
    capsys.readouterr()
    code = mm.main(["evaluate", "--model", "pens", "--source", str(source), "--pen-source", str(unipen_file),
                    "--models-dir", str(models), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and set(result["datasets"]) == {"mnist", "pendigits"}
    assert result["data"] == "mnist" and result["test_images"] == 60
    pens = result["datasets"]["pendigits"]
    assert pens["test_images"] == 6 and "held-out writers" in pens["evaluated_on"]
    assert pens["accuracy"] == pytest.approx(pen["validation_accuracy"], abs=1e-6)
    assert os.path.exists(pens["confusion_png"]) and pens["confusion_png"].endswith("confusion-pendigits.png")
    # a file the model never saw is evaluated whole
    other = tmp_path / "other.unipen"
    other.write_text(make_unipen(writers=2, per_digit=1, seed=7))
    code = mm.main(["evaluate", "--model", "pens", "--dataset", "pendigits", "--source", str(other),
                    "--models-dir", str(models), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["test_images"] == 6 and list(result["datasets"]) == ["pendigits"]
    assert result["evaluated_on"] == "all digits of other.unipen"
    # without the pen file at hand, the default evaluation gives MNIST and says what it left out
    code = mm.main(["evaluate", "--model", "pens", "--source", str(source), "--models-dir", str(models), "--json"])
    out = capsys.readouterr()
    assert code == 0 and list(json.loads(out.out)["datasets"]) == ["mnist"]
    assert "pen digits not evaluated" in out.err and "--pen-source" in out.err


def test_the_known_file_once_given_is_kept_for_offline_use(pendigits_file, tmp_path, monkeypatch):
    monkeypatch.delenv(pen_data.SOURCE_ENV, raising=False)
    with pytest.raises(DataError, match="not in the cache"):
        pen_data.pen_source(None, tmp_path, download=False)
    assert pen_data.pen_source(pendigits_file, tmp_path) == pendigits_file
    kept = pen_data.pen_source(None, tmp_path, download=False)
    assert kept == tmp_path / "downloads" / pen_data.EXTRACTED_NAME and kept.read_bytes() == pendigits_file.read_bytes()


def test_real_pen_digits_make_the_difference(mnist, pendigits_file, tmp_path):
    """The same small network, trained on MNIST alone and on MNIST plus rendered pen digits, read
    the pen digits of writers neither has seen: the pen data must be worth several points."""
    from network import SGD, Dense, Flatten, Sequential

    pen = pen_data.build_pen_cache(pendigits_file, copies=2, cache_dir=tmp_path / "cache", progress=False)
    train_rows, val_rows, held = pen.split(held_writers=4, seed=0)
    x_val, y_val = np.asarray(pen.x)[val_rows] / np.float32(255), np.asarray(pen.y)[val_rows]
    x_mnist, y_mnist = mnist["x_train"][:30000] / np.float32(255), mnist["y_train"][:30000]
    scores = {}
    for name, (x, y) in {"mnist": (x_mnist, y_mnist),
                         "mnist+pen": (np.concatenate([x_mnist, np.asarray(pen.x)[train_rows] / np.float32(255)]),
                                       np.concatenate([y_mnist, np.asarray(pen.y)[train_rows]]))}.items():
        model = Sequential([Flatten(input_shape=(28, 28)), Dense(128, "tanh"), Dense(10, "softmax")], seed=0)
        model.compile(optimizer=SGD(0.1, momentum=0.9))
        model.fit(x, y, epochs=3, batch_size=128, verbose=0)
        scores[name] = model.evaluate(x_val, y_val)["accuracy"]
    print(f"held-out writers {held}: {scores}")
    assert scores["mnist+pen"] >= 0.96, scores
    assert scores["mnist+pen"] >= scores["mnist"] + 0.04, scores
