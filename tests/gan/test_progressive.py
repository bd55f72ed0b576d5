"""Progressive growing: the fade-in computes the old function at alpha 0 and the new one at alpha 1, the schedule
adds up or is refused, and a run resumes mid-stage at the same alpha and across a stage boundary."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import GANConfig
from tfopt.gan import progressive
from tfopt.gan.schedule import Schedule
from tfopt.nets.progressive import ProgressiveNetworks


@pytest.fixture(scope="module")
def nets():
    keras.utils.set_random_seed(1)
    return ProgressiveNetworks(resolution=16, latent_dim=8, channels=2, filters=16)


def _up(x, factor=2):
    return np.repeat(np.repeat(x, factor, axis=1), factor, axis=2)


def _pool(x):
    return tf.nn.avg_pool2d(x, 2, 2, "VALID").numpy()


@pytest.mark.parametrize("stage", [1, 2])
def test_fade_in_is_the_old_network_at_alpha_0_and_only_the_new_path_at_alpha_1(nets, stage):
    rng = np.random.default_rng(stage)
    z = rng.standard_normal((8, 8)).astype(np.float32)
    x = rng.uniform(-1, 1, (8, 4 * 2 ** stage, 4 * 2 ** stage, 2)).astype(np.float32)
    nets.set_alpha(stage - 1, 1.0)
    old_g, old_d = nets.generator(stage - 1)(z).numpy(), nets.discriminator(stage - 1)(_pool(x)).numpy()
    g, d = nets.generator(stage), nets.discriminator(stage)
    try:
        nets.set_alpha(stage, 0.0)
        np.testing.assert_allclose(g(z).numpy(), _up(old_g), atol=1e-6)
        np.testing.assert_allclose(d(x).numpy(), old_d, rtol=1e-5, atol=1e-5)
        nets.set_alpha(stage, 1.0)
        new_g, new_d = nets.generator(stage, fade=False)(z).numpy(), nets.discriminator(stage, fade=False)(x).numpy()
        np.testing.assert_allclose(g(z).numpy(), new_g, atol=1e-6)
        np.testing.assert_allclose(d(x).numpy(), new_d, rtol=1e-5, atol=1e-5)
        assert np.abs(new_g - _up(old_g)).max() > 1e-2  # the new block does change the function
        nets.set_alpha(stage, 0.25)
        np.testing.assert_allclose(g(z).numpy(), 0.75 * _up(old_g) + 0.25 * new_g, atol=1e-5)
        # The real images fade with the same alpha: upsample(avgpool(x)) at 0, x itself at 1.
        fade = nets.real_fade(stage)
        np.testing.assert_allclose(fade(tf.constant(x)).numpy(), 0.25 * x + 0.75 * _up(_pool(x)), atol=1e-6)
        nets.set_alpha(stage, 0.0)
        np.testing.assert_allclose(fade(tf.constant(x)).numpy(), _up(_pool(x)), atol=1e-6)
    finally:
        nets.set_alpha(stage, 1.0)


def test_every_variable_exists_from_the_start_and_the_views_share_them(nets):
    count = len([w for layer in nets.generator_layers for w in layer.weights])
    assert len(nets.generator(2).weights) < count  # a view holds its stages only
    shared = {id(w) for w in nets.generator(1).trainable_weights} & {id(w) for w in nets.generator(2).trainable_weights}
    assert len(shared) >= 6  # 4 px and 8 px blocks and the 8 px toRGB
    assert nets.generator(2).output.shape[1:] == (16, 16, 2)
    assert nets.generator(0, output_resolution=16).output.shape[1:] == (16, 16, 2)
    with pytest.raises(InputError, match="stage in 0..2"):
        nets.generator(3)


def test_schedule_stages_batches_and_alpha():
    s = Schedule(resolution=16, fade_images=64, stable_images=64, batch_size=16, stage_batch="4:32,8:32")
    assert [(x.resolution, x.batch_size, x.start, x.fade_steps, x.end) for x in s.stages] == [
        (4, 32, 0, 0, 2), (8, 32, 2, 2, 6), (16, 16, 6, 4, 14)]
    assert s.total_steps == 14
    assert s.at(0) == (s.stages[0], 1.0)
    assert [s.at(k)[1] for k in range(6, 11)] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert Schedule(resolution=16, fade_images=64, stable_images=64, batch_size=16, steps=20).total_steps == 20
    fixed = Schedule(resolution=16, start_resolution=16, fade_images=64, stable_images=64, batch_size=16)
    assert [(x.resolution, x.fade_steps, x.end) for x in fixed.stages] == [(16, 0, 4)]


@pytest.mark.parametrize("kwargs, message", [
    (dict(resolution=24), "resolution to be a power of two"),
    (dict(start_resolution=32), "start_resolution <= resolution"),
    (dict(stage_batch="32:8"), "stages among [4, 8, 16]"),
    (dict(stage_batch="8"), "px:batch"),
    (dict(fade_images=8), "fade_images >= one batch"),
    (dict(steps=7), "steps >= 16"),
    (dict(replicas=3), "divisible by 3 replicas"),
])
def test_a_schedule_that_does_not_add_up_is_refused(kwargs, message):
    args = {**dict(resolution=16, fade_images=64, stable_images=64, batch_size=16), **kwargs}
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Schedule(**args)


def _config(**kwargs):
    values = dict(model="progressive", image_size=8, latent_dim=8, filters=8, batch_size=8, stage_batch="",
                  fade_images=32, stable_images=32, checkpoint_every=2, sample_every=100, log_every=2,
                  eval_samples=0)
    return GANConfig.from_flat(**{**values, **kwargs})


def _data():
    x = np.random.default_rng(0).uniform(0, 1, (64, 8, 8, 1)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices(x)


class _Record(keras.callbacks.Callback):
    """What each step ran at: (resolution, alpha, the stage optimizer's iterations), then a crash at ``crash_at``."""

    def __init__(self, crash_at=None):
        super().__init__()
        self.seen, self.crash_at, self.step = [], crash_at, 0

    def on_train_batch_begin(self, batch, logs=None):
        fades = [layer for layer in self.model.generator.layers if layer.name.startswith("g_fade")]
        alpha = fades[0].alpha_value if fades else 1.0
        self.seen.append((int(self.model.generator.output.shape[1]), alpha, int(self.model.g_optimizer.iterations)))

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step == self.crash_at:
            raise KeyboardInterrupt("crash after the checkpoint")


def test_a_run_resumes_across_a_stage_boundary_and_mid_fade_at_the_same_alpha(tmp_path):
    # 4 px: 4 stable steps; 8 px: 4 fade-in steps (alpha 0 .. 0.75), then 4 stable. Each entry: (px, alpha, the
    # stage optimizers' iterations) of one step, as an uninterrupted run takes them.
    whole = [(4, 1.0, i) for i in range(4)] + [(8, a, i) for i, a in enumerate([0, .25, .5, .75])] + [
        (8, 1.0, i) for i in range(4, 8)]
    run, first = tmp_path / "run", _Record(crash_at=4)
    with pytest.raises(KeyboardInterrupt):  # right after the checkpoint at the 4 -> 8 px boundary
        progressive.train(_config(), run, dataset=_data(), quiet=True, callbacks=[first])
    assert first.seen == whole[:4]
    # Resumed into the next stage with fresh optimizers, as an uninterrupted run; then killed mid-fade.
    second = _Record(crash_at=2)
    with pytest.raises(KeyboardInterrupt):
        progressive.train(_config(), run, dataset=_data(), quiet=True, callbacks=[second])
    assert second.seen == whole[4:6]
    # Resumed in the same stage, at the same alpha, its optimizers restored (2 iterations).
    third = _Record()
    summary = progressive.train(_config(), run, dataset=_data(), quiet=True, callbacks=[third])
    assert third.seen == whole[6:]
    assert summary["resumed_from_step"] == 6 and summary["steps"] == 12
    history = json.loads((run / "history.json").read_text())
    assert [h["step"] for h in history] == list(range(2, 13, 2))  # none lost, none twice
    assert [h["alpha"] for h in history if h["step"] in (6, 8)] == [0.25, 0.75]
    assert sorted(p.name for p in (run / "stages").iterdir()) == ["generator_4px.keras", "generator_8px.keras"]
    for name in ("stages.png", "samples.png", "generator.keras", "summary.json", "losses.png"):
        assert (run / name).is_file(), name
