"""Loss terms read the step record: formulas on known numbers, and the record computes lazily, once."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.gan import losses, penalties
from tfopt.gan import terms as T
from tfopt.gan.record import Record


def _record(values, producers=None, owner=None):
    return Record(values, producers or {}, owner=owner)


def test_record_computes_each_entry_once_and_only_when_read():
    calls = []

    def fake(r):
        calls.append("fake")
        return r["real"] * 0.5

    record = _record({"real": tf.ones((2, 3))}, {"fake": fake, "never": lambda r: 1 / 0})
    assert not record.computed("fake")
    np.testing.assert_allclose(record["fake"], 0.5)
    record["fake"]
    assert calls == ["fake"] and record.computed("fake") and "never" in set(record)
    with pytest.raises(KeyError, match="'nothing'"):
        record["nothing"]


def test_adversarial_mismatch_drift_l1_and_kl_terms():
    real, fake, wrong = np.array([2.0, -1.0]), np.array([-3.0, 0.5]), np.array([0.5, 1.5])
    record = _record({"d_real": {"logits": real}, "d_fake": {"logits": fake}, "d_wrong": {"logits": wrong},
                      "real": np.zeros((2, 2, 2, 1), np.float32), "fake": np.full((2, 2, 2, 1), -0.5, np.float32),
                      "generated": {"ca_mean": np.array([[0.0, 0.0], [1.0, 0.0]]),
                                    "ca_log_var": np.array([[0.0, 0.0], [0.0, np.log(2.0)]])}})
    sp = lambda x: np.log1p(np.exp(x))  # noqa: E731
    np.testing.assert_allclose(T.d_adversarial()(record), sp(-real) + sp(fake), rtol=1e-5)
    np.testing.assert_allclose(T.g_adversarial("hinge")(record), -fake, rtol=1e-6)
    # The matching-aware term scores (real image, wrong condition) like a generated image.
    np.testing.assert_allclose(T.mismatch()(record), sp(wrong), rtol=1e-5)
    np.testing.assert_allclose(T.mismatch("hinge")(record), np.maximum(0.0, 1.0 + wrong), rtol=1e-6)
    np.testing.assert_allclose(T.drift()(record), real ** 2, rtol=1e-6)
    np.testing.assert_allclose(T.l1()(record), [0.5, 0.5], rtol=1e-6)
    # KL(N(mu, s^2) || N(0, 1)) = 0.5 (s^2 + mu^2 - 1 - log s^2), averaged over the 2 dimensions (StackGAN's code).
    kl_sum = [0.0, 0.5 + 0.5 * (2.0 - 1.0 - np.log(2.0))]
    np.testing.assert_allclose(T.conditioning_kl()(record), np.divide(kl_sum, 2), rtol=1e-5)
    np.testing.assert_allclose(penalties.conditioning_kl(record["generated"]["ca_mean"],
                                                         record["generated"]["ca_log_var"], "sum"), kl_sum, rtol=1e-5)
    for name in losses.PARTS:  # every family's D loss is the sum of its two parts
        real_part, fake_part = losses.get_parts(name)
        np.testing.assert_allclose(losses.get_loss(name)[1](real, fake), real_part(real) + fake_part(fake), rtol=1e-6)


def test_orthogonal_regularization_is_zero_for_orthogonal_columns_and_reads_kernels_only():
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 4)))
    assert float(penalties.orthogonal_regularization([q.astype(np.float32)])) == pytest.approx(0.0, abs=1e-10)
    w = np.array([[1.0, 1.0], [0.0, 1.0]], np.float32)  # W^T W = [[1, 1], [1, 2]]: off-diagonal 1, twice
    assert float(penalties.orthogonal_regularization([w, np.ones(3, np.float32)])) == pytest.approx(2.0)
    conv = np.random.default_rng(1).normal(size=(3, 3, 2, 5)).astype(np.float32)
    flat = conv.reshape(-1, 5)
    gram = flat.T @ flat
    expected = np.sum((gram * (1 - np.eye(5))) ** 2)
    assert float(penalties.orthogonal_regularization([conv])) == pytest.approx(expected, rel=1e-5)

    class _Owner:
        generator = type("G", (), {"trainable_variables": [keras.Variable(w, name="kernel"),
                                                           keras.Variable(np.ones(2), name="bias")]})()

    assert float(T.orthogonal("generator")(_record({}, owner=_Owner()))) == pytest.approx(2.0)


def test_penalty_terms_read_what_the_discriminator_saw():
    class _Owner:
        @staticmethod
        def discriminate(image, condition=None):
            return {"logits": 3.0 * tf.reduce_sum(image, axis=[1, 2, 3])}  # gradient 3 everywhere

    image = tf.ones((2, 2, 2, 1))
    record = _record({"seen_real": (image, None), "seen_fake": (-image, None), "epsilon": tf.constant([0.3, 0.7])},
                     owner=_Owner())
    np.testing.assert_allclose(T.r1()(record), [9.0 * 4, 9.0 * 4], rtol=1e-6)  # ||3 * ones(4)||^2
    np.testing.assert_allclose(T.gradient_penalty()(record), [(6.0 - 1.0) ** 2] * 2, rtol=1e-5)  # ||grad|| = 6


def test_term_names_and_arguments_are_checked():
    with pytest.raises(InputError, match="'bad name'"):
        T.Term("bad name", lambda r: 0.0)
    with pytest.raises(InputError, match="num_codes=0"):
        T.mutual_information(0)
    with pytest.raises(InputError, match="network='critic'"):
        T.orthogonal("critic")
    with pytest.raises(InputError, match="loss='vae'"):
        T.d_adversarial("vae")
    with pytest.raises(InputError, match="at least one discriminator term"):
        T.check_terms([], "discriminator")


def test_conditioning_kl_refuses_an_unknown_reduction():
    with pytest.raises(InputError, match="reduction"):
        penalties.conditioning_kl(np.zeros((1, 2)), np.zeros((1, 2)), "max")
