import keras
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.nets.stylenet import build_stylenet
from tfopt.style.fast import TrainConfig, content_images, load_stylenet, save_stylenet, stylize_fast, train_stylenet


def test_round_trip_through_keras_file_with_safe_mode(tmp_path):
    net = build_stylenet((4, 8, 8), residual_blocks=2)
    path = save_stylenet(net, tmp_path)
    assert path.name == "stylenet.keras"
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = np.random.RandomState(1).rand(1, 24, 40, 3).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(net(x)), atol=1e-6)
    again = load_stylenet(tmp_path)
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(net(x)), atol=1e-6)


def test_load_stylenet_rejects_bad_files(tmp_path):
    with pytest.raises(InputError):
        load_stylenet(tmp_path / "missing.keras")
    bad = tmp_path / "stylenet.keras"
    bad.write_text("not a model")
    with pytest.raises(InputError):
        load_stylenet(bad)


def _tiny_config(**kw):
    return TrainConfig(**{**dict(batch_size=2, crop_size=32, style_size=32, filters=(4, 8, 8), residual_blocks=1,
                                 learning_rate=1e-2, log_every=1, progress=False), **kw})


def test_training_lowers_the_perceptual_loss(vgg, photos):
    content, style = photos
    res = train_stylenet([style], model=vgg, content=[content], config=_tiny_config(steps=15))
    h = res.curves()["total"]
    assert len(h) == 15 and res.logged_steps() == list(range(1, 16)) and res.steps == 15
    assert np.mean(h[-5:]) < 0.7 * np.mean(h[:3])
    out, seconds = stylize_fast(res.net, content)
    assert out.shape == content.shape and seconds > 0
    assert res.summary()["content_images"] == 1 and res.summary()["initial_loss"]["total"] == h[0]
    assert res.summary()["content_layers"] == ["block3_conv1"]  # the deepest that fits a 32 px crop


def test_a_resumed_run_goes_on_as_an_uninterrupted_one(vgg, photos, tmp_path):
    content, style = photos
    straight = train_stylenet([style], model=vgg, content=[content], config=_tiny_config(steps=4, checkpoint_every=2),
                              output_dir=tmp_path / "a")
    train_stylenet([style], model=vgg, content=[content], config=_tiny_config(steps=2, checkpoint_every=2),
                   output_dir=tmp_path / "b")
    resumed = train_stylenet([style], model=vgg, content=[content], config=_tiny_config(steps=4, checkpoint_every=2),
                             output_dir=tmp_path / "b")
    assert resumed.resumed_from_step == 2 and resumed.steps == 4
    # Same optimizer state and the same crops after the resume: the same network.
    for a, b in zip(straight.net.get_weights(), resumed.net.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert [h["step"] for h in resumed.history] == [1, 2, 3, 4]
    np.testing.assert_allclose(resumed.curves()["total"], straight.curves()["total"], rtol=1e-5)
    with pytest.raises(InputError, match="styles_sha256"):  # another style image is another run
        train_stylenet([content], model=vgg, content=[content], config=_tiny_config(steps=4),
                       output_dir=tmp_path / "b")
    again = train_stylenet([content], model=vgg, content=[content], config=_tiny_config(steps=1),
                           output_dir=tmp_path / "b", overwrite=True)
    assert again.resumed_from_step == 0 and again.steps == 1 and not (tmp_path / "b" / "previews").exists()


def test_content_images(tmp_path):
    from tfopt.images import save_image
    save_image(tmp_path / "a.png", np.zeros([20, 30, 3], np.float32))
    assert [tuple(i.shape) for i in content_images(tmp_path, max_side=15)] == [(10, 15, 3)]
    with pytest.raises(InputError):
        content_images(tmp_path / "a.png")
    with pytest.raises(InputError):
        TrainConfig(crop_size=8).validate()
