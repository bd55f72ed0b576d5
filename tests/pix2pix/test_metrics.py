"""tfopt.pix2pix.metrics: image scores on constructed pairs, FCN-score numbers on hand-counted labellings."""
import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from tfopt.core.errors import InputError
from tfopt.pix2pix.metrics import PSNR_CAP, image_scores, segmentation_scores


def _texture(n=4, size=32, seed=0):
    """Photo-like [n, size, size, 3] in [0, 1]: smooth colour blobs plus fine detail."""
    rng = np.random.default_rng(seed)
    coarse = gaussian_filter(rng.random((n, size, size, 3)), (0, 4, 4, 0))
    coarse = (coarse - coarse.min()) / (coarse.max() - coarse.min())
    fine = rng.random((n, size, size, 1))
    return np.clip(0.7 * coarse + 0.3 * fine, 0, 1).astype("float32")


def _blur(images, sigma):
    return gaussian_filter(images, (0, sigma, sigma, 0)).astype("float32")


def test_identical_images_score_perfectly():
    photos = _texture()
    scores = image_scores(photos, photos.copy())
    assert set(scores) == {"l1", "psnr", "ssim", "sharpness_ratio", "high_frequency_ratio"}
    assert all(type(value) is float for value in scores.values())
    assert scores["l1"] == 0.0
    assert scores["psnr"] == PSNR_CAP == 100.0          # infinite PSNR capped, and said so
    assert scores["ssim"] == pytest.approx(1.0, abs=1e-5)
    assert scores["sharpness_ratio"] == 1.0 and scores["high_frequency_ratio"] == 1.0


def test_l1_and_psnr_of_a_constant_offset():
    target = np.full((2, 16, 16, 3), 0.5, "float32")
    scores = image_scores(target + np.float32(0.1), target)
    assert scores["l1"] == pytest.approx(0.1, abs=1e-6)
    assert scores["psnr"] == pytest.approx(20.0, abs=1e-3)    # 10 log10(1 / 0.1^2)


def test_blur_lowers_sharpness_high_frequencies_and_psnr_more_the_more_blur():
    photos = _texture()
    light, heavy = image_scores(_blur(photos, 0.7), photos), image_scores(_blur(photos, 2.0), photos)
    assert heavy["sharpness_ratio"] < light["sharpness_ratio"] < 1.0
    assert heavy["high_frequency_ratio"] < light["high_frequency_ratio"] < 1.0
    assert heavy["psnr"] < light["psnr"] < PSNR_CAP
    assert heavy["ssim"] < light["ssim"] < 1.0 and heavy["l1"] > light["l1"] > 0.0
    # the ratios read the generated images over the targets: a sharper "generated" image gives > 1
    assert image_scores(photos, _blur(photos, 1.0))["sharpness_ratio"] > 1.0


def test_image_scores_small_images_use_a_smaller_ssim_filter():
    photos = _texture(n=2, size=8)
    assert image_scores(photos, photos)["ssim"] == pytest.approx(1.0, abs=1e-5)
    assert image_scores(_blur(photos, 1.0), photos)["ssim"] < 0.99


@pytest.mark.parametrize("generated, target, match", [
    (np.zeros((2, 8, 8, 3), "float32"), np.zeros((2, 8, 9, 3), "float32"), "same shape"),
    (np.zeros((8, 8, 3), "float32"), np.zeros((8, 8, 3), "float32"), r"\[N, H, W, 3\]"),
    (np.zeros((1, 8, 8, 1), "float32"), np.zeros((1, 8, 8, 1), "float32"), r"\[N, H, W, 3\]"),
    (np.full((1, 8, 8, 3), 1.5, "float32"), np.zeros((1, 8, 8, 3), "float32"), r"in \[0, 1\]"),
    (np.full((1, 8, 8, 3), -0.5, "float32"), np.zeros((1, 8, 8, 3), "float32"), r"in \[0, 1\]"),
    (np.zeros((1, 8, 8, 3), "uint8"), np.zeros((1, 8, 8, 3), "uint8"), "float"),
])
def test_image_scores_refuse_bad_input(generated, target, match):
    with pytest.raises(InputError, match=match):
        image_scores(generated, target)


def test_segmentation_scores_of_a_hand_counted_2x2_case():
    truth = np.array([[[0, 0], [0, 1]]])
    predicted = np.array([[[0, 0], [1, 1]]])
    scores = segmentation_scores(predicted, truth, 3)     # class 2 in neither: left out of both means
    assert scores["confusion"] == [[2, 1, 0], [0, 1, 0], [0, 0, 0]]
    assert scores["per_pixel_accuracy"] == pytest.approx(3 / 4)
    assert scores["per_class_accuracy"] == pytest.approx((2 / 3 + 1 / 1) / 2)
    assert scores["class_iou"] == pytest.approx((2 / 3 + 1 / 2) / 2)    # class 1: 1 / (1 + 2 - 1)


def test_a_class_predicted_but_absent_from_truth_counts_in_iou_only():
    truth = np.array([[[0, 0], [0, 1]], [[3, 3], [3, 3]]])
    predicted = np.array([[[0, 2], [1, 1]], [[3, 3], [3, 3]]])
    scores = segmentation_scores(predicted, truth, 5)     # class 4 in neither; class 2 only predicted
    assert scores["confusion"][0] == [1, 1, 1, 0, 0] and scores["confusion"][2] == [0] * 5
    assert scores["per_pixel_accuracy"] == pytest.approx(6 / 8)
    assert scores["per_class_accuracy"] == pytest.approx((1 / 3 + 1 + 1) / 3)       # classes 0, 1, 3
    assert scores["class_iou"] == pytest.approx((1 / 3 + 1 / 2 + 0 + 1) / 4)       # classes 0, 1, 2, 3
    assert all(type(scores[k]) is float for k in ("per_pixel_accuracy", "per_class_accuracy", "class_iou"))


def test_perfect_labelling_scores_one():
    truth = np.random.default_rng(0).integers(0, 4, (3, 5, 6))
    scores = segmentation_scores(truth.copy(), truth, 6)
    assert scores["per_pixel_accuracy"] == scores["per_class_accuracy"] == scores["class_iou"] == 1.0
    assert np.array_equal(np.diag(scores["confusion"])[:4], np.bincount(truth.ravel()))


@pytest.mark.parametrize("predicted, truth, num_classes, match", [
    (np.zeros((1, 2, 2), int), np.zeros((1, 2, 3), int), 2, "same shape"),
    (np.zeros((2, 2), int), np.zeros((2, 2), int), 2, r"\[N, H, W\]"),
    (np.zeros((1, 2, 2), float), np.zeros((1, 2, 2), int), 2, "integer"),
    (np.full((1, 2, 2), 2), np.zeros((1, 2, 2), int), 2, r"in \[0, 1\]"),
    (np.zeros((1, 2, 2), int), np.full((1, 2, 2), -1), 2, r"in \[0, 1\]"),
    (np.zeros((1, 2, 2), int), np.zeros((1, 2, 2), int), 0, "num_classes"),
])
def test_segmentation_scores_refuse_bad_input(predicted, truth, num_classes, match):
    with pytest.raises(InputError, match=match):
        segmentation_scores(predicted, truth, num_classes)
