"""Serving signatures: kinds, names, [0, 1] output, inference mode, truncation, PNG bytes."""
import io

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfopt.core.errors import InputError
from tfopt.export import signatures as sigs


def _fn(model, name):
    spec = sigs.describe_model(model)
    fn, specs = sigs.serving_functions(model, spec)[name]
    return spec, tf.function(fn, input_signature=specs)


def test_describe_reads_kind_latent_and_classes(generator, cond_generator, style_net):
    g = sigs.describe_model(generator)
    assert (g.kind, g.latent_dim, g.conditional, g.output_range, g.image_shape) == (
        "generator", 8, False, "tanh", (16, 16, 3))
    c = sigs.describe_model(cond_generator)
    assert (c.conditional, c.num_classes, c.input_order) == (True, 5, ("z", "labels"))
    s = sigs.describe_model(style_net)
    assert (s.kind, s.input_range, s.output_range, s.image_shape) == ("image", "unit", "unit", (None, None, 3))


def test_describe_refuses_a_classifier_and_bad_choices(tiny_model, generator):
    with pytest.raises(InputError, match="expected an image network producing images .* received output shape \\(None, 5\\)"):
        sigs.describe_model(tiny_model)
    with pytest.raises(InputError, match="received: kind='gan'"):
        sigs.describe_model(generator, kind="gan")


def test_serving_default_is_tanh_mapped_to_unit_and_inference_mode(generator):
    spec, fn = _fn(generator, "serving_default")
    z = np.random.default_rng(5).standard_normal((4, 8)).astype(np.float32)
    out = fn(z)["images"].numpy()
    expected = (generator(z, training=False).numpy() + 1.0) / 2.0
    np.testing.assert_allclose(out, np.clip(expected, 0, 1), atol=1e-6)
    assert out.min() >= 0.0 and out.max() <= 1.0 and out.std() > 0.1
    # Batch norm on moving statistics: one sample alone gives the same image as in a batch
    # (training=True would normalize with the batch's own statistics and differ).
    np.testing.assert_allclose(fn(z[:1])["images"].numpy()[0], out[0], atol=1e-6)
    copy = keras.models.clone_model(generator)  # training=True updates the moving statistics: not on
    copy.set_weights(generator.get_weights())  # the shared fixture
    in_training = (copy(z, training=True).numpy() + 1.0) / 2.0
    assert np.abs(in_training - out).max() > 1e-3


def test_truncated_resamples_z_beyond_the_threshold(generator):
    _, default = _fn(generator, "serving_default")
    _, truncated = _fn(generator, "truncated")
    z = (3.0 * np.random.default_rng(6).standard_normal((3, 8))).astype(np.float32)
    t = np.array([0.0, 0.5, 100.0], np.float32)
    got = truncated(z, t)["images"].numpy()
    np.testing.assert_allclose(got[0], default(z[:1])["images"].numpy()[0], atol=1e-6)  # t = 0: untouched
    np.testing.assert_allclose(got[2], default(z[2:3])["images"].numpy()[0], atol=1e-6)  # nothing beyond 100
    assert np.abs(got[1] - default(z[1:2])["images"].numpy()[0]).max() > 1e-3
    with pytest.raises(tf.errors.InvalidArgumentError, match="truncation >= 0"):
        truncated(z, np.array([-1.0, 0.5, 1.0], np.float32))


def test_resampling_keeps_entries_inside_and_has_the_truncated_normal_distribution():
    z = tf.constant(np.random.default_rng(1).standard_normal((4000, 16)).astype(np.float32) * 2.0)
    out = sigs.resample_truncated(z, tf.fill([4000], 0.5)).numpy()
    inside = np.abs(z.numpy()) <= 0.5
    np.testing.assert_array_equal(out[inside], z.numpy()[inside])  # entries already inside are kept
    assert np.abs(out).max() <= 0.5 and np.mean(np.abs(out[~inside]) > 0.499) < 0.01  # not clipped to the edge
    # A normal truncated to [-0.5, 0.5] has standard deviation 0.2816 (a uniform would give 0.2887).
    assert abs(out[~inside].std() - 0.2816) < 0.005


def test_labels_outside_the_trained_classes_are_an_error(cond_generator):
    _, default = _fn(cond_generator, "serving_default")
    z = np.zeros((2, 8), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected labels in 0..4"):
        default(z, np.array([1, 5], np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected labels in 0..4"):
        default(z, np.array([-1, 0], np.int32))


def test_png_signature_encodes_the_images(cond_generator):
    _, png = _fn(cond_generator, "png")
    _, default = _fn(cond_generator, "serving_default")
    z = np.random.default_rng(7).standard_normal((2, 8)).astype(np.float32)
    labels = np.array([1, 4], np.int32)
    blobs = png(z, labels)["png_bytes"].numpy()
    images = default(z, labels)["images"].numpy()
    for blob, image in zip(blobs, images):
        decoded = np.asarray(Image.open(io.BytesIO(blob)), np.float32) / 255.0
        assert decoded.shape == image.shape
        assert np.abs(decoded - image).max() <= 0.5 / 255 + 1e-6


def test_labels_change_a_conditional_generator(cond_generator):
    _, default = _fn(cond_generator, "serving_default")
    z = np.zeros((2, 8), np.float32)
    out = default(z, np.array([0, 3], np.int32))["images"].numpy()
    assert np.abs(out[0] - out[1]).max() > 1e-4


def test_image_bytes_in_png_out(style_net, photos32):
    _, png = _fn(style_net, "png")
    buf = io.BytesIO()
    Image.fromarray(np.round(photos32[0] * 255).astype(np.uint8)).save(buf, format="PNG")
    small = io.BytesIO()
    Image.fromarray(np.round(photos32[1, :20, :24] * 255).astype(np.uint8)).save(small, format="JPEG")
    blobs = png(tf.constant([buf.getvalue(), small.getvalue()]))["png_bytes"].numpy()
    out = np.asarray(Image.open(io.BytesIO(blobs[0])), np.float32) / 255.0
    sent = np.asarray(Image.open(io.BytesIO(buf.getvalue())), np.float32)[None] / 255.0
    expected = style_net(sent, training=False).numpy()[0]
    assert out.shape == (32, 32, 3)
    assert np.abs(out - expected).max() <= 0.5 / 255 + 1e-5
    assert Image.open(io.BytesIO(blobs[1])).size == (24, 20)  # each image keeps its own size


def test_reference_images_and_sample_inputs(cond_generator):
    spec = sigs.describe_model(cond_generator)
    feeds = sigs.sample_inputs(spec, batch=7, seed=3)
    assert feeds["z"].shape == (7, 8) and feeds["z"].dtype == np.float32
    np.testing.assert_array_equal(feeds["labels"], [0, 1, 2, 3, 4, 0, 1])
    again = sigs.sample_inputs(spec, batch=7, seed=3)
    np.testing.assert_array_equal(feeds["z"], again["z"])
    ref = sigs.reference_images(cond_generator, spec, feeds)
    assert ref.shape == (7, 16, 16, 3) and 0.0 <= ref.min() and ref.max() <= 1.0


def test_grey_generator_from_tfopt_gan():
    from tfopt import nets

    keras.utils.set_random_seed(0)
    g = nets.build("dcgan_generator", latent_dim=6, image_size=16, channels=1, filters=4)
    spec = sigs.describe_model(g)
    assert (spec.latent_dim, spec.image_shape) == (6, (16, 16, 1))
    fn, specs = sigs.serving_functions(g, spec)["png"]
    blob = tf.function(fn, input_signature=specs)(np.zeros((1, 6), np.float32))["png_bytes"].numpy()[0]
    assert Image.open(io.BytesIO(blob)).mode == "L"
