"""InfoGAN categorical codes: the code layer, the Q head, the penalty, replica equality, safe_mode."""
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt import nets
from tfopt.gan import GAN, GANConfig, group_minibatches, io, penalties
from tfopt.gan import terms as T
from tfopt.layers import CategoricalCode, categorical_code



def test_code_layer_gives_uniform_one_hot_rows_and_keeps_the_rest():
    z = np.random.default_rng(0).standard_normal((5000, 9)).astype(np.float32)
    out = keras.ops.convert_to_numpy(CategoricalCode(5)(z))
    assert out.shape == (5000, 9)
    code = out[:, :5]
    assert set(np.unique(code)) == {0.0, 1.0} and np.all(code.sum(axis=1) == 1)
    np.testing.assert_array_equal(code.argmax(axis=1), z[:, :5].argmax(axis=1))
    np.testing.assert_array_equal(out[:, 5:], z[:, 5:])
    share = code.mean(axis=0)
    assert np.all(np.abs(share - 0.2) < 0.03), share
    with pytest.raises(ValueError, match="num_codes=0"):
        CategoricalCode(0)
    with pytest.raises(ValueError, match="larger than num_codes=5"):
        CategoricalCode(5)(np.zeros((2, 5), np.float32))


def test_q_head_shape_and_argument_checks():
    d = nets.build("dcgan_discriminator", image_size=8, channels=1, filters=4, categorical_codes=7)
    out = d(np.zeros((3, 8, 8, 1), np.float32))
    assert tuple(out["logits"].shape) == (3, 1) and tuple(out["code_logits"].shape) == (3, 7)
    assert len(nets.build("dcgan_discriminator", image_size=8, filters=4).outputs) == 1
    with pytest.raises(InputError, match="categorical_codes=6"):
        nets.build("dcgan_generator", latent_dim=6, image_size=8, filters=4, categorical_codes=6)
    with pytest.raises(InputError, match="model='gan'"):
        GANConfig.from_flat(model="gan", latent_dim=6, categorical_codes=3).resolved()
    with pytest.raises(InputError, match="categorical_codes=8"):
        GANConfig.from_flat(latent_dim=8, categorical_codes=8).resolved()
    # The term needs the Q head: without one, the record has no code logits to read.
    g = nets.build("dcgan_generator", latent_dim=6, image_size=8, filters=4)
    gan = GAN(g, nets.build("dcgan_discriminator", image_size=8, filters=4))
    info = T.mutual_information(3)
    gan.compile(keras.optimizers.SGD(), keras.optimizers.SGD(), g_terms=[(1.0, T.g_adversarial()), (1.0, info)])
    with pytest.raises(InputError, match="code_logits"):
        gan.train_step(tf.zeros((4, 8, 8, 1)))


def test_mutual_information_penalty_is_lower_when_q_is_right():
    z = np.random.default_rng(1).standard_normal((64, 6)).astype(np.float32)
    codes = keras.ops.convert_to_numpy(categorical_code(z, 4))
    right = penalties.mutual_information_penalty(4.0 * codes, codes).numpy()
    wrong = penalties.mutual_information_penalty(4.0 * np.roll(codes, 1, axis=1), codes).numpy()
    unsure = penalties.mutual_information_penalty(np.zeros_like(codes), codes).numpy()
    assert right.shape == (64,)
    np.testing.assert_allclose(unsure, np.log(4.0), rtol=1e-6)  # H(c) of a uniform code: no information
    assert right.max() < 0.1 < unsure.min() and unsure.max() < wrong.min()


def _networks(latent_dim=7, image_size=8, codes=3):
    common = dict(image_size=image_size, channels=1, filters=4, categorical_codes=codes)
    return (nets.build("dcgan_generator", latent_dim=latent_dim, **common),
            nets.build("dcgan_discriminator", **common))


def _gan(info_weight=1.0):
    keras.utils.set_random_seed(0)
    gan = GAN(*_networks(), seed=2)
    info = T.mutual_information(3)  # InfoGAN is a term on both networks plus the Q head: no special case
    gan.compile(keras.optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5),
                d_terms=[(1.0, T.d_adversarial()), (info_weight, info)],
                g_terms=[(1.0, T.g_adversarial()), (info_weight, info)])
    return gan


def test_training_with_codes_lowers_the_information_penalty():
    gan = _gan(info_weight=2.0)
    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype(np.float32)
    ds = group_minibatches(tf.data.Dataset.from_tensor_slices(x).repeat(), batch_size=16)
    logs = gan.fit(ds, steps_per_epoch=1, epochs=12, verbose=0, shuffle=False).history
    info = logs["g_info"]
    assert "d_info" in logs and info[0] == pytest.approx(np.log(3.0), abs=0.15)  # Q starts unsure
    assert min(info[-3:]) < info[0] - 0.3, info


_MIRRORED = textwrap.dedent("""
    import json
    import numpy as np
    from tfopt import distribute
    distribute.use_logical_cpus(2)
    import keras, tensorflow as tf
    from tfopt import nets
    from tfopt.gan import GAN, group_minibatches
    from tfopt.gan import terms as T

    def run(strategy):
        keras.utils.set_random_seed(0)
        with strategy.scope():
            common = dict(image_size=16, channels=1, filters=4, categorical_codes=5)
            g = nets.build("dcgan_generator", latent_dim=8, **common)
            d = nets.build("dcgan_discriminator", **common)
            gan = GAN(g, d, ema_decay=0.9, seed=3, augment="translation")
            info = T.mutual_information(5)
            gan.compile(keras.optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5),
                        d_terms=[(1.0, T.d_adversarial()), (1.0, info)], g_terms=[(1.0, T.g_adversarial()), (1.0, info)])
        start = [v.numpy().copy() for v in gan.generator.weights + gan.discriminator.weights]
        x = np.random.default_rng(0).uniform(-1, 1, (64, 16, 16, 1)).astype("float32")
        ds = group_minibatches(tf.data.Dataset.from_tensor_slices(x).repeat(), batch_size=8)
        logs = gan.fit(ds, steps_per_epoch=1, epochs=1, verbose=0, shuffle=False).history
        end = [v.numpy() for v in gan.generator.weights + gan.discriminator.weights]
        moved = max(float(np.abs(a - b).max()) for a, b in zip(start, end))
        return end, {k: float(np.ravel(v[-1])[0]) for k, v in logs.items()}, moved

    w1, logs1, moved = run(distribute.get_strategy("default"))
    w2, logs2, _ = run(distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"]))
    diff = max(float(np.abs(a - b).max()) for a, b in zip(w1, w2))
    print("RESULT " + json.dumps({"diff": diff, "moved": moved, "logs": [logs1, logs2]}))
""")


def test_one_step_with_codes_is_the_same_on_one_device_and_two_replicas(run_program):
    out = run_program(_MIRRORED)
    assert out["moved"] > 1e-3 and out["diff"] < 1e-4, out
    one, two = out["logs"]
    assert "g_info" in one and one.keys() == two.keys()
    for name in one:
        assert two[name] == pytest.approx(one[name], rel=1e-4, abs=1e-5), name


def test_networks_with_codes_round_trip_with_safe_mode(tmp_path):
    g, d = _networks()
    z = np.random.default_rng(3).standard_normal((4, 7)).astype(np.float32)
    io.save_generator(g, tmp_path / io.GENERATOR_FILE)
    loaded, config = io.load_generator(tmp_path)
    np.testing.assert_allclose(loaded(z), g(z), atol=1e-6)
    assert config["latent_dim"] == 7
    assert isinstance(loaded.get_layer("code"), CategoricalCode) and loaded.get_layer("code").num_codes == 3
    d.save(tmp_path / "d.keras")
    reloaded = keras.saving.load_model(tmp_path / "d.keras", safe_mode=True)
    images = g(z)
    for name, value in d(images).items():
        np.testing.assert_allclose(reloaded(images)[name], value, atol=1e-6)


def test_generator_with_codes_exports_to_tflite_builtin_ops(tmp_path):
    from tfopt import export

    keras.utils.set_random_seed(0)
    g, _ = _networks()
    spec = export.describe_model(g)
    assert spec.latent_dim == 7  # plain z ~ N(0, I): the exporter's sampler needs nothing new
    summary = export.export_model(g, tmp_path / "1", spec=spec, formats=["tflite_fp32"], num_samples=4,
                                  timing_runs=1, warmup=False, quiet=True)
    assert summary["formats"]["tflite_fp32"]["max_abs_diff"] <= 1e-4


def test_a_run_written_before_codes_resumes_as_codes_off(tmp_path):
    from tfopt.gan import trainer

    old = GANConfig.from_flat(categorical_codes=0).resolved(channels=1)
    # The flat config.json of a run written before codes (and before sections, R1, two learning rates).
    saved = {k: v for k, v in old.identity().items()
             if k not in ("categorical_codes", "info_weight", "r1_weight", "d_learning_rate", "beta_2")}
    io.write_config(tmp_path, saved)
    assert trainer._prepare_dir(tmp_path, old, overwrite=False) is True
    with pytest.raises(InputError, match="categorical_codes=0->40"):
        trainer._prepare_dir(tmp_path, GANConfig().resolved(channels=1), overwrite=False)
