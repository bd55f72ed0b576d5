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


def test_training_lowers_the_perceptual_loss(vgg, photos):
    content, style = photos
    cfg = TrainConfig(steps=15, batch_size=2, crop_size=32, style_size=32, filters=(4, 8, 8), residual_blocks=1,
                      learning_rate=1e-2, progress=False)
    res = train_stylenet([style], model=vgg, content=[content], config=cfg)
    h = res.history["total"]
    assert len(h) == 15
    assert np.mean(h[-5:]) < 0.7 * np.mean(h[:3])
    out, seconds = stylize_fast(res.net, content)
    assert out.shape == content.shape and seconds > 0
    assert res.summary()["content_images"] == 1
    assert res.summary()["content_layers"] == ["block3_conv1"]  # the deepest that fits a 32 px crop


def test_content_images(tmp_path):
    from tfopt.images import save_image
    save_image(tmp_path / "a.png", np.zeros([20, 30, 3], np.float32))
    assert [tuple(i.shape) for i in content_images(tmp_path, max_side=15)] == [(10, 15, 3)]
    with pytest.raises(InputError):
        content_images(tmp_path / "a.png")
    with pytest.raises(InputError):
        TrainConfig(crop_size=8).validate()
