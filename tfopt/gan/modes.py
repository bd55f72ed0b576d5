"""Mode counting on stacked digits: how many of the 1,000 digit triples a generator covers.

The variation measure of "stacked MNIST" (Metz et al. 2017; Karras et al. 2018, Table 4)
on the offline :mod:`tfopt.data.stacked_digits`: the digits classifier (``digits_cnn``,
trained on first use and cached) reads each channel of every sample as a digit; the
modes are the distinct (R, G, B) triples read, and KL is ``KL(p || uniform)`` in nats,
``p`` the samples' histogram over the 1,000 triples (0 for a perfectly uniform histogram,
``log(1000) = 6.91`` for one mode). The reader is not perfect: :func:`reader_accuracy`
gives the share of real test-split stacked images whose triple it reads right, the
ceiling of what the count can be trusted to.

Example:
    from tfopt.gan import feeds
    z = np.random.default_rng(0).standard_normal((10000, feeds.latent_dim_of(generator))).astype(np.float32)
    found = count_modes(feeds.generate_from(generator, z))      # generator images in [-1, 1]
    found["modes"], found["kl"]
"""
import numpy as np

from tfopt.core.errors import InputError
from tfopt.data.stacked_digits import NUM_MODES, split_labels, stacked_digits
from tfopt.gan.metrics import FeatureNetwork, digits_feature_network

__all__ = ["NUM_MODES", "read_digits", "count_modes", "reader_accuracy"]


def _reader(classifier):
    """The digits FeatureNetwork of a classifier (None: the cached ``digits_cnn``)."""
    if isinstance(classifier, FeatureNetwork):
        return classifier
    return digits_feature_network(classifier)


def _check(images, batch_size, value_range):
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or not len(images):
        raise InputError(f"expected stacked images [N, H, W, 3] with N >= 1; received: shape {images.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InputError(f"expected batch_size to be an integer >= 1; received: batch_size={batch_size!r}")
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise InputError(f"expected value_range (low, high) with high > low; received: value_range={value_range!r}")
    return images, low, high


def _modes(digits):
    """``{modes, kl, num_samples, histogram}`` of read digits ``[N, 3]``."""
    histogram = np.bincount(digits @ np.array([100, 10, 1]), minlength=NUM_MODES)
    p = histogram[histogram > 0] / len(digits)
    return {"modes": int((histogram > 0).sum()), "kl": float(np.sum(p * np.log(p * NUM_MODES))),
            "num_samples": int(len(digits)), "histogram": histogram}


def read_digits(images, *, classifier=None, batch_size=500, value_range=(-1.0, 1.0)):
    """The digit the classifier reads in each channel of each image.

    Args:
        images: ``[N, H, W, 3]`` stacked images (resized to the classifier's 32x32 as needed).
        classifier: the digits classifier (a ``keras.Model`` ending in "probs" with a
            "penultimate" layer, or a :class:`~tfopt.gan.metrics.FeatureNetwork`); None
            loads ``digits_cnn`` (trained once on first use, then cached).
        batch_size: images per classifier call.
        value_range: ``(low, high)`` of the images' values: (-1, 1) for generator outputs
            and :func:`~tfopt.data.stacked_digits.stacked_digits`, (0, 1) for the metrics'.

    Returns:
        int64 ``[N, 3]``: the R, G and B digits.
    """
    images, low, high = _check(images, batch_size, value_range)
    reader = _reader(classifier)
    found = []
    for i in range(0, len(images), int(batch_size)):
        batch = (images[i : i + int(batch_size)].astype(np.float32) - low) / (high - low)
        flat = np.transpose(batch, (0, 3, 1, 2)).reshape(-1, *batch.shape[1:3], 1)  # channels as grey images
        _, probs = reader(flat)
        found.append(probs.argmax(axis=1).reshape(len(batch), 3))
    return np.concatenate(found).astype(np.int64)


def count_modes(images, *, classifier=None, batch_size=500, value_range=(-1.0, 1.0)):
    """Modes covered and KL(histogram || uniform) of stacked-digit samples.

    Args:
        images: ``[N, H, W, 3]`` samples, e.g. a generator's (values in ``value_range``).
        classifier, batch_size, value_range: as for :func:`read_digits`.

    Returns:
        dict: ``modes`` (distinct triples read, 0..1000), ``kl`` (nats, 0 for a uniform
        histogram, log(1000) for a single mode), ``num_samples`` and ``histogram``
        (int64 ``[1000]`` counts, index ``100 * d_R + 10 * d_G + d_B``).

    Example:
        count_modes(stacked_digits(2000, split="test")[0])["modes"]      # ~850 (1 - e^-2 of 1,000)
    """
    return _modes(read_digits(images, classifier=classifier, batch_size=batch_size, value_range=value_range))


def reader_accuracy(*, num=10000, image_size=32, split="test", seed=0, classifier=None, batch_size=500):
    """How well the mode counter reads real stacked digits: its ceiling.

    Args:
        num: real stacked images to read.
        image_size, split, seed: as for :func:`~tfopt.data.stacked_digits.stacked_digits`
            ("test": digits the classifier never saw).
        classifier, batch_size: as for :func:`read_digits`.

    Returns:
        dict: ``accuracy`` (share of images whose whole triple is read right),
        ``channel_accuracy`` (share of single channels read right), ``num_samples``,
        and ``modes``/``kl`` of the real images as read (what a perfect generator scores).
    """
    images, labels = stacked_digits(num, image_size=image_size, split=split, seed=seed)
    digits = read_digits(images, classifier=classifier, batch_size=batch_size)
    right = digits == split_labels(labels)
    found = _modes(digits)
    return {"accuracy": float(right.all(axis=1).mean()), "channel_accuracy": float(right.mean()),
            "num_samples": found["num_samples"], "modes": found["modes"], "kl": found["kl"]}
