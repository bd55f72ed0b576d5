"""Test-time modes of a pix2pix generator, padding to its multiple, and the run config."""
import dataclasses

import keras
import numpy as np
import pytest

from tfopt import nets
from tfopt.core.errors import InputError
from tfopt.pix2pix.config import Pix2PixConfig
from tfopt.pix2pix.translator import multiple_of, run_generator, translate


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(0)
    g = nets.build("unet", image_size=None, depth=3, filters=4)
    # A few training-mode calls move the moving statistics away from their initial 0 / 1.
    x = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype("float32")
    for _ in range(3):
        g(x, training=True)
    return g


def _stats(g):
    return [v.numpy().copy() for v in g.non_trainable_variables]


def test_batch_mode_uses_batch_statistics_without_changing_the_stored_ones(generator):
    x = np.random.default_rng(1).uniform(-1, 1, (4, 16, 16, 3)).astype("float32") * 0.3 + 0.5
    before = _stats(generator)
    inference = run_generator(generator, x, test_mode="inference").numpy()
    batch = run_generator(generator, x, test_mode="batch").numpy()
    assert all(np.array_equal(a, b) for a, b in zip(before, _stats(generator)))  # nothing stored changed
    assert np.abs(batch - inference).max() > 1e-3  # the batch's statistics and dropout do change the output
    # The TF tutorial's call (training=True) is what overwrites them: the pitfall the batch mode avoids.
    generator(x, training=True)
    assert any(not np.array_equal(a, b) for a, b in zip(before, _stats(generator)))


def test_inference_mode_answers_each_image_on_its_own(generator):
    x = np.random.default_rng(2).uniform(-1, 1, (3, 16, 16, 3)).astype("float32")
    together = run_generator(generator, x).numpy()
    alone = run_generator(generator, x[1:2]).numpy()
    np.testing.assert_allclose(together[1:2], alone, atol=1e-5)


def test_translate_pads_to_the_multiple_and_crops_back(generator):
    assert multiple_of(generator) == 8
    images = [np.random.default_rng(3).uniform(0, 1, shape).astype("float32") for shape in ((13, 21, 3), (8, 8, 3))]
    out = translate(generator, images)
    assert [o.shape for o in out] == [(13, 21, 3), (8, 8, 3)]
    assert all(0 <= o.min() and o.max() <= 1 for o in out)
    # An image already at the multiple is the generator's own output, mapped to [0, 1].
    direct = (generator(images[1][None] * 2 - 1, training=False).numpy()[0] + 1) / 2
    np.testing.assert_allclose(out[1], np.clip(direct, 0, 1), atol=1e-5)
    with pytest.raises(InputError, match="test_mode"):
        translate(generator, images, test_mode="train")


@pytest.mark.parametrize("field, value", [("image_size", 48), ("generator", "resnet"), ("patch", "50"),
                                          ("loss", "l2"), ("dropout", 1.0), ("l1_weight", 0.0), ("num_classes", 1),
                                          ("upsample", "bilinear")])
def test_config_refuses_bad_values(field, value):
    with pytest.raises(InputError, match=field):
        dataclasses.replace(Pix2PixConfig(), **{field: value}).validated()


def test_config_identity_and_paper_differences():
    config = Pix2PixConfig(steps=10).validated()
    assert "steps" not in config.identity() and config.identity()["generator"] == "unet"
    assert config.depth == 6 and Pix2PixConfig(image_size=512).depth == 8
    assert config.changed_from_paper()["image_size"] == [64, 256]
    assert Pix2PixConfig.from_json({**config.to_json(), "unknown": 1}) == config


def test_a_run_saved_before_a_field_existed_resumes_and_another_kind_never_does(tmp_path):
    from tfopt.pix2pix.train import _saved_identity
    from tfopt.training.rundir import prepare_run_dir, write_config

    assert Pix2PixConfig().upsample == "resize"  # the offline default; earlier runs were all transposed
    assert Pix2PixConfig().heldout == "auto"  # the set's own region, which every earlier run used
    config = Pix2PixConfig(upsample="transpose").validated()
    old = {k: v for k, v in config.to_json().items() if k not in ("upsample", "heldout")}  # an earlier tfopt's
    write_config(tmp_path, old)
    assert Pix2PixConfig.from_json(old) == config
    assert prepare_run_dir(tmp_path, config.identity(), saved_identity=_saved_identity) is True
    with pytest.raises(InputError, match="upsample='transpose'->'resize'"):
        prepare_run_dir(tmp_path, Pix2PixConfig().validated().identity(), saved_identity=_saved_identity)
    with pytest.raises(InputError, match="heldout='auto'->'bands'"):
        prepare_run_dir(tmp_path, Pix2PixConfig(upsample="transpose", heldout="bands").validated().identity(),
                        saved_identity=_saved_identity)
    write_config(tmp_path, {"kind": "gan", "model": {"name": "dcgan"}})
    with pytest.raises(InputError):
        prepare_run_dir(tmp_path, config.identity(), saved_identity=_saved_identity)
    assert Pix2PixConfig().changed_from_paper()["upsample"] == ["resize", "transpose"]
    assert "upsample" not in config.changed_from_paper()
