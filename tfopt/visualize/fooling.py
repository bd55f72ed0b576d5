"""Fooling images (Nguyen, Yosinski & Clune, CVPR 2015): unrecognizable, yet 99.99% confident.

Start at the data set's mean image plus a little Gaussian noise and ascend the target
class's softmax probability until it passes a threshold (0.9999 by default); each
image stops on its own once it gets there. The recipe is one engine call::

    optimize(-cross_entropy(targets), model, mean + noise, optimizer="l2",
             stop=lambda ctx, v: prob(ctx, targets) >= 0.9999, stop_layers=("probs",))

The default objective is the log-probability ``log p_k`` (``logit_k - logsumexp``),
which orders images exactly as ``p_k`` does but keeps its gradient where the softmax
saturates; ``objective="prob"`` ascends ``p_k`` itself (whose gradient vanishes when
the start gives the target almost no mass). Either way the steps at which each image
first passed 0.5, 0.99, 0.999 and 0.9999 are read from the engine's history, and the
final confidence is measured again by re-predicting the returned images.
"""
import dataclasses

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.models.features import PROBS
from tfopt.optim import optimize
from tfopt.optim import objectives as obj
from tfopt.visualize.common import check_classes, first_crossings, predict_probs, total_variation

__all__ = ["THRESHOLDS", "FoolingResult", "fooling_images"]

THRESHOLDS = (0.5, 0.99, 0.999, 0.9999)
_OBJECTIVES = ("logprob", "prob")


@dataclasses.dataclass
class FoolingResult:
    """Fooling images and how fast each got confident.

    Attributes:
        images: [N, H, W, C] final images.
        start: [N, H, W, C] start images (mean image plus noise).
        targets: [N] target classes.
        confidence: [N] target probability by re-predicting ``images``.
        predicted: [N] the model's top class on ``images``.
        first_step: ``{threshold: [N]}`` first step (number of updates) at which the
            target probability reached the threshold; -1 if never.
        steps: [N] update steps each image took.
        reached: [N] ``confidence >= threshold``.
        threshold: the stop threshold.
        history: [T + 1, N] target probability after 0..T updates.
        seconds: wall time of the optimization.
    """

    images: np.ndarray
    start: np.ndarray
    targets: np.ndarray
    confidence: np.ndarray
    predicted: np.ndarray
    first_step: dict
    steps: np.ndarray
    reached: np.ndarray
    threshold: float
    history: np.ndarray
    seconds: float

    def summary(self, class_names=None):
        """The numbers of the run as a JSON-ready dict (per image and overall)."""
        names = class_names or [str(k) for k in range(int(self.targets.max()) + 1)]
        per_image = []
        for i, k in enumerate(self.targets):
            per_image.append({
                "target": int(k), "target_name": names[int(k)], "confidence": float(self.confidence[i]),
                "predicted": int(self.predicted[i]), "reached": bool(self.reached[i]), "steps": int(self.steps[i]),
                "first_step": {f"{t:g}": int(s[i]) for t, s in self.first_step.items()},
                "linf_from_start": float(np.abs(self.images[i] - self.start[i]).max()),
            })
        return {
            "threshold": self.threshold,
            "num_reached": int(self.reached.sum()),
            "num_images": int(len(self.targets)),
            "min_confidence": float(self.confidence.min()),
            "mean_total_variation": float(total_variation(self.images).mean()),
            "max_steps_to_threshold": int(self.steps[self.reached].max()) if self.reached.any() else None,
            "seconds": round(self.seconds, 2),
            "images": per_image,
        }


def _check(threshold, noise, objective, tv):
    if not tv >= 0:
        raise InputError(f"expected tv >= 0; received: tv={tv}")
    if not 0.0 < threshold < 1.0:
        raise InputError(f"expected 0 < threshold < 1; received: threshold={threshold}")
    if not noise >= 0:
        raise InputError(f"expected noise >= 0; received: noise={noise}")
    if objective not in _OBJECTIVES:
        raise InputError(f"expected objective in {_OBJECTIVES}; received: {objective!r}")


def fooling_images(model, targets, mean_image, *, noise=0.01, threshold=0.9999, steps=500, learning_rate=0.008,
                   optimizer="l2", objective="logprob", tv=0.0, tv_beta=2.0, thresholds=THRESHOLDS, seed=0,
                   progress=False):
    """Drives the mean image (plus noise) to each target class until ``threshold`` confidence.

    Args:
        model: a classifier ending in a softmax (keras.Model taking [0, 1] images).
        targets: class indices or names, one image per entry (e.g. ``range(10)`` or
            ``["ostrich"]``; see :func:`~tfopt.visualize.common.check_classes`).
        mean_image: [H, W, C] start image, the data set's mean.
        noise: std of the Gaussian noise added to the start (each image its own draw).
        threshold: stop an image once its target probability reaches this.
        steps: most update steps per image.
        learning_rate: for "l2" the RMS pixel change of each step (the step's L2 norm
            is this times sqrt(H*W*C)); for the other optimizers the engine's rate.
        optimizer: any first-order engine optimizer. The default normalized-gradient
            ascent ("l2") keeps its step size where the softmax saturates; on the digits
            CNN it reaches 0.9999 in tens of steps where Adam (0.02) needs hundreds.
        objective: "logprob" (log p_k, default) or "prob" (p_k).
        tv: weight of the TV^beta prior subtracted from the objective (0: none, the
            paper's Figure 13; Nguyen et al. note that a prior makes the images more
            recognizable at slightly lower confidence).
        tv_beta: TV exponent beta.
        thresholds: confidences whose first crossing step is recorded.
        seed: seed of the start noise.
        progress: show a progress bar.

    Returns:
        A :class:`FoolingResult`.

    Example:
        res = fooling_images(model, range(10), x_train.mean(0))
        res.confidence, res.first_step[0.9999]
    """
    _check(threshold, noise, objective, tv)
    targets = check_classes(targets, model)
    mean_image = np.asarray(mean_image, np.float32)
    if mean_image.ndim != 3:
        raise InputError(f"expected a mean image [H, W, C]; received shape {mean_image.shape}")
    rng = np.random.default_rng(seed)
    start = np.clip(mean_image[None] + noise * rng.standard_normal((len(targets),) + mean_image.shape), 0.0, 1.0)
    start = start.astype(np.float32)
    goal = obj.class_prob(targets) if objective == "prob" else -obj.cross_entropy(targets)
    if tv:  # steps feel the prior; the values (history, best iterate) stay the class's (log) probability
        goal = obj.straight_through(goal, goal - tv * obj.tv(tv_beta))
    tgt = tf.constant(targets, tf.int32)

    def stop(ctx, values):
        return tf.gather(ctx[PROBS], obj.tile_to(tgt, tf.shape(ctx[PROBS])[0]), batch_dims=1) >= threshold

    rate = learning_rate * np.sqrt(mean_image.size) if optimizer == "l2" else learning_rate
    res = optimize(goal, model, start, steps=steps, optimizer=optimizer, learning_rate=rate, stop=stop,
                   stop_layers=(PROBS,), seed=seed, progress=progress, desc=f"fooling {objective}")
    probs = predict_probs(model, res.images)
    confidence = probs[np.arange(len(targets)), targets]
    # Row t of the engine's history is measured after t updates; the returned images
    # (re-predicted) close it, so a threshold passed by the very last update counts too.
    history = res.history if objective == "prob" else np.exp(res.history)
    history = np.concatenate([history, confidence[None]], 0)
    first = first_crossings(history, sorted(set(thresholds) | {threshold}))
    # The stop rule (softmax probabilities) is authoritative for the stop threshold;
    # exp(log-softmax) can differ from it in the last float32 bit.
    first[threshold] = np.where(res.stopped, res.steps, first[threshold])
    return FoolingResult(
        images=res.images, start=start, targets=targets, confidence=confidence, predicted=probs.argmax(-1),
        first_step=first, steps=res.steps,
        reached=confidence >= threshold, threshold=float(threshold), history=history, seconds=res.seconds)
