"""FID, KID, IS and the class histogram against known cases."""
import numpy as np
import pytest
from scipy import linalg

from tfopt.core.errors import InputError
from tfopt.gan import metrics


def _random_cov(rng, dim):
    a = rng.normal(size=(dim, dim))
    return a @ a.T / dim + 0.1 * np.eye(dim)


def test_frechet_distance_closed_form_for_non_commuting_covariances():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    s1, s2 = _random_cov(rng, 4), _random_cov(rng, 4)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)
    assert metrics.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)
    # Diagonal case by hand: sum (m1-m2)^2 + sum (sqrt(v1) - sqrt(v2))^2.
    got = metrics.frechet_distance([0, 0], np.diag([1.0, 4.0]), [3, 0], np.diag([4.0, 9.0]))
    assert got == pytest.approx(9 + 1 + 1)


def test_fid_of_a_set_with_itself_is_zero_and_of_two_gaussians_the_closed_form():
    rng = np.random.default_rng(1)
    s1, s2 = _random_cov(rng, 3), _random_cov(rng, 3)
    mu2 = np.array([1.0, -0.5, 0.25])
    a = rng.multivariate_normal(np.zeros(3), s1, size=40000)
    b = rng.multivariate_normal(mu2, s2, size=40000)
    assert abs(metrics.fid(a, a)) < 1e-6
    closed = metrics.frechet_distance(np.zeros(3), s1, mu2, s2)
    assert metrics.fid(a, b) == pytest.approx(closed, rel=0.03)
    # Streaming in batches gives the same statistics as all at once.
    acc = metrics.FeatureAccumulator(None)
    for part in np.array_split(a, 7):
        acc.update_features(part)
    np.testing.assert_allclose(acc.cov, np.cov(a, rowvar=False), rtol=1e-8, atol=1e-10)
    assert acc.count == 40000


def test_kid_is_unbiased_near_zero_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(600, 8)), rng.normal(size=(600, 8))
    same, same_std = metrics.kid(a, b, num_subsets=20, subset_size=300)
    shifted, _ = metrics.kid(a, b + 0.5, num_subsets=20, subset_size=300)
    assert abs(same) < 3 * same_std + 1e-3
    assert shifted > 10 * abs(same) and shifted > 0.01
    with pytest.raises(InputError, match="at least 2"):
        metrics.kid(a[:1], b)


def test_inception_score_and_class_histogram():
    confident = np.eye(10)[np.arange(1000) % 10]
    assert metrics.inception_score(confident, splits=5)[0] == pytest.approx(10.0, rel=1e-6)
    assert metrics.inception_score(np.full((100, 10), 0.1))[0] == pytest.approx(1.0)
    probs = np.full((4, 3), 0.1)
    probs[[0, 1, 2, 3], [0, 0, 1, 0]] = 0.8
    hist = metrics.class_histogram(probs)
    assert hist["share"] == [0.75, 0.25, 0.0] and hist["min_share"] == 0.0
    assert hist["mean_confidence"] == pytest.approx(0.8) and hist["count"] == 4


def test_digits_feature_network_separates_digits_from_noise(digits_model):
    from tfopt.data import digits

    data = digits(seed=0)
    net = metrics.digits_feature_network(digits_model)
    test = metrics.FeatureAccumulator(net).update_all(data["x_test"])
    train = metrics.FeatureAccumulator(net).update_all(data["x_train"][:450])
    noise = metrics.FeatureAccumulator(net).update_all(np.random.default_rng(0).uniform(size=(450, 32, 32, 1)))
    assert test.features.shape == (450, 128) and test.probs.shape == (450, 10)
    assert metrics.fid(train, test) < 0.2 * metrics.fid(noise, test)
    assert metrics.class_histogram(test)["mean_confidence"] > 0.9
