"""Saying "not a digit", and the world's digit styles: the judge by hand, the style generator on
hand-made strokes, the generated negatives, and end to end on real letters."""
from __future__ import annotations

import numpy as np
import pytest
from fixtures import make_unipen

from app.pen import negatives, pendigits, styles
from app.pen.pendigits import NOT_A_DIGIT
from app.reading.predictor import digit_outputs, judge

IMAGE = np.zeros((28, 28), np.float32)


def test_digit_outputs_split_and_renormalise():
    digits, other = digit_outputs(np.array([0.6, 0.2] + [0.0] * 8 + [0.2], np.float32))
    assert np.allclose(digits[:2], [0.75, 0.25]) and np.isclose(other, 0.2)
    ten, none = digit_outputs(np.full(10, 0.1, np.float32))
    assert np.allclose(ten, 0.1) and none == 0


def test_judge_says_not_a_digit_at_the_threshold_and_names_the_best_guesses():
    out = np.array([0.05, 0, 0, 0, 0.25, 0, 0, 0, 0, 0, 0.70], np.float32)
    r = judge(out, IMAGE, threshold=0.6)
    assert r.status == "not a digit" and r.rejected and "4 25%" in r.message and r.digit == 4
    assert np.isclose(r.shares.sum(), 1) and np.isclose(r.shares[10], 0.7)
    r = judge(out, IMAGE, threshold=0.75)   # under the threshold: the digits decide (4 of 0.3 is 83 %)
    assert r.status == "read" and r.digit == 4 and not r.rejected


def test_judge_says_not_sure_in_the_band_under_the_threshold_and_keeps_the_digit():
    out = np.array([0.0, 0, 0, 0, 0.3, 0, 0, 0, 0, 0, 0.70], np.float32)   # 4 is 100 % of the digits
    r = judge(out, IMAGE, threshold=0.9, unsure_from=0.65)
    assert r.status == "unsure" and r.digit == 4 and not r.rejected
    assert r.message == "not sure: maybe not a digit (4 30%)"
    assert judge(out, IMAGE, threshold=0.9, unsure_from=0.75).status == "read"   # under the band
    assert judge(out, IMAGE, threshold=0.9).status == "read"                     # a model without a band
    assert judge(out, IMAGE, threshold=0.69, unsure_from=0.65).status == "not a digit"
    tie = np.array([0.0, 0, 0, 0, 0.16, 0, 0, 0, 0, 0.14, 0.70], np.float32)
    assert judge(tie, IMAGE, threshold=0.9, unsure_from=0.65).message == "not sure: 4 or 9"   # the first reason said


def test_the_band_and_threshold_are_chosen_on_validation_digits_by_hand():
    from app.models import rejection

    # 200 digits per set: 1 % is 2 of them. Scores 0.97 (1), 0.72 (1), 0.62 (1), the rest 0.
    mnist = np.zeros(200, np.float32)
    mnist[:3] = [0.97, 0.72, 0.62]
    pen = np.zeros(200, np.float32)
    pen[0] = 0.82
    threshold = rejection.choose_threshold({"mnist": mnist, "pen": pen})   # at most 1 of 200 (0.5 %)
    assert threshold == 0.75          # at 0.70 two MNIST digits (0.97, 0.72) would be rejected
    assert rejection.choose_unsure({"mnist": mnist, "pen": pen}, threshold) == 0.65   # 2 of 200 flagged
    assert rejection.choose_unsure({"mnist": mnist}, 0.5) == 0.5       # never above the threshold
    # A network sure of "not a digit" for a few odd real digits: 0.95 rejects 2 of 200, 0.97 one.
    sure = np.zeros(200, np.float32)
    sure[:2] = [0.99, 0.965]
    assert rejection.choose_threshold({"mnist": sure}) == 0.97
    assert rejection.choose_threshold({"mnist": np.full(200, 0.999, np.float32)}) == 0.99   # the highest offered


def test_the_shipped_model_has_a_band_chosen_on_its_validation_digits(models_dir):
    from app.models.model_store import load
    from app.reading.predictor import reject_threshold, unsure_threshold

    model = load("default", models_dir)
    reject = model.metadata["reject"]
    assert unsure_threshold(model) == reject["unsure"] < reject_threshold(model) == reject["threshold"]
    assert reject["mnist validation rejected or not sure"] <= 0.01 and reject["pen validation rejected or not sure"] <= 0.01
    assert reject["letters validation rejected or not sure"] >= 0.9


def test_a_ten_output_model_is_judged_as_before():
    out = np.array([0.9] + [0.1 / 9] * 9, np.float32)
    r = judge(out, IMAGE)
    assert r.status == "read" and r.not_digit == 0 and r.shares[10] == 0


def circle(n=24, r=50.0, c=(100.0, 100.0)):
    t = np.linspace(0, 2 * np.pi, n)
    return np.stack([c[0] + 0.7 * r * np.cos(t), c[1] + r * np.sin(t)], axis=1)


def test_slashed_zero_crosses_the_zero_from_below_left_to_above_right():
    zero = [circle()]
    slash = styles.slashed_zero(zero, np.random.default_rng(0))[-1]
    lo, hi = zero[0].min(axis=0), zero[0].max(axis=0)
    assert slash[0][1] >= hi[1] - 1 and slash[-1][1] <= lo[1] + 1     # from the bottom to the top (y down)
    assert slash[0][0] < slash[-1][0]                                   # from left to right


def test_crossed_seven_puts_a_bar_across_the_stem_half_way_down():
    seven = [np.array([[0.0, 0.0], [100.0, 0.0], [40.0, 150.0]])]
    bar = styles.crossed_seven(seven, np.random.default_rng(1))[-1]
    y = bar[:, 1].mean()
    assert 0.4 * 150 < y < 0.65 * 150
    stem_x = 100 - 60 * y / 150                                         # where the stem is at that height
    assert bar[:, 0].min() < stem_x < bar[:, 0].max()


def test_flagged_one_has_a_flag_from_the_top_and_a_base_across_the_foot():
    one = [np.array([[50.0, 0.0], [50.0, 150.0]])]
    flag, stem, base = styles.flagged_one(one, np.random.default_rng(2))
    assert np.allclose(flag[-1], [50, 0]) and flag[0][0] < 50 and flag[0][1] > 0   # ends at the top, starts below left
    assert np.allclose(base[:, 1], 150) and base[0][0] < 50 < base[-1][0]
    # A 1 written with its flag from the foot up ("/|": 43 of the 779 pen 1s) has its flag already.
    assert styles.flagged_one([np.array([[20.0, 150.0], [50.0, 0.0], [50.0, 150.0]])], np.random.default_rng(2)) is None


def test_closed_four_joins_the_tops_of_its_two_strokes_and_leaves_a_one_stroke_four():
    four = [np.array([[40.0, 0.0], [0.0, 100.0], [80.0, 100.0]]), np.array([[70.0, 20.0], [70.0, 160.0]])]
    joined = styles.closed_four(four, np.random.default_rng(3))[-1]
    assert np.allclose(joined[0], [40, 0]) and np.linalg.norm(joined[-1] - [70, 20]) < 3
    assert styles.closed_four(four[:1], np.random.default_rng(3)) is None


def test_styled_digits_keep_label_and_writer_and_name_the_style():
    digits = pendigits.parse_unipen(make_unipen(writers=2, per_digit=3), "fixture")
    styled = styles.styled_digits(digits, seed=0, share=1.0)
    assert {s.char for s in styled} >= {"slashed zero", "one with flag and base"}
    assert all(s.label in (0, 1, 7) and s.writer in (1, 2) for s in styled)
    assert all(len(s.strokes) > 1 for s in styled if s.char != "seven with a foot")


def test_generated_negatives_are_not_tall_thin_marks_and_are_labelled():
    digits = pendigits.parse_unipen(make_unipen(writers=2, per_digit=3), "fixture")
    marks = negatives.generated_negatives(digits, 200, seed=0)
    assert len(marks) == 200 and all(m.label == NOT_A_DIGIT for m in marks)
    assert set(m.char for m in marks) == set(negatives.KINDS)
    for m in marks:
        width, height = np.ptp(np.concatenate(m.strokes), axis=0)
        assert width >= 0.45 * height
    assert all(m.char in ("scribble", "hatching") for m in negatives.generated_negatives([], 50, seed=0))


def test_a_letters_file_reads_every_character_and_its_writer():
    text = make_unipen(writers=1, per_digit=1).replace('"0"', '"A"').replace(".COMMENT 0  1", ".COMMENT A  1")
    chars = pendigits.parse_unipen(text, "f", any_character=True)
    assert chars[0].label == NOT_A_DIGIT and chars[0].char == "A" and chars[0].writer == 1
    with pytest.raises(Exception, match="not a digit 0-9"):
        pendigits.parse_unipen(text, "f")


def _fit(x, y, outputs, seed=0):
    from network import SGD, Dense, Flatten, Sequential

    model = Sequential([Flatten(input_shape=(28, 28)), Dense(128, "tanh"), Dense(outputs, "softmax")], seed=seed)
    model.compile(optimizer=SGD(0.1, momentum=0.9))
    model.fit(x, y, epochs=6, batch_size=64, verbose=0, workers=1)
    return model


def test_negatives_teach_a_model_to_reject_letters_of_writers_it_never_saw(mnist, letters_file):
    """End to end on real data: the same small network, trained on the same digits, with and without
    the letters as an eleventh class. It must fail if the negatives were ignored."""
    letters = negatives.read_letters(letters_file)
    rng = np.random.default_rng(0)
    writers = sorted({c.writer for c in letters})
    held = set(writers[:4])
    train = [c for c in letters if c.writer not in held]
    test = [c for c in letters if c.writer in held]
    train = [train[i] for i in rng.choice(len(train), 2500, replace=False)]
    test = [test[i] for i in rng.choice(len(test), 500, replace=False)]
    x_letters = pendigits.render_many(train, 1, 0) / np.float32(255)
    x_held = pendigits.render_many(test, 0, 0) / np.float32(255)
    pick = rng.choice(60000, 8000, replace=False)
    x_digits, y_digits = mnist["x_train"][pick] / np.float32(255), mnist["y_train"][pick].astype(np.int64)
    plain = _fit(x_digits, y_digits, 10)
    taught = _fit(np.concatenate([x_digits, x_letters]), np.concatenate([y_digits, np.full(len(train), NOT_A_DIGIT)]), 11)

    def caught(model):   # answered "not a digit" or "not sure", as the window would
        return np.mean([judge(p, x).status in ("not a digit", "unsure") for p, x in zip(model.predict_proba(x_held), x_held)])

    digits_kept = np.mean(digit_outputs(taught.predict_proba(mnist["x_test"][:2000] / np.float32(255)))[1] < 0.5)
    assert caught(taught) > caught(plain) + 0.3, (caught(plain), caught(taught))
    assert caught(taught) > 0.75 and digits_kept > 0.93   # a small, briefly trained model: its threshold would be tuned


def _outputs(best: float, other: float = 0.0) -> np.ndarray:
    """A row of eleven outputs: digit 3 at ``best`` of the digits, the rest shared out, and ``other`` not a digit."""
    digits = np.full(10, (1 - best) / 9)
    digits[3] = best
    return np.append(digits * (1 - other), other).astype(np.float32)


def test_one_mark_by_hand():
    """Writing read as several digits is one mark that is no digit when, read whole, it is "not a digit"
    (at the threshold) and e^1.5 (MARK_MARGIN) times likelier so than it is those digits, and is no wider
    than 1.5 times its height. log 0.98 = -0.02 against two digits of 0.4 each: 2 log 0.4 + 1.5 = -0.33.
    Writing of one stroke needs less (ONE_PIECE_MARGIN)."""
    from types import SimpleNamespace

    from app.reading.marks import MARK_MARGIN, MARK_WIDTH, ONE_PIECE_MARGIN, one_mark

    model = SimpleNamespace(metadata={"reject": {"threshold": 0.9}})
    assert (MARK_MARGIN, MARK_WIDTH) == (1.5, 1.5)
    letter = _outputs(0.5, 0.98)
    assert one_mark(model, letter, [_outputs(0.4), _outputs(0.4)], 1.0)
    assert not one_mark(model, letter, [_outputs(0.99), _outputs(0.99)], 1.0)   # -0.02 against 2 log 0.99 + 1.5 = 1.48
    assert not one_mark(model, letter, [_outputs(0.4), _outputs(0.4)], 1.6)     # wider than a letter
    assert not one_mark(model, letter, [_outputs(0.4)], 1.0)                    # one digit is what it is
    assert not one_mark(model, _outputs(0.5, 0.85), [_outputs(0.4), _outputs(0.4)], 1.0)   # under the threshold
    # where it turns: log 0.98 = -0.020 against 2 log 0.46 + 1.5 = -0.053 (a mark), 2 log 0.48 + 1.5 = +0.032 (digits)
    assert one_mark(model, letter, [_outputs(0.46), _outputs(0.46)], 1.0)
    assert not one_mark(model, letter, [_outputs(0.48), _outputs(0.48)], 1.0)
    # One stroke (one blob of a picture) is likelier a letter than digits joined: e^0.5 (ONE_PIECE_MARGIN)
    # likelier is enough. Two digits of 0.7: 2 log 0.7 + 0.5 = -0.21 (a mark), + 1.5 = 0.79 (digits).
    assert ONE_PIECE_MARGIN == 0.5
    assert one_mark(model, letter, [_outputs(0.7), _outputs(0.7)], 1.0, one_piece=True)
    assert not one_mark(model, letter, [_outputs(0.7), _outputs(0.7)], 1.0)
    assert not one_mark(model, letter, [_outputs(0.99), _outputs(0.99)], 1.0, one_piece=True)   # -0.02 against 0.48
    assert not one_mark(model, letter, [_outputs(0.4), _outputs(0.4)], 1.6, one_piece=True)     # wider than a letter



def test_a_stray_joins_the_digit_it_lies_over_by_hand():
    """A group read as no digit (a 5's bar written apart) joins the group it lies most over, by more
    than half its own width (STRAY_OVER), when the two read as one confident digit; one that lies
    over nothing, or whose join reads badly, stays. Each group is read and measured once, however
    often the groups are looked over (4000 dots took minutes when each look measured all again)."""
    from app.reading.marks import STRAY_OVER, attach_strays
    from app.reading.strokes import Stroke

    assert STRAY_OVER == 0.5
    # pieces, their pen included: 0 a 5's stem and bowl (x 10..50), 1 its bar (x 24..56: 26 of its 32 over
    # the 5), 2 a 1 (x 100..110), 3 a dot far away (x 300..302), 4 a dash (x 100..113: 10 of its 13 over the
    # 1) that reads badly with it
    pieces = [Stroke(2, [(11, 0), (49, 40)]), Stroke(2, [(25, 0), (55, 0)]), Stroke(2, [(101, 0), (109, 40)]),
              Stroke(2, [(301, 20)]), Stroke(2, [(101, 30), (112, 30)])]
    no_digit, five, one, bad = _outputs(0.5, 0.95), _outputs(0.99), _outputs(0.99), _outputs(0.3, 0.5)
    answers = {(0,): five, (1,): no_digit, (2,): one, (3,): no_digit, (4,): no_digit, (0, 1): five, (2, 4): bad}
    asked = []

    def read(group):
        asked.append(tuple(group))
        return None, answers[tuple(group)]

    groups = attach_strays([[0], [1], [2], [3], [4]], read, pieces, threshold=0.9, unsure_from=0.8)
    assert groups == [[0, 1], [2], [3], [4]]
    assert asked.count((2, 4)) == 1 and all(asked.count((k,)) == 1 for k in range(5))
    # Thousands of dots (none over another: each read once, and the groups looked over once)
    dots = [Stroke(2, [(10.0 * k, 5)]) for k in range(3000)]
    asked.clear()
    assert attach_strays([[k] for k in range(3000)], lambda g: (asked.append(g), (None, no_digit))[1], dots,
                         threshold=0.9, unsure_from=0.8) == [[k] for k in range(3000)]
    assert len(asked) == 3000

def test_letters_cut_into_digit_like_pieces_are_said_not_a_digit_end_to_end(model, letters_file, pendigits_file, monkeypatch):
    """End to end on real data: letters of the writers the shipped model's not-a-digit training held out,
    written on the canvas, as strokes and as pictures, are said "not a digit" though the number reader
    cuts many into digit-like pieces (an "m" read "771", a "k" "1?"), while numbers of two and three
    digits of the held-out pen writers, some as narrow as a letter, read as well. It must fail without
    ``one_mark``, and with one stroke (one blob) judged as several are. (benchmarks/number_reading.py
    --letters measures the same on more.)"""
    from app.reading import marks, synthetic_numbers
    from app.reading.number_pictures import read_picture
    from app.reading.numbers import read_strokes

    lheld = set(model.metadata["negatives"]["held_out_writers"])
    held = set(model.metadata["pen"]["held_out_writers"])
    letters = [c for c in negatives.read_letters(letters_file) if c.writer in lheld]
    rng = np.random.default_rng(3)
    written = [synthetic_numbers.compose([letters[int(k)]], rng)[0] for k in rng.choice(len(letters), 100, replace=False)]

    def said() -> tuple[float, float]:
        return (float(np.mean([read_strokes(model, s).status == "not a digit" for s in written])),
                float(np.mean([read_picture(model, synthetic_numbers.picture(s), ink_is_bright=False).status == "not a digit"
                               for s in written])))

    monkeypatch.setattr(marks, "WORD_DOUBT", float("inf"))   # (``one_mark`` alone: ``a_word`` has its own test, below)
    with_check = said()
    monkeypatch.setattr(marks, "ONE_PIECE_MARGIN", marks.MARK_MARGIN)
    same_margin = said()   # (one stroke judged as several strokes are)
    monkeypatch.setattr(marks, "MARK_MARGIN", float("inf"))
    monkeypatch.setattr(marks, "ONE_PIECE_MARGIN", float("inf"))
    without = said()
    monkeypatch.undo()
    assert with_check[0] >= without[0] + 0.15 and with_check[1] >= without[1] + 0.3, (without, with_check)
    assert with_check[0] >= same_margin[0] + 0.06 and with_check[1] >= same_margin[1] + 0.03, (same_margin, with_check)
    # (0.53 / 0.20 without, 0.65 / 0.55 with one margin, 0.77 / 0.61 here)
    assert with_check[0] >= 0.7 and with_check[1] >= 0.55, with_check
    digits = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    short = synthetic_numbers.numbers(digits, 100, 13, (2, 3))
    strokes = np.mean([read_strokes(model, n.strokes).text == n.text for n in short])
    pictures = np.mean([read_picture(model, synthetic_numbers.picture(n.strokes), ink_is_bright=False).text == n.text for n in short])
    assert strokes >= 0.95 and pictures >= 0.9, (strokes, pictures)   # (1.0 / 0.98 here, with or without)


def test_words_are_said_not_a_digit_and_numbers_read_as_before(model, letters_file, pendigits_file, monkeypatch):
    """End to end on real data: words of two to four letters of the held-out letter writers, written on the
    canvas, are said "not a digit" as strokes and as pictures, though the readers cut them into digit-like
    pieces ("ab" read "16"): each piece is 10 to 50 % "not a digit" to the network, a number's digits
    seldom 5 % (``marks.a_word``). Numbers of 2 to 10 digits of the held-out pen writers read exactly
    as without it. It must fail without the rule. (benchmarks/number_reading.py --letters measures more.)"""
    from app.reading import marks, synthetic_numbers
    from app.reading.number_pictures import read_picture
    from app.reading.numbers import read_strokes

    lheld, held = set(model.metadata["negatives"]["held_out_writers"]), set(model.metadata["pen"]["held_out_writers"])
    letters = [c for c in negatives.read_letters(letters_file) if c.writer in lheld]
    rng = np.random.default_rng(4)
    words = [synthetic_numbers.compose([letters[int(k)] for k in rng.integers(0, len(letters), int(rng.integers(2, 5)))], rng)[0]
             for _ in range(50)]
    digits = [d for d in pendigits.read_unipen(pendigits_file) if d.writer in held]
    written = synthetic_numbers.numbers(digits, 40, 17, (2, 10))

    def read() -> tuple[float, float, list[str]]:
        said = (float(np.mean([read_strokes(model, s).status == "not a digit" for s in words])),
                float(np.mean([read_picture(model, synthetic_numbers.picture(s), ink_is_bright=False).status == "not a digit"
                               for s in words])))
        texts = [read_strokes(model, n.strokes).text for n in written]
        texts += [read_picture(model, synthetic_numbers.picture(n.strokes), ink_is_bright=False).text for n in written]
        return *said, texts

    *with_rule, texts = read()
    monkeypatch.setattr(marks, "WORD_DOUBT", float("inf"))
    *without, texts_without = read()
    assert with_rule[0] >= 0.8 and with_rule[1] >= 0.75, with_rule   # (0.88 / 0.86 here; 0.30 / 0.18 without)
    assert with_rule[0] >= without[0] + 0.4 and with_rule[1] >= without[1] + 0.4, (without, with_rule)
    assert texts == texts_without
    assert np.mean([t == n.text for t, n in zip(texts, written + written)]) >= 0.85


def _on_canvas(points):
    """A stroke through ``points`` (in a unit square, y down) on the canvas, a point about every 2 units
    as the mouse gives them."""
    from app.reading.strokes import Stroke

    out = [points[0]]
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        n = max(1, int(np.hypot(bx - ax, by - ay) / 0.01))
        out += [(ax + (bx - ax) * k / n, ay + (by - ay) * k / n) for k in range(1, n + 1)]
    return Stroke(18.0, [(280 * (0.18 + 0.64 * x), 280 * (0.18 + 0.64 * y)) for x, y in out])


def test_a_k_is_not_a_one_and_a_piece(model):
    """A "k" written as a stem and an angle: the number reader read it "1?" (the stem a sure 1, the angle
    an unsure piece), from strokes and from its picture; read whole it is surely no digit, and now says so."""
    from app.reading.number_pictures import read_picture
    from app.reading.numbers import read_strokes
    from app.reading.stroke_inputs import drawing_picture

    k = [_on_canvas([(0.2, 0.05), (0.2, 0.95)]), _on_canvas([(0.65, 0.35), (0.22, 0.65), (0.7, 0.95)])]
    for reading in (read_strokes(model, k), read_picture(model, drawing_picture(k), ink_is_bright=False)):
        assert reading.status == "not a digit" and reading.text == "" and len(reading.digits) == 1, reading.text
        assert reading.digits[0].reading.not_digit > 0.9


def test_an_h_in_one_stroke_is_not_a_one_and_a_seven(model, monkeypatch):
    """An "h" written in one stroke (down the stem, back up it, over the arch and down): its picture, one
    blob, was read "17" (the stem and the arch each a sure digit), and is said "not a digit" now that
    one stroke or blob needs to read whole as no digit only e^0.5 times likelier than as its digits."""
    from app.reading import marks
    from app.reading.number_pictures import read_picture
    from app.reading.numbers import read_strokes
    from app.reading.stroke_inputs import drawing_picture

    arch = [(0.25 + 0.22 * (1 - np.cos(t)), 0.5 - 0.2 * np.sin(t)) for t in np.linspace(0, np.pi, 12)]
    h = [_on_canvas([(0.25, 0.0), (0.25, 0.95), (0.25, 0.5), *arch, (0.69, 0.95)])]
    for reading in (read_strokes(model, h), read_picture(model, drawing_picture(h), ink_is_bright=False)):
        assert reading.status == "not a digit" and reading.text == "", reading.text
    monkeypatch.setattr(marks, "ONE_PIECE_MARGIN", marks.MARK_MARGIN)
    assert read_picture(model, drawing_picture(h), ink_is_bright=False).text == "17"


def test_crossing_by_hand():
    """Two straight strokes crossing within 0.2-0.8 of both their lengths are an X or a + (``crossing``);
    a 1's base and a T's bar meet their stroke at its end, a bent stroke is none, parallel ones never meet."""
    from app.reading.marks import crossing
    from app.reading.strokes import Stroke

    def line(*points) -> Stroke:
        return Stroke(18.0, [tuple(map(float, p)) for p in points])

    assert crossing(line((0, 0), (100, 100)), line((100, 0), (0, 100)))              # an X: both at 0.5
    assert crossing(line((50, 0), (50, 100)), line((20, 30), (80, 30)))              # a + crossed high: 0.3 and 0.5
    assert not crossing(line((50, 0), (50, 100)), line((20, 10), (80, 10)))          # at 0.1 of the upright
    assert not crossing(line((50, 0), (50, 100)), line((20, 100), (80, 100)))        # a 1's base, at its foot
    assert not crossing(line((0, 0), (100, 0), (40, 100)), line((30, 50), (90, 50)))  # a 7 and its cross
    assert not crossing(line((0, 0), (100, 0)), line((0, 50), (100, 50)))            # parallel
    assert not crossing(line((5, 5)), line((0, 0), (10, 10)))                        # a dot


def test_an_x_or_a_plus_among_digits_is_one_mark_not_digits(model):
    """"2+3" was read "213" (the +'s upright a sure 1, its bar joined to the 3) and "X7X7" "117117" (each
    X's strokes two 1s); read as one mark that is no digit (``crossed_marks``), they are "2?3" and "?7?7".
    An X alone is still "not a digit", and a 7 written in three straight strokes, its cross through its
    stem, still a 7."""
    from app.reading.numbers import read_strokes

    def write(*marks) -> list:
        return [_on_canvas([(0.05 + 0.3 * k + 0.22 * x, 0.3 + 0.35 * y) for x, y in line])
                for k, mark in enumerate(marks) for line in mark]

    two, three, seven = [[(0.1, 0.25), (0.35, 0.02), (0.7, 0.05), (0.85, 0.3), (0.6, 0.6), (0.1, 1.0), (0.95, 1.0)]], \
        [[(0.15, 0.1), (0.5, 0.0), (0.8, 0.15), (0.75, 0.38), (0.4, 0.5), (0.8, 0.62), (0.85, 0.85), (0.5, 1.0), (0.1, 0.9)]], \
        [[(0.05, 0.05), (0.95, 0.05), (0.4, 1.0)]]
    plus, x = [[(0.5, 0.25), (0.5, 0.75)], [(0.25, 0.5), (0.75, 0.5)]], [[(0.1, 0.1), (0.9, 0.9)], [(0.9, 0.1), (0.1, 0.9)]]
    assert [read_strokes(model, write(*marks)).text for marks in ((two, plus, three), (x, seven, x, seven))] == ["2?3", "?7?7"]
    assert read_strokes(model, write(x)).status == "not a digit"
    three_strokes = [[(0.05, 0.05), (0.95, 0.05)], [(0.95, 0.05), (0.4, 1.0)], [(0.35, 0.55), (0.85, 0.5)]]
    assert read_strokes(model, write(three_strokes)).text == "7"


def test_a_reading_mostly_of_no_digits_is_not_a_digit_by_hand():
    """A reading is "not a digit" when more than half of what it read is (a word's letters, cut into
    pieces: some read as digits, most not), or more than half of it is unsure and some of it no digit;
    "unsure" when some are (a scribble among digits is still said)."""
    from app.reading.numbers import DigitOfNumber, NumberReading

    def mark(no_digit: bool) -> DigitOfNumber:
        return DigitOfNumber(judge(_outputs(0.99, 0.99 if no_digit else 0.0), IMAGE), (0, 0, 10, 10))

    def status(*no_digits: bool) -> tuple[str, str]:
        reading = NumberReading([mark(n) for n in no_digits])
        return reading.status, reading.text

    assert status(True, True, False) == ("not a digit", "")
    assert status(True, False, True, True) == ("not a digit", "")
    assert status(True, False) == ("unsure", "?3")          # half: the digit read is still said
    assert status(False, True, False) == ("unsure", "3?3")
    assert status(False, False) == ("read", "33")
    assert status(True) == ("not a digit", "")
    # Mostly "?" with some of it no digit: "not a digit" too (a pair of letters read "1?1"); mostly "?"
    # and none of it no digit is a number read unsure.
    unsure = DigitOfNumber(judge(_outputs(0.45), IMAGE), (0, 0, 10, 10))
    assert unsure.reading.unsure and not unsure.reading.rejected
    assert NumberReading([mark(True), unsure, mark(False)]).status == "not a digit"
    assert NumberReading([unsure, unsure, mark(False)]).status == "unsure"
    assert NumberReading([mark(True), unsure, mark(False), mark(False)]).status == "unsure"   # (half)
