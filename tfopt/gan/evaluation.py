"""Scoring a generator against reference images: FID, KID, IS, precision/recall, classes.

For a conditional generator the samples' conditions are drawn from the reference set,
so generated and real images share their distribution of conditions; with class
conditions, ``class_accuracy`` says how often the feature network's classifier
agrees with the class asked for, and ``intra_class_fid`` compares each class with its
own real images. ``truncation`` draws the noise from BigGAN's truncated normal.

Example:
    scores = evaluate(generator, {"image": x_test, "condition": y_test}, num_samples=1000)
    scores["fid"], scores["class_accuracy"]
"""
import numpy as np

from tfopt.core.errors import InputError
from tfopt.gan import feeds, metrics, sample_metrics
from tfopt.gan.truncation import truncated_normal

__all__ = ["evaluate", "sample_conditions"]


def _rows(condition, index):
    if isinstance(condition, dict):
        return {k: np.asarray(v)[index] for k, v in condition.items()}
    return np.asarray(condition)[index]


def sample_conditions(reference, count, rng):
    """``count`` conditions drawn from the reference set's (without replacement while it lasts)."""
    if "condition" not in reference:
        raise InputError("expected reference data with conditions for a conditional generator; received: "
                         f"entries {sorted(reference)}")
    size = len(reference["image"])
    index = rng.choice(size, count, replace=count > size)
    return _rows(reference["condition"], index)


def _class_ids(condition):
    if isinstance(condition, dict):
        return None
    condition = np.asarray(condition)
    if condition.ndim == 1 and np.issubdtype(condition.dtype, np.integer):
        return condition
    return None


def evaluate(generator, reference, *, num_samples=1000, seed=0, feature_network="digits", truncation=None):
    """FID, KID, Inception Score and class histogram of ``num_samples`` generated images.

    Args:
        generator: ``keras.Model`` (inputs ``z`` and/or conditions) producing images in [-1, 1].
        reference: ``{"image": [N, H, W, C] in [0, 1], "condition": ...}``, or an image array.
        num_samples: generated images.
        seed: seed of the noise (and of the conditions drawn from the reference).
        feature_network: ``"digits"``, ``"inception"`` or a :class:`~tfopt.gan.metrics.FeatureNetwork`.
        truncation: BigGAN truncation threshold of the noise (None: plain normal noise).

    Returns:
        dict: fid, kid, kid_std, inception_score, precision, recall, class_share,
        min_class_share, mean_confidence, feature_network, eval_samples, real_samples,
        truncation; and class_accuracy and intra_class_fid for class-conditional generators.
    """
    if not isinstance(reference, dict):
        reference = {"image": np.asarray(reference)}
    real = reference["image"]
    net = metrics.get_feature_network(feature_network) if isinstance(feature_network, str) else feature_network
    rng = np.random.default_rng(seed)
    latent_dim = feeds.latent_dim_of(generator)
    z = truncated_normal(rng, (num_samples, latent_dim), truncation) if latent_dim else None
    condition = sample_conditions(reference, num_samples, rng) if feeds.condition_names(generator) else None
    fake = (feeds.generate_from(generator, z, condition=condition) + 1.0) / 2.0
    fake_stats = metrics.FeatureAccumulator(net).update_all(fake)
    real_stats = metrics.FeatureAccumulator(net).update_all(real)
    kid_mean, kid_std = metrics.kid(real_stats, fake_stats, num_subsets=50, subset_size=min(1000, len(real)))
    hist = metrics.class_histogram(fake_stats)
    precision, recall = sample_metrics.precision_recall(real_stats.features, fake_stats.features)
    scores = {
        "fid": metrics.fid(real_stats, fake_stats),
        "kid": kid_mean,
        "kid_std": kid_std,
        "inception_score": metrics.inception_score(fake_stats)[0],
        "precision": precision,
        "recall": recall,
        "class_share": hist["share"],
        "min_class_share": hist["min_share"],
        "mean_confidence": hist["mean_confidence"],
        "feature_network": net.name,
        "eval_samples": int(num_samples),
        "real_samples": int(len(real)),
        "truncation": truncation,
    }
    classes = _class_ids(condition) if condition is not None else None
    if classes is not None and classes.max() < fake_stats.probs.shape[1]:
        scores["class_accuracy"] = sample_metrics.class_accuracy(fake_stats.probs, classes)
    if classes is not None and len(fake) <= fake_stats.keep and len(real) <= real_stats.keep:
        scores["intra_class_fid"], _ = sample_metrics.intra_class_fid(
            real_stats.features, reference["condition"], fake_stats.features, classes)
    return scores
