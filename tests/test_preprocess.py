"""The shared MNIST-style preprocessing on synthetic drawings and files."""
from __future__ import annotations

import numpy as np
import pytest
from fixtures import DIGIT_STROKES, draw_digit
from PIL import Image
from scipy import ndimage

from app.reading.preprocess import ImageError, ink_map, load_image, to_mnist


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
    light = Image.new("LA", im.size, (255, 0))   # white ink on a transparent ground (a dark theme's drawing)
    light.putalpha(Image.eval(im, lambda v: 255 - v))
    light.save(tmp_path / "light.png")
    framed = Image.new("RGBA", (im.width + 40, im.height + 40), (0, 0, 0, 0))   # a sheet in a transparent frame
    framed.paste(Image.merge("RGBA", [im, im, im, Image.new("L", im.size, 255)]), (20, 20))
    framed.save(tmp_path / "framed.png")
    for name in ("photo.jpg", "transparent.png", "light.png", "framed.png"):
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


# Photos: paper lit unevenly (``paper_map``)

def _lit(picture: np.ndarray, falloff: float, ink: float = 0.12) -> np.ndarray:
    """A dark-on-light ``picture`` (0..1) photographed with light falling off to the right by
    ``falloff`` (and a little downwards): paper and ink both darken, as a photo's do."""
    h, w = picture.shape
    rows, columns = np.mgrid[0:h, 0:w]
    light = 0.95 - falloff * columns / w - 0.1 * rows / h
    return light * picture + ink * light * (1 - picture)


def test_the_paper_level_of_a_picture_by_hand():
    """Paper at 0.9 on the left, in a shadow at 0.5 on the right, the two a soft edge apart (a third of
    the width), no ink: the level is found where it lies, and nothing is ink. With one level for the
    whole picture (the median of its border), the shadow was ink. (A shadow's sharp edge would read as
    a faint line: the level is spread over a block's width.)"""
    from app.reading.paper import paper_map
    from app.reading.preprocess import ink_map

    paper = np.repeat(np.interp(np.arange(480), [0, 160, 320, 479], [0.9, 0.9, 0.5, 0.5])[None, :], 240, axis=0)
    level = paper_map(paper.astype(np.float32), light=True)
    assert level[:, :100] == pytest.approx(0.9, abs=0.01) and level[:, 380:] == pytest.approx(0.5, abs=0.01)
    assert np.abs(level - paper).max() < 0.08   # (a block's lightest twentieth, on a slope)
    assert not ink_map(paper).any()
    old = 0.7 - paper   # one level, the border's median
    assert (old / old.max() >= 0.25).mean() > 0.3
    # Evenly lit paper, a small picture (a digit alone, MNIST's 28x28), the canvas: one level, as always.
    noisy = 0.9 + 0.04 * np.random.default_rng(0).random((300, 300))
    assert paper_map(noisy, light=True) is None and paper_map(np.full((28, 28), 0.5), light=True) is None



def test_the_paper_blocks_past_a_pictures_edge_repeat_its_last_pixels_and_cost_nothing():
    """A block past the picture's edge holds its last row or column again (the picture padded at its
    edge into whole blocks: the reference below), and is never made: a strip 1 x 100000 pixels has
    blocks 12500 wide, and padded into them took 29 s and gigabytes of memory to say "blank"."""
    import tracemalloc

    from scipy import ndimage

    from app.reading.paper import EVEN_PAPER, PAPER_BLOCK_PIXELS, PAPER_BLOCKS, paper_map

    def padded_into_blocks(grey: np.ndarray, light: bool):   # the definition, for small pictures
        h, w = grey.shape
        side = max(PAPER_BLOCK_PIXELS, -(-max(h, w) // PAPER_BLOCKS))
        if h < 2 * side and w < 2 * side:
            return None
        rows, columns = -(-h // side), -(-w // side)
        padded = np.pad(grey, ((0, rows * side - h), (0, columns * side - w)), mode="edge")
        step = max(1, side // 24)
        blocks = padded.reshape(rows, side, columns, side)[:, ::step, :, ::step]
        levels = np.percentile(blocks.transpose(0, 2, 1, 3).reshape(rows, columns, -1), 95 if light else 5, axis=2)
        levels = ndimage.median_filter(np.pad(levels, 1, mode="reflect", reflect_type="odd"), size=3)[1:-1, 1:-1]
        if float(levels.max() - levels.min()) < EVEN_PAPER:
            return None
        spread = np.repeat(np.repeat(levels, side, axis=0), side, axis=1)[:h, :w].astype(np.float32)
        return ndimage.uniform_filter(spread, size=side, mode="nearest")

    rng = np.random.default_rng(0)
    for h, w in [(300, 410), (280, 3000), (50, 2000), (777, 1234), (2500, 30)]:
        rows, columns = np.mgrid[0:h, 0:w]
        grey = (0.5 + 0.4 * np.sin(3 * columns / w) * np.cos(2 * rows / h) + 0.05 * rng.standard_normal((h, w))).astype(np.float32)
        for light in (True, False):
            expected, found = padded_into_blocks(grey, light), paper_map(grey, light)
            assert expected is not None and np.array_equal(found, expected)
    strip = np.linspace(0.5, 1.0, 100_000, dtype=np.float32)[None, :]   # (light falling off along it)
    tracemalloc.start()
    level = paper_map(strip, light=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert level.shape == strip.shape and peak < 20e6

def test_even_paper_is_read_as_it_always_was():
    """A drawing on evenly lit paper gives exactly the ink of one paper level (the border's median)."""
    from app.reading.preprocess import INK_THRESHOLD, ink_map

    grey = np.asarray(draw_digit(DIGIT_STROKES[7], size=400), np.float32) / 255 * 0.8 + 0.1
    ink = np.maximum(0.9 - grey, 0)
    ink /= ink.max()
    ink[ink < INK_THRESHOLD] = 0
    assert np.array_equal(ink_map(grey), ink)


@pytest.mark.parametrize("digit", [0, 1, 7])
@pytest.mark.parametrize("width", [18, 60])
def test_a_digit_photographed_in_uneven_light_is_read_as_its_scan(digit, width):
    """Light falling off across the page: the shaded paper is no ink, and ink in the shade is ink (with
    one paper level, the shaded third of the page was read as ink). A marker's bold strokes too."""
    scan = np.asarray(draw_digit(DIGIT_STROKES[digit], size=400, width=width), np.float32) / 255
    expected = to_mnist(scan)
    photo = to_mnist(_lit(scan, 0.5))
    assert photo.bbox == pytest.approx(expected.bbox, abs=4)
    assert np.abs(photo.image - expected.image).mean() < 0.03
    light_ink = to_mnist(1 - _lit(scan, 0.5))   # chalk on a dark board, lit unevenly
    assert light_ink.bbox == pytest.approx(expected.bbox, abs=4)


# Photos: a sheet lying on a desk (``on_the_page``)

def test_the_smallest_rectangle_around_pixels_by_hand():
    """A 100 x 200 block of pixels: itself. Turned 30 degrees: about the same (the axis-aligned box
    around it is far larger: 187 x 223)."""
    from app.reading.paper import smallest_rectangle

    block = np.zeros((300, 400), bool)
    block[100:200, 100:300] = True
    assert smallest_rectangle(block) == (20000.0, (100.0, 200.0))
    turned = ndimage.rotate(block.astype(float), 30, reshape=True, order=0) > 0.5
    area, (short, long) = smallest_rectangle(turned)
    assert short == pytest.approx(100, abs=3) and long == pytest.approx(200, abs=3) and area < 1.05 * 20000


def test_a_sheet_on_a_desk_by_hand():
    """A sheet (0.9) lying on a desk (0.2), a stroke written on it (0.1): around the sheet is made paper
    (the middle's level, 0.9), the sheet's edge too (2 % of its shorter side: 4 pixels); the stroke is
    kept. The same sheet turned 20 degrees likewise. Read as one level, the desk was paper and the
    sheet a blot of ink."""
    from app.reading.paper import on_the_page

    photo = np.full((300, 400), 0.2, np.float32)
    photo[50:250, 60:340] = 0.9
    photo[140:150, 100:300] = 0.1
    page = on_the_page(photo)
    assert np.all(page[:54] == np.float32(0.9)) and np.all(page[:, :64] == np.float32(0.9))
    assert np.array_equal(page[54:246, 64:336], photo[54:246, 64:336])
    assert ink_map(photo).astype(bool).sum() == ink_map(page).astype(bool).sum() == 10 * 200
    turned = ndimage.rotate(photo, 20, reshape=True, order=1, cval=0.2)
    assert 0.9 * 2000 < np.count_nonzero(ink_map(turned) > 0.5) < 1.1 * 2000


@pytest.mark.parametrize("picture", ["bold light digit", "light blot", "light bar", "scan", "blank sheet"])
def test_what_is_no_sheet_on_a_desk_is_read_as_always(picture):
    """Light ink on a dark ground, however bold: a round blot with a dark mark in it is no rectangle, a
    bar-shaped one is, but the mark in it (its counter) is no writing, too wide beside it; a scan (its
    edge as light as its middle), a sheet with nothing on it: left as they are."""
    from app.reading.paper import on_the_page

    rows, columns = np.mgrid[0:280, 0:280]
    if picture == "light blot":
        grey = ((rows - 140) ** 2 / 120 ** 2 + (columns - 140) ** 2 / 100 ** 2 < 1).astype(np.float32)
        grey[130:150, 130:150] = 0.0
    elif picture == "light bar":
        grey = np.zeros((280, 280), np.float32)
        grey[20:260, 70:210] = 1.0
        grey[100:180, 120:160] = 0.0
    elif picture == "scan":
        grey = np.asarray(draw_digit(DIGIT_STROKES[0], size=400, width=30), np.float32) / 255
    elif picture == "blank sheet":
        grey = np.full((300, 400), 0.2, np.float32)
        grey[50:250, 60:340] = 0.9
    else:
        grey = np.asarray(draw_digit(DIGIT_STROKES[0], width=90 if picture.startswith("bold") else 30,
                                     dark_on_light=False), np.float32) / 255
    assert on_the_page(grey) is grey


# Ruled paper (``without_ruled_lines``)

def _ruled(picture: np.ndarray, spacing: int, level: float, thick: int, degrees: float) -> np.ndarray:
    """``picture`` (dark on light) on ruled paper: lines ``thick`` pixels, ``spacing`` apart, turned."""
    rows, columns = np.mgrid[0:picture.shape[0], 0:picture.shape[1]]
    on_line = np.mod(rows - np.tan(np.radians(degrees)) * columns, spacing) < thick
    return np.minimum(picture, np.where(on_line, level, 1.0)).astype(np.float32)


def test_ruled_lines_by_hand():
    """Two lines 2 pixels thick, level, across a 300 x 600 picture; a stroke (rows 40-160, columns
    290-300) crosses the lower one at row 100. The lines go, but where the stroke crosses: its ink is
    all kept, nothing else is. Turned 3 degrees, likewise."""
    from app.reading.paper import without_ruled_lines

    ink = np.zeros((300, 600), np.float32)
    ink[20:22, :] = ink[100:102, :] = 0.6
    ink[40:160, 290:300] = 1.0
    kept = without_ruled_lines(ink)
    assert np.array_equal(kept[40:160, 290:300], ink[40:160, 290:300])
    assert np.count_nonzero(kept) == 120 * 10
    picture = _ruled(1 - np.pad(ink[40:160, 290:300], ((40, 140), (290, 300))), 80, 0.4, 2, 3)
    solid = ink_map(picture) > 0.35
    assert solid[40:160, 290:300].mean() > 0.95 and np.count_nonzero(solid) < 1.1 * 1200


def test_long_strokes_that_are_writing_are_no_ruled_lines():
    """A 2 whose top and base span the picture, a dash under a digit that does not reach past it: kept,
    as is the writing of any picture without ruled lines."""
    from app.reading.paper import without_ruled_lines

    two = np.zeros((200, 300), np.float32)
    two[10:14, 10:290] = two[186:190, 10:290] = 1.0
    for k in range(10, 290):
        two[int(14 + (k - 10) * 172 / 280), 290 - k + 10 - 4:290 - k + 10] = 1.0
    assert without_ruled_lines(two) is two
    scan = 1 - np.asarray(draw_digit(DIGIT_STROKES[7], size=400), np.float32) / 255
    scan[380:384, 110:290] = 1.0   # underlined, within the digit's width (102..298)
    assert without_ruled_lines(scan) is scan


@pytest.mark.parametrize("level, thick, degrees", [(0.5, 3, 0.0), (0.3, 2, -3.0), (0.6, 1, 2.5)])
def test_a_digit_on_ruled_paper_is_read_as_its_scan(level, thick, degrees):
    scan = np.asarray(draw_digit(DIGIT_STROKES[7], size=400), np.float32) / 255
    expected = to_mnist(scan)
    ruled = to_mnist(_ruled(scan, 90, level, thick, degrees))
    assert ruled.bbox == pytest.approx(expected.bbox, abs=6)
    assert np.abs(ruled.image - expected.image).mean() < 0.03
