import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.style import colour
from tfopt.style.gatys import StyleConfig, stylize
from tfopt.style.losses import LossWeights
from tfopt.style.schedule import scale_sizes


def _run(vgg, photos, **kw):
    content, style = photos
    cfg = StyleConfig(size=kw.pop("size", 32), steps=kw.pop("steps", 8), polish_steps=kw.pop("polish_steps", 0),
                      progress=False, **kw)
    return stylize(content, [style], model=vgg, config=cfg)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_loss_falls(vgg, photos, optimizer):
    res = _run(vgg, photos, optimizer=optimizer, steps=10 if optimizer == "lbfgs" else 25)
    assert res.final["total"] < 0.5 * res.initial["total"]
    assert res.image.shape == (21, 32, 3) and 0 <= res.image.min() and res.image.max() <= 1
    s = res.summary()
    assert s["loss_fall"] > 2 and s["steps"] == res.steps > 0


@pytest.mark.parametrize("param", ["fft", "fft_decorrelated", "pixel", "sigmoid"])
def test_every_param_lowers_the_loss_and_is_recorded(vgg, photos, param):
    res = _run(vgg, photos, param=param, steps=20)  # sigmoid crosses a plateau around step 10
    assert res.final["total"] < 0.5 * res.initial["total"]
    assert 0 <= res.image.min() and res.image.max() <= 1
    assert res.summary()["param"] == param


def test_default_param_and_polish_follow_the_optimizer(vgg, photos):
    lbfgs = _run(vgg, photos, steps=1, polish_steps=None).summary()
    adam = _run(vgg, photos, steps=1, polish_steps=None, optimizer="adam").summary()
    assert (lbfgs["param"], lbfgs["polish_steps"], lbfgs["steps"]) == ("fft", 100, 101)
    assert (adam["param"], adam["polish_steps"], adam["steps"]) == ("pixel", 0, 1)


def test_polish_lowers_the_loss_below_the_lbfgs_result(vgg, photos):
    plain = _run(vgg, photos, steps=6)
    polished = _run(vgg, photos, steps=6, polish_steps=15)
    assert polished.final["total"] < 0.97 * plain.final["total"]
    assert len(polished.history[-1]) == len(plain.history[-1]) + 15
    np.testing.assert_allclose(polished.history[-1][:6], plain.history[-1], rtol=1e-5)  # same L-BFGS run first
    assert polished.summary()["polish_steps"] == 15 and polished.steps == plain.steps + 15


def test_noise_start_recovers_content(vgg, photos):
    res = _run(vgg, photos, init="noise", steps=10, weights=LossWeights(style=0.0, tv=0.0))
    assert res.initial["content"] > 0.1
    assert res.final["content"] < 0.5 * res.initial["content"]


def test_colour_preservation_keeps_content_chroma(vgg, photos):
    content = photos[0]
    small = np.asarray(__import__("tfopt.images", fromlist=["x"]).resize_max_side(content, 32))
    kept = _run(vgg, photos, preserve_colour=True)
    free = _run(vgg, photos, preserve_colour=False)
    assert colour.chroma_difference(kept.image, small) < 0.01
    assert colour.chroma_difference(free.image, small) > 2 * colour.chroma_difference(kept.image, small)


def test_multiscale_runs_coarse_to_fine(vgg, photos):
    res = _run(vgg, photos, size=48, scales=2, steps=4)
    assert res.sizes == [[16, 24], [32, 48]]
    assert [len(h) for h in res.history] == [4, 2]  # finer scales refine with half the steps
    assert res.steps == 6
    # block5_conv2 (70 px) sees past both scales: 16 px reads block2_conv1, 32 px block3_conv1 (tiny_vgg).
    assert res.summary()["content_layers"] == ["block3_conv1"]
    assert res.final["content"] > 0


def test_scale_sizes():
    assert scale_sizes(256) == [256]
    assert scale_sizes(1024) == [256, 512, 1024]
    assert scale_sizes(128, 2) == [64, 128]
    with pytest.raises(InputError):
        scale_sizes(64, 4)


@pytest.mark.parametrize("bad", [dict(steps=0), dict(fine_steps=-1), dict(optimizer="sgd"), dict(init="zeros"),
                                 dict(param="wavelet"), dict(polish_steps=-1), dict(polish_steps=1.5),
                                 dict(polish_learning_rate=0.0),
                                 dict(style_scale=0),
                                 dict(learning_rate=-1.0)])
def test_bad_config_raises(vgg, photos, bad):
    with pytest.raises(InputError):
        _run(vgg, photos, **bad)


def test_offline_imagenet_vgg19_falls_back_to_real_vgg16_features(tmp_path, monkeypatch, capsys):
    from tfopt.models import zoo
    from tfopt.style.gatys import load_loss_network, load_vgg19
    from tfopt.style.losses import DEFAULT_LAYERS

    monkeypatch.setattr(zoo, "unreachable_reason", lambda url: "no network: simulated")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached weights
    model, described = load_vgg19("imagenet")
    assert described.startswith("hed (VGG16 convolutions") and "could not be downloaded (no network: simulated)" \
        in described and described.endswith("so the features are VGG16's")
    for name in (*DEFAULT_LAYERS.content, *DEFAULT_LAYERS.style):
        model.get_layer(name)  # the style layers exist in VGG16 too
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "cannot download ImageNet weights for vgg19" in said[0] and "HED" in said[0]
    # --model=vgg16 (the feed-forward trainer's default) falls back to the same features, said in one line.
    _, described = load_loss_network("vgg16")
    assert described.startswith("hed (VGG16 convolutions") and "offline fallback for imagenet" in described
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "cannot download ImageNet weights for vgg16" in said[0]
    _, random = load_vgg19("random")
    assert random.startswith("random")


def test_load_loss_network_takes_a_file_with_the_layer_names_and_refuses_others(tmp_path, tiny_vgg_file):
    import keras

    from tfopt.style.gatys import load_loss_network

    path = tiny_vgg_file
    model, described = load_loss_network(str(path))
    assert described.startswith("file: ") and model.get_layer("block5_conv2")
    with pytest.raises(InputError, match="holds its own"):
        load_loss_network(str(path), "random")
    with pytest.raises(InputError, match="expected model vgg16, vgg19"):
        load_loss_network("resnet50")
    inp = keras.Input((None, None, 3))
    other = tmp_path / "other.keras"
    keras.Model(inp, keras.layers.Conv2D(2, 3, name="block1_conv1")(inp)).save(other)
    with pytest.raises(InputError, match="without block5_conv2, block2_conv1, block3_conv1"):
        load_loss_network(str(other))
