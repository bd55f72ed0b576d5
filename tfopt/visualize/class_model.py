"""Class-model visualization (Simonyan, Vedaldi & Zisserman 2014) with image priors.

What does class ``k`` look like to the network? Ascend its logit from a flat grey
image, with regularizers that keep the image natural-looking:

    class_logit(k) - l2 * l2(0.5) - tv * tv(beta) - blur * blur(sigma),  jitter as a transform

* L2 (Simonyan): keeps pixels near mid-grey instead of saturated.
* TV^beta (Mahendran & Vedaldi 2015): ``((dx^2 + dy^2))^(beta/2)``; beta=2 favours
  smooth regions, beta<=1 piecewise-constant ones.
* jitter: a random shift every step, so the image cannot rely on pixel-exact patterns.
* blur: penalizes the difference between the image and its Gaussian blur.
* ``param="fft"`` and ``robust=True`` (Olah, Mordvintsev & Schubert 2017): ascend a
  1/f-scaled, colour-decorrelated spectrum instead of the pixels, and add a random
  scale and rotation to the jitter. On an ImageNet network these are what turn
  high-frequency patterns into recognizable parts of the class (see docs/visualize.md).

The logit, not the probability, is ascended: the probability is maximized as well by
pushing the other classes down, which Simonyan found less telling. :func:`compare_tv`
runs the same optimization (same start, same seed) with and without TV so the effect
of the prior can be seen side by side and measured.
"""
import dataclasses

import numpy as np

from tfopt.core.errors import InputError
from tfopt.optim import evaluate, optimize
from tfopt.optim import objectives as obj
from tfopt.optim import transforms as tfm
from tfopt.visualize.common import check_classes, input_size, predict_probs, total_variation

__all__ = ["ClassModelResult", "class_model", "compare_tv"]


@dataclasses.dataclass
class ClassModelResult:
    """Class models and their measurements.

    Attributes:
        images: [N, H, W, C].
        classes: [N] class indices.
        confidence: [N] softmax probability of the class (re-predicted).
        logit: [N] objective's data term: the class logit.
        total_variation: [N] mean isotropic TV of each image (pixel units).
        settings: the regularizer weights used.
        seconds: wall time of the optimization.
    """

    images: np.ndarray
    classes: np.ndarray
    confidence: np.ndarray
    logit: np.ndarray
    total_variation: np.ndarray
    settings: dict
    seconds: float

    def summary(self):
        """JSON-ready numbers: per class and means."""
        return {
            "settings": self.settings,
            "mean_total_variation": float(self.total_variation.mean()),
            "min_confidence": float(self.confidence.min()),
            "mean_confidence": float(self.confidence.mean()),
            "seconds": round(self.seconds, 2),
            "per_class": [{"class": int(k), "confidence": float(c), "logit": float(z), "total_variation": float(t)}
                          for k, c, z, t in zip(self.classes, self.confidence, self.logit, self.total_variation)],
        }


def _check(**weights):
    for name, value in weights.items():
        if not value >= 0:
            raise InputError(f"expected {name} >= 0; received: {name}={value}")


def class_model(model, classes, *, steps=300, learning_rate=0.02, l2=100.0, tv=300.0, tv_beta=2.0, jitter=1,
                blur=0.0, blur_sigma=1.0, param="pixel", robust=False, noise=0.01, size=None, seed=0,
                progress=False):
    """Optimizes one image per class to maximize that class's logit under image priors.

    Args:
        model: classifier ending in a softmax, taking [0, 1] images.
        classes: class indices or names (e.g. "ostrich" for ImageNet models, "3" for
            the digits CNN; see :func:`~tfopt.visualize.common.check_classes`), one
            image each.
        steps: Adam steps.
        learning_rate: Adam step size (pixels in [0, 1]).
        l2: weight of the mean squared distance from grey (0.5).
        tv: weight of the TV^beta regularizer (0 turns it off).
        tv_beta: TV exponent beta.
        jitter: random shift in pixels applied every step (0 turns it off).
        blur: weight of the blur penalty (0 turns it off).
        blur_sigma: its Gaussian sigma in pixels.
        param: what Adam moves: "pixel" (Simonyan et al.) or "fft" (a scaled spectrum;
            see :mod:`tfopt.optim.param`).
        robust: instead of the jitter alone, :func:`tfopt.optim.transforms.default_transforms`
            (a jitter of size/16 pixels, random scale within 10%, rotation within 10
            degrees, a jitter of half that).
        noise: std of the Gaussian noise on the grey start.
        size: (H, W) for models of free input size.
        seed: seed of the start noise and of the jitter.
        progress: show a progress bar.

    Returns:
        A :class:`ClassModelResult`.

    Example:
        res = class_model(model, range(10), tv=300.0)
        res.confidence, res.total_variation
    """
    _check(l2=l2, tv=tv, tv_beta=tv_beta, jitter=jitter, blur=blur, noise=noise)
    classes = check_classes(classes, model)
    h, w, c = input_size(model, size)
    rng = np.random.default_rng(seed)
    start = np.clip(0.5 + noise * rng.standard_normal((len(classes), h, w, c)), 0, 1).astype(np.float32)
    goal = obj.class_logit(classes)
    if l2:
        goal = goal - l2 * obj.l2(0.5)
    if tv:
        goal = goal - tv * obj.tv(tv_beta)
    if blur:
        goal = goal - blur * obj.blur(blur_sigma)
    transforms = tfm.default_transforms(max(h, w)) if robust else [tfm.jitter(int(jitter))] if jitter else []
    res = optimize(goal, model, start, param=param, steps=steps, optimizer="adam", learning_rate=learning_rate,
                   transforms=transforms, keep="last", seed=seed, progress=progress, desc="class model")
    probs = predict_probs(model, res.images)
    logits = evaluate(obj.class_logit(classes), model, res.images)
    settings = {"steps": int(steps), "learning_rate": learning_rate, "l2": l2, "tv": tv, "tv_beta": tv_beta,
                "jitter": int(jitter), "blur": blur, "blur_sigma": blur_sigma, "param": str(param),
                "robust": bool(robust), "objective": goal.name}
    return ClassModelResult(images=res.images, classes=classes, confidence=probs[np.arange(len(classes)), classes],
                            logit=logits, total_variation=total_variation(res.images), settings=settings,
                            seconds=res.seconds)


def compare_tv(model, classes, *, tv=300.0, **kwargs):
    """Runs :func:`class_model` twice, identical except for the TV weight.

    Args:
        model: classifier ending in a softmax.
        classes: class indices or names, as in :func:`class_model`.
        tv: TV weight of the regularized run (the other uses 0).
        **kwargs: any other :func:`class_model` argument, shared by both runs.

    Returns:
        (without_tv, with_tv, numbers): two :class:`ClassModelResult` and a dict with
        ``tv_ratio`` (mean TV without / with), ``tv_without``, ``tv_with``,
        ``min_confidence_without`` and ``min_confidence_with``.
    """
    if not tv > 0:
        raise InputError(f"expected tv > 0 for the regularized run; received: tv={tv}")
    without = class_model(model, classes, tv=0.0, **kwargs)
    with_tv = class_model(model, classes, tv=tv, **kwargs)
    a, b = without.total_variation.mean(), with_tv.total_variation.mean()
    numbers = {
        "tv_without": float(a), "tv_with": float(b), "tv_ratio": float(a / max(b, 1e-12)),
        "min_confidence_without": float(without.confidence.min()),
        "min_confidence_with": float(with_tv.confidence.min()),
    }
    return without, with_tv, numbers
