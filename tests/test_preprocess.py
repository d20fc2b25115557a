"""The shared MNIST-style preprocessing on synthetic drawings and files."""
from __future__ import annotations

import numpy as np
import pytest
from fixtures import DIGIT_STROKES, draw_digit
from PIL import Image
from scipy import ndimage

from app.reading.preprocess import ImageError, load_image, to_mnist


def prep(im: Image.Image) -> np.ndarray:
    out = to_mnist(np.asarray(im, np.float32) / 255)
    assert not out.empty
    return out.image


def test_output_is_mnist_shaped_centred_and_fits_the_20_pixel_box():
    img = prep(draw_digit(DIGIT_STROKES[0]))
    assert img.shape == (28, 28) and img.dtype == np.float32 and 0 <= img.min() and img.max() <= 1
    rows, cols = np.nonzero(img.any(axis=1))[0], np.nonzero(img.any(axis=0))[0]
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == 20
    cy, cx = ndimage.center_of_mass(img)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_shifted_scaled_and_inverted_drawings_give_the_same_input():
    base = prep(draw_digit(DIGIT_STROKES[7]))
    shifted = prep(draw_digit(DIGIT_STROKES[7], offset=(-30, 25)))
    smaller = prep(draw_digit(DIGIT_STROKES[7], scale=0.5, width=9))
    inverted = prep(draw_digit(DIGIT_STROKES[7], dark_on_light=False))
    np.testing.assert_allclose(shifted, base, atol=1e-5)
    np.testing.assert_allclose(inverted, base, atol=1e-5)
    assert np.abs(smaller - base).mean() < 0.03


def test_a_one_is_not_stretched_into_a_block():
    img = prep(draw_digit([[(0.5, 0.05), (0.5, 0.95)]]))
    cols = np.nonzero(img.max(axis=0) > 0.3)[0]
    assert len(cols) <= 4, f"a vertical line became {len(cols)} columns wide"
    assert np.nonzero(img.any(axis=1))[0].size == 20


def test_empty_and_nearly_empty_pictures():
    assert to_mnist(np.ones((280, 280))).empty                     # white paper
    assert to_mnist(np.zeros((50, 80))).empty                     # black
    noisy = 0.97 + 0.02 * np.random.default_rng(0).random((100, 100))
    assert to_mnist(noisy).empty                                   # paper texture only
    dot = np.ones((280, 280), np.float32)
    dot[140:150, 140:150] = 0
    out = to_mnist(dot)
    assert not out.empty and out.relative_size < 0.05 and out.image.max() == pytest.approx(1)


@pytest.mark.parametrize("width", [3, 40])
def test_very_thin_and_very_thick_strokes_keep_their_shape(width):
    img = prep(draw_digit(DIGIT_STROKES[0], width=width))
    assert img[14, 14] < 0.5, "the hole of the 0 should stay open"
    assert img.sum() > 15


def test_canvas_mode_knows_the_ink_is_bright():
    canvas = np.zeros((280, 280), np.float32)
    canvas[20:260, 130:150] = 1.0
    # A line touching the border would fool a polarity guess; the canvas says which is ink.
    canvas[0:280, 0:5] = 1.0
    out = to_mnist(canvas, ink_is_bright=True)
    assert not out.empty and out.image.max() == pytest.approx(1)


def test_files_of_every_kind(tmp_path):
    im = draw_digit(DIGIT_STROKES[1])
    expected = prep(im)
    rgb = Image.merge("RGB", [im, im, im]).resize((600, 450))
    rgb.save(tmp_path / "photo.jpg", quality=90)
    rgba = Image.new("RGBA", im.size, (0, 0, 0, 0))
    rgba.putalpha(Image.eval(im, lambda v: 255 - v))  # black ink on a transparent background
    rgba.save(tmp_path / "transparent.png")
    for name in ("photo.jpg", "transparent.png"):
        got = to_mnist(load_image(tmp_path / name)).image
        assert np.abs(got - expected).mean() < 0.05, name
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(ImageError, match="not a readable image"):
        load_image(tmp_path / "notes.txt")
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "missing.png")


def test_a_crop_on_a_square_is_prepared_as_the_square_itself():
    """``on_square`` prepares only the crop: the same input, box and size as the padded square gives."""
    from app.reading.preprocess import on_square

    crop = np.zeros((40, 18), np.float32)
    crop[2:38, 7:11], crop[5:9, 3:15] = 1.0, 0.6
    padded = np.zeros((100, 100), np.float32)
    padded[30:70, 41:59] = crop
    whole, own = to_mnist(padded, ink_is_bright=True), on_square(crop, 100)
    assert np.array_equal(own.image, whole.image) and own.bbox == whole.bbox
    assert own.source_size == (100, 100) and own.relative_size == whole.relative_size
