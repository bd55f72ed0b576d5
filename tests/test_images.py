"""Tests for tfopt.images: sample photos, loading errors, resizing, saving, grids."""
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfopt import images
from tfopt.core.errors import InputError


@pytest.mark.parametrize("name", images.SAMPLE_NAMES)
def test_sample_names_load_as_float_hwc_with_max_side(name):
    image = images.load_image(name, max_side=40)
    assert isinstance(image, tf.Tensor) and image.dtype == tf.float32
    assert image.shape.rank == 3 and image.shape[-1] == 3
    assert max(image.shape[0], image.shape[1]) == 40
    values = image.numpy()
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert values.std() > 0.02  # a photo, not a blank


def test_sample_keeps_aspect_and_converts_to_grey():
    full = images.load_image("chelsea")  # 300 x 451
    grey = images.load_image("chelsea", max_side=90, channels=1)
    assert grey.shape == (60, 90, 1)
    assert abs(full.shape[0] / full.shape[1] - grey.shape[0] / grey.shape[1]) < 0.02


def test_missing_file_is_one_line_input_error():
    with pytest.raises(InputError) as info:
        images.load_image("foo.png")
    message = str(info.value)
    assert message == (
        "expected an image file or a sample name (astronaut, chelsea, ...); received: 'foo.png' (no such file)"
    )


def test_unreadable_file_is_one_line_input_error(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_text("not an image\nsecond line\n")
    with pytest.raises(InputError, match="not a readable image") as info:
        images.load_image(bad)
    assert "\n" not in str(info.value) and "broken.png" in str(info.value)
    with pytest.raises(InputError, match="a directory"):
        images.load_image(tmp_path)


@pytest.mark.parametrize("kwargs", [{"channels": 2}, {"max_side": 0}, {"max_side": 2.5}])
def test_bad_arguments_raise_input_error(kwargs):
    with pytest.raises(InputError):
        images.load_image("coffee", **kwargs)


def test_png_round_trip_is_exact_and_atomic(tmp_path):
    rng = np.random.default_rng(0)
    original = rng.integers(0, 256, size=(9, 7, 3), dtype=np.uint8)
    path = images.save_image(tmp_path / "sub" / "x.png", original)
    assert os.listdir(tmp_path / "sub") == ["x.png"]
    loaded = images.load_image(path)
    np.testing.assert_array_equal(images.to_uint8(loaded), original)


def test_jpeg_grey_round_trip_is_close(tmp_path):
    grey = np.tile(np.linspace(0, 1, 16, dtype=np.float32), (16, 1))[..., None]
    images.save_image(tmp_path / "g.jpg", grey)
    loaded = images.load_image(tmp_path / "g.jpg", channels=1).numpy()
    assert loaded.shape == (16, 16, 1)
    assert np.abs(loaded - grey).max() < 0.05


def test_failed_save_leaves_no_file(tmp_path, monkeypatch):
    def exploding_save(self, fp, *args, **kwargs):
        with open(fp, "wb") as handle:
            handle.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", exploding_save)
    with pytest.raises(OSError, match="disk full"):
        images.save_image(tmp_path / "x.png", np.zeros((4, 4, 3)))
    assert os.listdir(tmp_path) == []


def test_save_rejects_unknown_extension(tmp_path):
    with pytest.raises(InputError, match=r"\.png, \.jpg or \.jpeg"):
        images.save_image(tmp_path / "x.bmp", np.zeros((4, 4, 3)))
    assert os.listdir(tmp_path) == []


def test_to_uint8_clips_rounds_and_keeps_shape():
    batch = tf.constant([[[[-0.5], [0.5], [1.5], [1.0 / 255 * 0.6]]]])  # NHWC [1, 1, 4, 1]
    out = images.to_uint8(batch)
    assert out.dtype == np.uint8 and out.shape == (1, 1, 4, 1)
    assert out.reshape(-1).tolist() == [0, 128, 255, 1]


def test_resize_max_side_antialiases_and_handles_batches():
    checker = (np.indices((64, 48)).sum(axis=0) % 2).astype(np.float32)[..., None]
    small = images.resize_max_side(np.stack([checker, 1 - checker]), 8).numpy()
    assert small.shape == (2, 8, 6, 1)
    # Antialiasing averages the fine checkerboard to grey; point sampling would not.
    assert np.abs(small - 0.5).max() < 0.1
    assert images.resize_max_side(checker, 128).shape == (128, 96, 1)


def test_grid_shape_follows_tiles_pad_and_scale():
    tiles = np.random.default_rng(1).random((5, 10, 12, 1)).astype(np.float32)
    grid = images.image_grid(tiles, ncols=3, pad=2, scale=2)
    assert grid.dtype == np.uint8 and grid.shape == (2 * 20 + 3 * 2, 3 * 24 + 4 * 2, 3)
    # The first tile sits at (pad, pad), upsampled by nearest neighbour.
    expected = np.repeat(np.repeat(images.to_uint8(tiles[0]), 2, 0), 2, 1)[..., 0]
    np.testing.assert_array_equal(grid[2:22, 2:26, 0], expected)


def test_grid_labels_change_pixels_under_tiles():
    tiles = [np.full((32, 32, 3), 0.5, np.float32)] * 3
    blank = images.image_grid(tiles, labels=["", "", ""], scale=2)
    labelled = images.image_grid(tiles, labels=["cat", "dog", "7"], scale=2)
    assert blank.shape == labelled.shape and blank.shape[0] > 64 + 2 * 2
    diff = np.any(blank != labelled, axis=-1)
    rows = np.nonzero(diff.any(axis=1))[0]
    assert rows.size > 0 and rows.min() >= 2 + 64  # only the label strip under the tiles changes
    assert labelled[diff].min() < 128  # dark text on white


def test_grid_rejects_mismatched_labels():
    with pytest.raises(InputError, match="expected 2 labels"):
        images.image_grid(np.zeros((2, 4, 4, 3)), labels=["a"])


def test_save_grid_writes_png(tmp_path):
    path = images.save_grid(tmp_path / "g.png", np.zeros((4, 8, 8, 1)), labels=list("abcd"), ncols=2, scale=4)
    with Image.open(path) as pil:
        assert pil.format == "PNG" and pil.size[0] == 2 * 32 + 3 * 2


def test_side_by_side_uses_common_height():
    content = np.zeros((100, 50, 3), np.float32)  # -> 64 x 32
    style = np.full((20, 40, 3), 0.5, np.float32)  # -> 64 x 128 (enlarged, nearest)
    row = images.side_by_side([content, style], ["content", "style"], height=64)
    pad, cell = 4, 128
    assert row.dtype == np.uint8 and row.shape[1] == 2 * cell + 3 * pad and row.shape[0] > 64 + 2 * pad
    content_col = row[:, pad + cell // 2, 0]
    style_col = row[:, 2 * pad + cell + cell // 2, 0]
    assert (content_col[pad : pad + 64] == 0).all() and content_col[pad + 64] != 0
    assert (style_col[pad : pad + 64] == 128).all() and style_col[pad - 1] == 255
    with pytest.raises(InputError, match="expected 2 captions"):
        images.side_by_side([content, style], ["only one"])


def test_fit_image_crops_resizes_and_says_when_it_upscales(capsys):
    big = np.random.default_rng(0).random((300, 400, 3)).astype(np.float32)
    out, note = images.fit_image(big, 224, 224, name="big.png")
    assert out.shape == (224, 224, 3) and out.dtype == np.float32 and note is None
    assert capsys.readouterr().err == ""
    out, note = images.fit_image(big[:20, :30], 224, 224, name="tiny.png")
    assert out.shape == (224, 224, 3) and 0 <= out.min() and out.max() <= 1
    assert note == "tiny.png is 20x20 px, smaller than the 224x224 the network takes: upscaled 11.2x (blurry to the " \
                   "network)"  # central crop to the square first
    assert capsys.readouterr().err == f"tfopt: {note}\n"
    same, none = images.fit_image(big, None, None)
    np.testing.assert_array_equal(same, big)
    assert none is None


def test_from_tanh_maps_generator_range_to_unit_range_and_clips():
    import tensorflow as tf

    from tfopt.images import from_tanh

    got = from_tanh(tf.constant([-1.5, -1.0, 0.0, 0.5, 1.0, 2.0]))
    np.testing.assert_allclose(got, [0.0, 0.0, 0.5, 0.75, 1.0, 1.0])
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
