"""Precision/recall, intra-class FID and the truncated normal on known cases."""
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.gan import sample_metrics
from tfopt.gan.truncation import truncated_normal


def test_precision_and_recall_separate_fidelity_from_variety():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(400, 4))
    same = rng.normal(size=(400, 4))
    p, r = sample_metrics.precision_recall(real, same)
    assert p > 0.8 and r > 0.8
    collapsed = rng.normal(scale=0.1, size=(400, 4))  # all near the centre: faithful, no variety
    p, r = sample_metrics.precision_recall(real, collapsed)
    assert p > 0.95 and r < 0.3
    far = rng.normal(loc=10.0, size=(400, 4))  # off the real manifold
    p, r = sample_metrics.precision_recall(real, far)
    assert p == 0.0 and r == 0.0
    with pytest.raises(InputError, match="more than k=3"):
        sample_metrics.precision_recall(real[:3], same)


def test_intra_class_fid_compares_each_class_with_its_own_images():
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 200)
    real = rng.normal(size=(400, 3)) + 5.0 * labels[:, None]
    right = rng.normal(size=(400, 3)) + 5.0 * labels[:, None]
    swapped = rng.normal(size=(400, 3)) + 5.0 * (1 - labels)[:, None]  # right images, wrong classes
    good, per_class = sample_metrics.intra_class_fid(real, labels, right, labels)
    bad, _ = sample_metrics.intra_class_fid(real, labels, swapped, labels)
    assert set(per_class) == {0, 1} and good < 0.2 < 50.0 < bad
    assert sample_metrics.class_accuracy(np.eye(3)[[0, 1, 2, 1]], [0, 1, 2, 2]) == 0.75


def test_truncated_normal_resamples_instead_of_clipping():
    z = truncated_normal(np.random.default_rng(2), (20000, 8), 0.5)
    assert np.abs(z).max() <= 0.5 and z.dtype == np.float32
    assert np.mean(np.abs(z) > 0.49) < 0.03  # clipping would put ~62% of the mass at the edges
    assert abs(z.std() - 0.2816) < 0.005  # the standard deviation of N(0, 1) truncated to [-0.5, 0.5]
    plain = truncated_normal(np.random.default_rng(2), (5, 3), None)
    np.testing.assert_array_equal(plain, np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32))
    with pytest.raises(InputError, match="truncation=-1"):
        truncated_normal(np.random.default_rng(0), (2, 2), -1)
