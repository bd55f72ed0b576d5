"""DAMSM's losses against a direct numpy computation, their masking, and R-precision."""
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.text2image import damsm

G1, G2, G3 = damsm.GAMMA1, damsm.GAMMA2, damsm.GAMMA3


def _softmax(x, axis):
    x = np.exp(x - x.max(axis=axis, keepdims=True))
    return x / x.sum(axis=axis, keepdims=True)


def _cos(a, b):
    return np.sum(a * b, -1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def _numpy_word_score(v, e):
    """R(Q, D) of one image (regions v [R, D]) and one caption's real words e [L, D], straight from the paper."""
    s = _softmax(e @ v.T, axis=0)                       # Eq. 8: normalized over words
    alpha = _softmax(G1 * s, axis=1)                    # Eq. 9: over regions
    c = alpha @ v
    return np.log(np.sum(np.exp(G2 * _cos(c, e)))) / G2  # Eq. 10


def _numpy_both_ways(logits):
    idx = np.arange(len(logits))
    return -np.log(_softmax(logits, 1)[idx, idx]) - np.log(_softmax(logits, 0)[idx, idx])


@pytest.fixture()
def batch():
    rng = np.random.default_rng(0)
    regions = rng.normal(size=(4, 6, 5)).astype("float32")
    words = rng.normal(size=(4, 7, 5)).astype("float32")           # padded positions hold garbage on purpose
    lengths = np.array([7, 3, 1, 5])
    mask = (np.arange(7)[None] < lengths[:, None]).astype("float32")
    return regions, words, mask, lengths


def test_word_and_sentence_losses_match_numpy(batch):
    regions, words, mask, lengths = batch
    scores = np.array([[_numpy_word_score(regions[i], words[j, :lengths[j]]) for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(damsm.word_scores(regions, words, mask), scores, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(damsm.word_loss(regions, words, mask), _numpy_both_ways(G3 * scores),
                               rtol=1e-4, atol=1e-4)
    images, sentences = regions[:, 0], words[:, 0]
    expected = _numpy_both_ways(G3 * _cos(images[:, None], sentences[None]))
    np.testing.assert_allclose(damsm.sentence_loss(images, sentences), expected, rtol=1e-5, atol=1e-5)
    total = damsm.damsm_loss({"regions": regions, "global": images},
                             {"words": words, "mask": mask, "sentence": sentences})
    np.testing.assert_allclose(total, _numpy_both_ways(G3 * scores) + expected, rtol=1e-4, atol=1e-4)


def test_class_ids_leave_same_class_pairs_out_of_the_softmax(batch):
    regions, words, mask, lengths = batch
    images, sentences = regions[:, 1], words[:, 0]
    logits = G3 * _cos(images[:, None], sentences[None])
    logits[0, 2] = logits[2, 0] = -np.inf                             # images 0 and 2 share attributes
    got = damsm.sentence_loss(images, sentences, class_ids=[5, 1, 5, 3])
    np.testing.assert_allclose(got, _numpy_both_ways(logits), rtol=1e-5, atol=1e-5)
    assert not np.allclose(got, damsm.sentence_loss(images, sentences))


def test_word_attention_gives_padding_nothing_and_padding_changes_no_loss(batch):
    regions, words, mask, lengths = batch
    context, attention = damsm.word_attention(regions, words, mask)
    assert context.shape == (4, 7, 5) and attention.shape == (4, 7, 6)
    np.testing.assert_allclose(attention.numpy().sum(-1), mask, atol=1e-6)
    assert np.all(context.numpy()[mask == 0] == 0)
    s = _softmax(words[1, :3] @ regions[1].T, axis=0)
    np.testing.assert_allclose(attention[1, :3], _softmax(G1 * s, axis=1), atol=1e-6)
    # Longer padding, filled with other garbage, leaves every loss unchanged.
    rng = np.random.default_rng(1)
    padded = np.concatenate([words, rng.normal(size=(4, 5, 5)).astype("float32") * 10], axis=1)
    padded_mask = np.concatenate([mask, np.zeros((4, 5), "float32")], axis=1)
    np.testing.assert_allclose(damsm.word_loss(regions, padded, padded_mask), damsm.word_loss(regions, words, mask),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(damsm.word_attention(regions, padded, padded_mask)[0][:, :7], context, atol=1e-6)


def test_matched_pairs_score_lower_loss_than_shuffled_and_gradients_are_finite():
    rng = np.random.default_rng(2)
    regions = rng.normal(size=(8, 16, 12)).astype("float32")
    # Each caption's words are noisy copies of some of its own image's regions.
    words = regions[:, rng.integers(0, 16, size=5)] + 0.3 * rng.normal(size=(8, 5, 12)).astype("float32")
    mask = np.ones((8, 5), "float32")
    shuffled = np.roll(np.arange(8), 1)
    matched = damsm.word_loss(regions, words, mask).numpy().mean()
    mismatched = damsm.word_loss(regions, words[shuffled], mask).numpy().mean()
    assert matched < mismatched - 1.0
    sentence_matched = damsm.sentence_loss(regions.mean(1), words.mean(1)).numpy().mean()
    assert sentence_matched < damsm.sentence_loss(regions.mean(1), words.mean(1)[shuffled]).numpy().mean() - 1.0
    mask[:, 3:] = 0
    variables = [tf.Variable(regions), tf.Variable(words)]
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(damsm.word_loss(variables[0], variables[1], mask))
    grads = tape.gradient(loss, variables)
    assert all(np.all(np.isfinite(g.numpy())) for g in grads)
    assert np.all(grads[1].numpy()[:, 3:] == 0) and np.abs(grads[1].numpy()[:, :3]).sum() > 0


def test_r_precision_is_one_for_aligned_vectors_and_near_chance_for_random():
    rng = np.random.default_rng(3)
    images = rng.normal(size=(300, 16))
    assert damsm.r_precision(images, images + 0.01 * rng.normal(size=images.shape), candidates=100) == 1.0
    chance = damsm.r_precision(images, rng.normal(size=images.shape), candidates=10, seed=1)
    assert 0.05 < chance < 0.16
    # Captions of images with the same label are never drawn as mismatches: with identical twins
    # (same vectors, same label), the twin cannot tie with the true caption.
    twins = np.repeat(images[:150], 2, axis=0)
    labels = np.repeat(np.arange(150), 2)
    assert damsm.r_precision(twins, twins, candidates=50, labels=labels) == 1.0
    assert damsm.r_precision(twins, twins, candidates=50) < 1.0
    assert damsm.r_precision(twins, twins, candidates=50, labels={"digit": labels}) == 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"candidates": 1}, "candidates to be an integer >= 2"),
    ({"candidates": 100}, "at least 99 mismatched"),
    ({"candidates": 5, "labels": [0, 0, 0, 0, 1, 1]}, "at least 4 mismatched"),
    ({"candidates": 3, "labels": [0, 1]}, "expected 6 labels"),
])
def test_r_precision_bad_input(kwargs, message):
    vectors = np.eye(6)
    with pytest.raises(InputError, match=message):
        damsm.r_precision(vectors, vectors, **kwargs)
    with pytest.raises(InputError, match="one shape"):
        damsm.r_precision(vectors, vectors[:5])
