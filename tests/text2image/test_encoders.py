"""The text and image encoders: shapes, masks, the sentence vector, seeds, bad input, safe_mode reload."""
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.text2image import encoders

import binaries  # tests/binaries.py

VOCAB = ["a", "red", "blue", "green", "square", "on", "background", "seven"]
CAPTIONS = ["a red square on blue", "Green, seven!", "a crimson square"]


@pytest.fixture(scope="module")
def text():
    return encoders.text_encoder(embedding_dim=16, word_dim=8, vectorizer=VOCAB, seed=1)


def test_text_encoder_outputs_masks_and_sentence_from_both_directions(text):
    out = text(tf.constant(CAPTIONS))
    assert out["words"].shape == (3, 16, 16) and out["sentence"].shape == (3, 16)
    np.testing.assert_array_equal(out["mask"].numpy().sum(axis=1), [5, 2, 3])  # "crimson" is [UNK], still a token
    words, mask = out["words"].numpy(), out["mask"].numpy()
    assert np.all(words[mask == 0] == 0) and np.all(np.abs(words[mask == 1]).sum(-1) > 0)
    # The sentence: the forward LSTM's output at the last real token, the backward one's at the first.
    lengths = mask.sum(axis=1).astype(int)
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(out["sentence"].numpy()[i, :8], words[i, n - 1, :8], atol=1e-6)
        np.testing.assert_allclose(out["sentence"].numpy()[i, 8:], words[i, 0, 8:], atol=1e-6)
    # Padding does not change a caption's features; the vocabulary list and a TextVectorization agree.
    layer = keras.layers.TextVectorization(output_sequence_length=16, vocabulary=VOCAB)
    same = encoders.text_encoder(embedding_dim=16, word_dim=8, vectorizer=layer, seed=1)
    np.testing.assert_allclose(same(tf.constant(CAPTIONS))["sentence"], out["sentence"], atol=1e-6)
    alone = text(tf.constant(CAPTIONS[1:2]))
    np.testing.assert_allclose(alone["sentence"][0], out["sentence"][1], atol=1e-6)
    other = encoders.text_encoder(embedding_dim=16, word_dim=8, vectorizer=VOCAB, seed=2)
    assert not np.allclose(other(tf.constant(CAPTIONS))["sentence"], out["sentence"])


def test_image_encoder_regions_and_global_at_32_and_64():
    images = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    for size in (32, 64):
        model = encoders.image_encoder(image_size=size, embedding_dim=12, width=8)
        out = model(images[:, :size, :size])
        assert out["regions"].shape == (2, 64, 12) and out["global"].shape == (2, 12)
        assert np.std(out["regions"].numpy()) > 0
    first = encoders.image_encoder(image_size=32, embedding_dim=12, width=8, seed=3)(images[:, :32, :32])
    again = encoders.image_encoder(image_size=32, embedding_dim=12, width=8, seed=3)(images[:, :32, :32])
    np.testing.assert_array_equal(first["global"], again["global"])


@pytest.mark.parametrize("build, message", [
    (lambda: encoders.text_encoder(embedding_dim=15, vectorizer=VOCAB), "even embedding_dim"),
    (lambda: encoders.text_encoder(embedding_dim=0, vectorizer=VOCAB), "positive integer"),
    (lambda: encoders.text_encoder(vectorizer="a red"), "TextVectorization or a list"),
    (lambda: encoders.text_encoder(vectorizer=VOCAB, dropout=1.0), "dropout"),
    (lambda: encoders.image_encoder(image_size=48), "power of two"),
    (lambda: encoders.image_encoder(image_size=8), "power of two"),
])
def test_bad_sizes_are_input_errors(build, message):
    with pytest.raises(InputError, match=message):
        build()


def test_both_encoders_reload_with_safe_mode_here_and_in_a_fresh_process(text, tmp_path):
    image = encoders.image_encoder(image_size=16, embedding_dim=16, width=4)
    text.save(tmp_path / "text.keras")
    image.save(tmp_path / "image.keras")
    loaded = keras.saving.load_model(tmp_path / "text.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(tf.constant(CAPTIONS))["words"], text(tf.constant(CAPTIONS))["words"],
                               atol=1e-6)
    pixels = np.random.default_rng(1).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    expected = np.concatenate([text(tf.constant(CAPTIONS))["sentence"].numpy().ravel(),
                               image(pixels, training=False)["global"].numpy().ravel()])
    np.save(tmp_path / "pixels.npy", pixels)
    script = (
        "import sys, keras, numpy as np, tensorflow as tf\n"
        "import tfopt.text2image.encoders\n"
        "d = sys.argv[1]\n"
        "t = keras.saving.load_model(d + '/text.keras', safe_mode=True)\n"
        "i = keras.saving.load_model(d + '/image.keras', safe_mode=True)\n"
        f"s = t(tf.constant({CAPTIONS!r}))['sentence'].numpy().ravel()\n"
        "g = i(np.load(d + '/pixels.npy'), training=False)['global'].numpy().ravel()\n"
        "np.save(d + '/out.npy', np.concatenate([s, g]))\n"
    )
    done = binaries.run([sys.executable, "-c", script, str(tmp_path)])
    assert done.returncode == 0, done.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, atol=1e-6)


def test_default_vectorizer_is_the_captioned_digits_fixed_vocabulary(tmp_path):
    from tfopt.data import captioned_digits

    model = encoders.text_encoder(embedding_dim=8, word_dim=4)
    vectorize = next(layer for layer in model.layers if isinstance(layer, keras.layers.TextVectorization))
    assert vectorize.get_vocabulary() == ["", "[UNK]", *captioned_digits.VOCABULARY]
    caption = captioned_digits.describe(7, "red", "blue", "thick")
    out = model(tf.constant([caption, "a crimson seven"]))
    assert out["mask"].numpy().sum() == len(caption.split()) + 3
    model.save(tmp_path / "text.keras")
    loaded = keras.saving.load_model(tmp_path / "text.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(tf.constant([caption]))["sentence"], out["sentence"][:1], atol=1e-6)
