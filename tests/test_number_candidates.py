"""The number readers' candidates as training data (app/pen/number_candidates.py): labels by hand,
a hand-made number, the cache, and on real data what they teach a network."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures import make_unipen

from app.errors import DataError
from app.pen import number_candidates as nc
from app.pen import pendigits
from app.pen.pendigits import NOT_A_DIGIT
from app.reading.strokes import Stroke


def test_a_candidate_is_labelled_by_whose_ink_it_holds_by_hand():
    totals = np.array([100.0, 50.0])
    assert nc._label(np.array([95.0, 5.0]), totals, wide=False) == (0, nc.WHOLE_DIGIT)      # a digit and a speck
    assert nc._label(np.array([80.0, 5.0]), totals, wide=False) is None                    # most of one, not whole
    assert nc._label(np.array([30.0, 20.0]), totals, wide=False) == (NOT_A_DIGIT, nc.PARTS_OF_TWO)
    assert nc._label(np.array([40.0, 0.0]), totals, wide=True) == (NOT_A_DIGIT, nc.A_PIECE)
    assert nc._label(np.array([40.0, 0.0]), totals, wide=False) is None                    # narrow: maybe a 1
    assert nc._label(np.array([0.0, 0.0]), totals, wide=True) is None


def _kinds(found) -> list[tuple[int, int]]:
    """(digit, what it holds) of each candidate found, sorted; -1 for not a digit."""
    return sorted((-1 if q is None else q, kind) for _, q, kind in found)


def _ten():
    """A hand-made "10": a 1 as one upright stroke, then a 0 as one closed loop, apart."""
    one = Stroke(18.0, [(60.0, 60.0), (60.0, 220.0)])
    t = np.linspace(0, 2 * np.pi, 40)
    zero = Stroke(18.0, [(float(170 + 45 * np.sin(a)), float(140 - 80 * np.cos(a))) for a in t])
    return [one, zero], [0, 1]


def test_a_hand_made_number_gives_its_two_digits_whole_and_the_two_together_as_not_a_digit():
    strokes, digit_of = _ten()
    found = nc.stroke_candidates(strokes, digit_of)
    assert _kinds(found) == [(-1, nc.PARTS_OF_TWO), (0, nc.WHOLE_DIGIT), (1, nc.WHOLE_DIGIT)]
    found = nc.picture_candidates(strokes, digit_of, 2)
    kinds = set(_kinds(found))
    assert {(0, nc.WHOLE_DIGIT), (1, nc.WHOLE_DIGIT), (-1, nc.PARTS_OF_TWO)} <= kinds
    # the halves of the 0 that cut lines make are narrow arcs: a piece, but maybe a 1, so left out
    assert (-1, nc.A_PIECE) not in kinds
    assert all(image.shape == (28, 28) and image.dtype == np.float32 for image, _, _ in found)


def test_a_short_wide_piece_of_a_digit_is_not_a_digit_and_a_narrow_one_is_left_out():
    bar = Stroke(18.0, [(40.0, 80.0), (140.0, 80.0)])       # a 5's bar: wide, a fifth of the 5
    body = Stroke(18.0, [(50.0, 80.0), (45.0, 150.0), (120.0, 150.0), (130.0, 200.0), (110.0, 230.0), (40.0, 225.0)])
    one = Stroke(18.0, [(200.0, 70.0), (200.0, 230.0)])
    found = nc.stroke_candidates([body, bar, one], [0, 0, 1])
    kinds = _kinds(found)
    assert (0, nc.WHOLE_DIGIT) in kinds and (1, nc.WHOLE_DIGIT) in kinds
    assert (-1, nc.A_PIECE) in kinds          # the bar alone
    assert kinds.count((-1, nc.A_PIECE)) == 1   # the body alone is most of the 5: unclear, left out


@pytest.fixture()
def pen_file(tmp_path):
    path = tmp_path / "pen.unipen"
    path.write_text(make_unipen(writers=3, per_digit=2))
    return path


def test_the_cache_is_the_same_for_any_number_of_workers_reused_and_rebuilt_when_damaged(pen_file, tmp_path):
    said = []
    one = nc.build_candidate_cache(pen_file, [3], 6, seed=1, cache_dir=tmp_path / "a", progress=False, workers=1,
                                   log=said.append)
    two = nc.build_candidate_cache(pen_file, [3], 6, seed=1, cache_dir=tmp_path / "b", progress=False, workers=2,
                                   log=said.append)
    assert len(one.y) > 10 and one.x.dtype == np.uint8 and one.path.name.startswith("numbers-")
    assert np.array_equal(one.x, two.x) and np.array_equal(one.y, two.y)
    counts = one.meta["counts"]
    assert counts["whole digits"] + counts["pieces"] + counts["parts of two"] == len(one.y)
    assert set(np.unique(one.y)) <= {0, 1, 7, NOT_A_DIGIT}   # the fixture's digits
    assert (np.asarray(one.y) == NOT_A_DIGIT).sum() <= nc.NOT_DIGITS_PER_DIGIT * counts["whole digits"]
    said.clear()
    again = nc.build_candidate_cache(pen_file, [3], 6, seed=1, cache_dir=tmp_path / "a", progress=False, workers=1,
                                     log=said.append)
    assert not said and again.path == one.path                    # reused as it is
    with open(one.path / "x.npy", "r+b") as f:
        f.seek(-10, 2)
        f.write(b"\xff" * 10)
    rebuilt = nc.build_candidate_cache(pen_file, [3], 6, seed=1, cache_dir=tmp_path / "a", progress=False, workers=1,
                                       log=said.append)
    assert any("damaged" in line for line in said) and np.array_equal(rebuilt.x, two.x)


def test_numbers_are_written_by_the_training_writers_alone(pen_file, tmp_path):
    with pytest.raises(DataError, match="held-out"):
        nc.build_candidate_cache(pen_file, [1, 2, 3], 2, cache_dir=tmp_path, progress=False, workers=1)
    digits = [d for d in pendigits.read_unipen(pen_file) if d.writer != 1]
    x, y, kinds = nc.mine(digits, 3, 0, 0)
    assert len(x) == len(y) == len(kinds) and x.dtype == np.uint8


def test_candidates_teach_a_network_to_say_two_digits_parts_are_not_a_digit(mnist, pendigits_file):
    """End to end on real data: the same small network and digits, with and without the candidates
    of 150 numbers by 20 writers; judged on the candidates of numbers by 6 other writers."""
    from network import SGD, Dense, Flatten, Sequential

    digits = pendigits.read_unipen(pendigits_file)
    writers = sorted({d.writer for d in digits})
    train = [d for d in digits if d.writer in writers[:20]]
    held = [d for d in digits if d.writer in writers[-6:]]
    x_mined, y_mined, _ = nc.mine(train, 150, 0, 0)
    x_test, y_test, kinds = nc.mine(held, 60, 1, 0)
    rng = np.random.default_rng(0)
    pick = rng.choice(60000, 8000, replace=False)
    x_digits, y_digits = mnist["x_train"][pick], mnist["y_train"][pick].astype(np.int64)
    x_pen = pendigits.render_many(train[::3], 0, 0)
    y_pen = np.array([d.label for d in train[::3]])
    x_base, y_base = np.concatenate([x_digits, x_pen]), np.concatenate([y_digits, y_pen])
    scribbles = pendigits.render_many([pendigits.PenDigit(NOT_A_DIGIT, None, (np.array([[0, 0], [90, 10], [0, 30],
                                      [95, 45]], float),))] * 50, 1, 0)

    def fit(x, y):
        model = Sequential([Flatten(input_shape=(28, 28)), Dense(128, "tanh"), Dense(11, "softmax")], seed=0)
        model.compile(optimizer=SGD(0.1, momentum=0.9))
        model.fit(x / np.float32(255), y, epochs=6, batch_size=64, verbose=0, workers=1)
        return model

    plain = fit(np.concatenate([x_base, scribbles]), np.concatenate([y_base, np.full(len(scribbles), NOT_A_DIGIT)]))
    taught = fit(np.concatenate([x_base, scribbles, x_mined]),
                 np.concatenate([y_base, np.full(len(scribbles), NOT_A_DIGIT), y_mined]))

    def right(model, rows):
        return float(np.mean(model.predict_proba(x_test[rows] / np.float32(255)).argmax(axis=1) == y_test[rows]))

    two = np.flatnonzero(kinds == nc.PARTS_OF_TWO)
    whole = np.flatnonzero(kinds == nc.WHOLE_DIGIT)
    assert right(taught, two) > right(plain, two) + 0.3, (right(plain, two), right(taught, two))
    # (whole digits with a speck of their neighbours: this small network says "not a digit" of a few more)
    assert right(taught, whole) > 0.7 and right(taught, whole) >= right(plain, whole) - 0.06
    mnist_right = np.mean(taught.predict_proba(mnist["x_test"][:2000] / np.float32(255))[:, :10].argmax(axis=1)
                          == mnist["y_test"][:2000])
    assert mnist_right > 0.93


def test_a_run_trains_on_the_candidates_and_polishes_on_its_share_of_them_from_any_folder(pen_file, tmp_path,
                                                                                           monkeypatch):
    """prepare_data with fixture data: the candidates are rows of the run, a quarter of the polish
    is them, and a pen cache made from another folder (its file named relative to it) still works."""
    from fixtures import make_arrays

    from app.models.run_data import prepare_data
    from app.models.train_config import TrainConfig
    from app.pen.pen_data import build_pen_cache

    source, cache = tmp_path / "digits.npz", tmp_path / "cache"
    np.savez(source, **make_arrays(n_train=200, n_test=20))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    build_pen_cache(Path("pen.unipen"), 1, cache_dir=cache, progress=False, log=lambda *a: None)
    monkeypatch.chdir(tmp_path / "elsewhere")
    config = TrainConfig(name="n", source=str(source), copies=0, validation=20, pen_copies=1, pen_source=str(pen_file),
                         pen_validation_writers=1, generated=20, negative_copies=0, number_candidates=4,
                         mnist_number_candidates=0)
    run = prepare_data(config, cache, progress=False, log=lambda *a: None)
    numbers = run.metadata["numbers"]
    assert numbers["train_images"] > 0 and numbers["numbers"] == 4
    mined = run.y[len(run.y) - numbers["train_images"]:]
    assert set(np.unique(mined)) <= {0, 1, 7, NOT_A_DIGIT} and len(run.x) == len(run.y)
    polished = run.plain_rows >= len(run.y) - numbers["train_images"]
    assert polished.sum() == numbers["polish_images"] > 0
    others = (~polished).sum()
    assert numbers["polish_images"] == min(numbers["train_images"], round(0.25 / 0.75 * others))
    none = prepare_data(TrainConfig(**{**config.to_json(), "number_candidates": 0}), cache, progress=False,
                        log=lambda *a: None)
    assert "numbers" not in none.metadata and len(none.y) == len(run.y) - numbers["train_images"]


def _digit_pictures():
    """Two MNIST-like digit pictures: a "1" (a bar) and a "0" (a ring), bright ink on black."""
    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 12:16] = 255
    yy, xx = np.mgrid[:28, :28]
    radius = np.hypot((yy - 14) / 10, (xx - 14) / 7)
    return np.stack([bar, np.where((radius > 0.7) & (radius < 1.0), 255, 0).astype(np.uint8)]), np.array([1, 0], np.uint8)


def test_numbers_of_digit_pictures_give_their_digits_whole_and_parts_as_not_a_digit():
    """``mine_pictures``: numbers written with digit pictures (MNIST's have no strokes), cut as the
    picture reader cuts them; each digit's own picture says whose ink a candidate holds."""
    images, labels = _digit_pictures()
    x, y, kinds = nc.mine_pictures(images, labels, 6, 0, 0)
    assert x.dtype == np.uint8 and x.shape[1:] == (28, 28) and len(x) == len(y) == len(kinds)
    assert set(np.unique(y[kinds == nc.WHOLE_DIGIT])) == {0, 1}
    assert (y[kinds != nc.WHOLE_DIGIT] == NOT_A_DIGIT).all() and (kinds == nc.PARTS_OF_TWO).any()
    assert (kinds != nc.WHOLE_DIGIT).sum() <= nc.NOT_DIGITS_PER_DIGIT * (kinds == nc.WHOLE_DIGIT).sum()
    again = nc.mine_pictures(images, labels, 6, 0, 0)
    assert np.array_equal(again[0], x) and np.array_equal(again[1], y)


def test_the_digit_pictures_cache_is_the_same_for_any_number_of_workers_and_reused(tmp_path):
    images, labels = _digit_pictures()
    said = []
    one = nc.build_picture_candidate_cache(images, labels, "two.npz", "ab" * 32, 4, seed=1, cache_dir=tmp_path / "a",
                                           progress=False, workers=1, log=said.append)
    two = nc.build_picture_candidate_cache(images, labels, "two.npz", "ab" * 32, 4, seed=1, cache_dir=tmp_path / "b",
                                           progress=False, workers=2, log=said.append)
    assert one.path.name.startswith("digit-numbers-") and np.array_equal(one.x, two.x) and np.array_equal(one.y, two.y)
    said.clear()
    again = nc.build_picture_candidate_cache(images, labels, "two.npz", "ab" * 32, 4, seed=1, cache_dir=tmp_path / "a",
                                             progress=False, workers=1, log=said.append)
    assert not said and again.path == one.path
    other = nc.build_picture_candidate_cache(images[:1], labels[:1], "two.npz", "ab" * 32, 4, seed=1,
                                             cache_dir=tmp_path / "a", progress=False, workers=1, log=said.append)
    assert other.path != one.path   # other pictures, another cache


def test_a_run_trains_on_candidates_of_numbers_of_its_own_training_digits(pen_file, tmp_path, monkeypatch):
    """``mnist_number_candidates``: numbers of the run's MNIST training originals (none of the validation
    ones) cut into candidates, after the pen numbers' ones; the polish's share is taken from both."""
    from fixtures import make_arrays

    from app.models import run_data
    from app.models.run_data import prepare_data
    from app.models.train_config import TrainConfig

    given = []
    build = run_data.build_picture_candidate_cache
    monkeypatch.setattr(run_data, "build_picture_candidate_cache",
                        lambda images, *a, **k: given.append(images) or build(images, *a, **k))
    source, cache = tmp_path / "digits.npz", tmp_path / "cache"
    np.savez(source, **make_arrays(n_train=200, n_test=20))
    config = TrainConfig(name="n", source=str(source), copies=0, validation=20, pen_copies=1, pen_source=str(pen_file),
                         pen_validation_writers=1, generated=20, negative_copies=0, number_candidates=4,
                         mnist_number_candidates=3)
    run = prepare_data(config, cache, progress=False, log=lambda *a: None)
    pen, mnist = run.metadata["numbers"], run.metadata["mnist numbers"]
    assert mnist["numbers"] == 3 and mnist["train_images"] > 0 and mnist["whole digits"] > 0
    assert len(given[0]) == 200 - 20   # the training originals, none of the 20 held out for validation
    assert len(run.x) == len(run.y) and (run.y[len(run.y) - mnist["train_images"]:] <= NOT_A_DIGIT).all()
    candidates = pen["train_images"] + mnist["train_images"]
    assert (run.plain_rows >= len(run.y) - candidates).sum() == pen["polish_images"] > 0
    pen_only = prepare_data(TrainConfig(**{**config.to_json(), "mnist_number_candidates": 0}), cache, progress=False,
                            log=lambda *a: None)
    assert "mnist numbers" not in pen_only.metadata and len(pen_only.y) == len(run.y) - mnist["train_images"]
    # Fashion-MNIST's pictures are no digits: a fashion run writes no numbers with them (the default asks for some).
    fashion = prepare_data(TrainConfig(**{**config.to_json(), "dataset": "fashion"}), cache, progress=False,
                           log=lambda *a: None)
    assert "mnist numbers" not in fashion.metadata and len(given) == 1
