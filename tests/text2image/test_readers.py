"""Attribute readers: high accuracy on real captioned digits, and wrong attributes read as wrong."""
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.data import captioned_digits as cd
from tfopt.text2image import readers


@pytest.fixture(scope="module")
def held_out():
    return cd.captioned_digits("held_out", num=200, captions_per_image=1, seed=3)


def test_ceiling_on_real_held_out_images(held_out, digits_model):
    accuracy = readers.attribute_accuracy(held_out.images, held_out.attributes, classifier=digits_model)
    assert accuracy["stroke"] >= 0.98 and accuracy["background"] >= 0.98
    assert accuracy["digit"] >= 0.9 and accuracy["thickness"] >= 0.85
    assert accuracy["all"] <= min(accuracy[name] for name in readers.ATTRIBUTES)
    big = readers.reader_ceiling("held_out", num=60, image_size=64, seed=4, classifier=digits_model)
    assert big["stroke"] >= 0.98 and big["background"] >= 0.98 and big["digit"] >= 0.85 and big["thickness"] >= 0.8


def test_swapped_colours_read_as_swapped(held_out, digits_model):
    a = held_out.attributes
    palette = np.array(list(cd.COLOURS.values()), np.float32)
    x = (held_out.images + 1) / 2  # g * s + (1 - g) * b  ->  g * b + (1 - g) * s (up to the colour jitter)
    swapped = palette[a["stroke"]][:, None, None] + palette[a["background"]][:, None, None] - x
    read = readers.read_attributes(np.clip(swapped, 0, 1), classifier=digits_model, value_range=(0, 1))
    assert np.mean(read["stroke"] == a["background"]) >= 0.98
    assert np.mean(read["background"] == a["stroke"]) >= 0.98
    assert np.mean(read["digit"] == a["digit"]) >= 0.9  # the shape survives the swap
    wrong = {**a, "stroke": a["background"], "background": a["stroke"]}
    accuracy = readers.attribute_accuracy(held_out.images, wrong, classifier=digits_model)
    assert accuracy["stroke"] <= 0.02 and accuracy["background"] <= 0.02 and accuracy["all"] <= 0.02


def test_wrong_digit_and_thickness_are_caught(held_out, digits_model):
    a = held_out.attributes
    wrong = {**a, "digit": (a["digit"] + 1) % 10, "thickness": (a["thickness"] + 1) % 3}
    accuracy = readers.attribute_accuracy(held_out.images, wrong, classifier=digits_model)
    assert accuracy["digit"] <= 0.1 and accuracy["thickness"] <= 0.15
    assert accuracy["stroke"] >= 0.98  # what was not changed still reads right


def test_blank_and_foreign_images(digits_model):
    blank = np.zeros((3, 32, 32, 3), np.float32)
    blank[:] = cd.COLOURS["green"]
    read = readers.read_attributes(blank, classifier=digits_model, value_range=(0, 1))
    assert read["background"].tolist() == [cd.COLOUR_NAMES.index("green")] * 3
    assert all(v.shape == (3,) and v.dtype == np.int64 for v in read.values())


def test_feature_network_classifier_reads_the_same(held_out, digits_model):
    from tfopt.gan.metrics import digits_feature_network

    images = held_out.images[:40]
    by_model = readers.read_attributes(images, classifier=digits_model, batch_size=16)
    by_network = readers.read_attributes(images, classifier=digits_feature_network(digits_model))
    for name in readers.ATTRIBUTES:
        np.testing.assert_array_equal(by_model[name], by_network[name])


def test_bad_input(held_out, digits_model):
    with pytest.raises(InputError, match="shape"):
        readers.read_attributes(np.zeros((2, 32, 32, 1)), classifier=digits_model)
    with pytest.raises(InputError, match="value_range"):
        readers.read_attributes(held_out.images[:2], classifier=digits_model, value_range=(1, 1))
    with pytest.raises(InputError, match="thickness"):
        readers.attribute_accuracy(held_out.images[:2], {"digit": [0, 1], "stroke": [0, 1], "background": [1, 0]},
                                   classifier=digits_model)
    with pytest.raises(InputError, match="shape"):
        readers.attribute_accuracy(held_out.images[:2], {k: v[:3] for k, v in held_out.attributes.items()},
                                   classifier=digits_model)
