"""pix2pix networks: U-Net / encoder-decoder structure, PatchGAN maps and receptive fields, padding, export."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt import nets
from tfopt.core.errors import InputError
from tfopt.layers import InstanceNorm, NearestUpsample
from tfopt.nets.pix2pix import PATCHES, check_input_size, crop_back, pad_to_multiple, receptive_field


def _unet(name="unet", **kw):
    keras.utils.set_random_seed(0)
    return nets.build(name, **{"image_size": 32, "filters": 4, **kw})


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(np.float32)


def _of_type(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


@pytest.mark.parametrize("name", ["unet", "encoder_decoder"])
@pytest.mark.parametrize("size, depth, batch", [(32, None, 2), (None, 3, 1)])
def test_output_shapes_and_range(name, size, depth, batch):
    net = _unet(name, image_size=size, depth=depth, channels_in=1, channels_out=2)
    for side in ([32] if size else [8, 24]):
        x = _images((batch, side, side, 1))
        y = net(x, training=False).numpy()
        assert y.shape == (batch, side, side, 2) and np.abs(y).max() <= 1
        # Fresh N(0, 0.02) weights shrink the signal layer by layer (to ~1e-10 at training=False without skips);
        # batch statistics renormalize it.
        y = net(x, training=True).numpy()
        assert np.abs(y).max() <= 1 and y.std() > 1e-3
    assert net.inputs[0].name == "condition"


def test_skips_are_the_only_difference():
    u, e = _unet("unet"), _unet("encoder_decoder")
    assert len(_of_type(u, keras.layers.Concatenate)) == 5 - 1 and not _of_type(e, keras.layers.Concatenate)
    # Same widths: each decoder ConvT after the first reads the skipped block's w channels more (16*w*out weights).
    widths = [4, 8, 16, 32, 32]
    deconvs = _of_type(u, keras.layers.Conv2DTranspose)
    extra = sum(16 * widths[3 - j] * conv.filters for j, conv in enumerate(deconvs[1:]))
    assert [c.filters for c in deconvs] == [c.filters for c in _of_type(e, keras.layers.Conv2DTranspose)]
    assert u.count_params() - e.count_params() == extra


def test_leaky_slope_norms_and_dropout_placement():
    net = _unet(depth=5, dropout_blocks=2)
    probe = np.array([[[[-1.0, 2.0, -0.5, 0.0]]]], np.float32)
    for i in range(5):  # every encoder activation is LeakyReLU with the paper's slope 0.2
        layer = net.get_layer(f"enc{i}_lrelu")
        out = layer([probe, net.get_layer(f"enc{i}_lrelu_slope")(probe)]).numpy()
        np.testing.assert_allclose(out.ravel(), [-0.2, 2.0, -0.1, 0.0], rtol=1e-6)
    names = [layer.name for layer in net.layers]
    assert "enc0_norm" not in names and "enc4_norm" not in names  # first and innermost (bottleneck) blocks
    assert all(isinstance(net.get_layer(f"enc{i}_norm"), keras.layers.BatchNormalization) for i in (1, 2, 3))
    assert net.get_layer("enc0_conv").use_bias and net.get_layer("enc4_conv").use_bias
    assert not net.get_layer("enc2_conv").use_bias and not net.get_layer("dec0_deconv").use_bias
    assert [layer.name for layer in _of_type(net, keras.layers.Dropout)] == ["dec0_dropout", "dec1_dropout"]
    assert net.get_layer("dec0_dropout").rate == 0.5
    assert len(_of_type(_unet(depth=3), keras.layers.Dropout)) == 2  # the default 3 with only 2 decoder blocks
    inst = _unet(norm="instance", dropout=0.0)
    assert len(_of_type(inst, InstanceNorm)) == 3 + 4 and not _of_type(inst, keras.layers.Dropout)
    kernel = _unet(filters=16).get_layer("enc3_conv").kernel.numpy()  # 4 x 4 x 64 x 128 draws
    assert abs(kernel.mean()) < 1e-3 and 0.019 < kernel.std() < 0.021  # N(0, 0.02)


def test_bottleneck_at_batch_one_is_not_zeroed():
    net = _unet(depth=5)  # 32 px down to 1x1
    bottleneck = keras.Model(net.inputs, net.get_layer("enc4_lrelu").output)
    assert bottleneck.output.shape[1:3] == (1, 1)
    assert np.abs(bottleneck({"condition": _images((1, 32, 32, 3))}, training=True).numpy()).max() > 1e-4


@pytest.mark.parametrize("kwargs, match", [
    ({"image_size": 48}, "power of two"),
    ({"image_size": 16, "depth": 5}, r"multiple of 2\*\*depth=32"),
    ({"image_size": None}, "expected depth"),
    ({"filters": 0}, "filters"),
    ({"norm": "layer"}, "norm"),
    ({"dropout": 1.0}, "dropout=1.0"),
    ({"dropout_blocks": -1}, "dropout_blocks=-1"),
])
def test_unet_checks_its_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        nets.build("unet", **{"image_size": 32, **kwargs})


def test_any_size_through_pad_to_multiple_and_crop_back():
    net = _unet(image_size=None, depth=4)
    x = _images((2, 48, 80, 3))
    padded, box = pad_to_multiple(x, 16)
    assert padded.shape == (2, 48, 80, 3) and box == (0, 0, 48, 80)  # already a multiple: untouched
    padded, box = pad_to_multiple(x, 64)
    assert padded.shape == (2, 64, 128, 3) and box == (8, 24, 48, 80)
    np.testing.assert_array_equal(crop_back(padded, box), x)
    np.testing.assert_array_equal(padded[:, 7], x[:, 1, :][:, np.r_[np.arange(24, 0, -1), :80, 78 - np.arange(24)]])
    assert crop_back(net(padded), box).shape == (2, 48, 80, 3)
    traced = tf.function(lambda t: crop_back(net(pad_to_multiple(t, 16)[0]), pad_to_multiple(t, 16)[1]),
                         input_signature=[tf.TensorSpec([None, None, None, 3])])
    np.testing.assert_allclose(traced(x[:, :40, :50]), crop_back(net(pad_to_multiple(x[:, :40, :50], 16)[0]),
                                                                  (4, 7, 40, 50)), atol=1e-6)
    tiny, box = pad_to_multiple(x[:, :2, :3], 8)  # pads larger than the image: the edge pixel repeated
    assert tiny.shape == (2, 8, 8, 3) and box == (3, 2, 2, 3)
    np.testing.assert_array_equal(tiny[:, 0, 0], x[:, 0, 0])
    np.testing.assert_array_equal(tiny[:, -1, -1], x[:, 1, 2])


@pytest.mark.parametrize("patch, side", [(1, 64), (16, 30), (34, 14), (70, 6), (142, 2), ("image", 1)])
def test_patchgan_maps_at_64(patch, side):
    assert patch in PATCHES
    d = nets.build("patchgan", patch=patch, image_size=64, filters=4, channels_in=1)
    logits = d({"image": _images((2, 64, 64, 3)), "condition": _images((2, 64, 64, 1))})
    assert tuple(logits.shape) == (2, side, side, 1) and d.get_layer("conv0").use_bias
    assert "norm0" not in [layer.name for layer in d.layers]


def test_patchgan_286_needs_more_than_64_and_checks():
    with pytest.raises(InputError, match="image_size >= 65 for patch=286"):
        nets.build("patchgan", patch=286, image_size=64)
    assert nets.build("patchgan", patch=286, image_size=96, filters=2).output_shape == (None, 1, 1, 1)
    for kwargs, match in [({"patch": 64}, "patch=64"), ({"patch": "image"}, "ImageGAN"), ({"norm": "x"}, "norm")]:
        with pytest.raises(InputError, match=match):
            nets.build("patchgan", **kwargs)


@pytest.mark.parametrize("patch", [1, 16, 34, 70, 286])
def test_receptive_field_is_the_papers(patch):
    assert receptive_field(nets.build("patchgan", patch=patch, filters=2)) == patch  # image_size None
    assert receptive_field(nets.build("patchgan", patch=patch, image_size=256, filters=2)) == patch


def test_receptive_field_walks_the_layers():
    x = keras.Input((None, None, 1))
    h = keras.layers.Conv2D(1, 3, dilation_rate=2)(x)          # 5
    h = keras.layers.MaxPooling2D(2)(h)                         # 6
    model = keras.Model(x, keras.layers.Conv2D(1, 3, strides=2)(h))  # 6 + 2 * 2 = 10
    assert receptive_field(model) == 10
    assert receptive_field(nets.build("patchgan", patch="image", image_size=64, filters=2)) == 64
    with pytest.raises(InputError, match="Conv2DTranspose"):
        receptive_field(_unet())


def test_check_input_size():
    d70 = nets.build("patchgan", patch=70, filters=2)
    with pytest.raises(InputError, match="expected images at least 70 px for a 70x70 PatchGAN; received: 32 px"):
        check_input_size(32, d70)
    with pytest.raises(InputError, match="received: 48 px"):
        check_input_size(tf.TensorShape([48, 100]), d70)
    assert check_input_size(70, d70) == 70
    assert check_input_size(2, nets.build("patchgan", patch=1, filters=2)) == 2
    assert check_input_size(8, nets.build("patchgan", patch="image", image_size=8, filters=2)) == 8


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_instance_norm_round_trip_safe_mode(tmp_path, upsample):
    g = _unet(norm="instance", upsample=upsample)
    d = nets.build("patchgan", patch=16, norm="instance", filters=4)
    x = _images((2, 32, 32, 3))
    for net, feed in ((g, x), (d, [x, x])):
        path = tmp_path / f"{net.name}.keras"
        net.save(path)
        again = keras.saving.load_model(path, safe_mode=True)
        np.testing.assert_allclose(again(feed, training=False), net(feed, training=False), atol=1e-6)


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_tflite_fp32_matches_keras(upsample):
    from tfopt.export.tflite import TFLiteModel
    net = _unet(upsample=upsample)
    flatbuffer = tf.lite.TFLiteConverter.from_keras_model(net).convert()
    lite = TFLiteModel(flatbuffer)
    x = _images((1, 32, 32, 3))
    out = lite(**{lite.input_names[0]: x})
    y = out if isinstance(out, np.ndarray) else next(iter(out.values()))
    np.testing.assert_allclose(y, net(x, training=False).numpy(), atol=1e-4)


def test_twenty_adam_steps_lower_the_l1():
    net = _unet(norm="batch", dropout=0.5, filters=8)
    x = _images((4, 32, 32, 3), 1)
    target = 0.5 * x[..., ::-1]  # a fixed per-pixel map of the input: the skips can carry it
    opt = keras.optimizers.Adam(1e-2)
    before = float(tf.reduce_mean(tf.abs(net(x, training=False) - target)))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(net(x, training=True) - target))
        grads = tape.gradient(loss, net.trainable_variables)
        opt.apply_gradients(zip(grads, net.trainable_variables))
        return loss, [tf.reduce_max(tf.abs(g)) for g in grads]

    losses = []
    for _ in range(20):
        loss, grad_max = step()
        losses.append(float(loss))
        assert min(float(g) for g in grad_max) > 0  # every variable gets a gradient
    # Measured: 0.256 -> 0.149 (training=True), 0.25 -> 0.148 at training=False; nothing moves if the step is broken.
    assert np.mean(losses[-3:]) < 0.75 * np.mean(losses[:3]), losses
    assert float(tf.reduce_mean(tf.abs(net(x, training=False) - target))) < 0.75 * before


@pytest.mark.parametrize("name", ["unet", "encoder_decoder"])
def test_resize_decoder_builds_no_checkerboard(name):
    # A flat input stays flat through the encoder away from the borders. The 4x4 stride-2 transposed convolution
    # gives even and odd output pixels different kernel taps, so a fresh transpose decoder paints a 2-periodic
    # pattern there; nearest x2 and a 3x3 convolution keep a flat map flat (Odena et al. 2016).
    flat = np.full((1, 64, 64, 3), 0.3, np.float32)
    centre = {}
    for upsample in ("transpose", "resize"):
        net = _unet(name, image_size=None, depth=3, upsample=upsample)
        centre[upsample] = net(flat, training=False).numpy()[0, 24:40, 24:40]
        assert net(flat, training=False).shape == (1, 64, 64, 3)
    # Relative to the output's size (without skips, fresh weights shrink it to ~1e-6 at training=False).
    spread = {k: np.ptp(v, axis=(0, 1)).max() / np.abs(v).max() for k, v in centre.items()}
    assert spread["transpose"] > 0.05 and spread["resize"] < 1e-3
    resize = _unet(name, upsample="resize")
    assert not _of_type(resize, keras.layers.Conv2DTranspose)
    assert len(_of_type(resize, NearestUpsample)) == 5
    with pytest.raises(InputError, match="upsample"):
        _unet(name, upsample="bilinear")
