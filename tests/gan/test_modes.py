"""Stacked digits (three real digits as R, G, B; 1,000 modes), the mode counter, and the trainer on them."""
import json

import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.data import digits
from tfopt.data.stacked_digits import NUM_EXAMPLES, split_labels, stacked_digits
from tfopt.gan import DataConfig, metrics
from tfopt.gan.inputs import reference_examples, training_examples
from tfopt.gan.modes import count_modes, read_digits, reader_accuracy


def test_each_channel_is_a_real_digit_of_its_label_preprocessed_as_the_grey_digits():
    x, y = stacked_digits(300, split="test", seed=3)
    assert x.shape == (300, 32, 32, 3) and x.dtype == np.float32 and y.dtype == np.int32
    assert x.min() >= -1.0 and x.max() <= 1.0 and 0 <= y.min() and y.max() <= 999
    grey = digits(seed=0)
    pool, pool_labels = grey["x_test"][..., 0].reshape(len(grey["x_test"]), -1), grey["y_test"]
    truth = split_labels(y)
    for c in range(3):
        channel = ((x[..., c] + 1.0) / 2.0).reshape(len(x), -1)
        nearest = ((channel[:, None, :] - pool[None]) ** 2).sum(-1).argmin(axis=1)
        np.testing.assert_allclose(channel, pool[nearest], atol=1e-6)       # one test digit, exactly
        np.testing.assert_array_equal(pool_labels[nearest], truth[:, c])    # and its label
    assert (truth[:, 0] != truth[:, 1]).mean() > 0.8                        # drawn independently
    np.testing.assert_array_equal(stacked_digits(300, split="test", seed=3)[1], y)  # fixed by the seed
    assert not np.array_equal(stacked_digits(300, split="train", seed=3)[1], y)


def test_the_named_set_feeds_the_trainer_at_any_size_with_1000_classes():
    ds, info = training_examples(DataConfig(dataset="stacked_digits", image_size=16), conditional=True)
    assert (info.source, info.num_examples, info.num_classes, info.image_shape) == (
        "stacked_digits", NUM_EXAMPLES, 1000, (16, 16, 3))
    batch = next(iter(ds.batch(40)))
    stacked, labels = batch["image"].numpy(), batch["condition"].numpy()
    grey, _ = training_examples(DataConfig(dataset="digits", image_size=16))
    pool = np.concatenate([b["image"].numpy() for b in grey.batch(2000)])[..., 0].reshape(-1, 256)
    for c in range(3):  # every channel is one of the trainer's own 16x16 grey digits
        channel = stacked[..., c].reshape(len(stacked), -1)
        assert np.abs(channel[:, None, :] - pool[None]).max(-1).min(axis=1).max() < 1e-5
    assert labels.min() >= 0 and labels.max() <= 999
    ref = reference_examples(DataConfig(dataset="stacked_digits"), conditional=True)
    assert ref["image"].shape == (NUM_EXAMPLES, 32, 32, 3) and ref["condition"].shape == (NUM_EXAMPLES,)
    assert ref["image"].min() >= 0.0 and ref["image"].max() <= 1.0          # [0, 1] for the metrics


def test_real_stacked_images_cover_most_modes_and_one_image_covers_one(digits_model):
    x, _ = stacked_digits(2000, split="test")
    found = count_modes(x, classifier=digits_model)
    # 2,000 uniform draws of 1,000 modes cover 1 - e^-2 = 86% of them, KL ~0.29 nats
    assert found["modes"] > 800 and found["kl"] < 0.4 and found["num_samples"] == 2000
    assert found["histogram"].shape == (1000,) and found["histogram"].sum() == 2000
    one = count_modes(np.repeat(x[:1], 30, axis=0), classifier=digits_model)
    assert one["modes"] == 1 and one["kl"] == pytest.approx(np.log(1000))
    as_unit = count_modes((x[:50] + 1.0) / 2.0, classifier=digits_model, value_range=(0, 1))
    assert as_unit["modes"] == count_modes(x[:50], classifier=digits_model)["modes"]
    with pytest.raises(InputError, match=r"expected stacked images \[N, H, W, 3\]"):
        count_modes(x[..., :1], classifier=digits_model)


def test_the_reader_reads_the_channels_as_their_labels(digits_model):
    # 0.980 of 10,000 test-split triples (0.993 of channels) with this machine's digits_cnn
    read = reader_accuracy(num=1000, classifier=digits_model)
    assert read["accuracy"] > 0.93 and read["channel_accuracy"] > 0.975 and read["num_samples"] == 1000
    x, y = stacked_digits(60, split="test")
    distinct = np.array([len(set(t)) == 3 for t in split_labels(y).tolist()])
    read = read_digits(x[distinct], classifier=digits_model)
    assert (read == split_labels(y[distinct])).all(axis=1).mean() > 0.9


def test_the_digits_feature_network_reads_colour_per_channel(digits_model):
    net = metrics.digits_feature_network(digits_model)
    x, y = stacked_digits(200, split="test")
    x = (x + 1.0) / 2.0
    features, probs = net(x)
    assert features.shape == (200, 3 * 128) and probs.shape == (200, 1000)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    green, green_probs = net(x[..., 1:2])                                     # the G channel as a grey image
    np.testing.assert_allclose(features[:, 128:256], green, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(probs.reshape(200, 10, 10, 10).sum(axis=(1, 3)), green_probs, atol=1e-5)
    assert (probs.argmax(axis=1) == y).mean() > 0.9                           # joint class = the triple
    # FID sees the channels: two draws of stacked digits are close, a grey digit repeated in R, G, B is not
    other, _ = stacked_digits(200, split="train")
    same = metrics.fid(features, net((other + 1.0) / 2.0)[0])
    greys = metrics.fid(features, net(np.repeat(x[..., :1], 3, axis=-1))[0])
    assert same < 0.5 * greys


def test_train_gan_trains_on_stacked_digits(run_binary, tmp_path):
    run = tmp_path / "run"
    done = run_binary("train_gan", f"--output={run}", "--dataset=stacked_digits", "--steps=2", "--eval_samples=0",
                      "--filters=4", "--latent_dim=8", "--batch_size=8", "--log_every=1", "--sample_every=2",
                      "--checkpoint_every=2", "--quiet")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["data"]["source"] == "stacked_digits"
    assert summary["data"]["image_shape"] == [32, 32, 3] and summary["data"]["num_examples"] == NUM_EXAMPLES
    assert (run / "samples.png").is_file()
