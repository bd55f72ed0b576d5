"""tfopt.attacks.adversarial_training: PGD adversarial training's train_step, its eps ramp, and the cached robust CNN."""
import numpy as np
import pytest
import tensorflow as tf

from tfopt.data import digits
from tfopt.models import digits as digits_training
from tfopt.models import zoo
from tfopt.attacks import pgd_training
from tfopt.attacks.adversarial_training import AdversarialTrainer, EpsRamp
from tfopt.nets.digits_cnn import digits_cnn


@pytest.fixture(scope="module")
def batch():
    d = digits(seed=0)
    return d["x_train"][:16], d["y_train"][:16]


def _trainer(eps=0.1, steps=2, step_size=0.05, **kwargs):
    classifier = digits_training._seeded(0, lambda: digits_cnn(10))
    trainer = AdversarialTrainer(classifier, eps=eps, steps=steps, step_size=step_size, **kwargs)
    trainer.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return trainer


def test_train_step_trains_on_pgd_examples_inside_the_ball(batch, monkeypatch):
    """The loss is computed on images the attack moved (within eps, in [0, 1]), not on the clean batch."""
    x, y = batch
    trainer = _trainer()
    trainer.run_eagerly = True  # so the spy sees concrete tensors
    seen = []
    original = trainer.compute_loss

    def spy(x=None, y=None, y_pred=None, **kwargs):
        seen.append((np.asarray(x), np.asarray(y_pred)))
        return original(x=x, y=y, y_pred=y_pred, **kwargs)

    monkeypatch.setattr(trainer, "compute_loss", spy)
    bn = trainer.classifier.get_layer("bn1")
    before = bn.moving_mean.numpy().copy()
    trainer.train_on_batch(x, y)
    (x_train, _), = seen
    assert x_train.shape == x.shape
    delta = np.abs(x_train - x)
    assert delta.max() <= 0.1 + 1e-6 and x_train.min() >= 0 and x_train.max() <= 1
    assert np.mean(delta > 1e-3) > 0.3  # the attack really ran: most pixels moved
    assert not np.allclose(bn.moving_mean.numpy(), before)  # the update itself runs in training mode


def test_clean_weight_adds_the_clean_batch_with_its_weight(batch, monkeypatch):
    x, y = batch
    trainer = _trainer(clean_weight=0.25)
    trainer.run_eagerly = True
    seen = []
    original = trainer.compute_loss

    def spy(x=None, y=None, y_pred=None, sample_weight=None, **kwargs):
        seen.append((np.asarray(x), np.asarray(sample_weight)))
        return original(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, **kwargs)

    monkeypatch.setattr(trainer, "compute_loss", spy)
    trainer.train_on_batch(x, y)
    (x_train, weight), = seen
    n = len(x)
    np.testing.assert_array_equal(x_train[n:], x)
    assert np.abs(x_train[:n] - x).max() > 1e-3
    np.testing.assert_allclose(weight, [1.5] * n + [0.5] * n)


def test_attack_runs_in_inference_mode_and_raises_the_loss(batch):
    """Inside a tf.function (as in fit): the attack leaves BatchNorm's statistics alone and finds worse images."""
    x, y = batch
    trainer = _trainer(eps=0.2, steps=2, step_size=0.1)
    bn = trainer.classifier.get_layer("bn2")
    before = bn.moving_variance.numpy().copy()
    attack = tf.function(trainer.adversarial_batch)
    x_adv = attack(tf.constant(x), tf.constant(y), tf.constant(3)).numpy()
    np.testing.assert_array_equal(bn.moving_variance.numpy(), before)
    assert np.abs(x_adv - x).max() <= 0.2 + 1e-6

    def ce(images):
        return float(tf.keras.losses.sparse_categorical_crossentropy(y, trainer.classifier(images)).numpy().mean())

    assert ce(x_adv) > ce(x) + 0.05


def test_eps_ramp_grows_the_radius_per_epoch_in_fit(batch):
    x, y = batch
    trainer = _trainer(eps=0.2, steps=1, step_size=0.1)
    history = trainer.fit(x[:8], y[:8], batch_size=8, epochs=2, verbose=0, callbacks=[EpsRamp(2)])
    np.testing.assert_allclose(history.history["eps"], [0.1, 0.2])
    assert np.all(np.isfinite(history.history["loss"]))


def test_robust_digits_cnn_trains_once_then_reloads_from_cache(tmp_path, monkeypatch, capfd):
    monkeypatch.setitem(pgd_training.ROBUST_TRAINING, "epochs", 1)
    monkeypatch.setitem(pgd_training.ROBUST_TRAINING, "steps", 1)
    monkeypatch.setitem(pgd_training.ROBUST_TRAINING, "ramp_epochs", 0)
    model = zoo.get_model("digits_cnn_robust", cache_dir=str(tmp_path))
    path = tmp_path / "digits_cnn_robust" / "model.keras"
    assert path.is_file() and not (tmp_path / "digits_cnn").exists()
    said = [line for line in capfd.readouterr().err.splitlines() if line.startswith("tfopt:")]
    assert len(said) == 1 and "robust digits classifier" in said[0] and "first use" in said[0]

    def retrain(**kwargs):
        raise AssertionError("a cached robust digits CNN must not be retrained")

    monkeypatch.setattr(pgd_training, "train_robust_digits_classifier", retrain)
    again = zoo.get_model("digits_cnn_robust", cache_dir=str(tmp_path))
    assert str(path) in zoo.describe_weights(again) and "adversarially" in zoo.describe_weights(again)
    x = digits(seed=0)["x_test"][:8]
    np.testing.assert_allclose(again(x).numpy(), model(x).numpy(), atol=1e-6)
    assert zoo.class_names(again) == [str(k) for k in range(10)] and "digits_cnn_robust" in zoo.MODEL_NAMES
