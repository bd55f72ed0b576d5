"""Feature inversion (Mahendran & Vedaldi, CVPR 2015): what does a layer's code still know?

Given the code ``phi0 = phi(x0)`` of an image at some layer, find images whose code is
the same, under natural-image priors::

    minimize  ||phi(x) - phi0||^2 / ||phi0||^2  +  tv * TV^beta(x)  +  alpha_weight * |x - c|^alpha

k different random starts give k reconstructions. They are all "practically
equivalent to the network" (each one's normalized error is small) and yet differ from
each other: what they share is what the layer encodes, what varies is what it threw
away. Each reconstruction is a separate sample of one engine batch (not a restart,
which would keep only the best), so all k are returned.
"""
import dataclasses

import numpy as np

from tfopt.core.errors import InputError
from tfopt.models.features import FeatureModel
from tfopt.optim import evaluate, optimize
from tfopt.optim import objectives as obj
from tfopt.visualize.common import pairwise_rms, penultimate_layer, predict_probs, total_variation

__all__ = ["DEPTH_LAYERS", "InversionResult", "invert"]

DEPTH_LAYERS = {
    "vgg16": ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"),
    "vgg19": ("block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4", "block5_conv4"),
}
"""The last convolution of each block, per model name: the depths inverted by default for a feature network."""


@dataclasses.dataclass
class InversionResult:
    """k reconstructions of one image from one layer's code.

    Attributes:
        images: [k, H, W, C] reconstructions.
        original: [H, W, C] the image whose code was inverted.
        layer: the layer's name.
        errors: [k] normalized feature error ``||phi(x)-phi0||^2/||phi0||^2``.
        rms_to_original: [k] RMS pixel difference from the original.
        diversity: [k, k] RMS pixel difference between reconstructions.
        mean_diversity: mean of ``diversity`` over pairs.
        predicted: [k] the classifier's top class on each reconstruction (-1 if the
            model is not a classifier); ``original_predicted`` likewise.
        original_predicted: int.
        settings: the regularizer weights used.
        seconds: wall time.
    """

    images: np.ndarray
    original: np.ndarray
    layer: str
    errors: np.ndarray
    rms_to_original: np.ndarray
    diversity: np.ndarray
    mean_diversity: float
    predicted: np.ndarray
    original_predicted: int
    settings: dict
    seconds: float

    def summary(self):
        """JSON-ready numbers."""
        return {
            "layer": self.layer, "restarts": int(len(self.images)), "settings": self.settings,
            "errors": self.errors.tolist(), "max_error": float(self.errors.max()),
            "rms_to_original": self.rms_to_original.tolist(),
            "mean_pairwise_rms": self.mean_diversity, "pairwise_rms": self.diversity.tolist(),
            "total_variation": total_variation(self.images).tolist(),
            "original_predicted": self.original_predicted, "predicted": self.predicted.tolist(),
            "seconds": round(self.seconds, 2),
        }


def _check(restarts, **nonneg):
    if int(restarts) != restarts or restarts < 1:
        raise InputError(f"expected restarts >= 1; received: restarts={restarts}")
    for name, value in nonneg.items():
        if not value >= 0:
            raise InputError(f"expected {name} >= 0; received: {name}={value}")


def _is_classifier(model):
    return len(model.outputs[0].shape) == 2


def invert(model, image, *, layer=None, restarts=5, steps=300, learning_rate=0.05, optimizer="adam", tv=1.0,
           tv_beta=2.0, alpha=6.0, alpha_weight=1.0, alpha_center=0.5, init=None, init_noise=0.2, seed=0,
           progress=False):
    """Reconstructs ``image`` from its code at ``layer``, ``restarts`` times from different starts.

    Args:
        model: keras.Model taking [0, 1] images.
        image: [H, W, C] in [0, 1], sized for the model.
        layer: layer name; None takes the penultimate layer (see
            :func:`~tfopt.visualize.common.penultimate_layer`).
        restarts: number of reconstructions k.
        steps: optimizer steps.
        learning_rate: step size (Adam on pixels).
        optimizer: "adam" (default), "sgd" or "lbfgs".
        tv: weight of TV^beta.
        tv_beta: TV exponent.
        alpha: exponent of the alpha-norm (Mahendran & Vedaldi use 6).
        alpha_weight: weight of the alpha-norm (0 turns it off).
        alpha_center: the alpha-norm's centre.
        init: [H, W, C] image the starts are drawn around (default flat 0.5, e.g. a data
            set's mean image).
        init_noise: std of the Gaussian noise of each start.
        seed: seed of the starts.
        progress: show a progress bar.

    Returns:
        An :class:`InversionResult`.

    Example:
        res = invert(model, x_test[0], restarts=5)
        res.errors, res.mean_diversity
    """
    _check(restarts, tv=tv, tv_beta=tv_beta, alpha=alpha, alpha_weight=alpha_weight, init_noise=init_noise)
    image = np.asarray(image, np.float32)
    if image.ndim != 3:
        raise InputError(f"expected one image [H, W, C]; received shape {image.shape}")
    layer = layer or penultimate_layer(model)
    fm = FeatureModel(model, [layer])
    code = fm(image[None])[layer].numpy()
    if not np.any(code):
        raise InputError(f"expected an image with a non-zero code at {layer!r}; received one whose code is all 0")
    center = np.full_like(image, 0.5) if init is None else np.asarray(init, np.float32)
    rng = np.random.default_rng(seed)
    starts = np.clip(center[None] + init_noise * rng.standard_normal((restarts,) + image.shape), 0, 1)
    error = obj.feature_match(layer, np.repeat(code, restarts, 0))
    goal = error
    if tv:
        goal = goal + tv * obj.tv(tv_beta)
    if alpha_weight:
        goal = goal + alpha_weight * obj.alpha_norm(alpha, alpha_center)
    res = optimize(goal, fm, starts.astype(np.float32), steps=steps, optimizer=optimizer,
                   learning_rate=learning_rate, maximize=False, seed=seed, progress=progress,
                   desc=f"invert {layer}")
    errors = evaluate(error, fm, res.images)
    diversity, mean_div = pairwise_rms(res.images)
    rms = np.sqrt(((res.images - image[None]) ** 2).reshape(restarts, -1).mean(-1))
    if _is_classifier(model):
        predicted = predict_probs(model, res.images).argmax(-1)
        original_predicted = int(predict_probs(model, image[None]).argmax(-1)[0])
    else:
        predicted, original_predicted = np.full([restarts], -1), -1
    settings = {"steps": int(steps), "learning_rate": learning_rate, "optimizer": optimizer, "tv": tv,
                "tv_beta": tv_beta, "alpha": alpha, "alpha_weight": alpha_weight, "alpha_center": alpha_center,
                "init_noise": init_noise, "objective": goal.name}
    return InversionResult(images=res.images, original=image, layer=layer, errors=errors, rms_to_original=rms,
                           diversity=diversity, mean_diversity=mean_div, predicted=predicted,
                           original_predicted=original_predicted, settings=settings, seconds=res.seconds)
