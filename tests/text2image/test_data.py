"""Captioned digits (images, captions, held-out pairs, vectorizer) and the captioned folder loader."""
import re

import numpy as np
import pytest
from PIL import Image

from tfopt.core.errors import InputError
from tfopt.data import captioned_digits as cd
from tfopt.data.captioned_folder import load_captioned_folder

_CANONICAL = re.compile(r"^a (\w+) (\w+) (\w+) on a (\w+) background$")


@pytest.fixture(scope="module")
def train():
    return cd.captioned_digits("train", num=3000)


@pytest.fixture(scope="module")
def held_out():
    return cd.captioned_digits("held_out", num=400)


def _pairs(data):
    return set(zip(data.attributes["digit"].tolist(), data.attributes["stroke"].tolist()))


def test_constants():
    assert len(cd.COLOURS) == 7 and cd.COLOUR_NAMES == tuple(cd.COLOURS)
    palette = np.array(list(cd.COLOURS.values()))
    gaps = np.linalg.norm(palette[:, None] - palette[None], axis=-1)[np.triu_indices(7, 1)]
    assert gaps.min() > 0.6
    assert {d for d, _ in cd.HELD_OUT} == set(range(10))
    assert {c for _, c in cd.HELD_OUT} == set(range(7))
    assert list(cd.VOCABULARY) == sorted(set(cd.VOCABULARY))


def test_shapes_ranges_and_determinism():
    a = cd.captioned_digits("test", num=50, captions_per_image=3, seed=1)
    b = cd.captioned_digits("test", num=50, captions_per_image=3, seed=1)
    c = cd.captioned_digits("test", num=50, captions_per_image=3, seed=2)
    assert a.images.shape == (50, 32, 32, 3) and a.images.dtype == np.float32 and a.captions.shape == (50, 3)
    assert a.images.min() >= -1.0 and a.images.max() <= 1.0
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.captions, b.captions)
    for name in ("digit", "stroke", "background", "thickness"):
        np.testing.assert_array_equal(a.attributes[name], b.attributes[name])
    assert not np.array_equal(a.images, c.images) and not np.array_equal(a.captions, c.captions)
    big = cd.captioned_digits("test", num=8, image_size=64)
    assert big.images.shape == (8, 64, 64, 3)
    assert len(cd.captioned_digits("held_out").images) == 1000  # the default size


def test_images_are_not_a_few_exact_colours(train):
    corners = ((train.images[:200, 0, 0] + 1) / 2).round(3)  # background pixels
    assert len({tuple(c) for c in corners}) > 150  # colours jittered per image


def test_held_out_pairs(train, held_out):
    test = cd.captioned_digits("test", num=1500)
    assert not _pairs(train) & cd.HELD_OUT and not _pairs(test) & cd.HELD_OUT
    assert _pairs(held_out) == set(cd.HELD_OUT)  # all of them, and only them
    every = {(d, c) for d in range(10) for c in range(7)}
    assert _pairs(train) == every - cd.HELD_OUT


def test_stroke_differs_from_background_and_attributes_vary(train):
    a = train.attributes
    assert np.all(a["stroke"] != a["background"])
    assert set(a["thickness"].tolist()) == {0, 1, 2} and set(a["background"].tolist()) == set(range(7))


def test_thickness_is_a_stroke_width():
    maps, _ = cd._grey_maps("held_out", 32)  # [3, N, 32, 32]: the test digits in the three thicknesses
    widths = np.stack([cd.stroke_width(m[:100]) for m in maps])
    np.testing.assert_allclose(np.median(widths, axis=1), cd.THICKNESS_WIDTHS, atol=0.5)
    assert np.mean(widths[0] < widths[1]) == 1.0 and np.mean(widths[1] < widths[2]) > 0.97
    thinner = cd.with_stroke_width(maps[1][:20], 4.0)
    assert np.all(cd.stroke_width(thinner) < cd.stroke_width(maps[1][:20]))


def test_captions_state_the_attributes(train):
    numbers = {str(d): d for d in range(10)} | {w: d for d, w in enumerate(cd.DIGIT_WORDS)}
    thickness_words = {w: t for t, words in enumerate(cd._THICKNESS_WORDS) for w in words}
    for i in range(300):
        a = {k: int(v[i]) for k, v in train.attributes.items()}
        assert len(set(train.captions[i])) == train.captions.shape[1]  # different templates
        for caption in train.captions[i]:
            words = caption.replace(",", " ").split()
            assert {w for w in words if w in cd.COLOURS} == {cd.COLOUR_NAMES[a["stroke"]],
                                                             cd.COLOUR_NAMES[a["background"]]}
            assert [numbers[w] for w in words if w in numbers] == [a["digit"]]
            assert [thickness_words[w] for w in words if w in thickness_words] == [a["thickness"]]
    assert cd.unknown_words(train.captions) == []


def test_digit_swapped_captions_change_only_the_digit_and_never_name_a_held_out_pair(train):
    numbers = {str(d): d for d in range(10)} | {w: d for d, w in enumerate(cd.DIGIT_WORDS)}
    thickness_words = {w: t for t, words in enumerate(cd._THICKNESS_WORDS) for w in words}
    swapped = cd.digit_swapped_captions(train.attributes, per_image=3, seed=1)
    assert swapped.shape == (len(train.images), 3)
    digits_said = set()
    for i in range(500):
        a = {k: int(v[i]) for k, v in train.attributes.items()}
        for caption in swapped[i]:
            words = caption.replace(",", " ").split()
            (digit,) = [numbers[w] for w in words if w in numbers]
            assert digit != a["digit"] and (digit, a["stroke"]) not in cd.HELD_OUT
            assert {w for w in words if w in cd.COLOURS} == {cd.COLOUR_NAMES[a["stroke"]],
                                                             cd.COLOUR_NAMES[a["background"]]}
            assert [thickness_words[w] for w in words if w in thickness_words] == [a["thickness"]]
            digits_said.add(digit)
    assert digits_said == set(range(10))
    np.testing.assert_array_equal(swapped, cd.digit_swapped_captions(train.attributes, per_image=3, seed=1))
    with pytest.raises(InputError, match="per_image"):
        cd.digit_swapped_captions(train.attributes, per_image=0)


def test_grey_maps_are_measured_once_then_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TFOPT_CACHE", str(tmp_path))
    maps, y = cd._grey_maps_32("test")
    (saved,) = (tmp_path / "captioned_digits").glob("grey_maps_test_*.npz")
    assert maps.shape == (3, len(y), 32, 32) and maps.dtype == np.float32
    again, y_again = cd._grey_maps_32("test")
    assert np.array_equal(again, maps) and np.array_equal(y_again, y)
    np.savez(saved, maps=maps[:, :2] * 0.5, y=y[:2])  # a second call reads the file, not the digits
    read, _ = cd._grey_maps_32("test")
    assert np.array_equal(read, maps[:, :2] * 0.5)


def test_describe_canonical_parses_back():
    assert cd.describe(7, "red", "blue", "thick") == "a thick red seven on a blue background"
    rng = np.random.default_rng(0)
    for _ in range(50):
        d, s, b, t = rng.integers(10), rng.integers(7), rng.integers(7), rng.integers(3)
        found = _CANONICAL.match(cd.describe(d, s, b, t))
        assert found.groups() == (cd.THICKNESSES[t], cd.COLOUR_NAMES[s], cd.DIGIT_WORDS[d], cd.COLOUR_NAMES[b])
    templates = {cd.describe(3, 0, 1, 2, template=k) for k in range(len(cd.TEMPLATES))}
    assert len(templates) == len(cd.TEMPLATES) >= 6
    with pytest.raises(InputError, match="crimson"):
        cd.describe(7, "crimson", "blue", "thick")


def test_vectorizer_and_unknown_words():
    layer = cd.vectorizer()
    tokens = layer(["A thick red 7, on a BLUE background!", "a thick red seven on a crimson background"]).numpy()
    assert tokens.shape == (2, cd.SEQUENCE_LENGTH) and tokens.dtype == np.int64
    vocabulary = layer.get_vocabulary()
    assert vocabulary[:2] == ["", "[UNK]"] and vocabulary[2:] == list(cd.VOCABULARY)
    assert vocabulary[tokens[0, 3]] == "7" and vocabulary[tokens[1, 3]] == "seven"
    assert (tokens[0] == 1).sum() == 0 and tokens[1, 6] == 1  # crimson -> [UNK]
    assert tokens[0, 8] == 0 and tokens[0, 7] != 0  # padding after the eight words
    assert cd.vectorizer(4)(["a b c d e f"]).shape == (1, 4)
    assert cd.unknown_words(["a Crimson seven, on black!", "teal 7"]) == ["crimson", "teal"]
    assert cd.unknown_words("a thick red seven on a blue background") == []


@pytest.mark.parametrize("kwargs, message", [
    ({"split": "val"}, "split"), ({"num": 0}, "num"), ({"image_size": 48}, "image_size"),
    ({"captions_per_image": 9}, "captions_per_image")])
def test_bad_arguments(kwargs, message):
    with pytest.raises(InputError, match=message):
        cd.captioned_digits(**kwargs)


def _folder(root, names, *, captions=2, nested=False):
    for i, name in enumerate(names):
        sub = f"001.Class_{i % 2}/" if nested else ""
        (root / "images" / sub).mkdir(parents=True, exist_ok=True)
        (root / "text" / sub).mkdir(parents=True, exist_ok=True)
        pixels = np.full((30 + i, 40, 3), 40 * i, np.uint8)
        Image.fromarray(pixels).save(root / "images" / f"{sub}{name}.{'png' if i % 2 else 'jpg'}")
        lines = "".join(f"bird {name} caption {k}\n" for k in range(captions + i))
        (root / "text" / f"{sub}{name}.txt").write_text(lines)


def test_captioned_folder(tmp_path):
    _folder(tmp_path / "flat", ["a", "b", "c"])
    data = load_captioned_folder(tmp_path / "flat", image_size=16)
    assert data.images.shape == (3, 16, 16, 3) and data.images.dtype == np.float32 and data.attributes == {}
    assert data.captions.shape == (3, 2) and data.captions[1, 0] == "bird b caption 0"
    assert data.images[0].max() == pytest.approx(-1.0) and data.images[2].mean() > data.images[1].mean()
    _folder(tmp_path / "cub", ["x", "y"], nested=True)
    data = load_captioned_folder(tmp_path / "cub", image_size=8, captions_per_image=1)
    assert data.images.shape == (2, 8, 8, 3) and data.captions.tolist() == [["bird x caption 0"], ["bird y caption 0"]]


def test_captioned_folder_errors(tmp_path):
    def error(root, **kwargs):
        with pytest.raises(InputError) as info:
            load_captioned_folder(root, **kwargs)
        message = str(info.value)
        assert "\n" not in message
        return message

    _folder(tmp_path / "one", ["a", "b"])
    (tmp_path / "one" / "text" / "b.txt").unlink()
    assert "b.png without one" in error(tmp_path / "one")
    _folder(tmp_path / "two", ["a", "b"])
    (tmp_path / "two" / "text" / "c.txt").write_text("an orphan caption\n")
    assert "c.txt without one" in error(tmp_path / "two")
    _folder(tmp_path / "three", ["a", "b"])
    (tmp_path / "three" / "text" / "a.txt").write_text("\n  \n")
    assert "a.txt (empty)" in error(tmp_path / "three")
    _folder(tmp_path / "four", ["a", "b"])
    assert "at least 5 captions" in error(tmp_path / "four", captions_per_image=5)
    (tmp_path / "four" / "images" / "a.jpg").write_bytes(b"not an image")
    assert "readable image" in error(tmp_path / "four")
    assert "images and root/text" in error(tmp_path / "missing")
    assert "image_size" in error(tmp_path / "four", image_size=0)
