"""Scores of image-to-image translation on held-out pairs: pixel distances, sharpness, FCN-score numbers.

:func:`image_scores` compares generated photos with their real targets (L1, PSNR,
SSIM, and two sharpness ratios that show blur, the usual failure of an L1-trained
generator). :func:`segmentation_scores` gives the three numbers of the "FCN score"
of pix2pix (Isola et al. 2017), with the definitions of Long et al. 2015: per-pixel
accuracy, per-class accuracy and class IoU, from a confusion matrix.

Example:
    scores = image_scores(generated, targets)     # float [N, H, W, 3] in [0, 1]
    scores["psnr"], scores["sharpness_ratio"]
    segmentation_scores(predicted, truth, num_classes=8)["class_iou"]
"""
import numpy as np

from tfopt.core.errors import InputError

__all__ = ["PSNR_CAP", "image_scores", "segmentation_scores"]

PSNR_CAP = 100.0
"""PSNR (dB) given to an image equal to its target (whose PSNR is infinite); every image's PSNR is capped here."""

_GREY = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601 luma, as tf.image.rgb_to_grayscale
_CHUNK = 64  # images per TensorFlow call (PSNR, SSIM)


def _check_images(name, images):
    array = np.asarray(images)
    if array.ndim != 4 or array.shape[-1] != 3:
        raise InputError(f"expected {name} as float images [N, H, W, 3]; received: shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        raise InputError(f"expected {name} as float images in [0, 1]; received: dtype {array.dtype}")
    if array.shape[0] < 1 or array.shape[1] < 3 or array.shape[2] < 3:
        raise InputError(f"expected {name} with N >= 1 images of at least 3x3 pixels; received: shape {array.shape}")
    if not np.all(np.isfinite(array)) or array.min() < 0.0 or array.max() > 1.0:
        raise InputError(f"expected {name} in [0, 1]; received: values in [{np.nanmin(array):.4g}, "
                         f"{np.nanmax(array):.4g}]" + ("" if np.all(np.isfinite(array)) else " and non-finite values"))
    return array.astype(np.float32)


def _grey(images):
    return images.astype(np.float64) @ _GREY


def _laplacian_variance(images):
    """Variance of the 4-neighbour Laplacian of each image's grey level ([N]); no padding, so no border effects."""
    g = _grey(images)
    lap = (g[:, :-2, 1:-1] + g[:, 2:, 1:-1] + g[:, 1:-1, :-2] + g[:, 1:-1, 2:] - 4.0 * g[:, 1:-1, 1:-1])
    return lap.reshape(len(lap), -1).var(axis=1)


def _high_frequency_energy(images):
    """Spectral energy above half the Nyquist frequency of each image's grey level ([N]).

    The grey image minus its mean is multiplied by a 2-D Hann window (so the jump between
    opposite borders of the periodic extension does not count as detail), then
    |FFT|^2 / (H W) is summed over frequencies of radius > 0.25 cycles per pixel.
    """
    g = _grey(images)
    _, height, width = g.shape
    g = g - g.mean(axis=(1, 2), keepdims=True)
    window = np.outer(np.hanning(height + 2)[1:-1], np.hanning(width + 2)[1:-1])
    power = np.abs(np.fft.fft2(g * window)) ** 2 / (height * width)
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[None, :]
    high = np.sqrt(fy ** 2 + fx ** 2) > 0.25
    return power[:, high].sum(axis=1)


def _ratio(numerator, denominator):
    return float(numerator / denominator) if denominator > 0 else float("nan")


def image_scores(generated, target):
    """Scores generated images against their targets, pair by pair.

    Args:
        generated: float images [N, H, W, 3] in [0, 1] (H, W >= 3).
        target: the real images, the same shape and range.

    Returns:
        A dict of python floats:
        ``l1``: mean absolute difference (on [0, 1]; 0 = identical);
        ``psnr``: mean over images of ``tf.image.psnr(max_val=1)`` in dB, each image capped
        at :data:`PSNR_CAP` (100 dB), so identical images give 100, not infinity;
        ``ssim``: mean ``tf.image.ssim(max_val=1)`` with filter size min(11, H, W) (1 = identical);
        ``sharpness_ratio``: mean variance of the Laplacian of the grey images over the
        generated images / the same over the targets (1 = as sharp as the real images,
        < 1 blurrier; nan when the targets are flat);
        ``high_frequency_ratio``: mean spectral energy above half the Nyquist frequency
        (Hann-windowed FFT of the grey images) of the generated / of the targets.

    Raises:
        InputError: shapes differ or are not [N, H, W, 3], or values are outside [0, 1].

    Example:
        image_scores(np.clip(photos + 0.05, 0, 1), photos)["l1"]   # about 0.05
    """
    import tensorflow as tf

    generated = _check_images("generated", generated)
    target = _check_images("target", target)
    if generated.shape != target.shape:
        raise InputError(f"expected generated and target of the same shape; received: {generated.shape} "
                         f"and {target.shape}")
    _, height, width, _ = generated.shape
    filter_size = min(11, height, width)
    psnr, ssim = [], []
    for start in range(0, len(generated), _CHUNK):
        g = tf.constant(generated[start:start + _CHUNK])
        t = tf.constant(target[start:start + _CHUNK])
        psnr.append(tf.image.psnr(g, t, max_val=1.0).numpy())
        ssim.append(tf.image.ssim(g, t, max_val=1.0, filter_size=filter_size).numpy())
    psnr = np.minimum(np.concatenate(psnr).astype(np.float64), PSNR_CAP)  # inf (identical) -> the cap
    return {
        "l1": float(np.mean(np.abs(generated.astype(np.float64) - target))),
        "psnr": float(psnr.mean()),
        "ssim": float(np.concatenate(ssim).astype(np.float64).mean()),
        "sharpness_ratio": _ratio(_laplacian_variance(generated).mean(), _laplacian_variance(target).mean()),
        "high_frequency_ratio": _ratio(_high_frequency_energy(generated).mean(),
                                       _high_frequency_energy(target).mean()),
    }


def _check_labels(name, labels, num_classes):
    array = np.asarray(labels)
    if array.ndim != 3:
        raise InputError(f"expected {name} as integer label maps [N, H, W]; received: shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise InputError(f"expected {name} as integer labels; received: dtype {array.dtype}")
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise InputError(f"expected {name} in [0, {num_classes - 1}]; received: values in "
                         f"[{array.min()}, {array.max()}]")
    return array.astype(np.int64)


def segmentation_scores(predicted, truth, num_classes):
    """The FCN-score numbers of a predicted labelling against the true one (Long et al. 2015).

    With ``n[i, j]`` the pixels of true class i predicted as j and ``t[i] = sum_j n[i, j]``:
    per-pixel accuracy ``sum_i n[i, i] / sum_i t[i]``; per-class accuracy the mean of
    ``n[i, i] / t[i]`` over the classes present in ``truth`` (t[i] > 0); class IoU the mean of
    ``n[i, i] / (t[i] + sum_j n[j, i] - n[i, i])`` over the classes present in ``truth`` or in
    ``predicted``. Classes in neither are left out of both means.

    Args:
        predicted: integer labels [N, H, W] in [0, num_classes).
        truth: integer labels of the same shape.
        num_classes: the number of classes (>= 1).

    Returns:
        A dict: ``per_pixel_accuracy``, ``per_class_accuracy``, ``class_iou`` (python floats)
        and ``confusion``, the counts n as a nested list (rows true class, columns predicted).

    Raises:
        InputError: shapes differ or are not [N, H, W], labels are not integers in range.

    Example:
        segmentation_scores(np.array([[[0, 1]]]), np.array([[[0, 0]]]), 2)["per_pixel_accuracy"]   # 0.5
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise InputError(f"expected num_classes to be an integer >= 1; received: num_classes={num_classes!r}")
    num_classes = int(num_classes)
    predicted = _check_labels("predicted", predicted, num_classes)
    truth = _check_labels("truth", truth, num_classes)
    if predicted.shape != truth.shape:
        raise InputError(f"expected predicted and truth of the same shape; received: {predicted.shape} "
                         f"and {truth.shape}")
    if not truth.size:
        raise InputError(f"expected at least one labelled pixel; received: shape {truth.shape}")
    confusion = np.bincount(truth.ravel() * num_classes + predicted.ravel(),
                            minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    correct = np.diag(confusion).astype(np.float64)
    true_count = confusion.sum(axis=1)
    predicted_count = confusion.sum(axis=0)
    in_truth = true_count > 0
    in_either = in_truth | (predicted_count > 0)
    union = true_count + predicted_count - correct
    return {
        "per_pixel_accuracy": float(correct.sum() / true_count.sum()),
        "per_class_accuracy": float(np.mean(correct[in_truth] / true_count[in_truth])),
        "class_iou": float(np.mean(correct[in_either] / union[in_either])),
        "confusion": confusion.tolist(),
    }
