"""EfficientNet-Lite0 (Tan & Le 2019, the "Lite" variant for mobile accelerators) as a flat Keras graph.

Lite drops squeeze-excite, uses ReLU6 instead of swish and keeps the stem (32) and
head (1280) unscaled. Batch norm has eps 1e-3. Stages of MBConv blocks (kernel, stride,
expand ratio, output channels, repeats)::

    (3, 1, 1, 16, 1) (3, 2, 6, 24, 2) (5, 2, 6, 40, 2) (3, 2, 6, 80, 3)
    (5, 1, 6, 112, 3) (5, 2, 6, 192, 4) (3, 1, 6, 320, 1)

Layer names follow the blocks (``block{i}_expand_conv``, ``block{i}_dwconv``,
``block{i}_project_bn`` ...), so weights convert by name from EfficientNet-PyTorch's
``_blocks.{i}._expand_conv`` ... (see :mod:`tfopt.models.pretrained`). The classifier
ends ``GlobalAveragePooling2D("penultimate") -> Dense("logits") -> Softmax("probs")``.
Strided convolutions pad like TensorFlow's "same" (more after than before) unless
``padding="symmetric"``; the ImageNet weights shipped for it need "same"
(docs/models.md says how that was measured).

Example:
    net = efficientnet_lite0()                          # or build("efficientnet_lite0")
    net.get_layer("logits").output                      # [B, 1000] pre-softmax scores
"""
import keras

from tfopt.layers.preprocess import Preprocess
from tfopt.nets.checks import check_choice, check_int
from tfopt.nets.registry import register

__all__ = ["efficientnet_lite0", "STAGES", "BN_EPSILON"]

STAGES = ((3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3),
          (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1))
"""(kernel, stride, expand ratio, output channels, repeats) of each stage."""
BN_EPSILON = 1e-3
_STEM, _HEAD = 32, 1280


def _bn(name):
    return keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=0.99, name=name)


def _relu6(name):
    return keras.layers.ReLU(6.0, name=name)


def _pad(x, kernel, stride, padding, name):
    """'same' for stride 1 (or TF-style); symmetric zero padding + 'valid' otherwise."""
    if stride == 1 or padding == "same":
        return x, "same"
    return keras.layers.ZeroPadding2D(kernel // 2, name=f"{name}_pad")(x), "valid"


def _block(x, index, kernel, stride, expand, filters, padding):
    name = f"block{index}"
    inputs, channels = x, int(x.shape[-1])
    if expand != 1:
        x = keras.layers.Conv2D(channels * expand, 1, use_bias=False, name=f"{name}_expand_conv")(x)
        x = _relu6(f"{name}_expand_relu")(_bn(f"{name}_expand_bn")(x))
    x, pad = _pad(x, kernel, stride, padding, f"{name}_dwconv")
    x = keras.layers.DepthwiseConv2D(kernel, stride, padding=pad, use_bias=False, name=f"{name}_dwconv")(x)
    x = _relu6(f"{name}_dwconv_relu")(_bn(f"{name}_dwconv_bn")(x))
    x = keras.layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_project_conv")(x)
    x = _bn(f"{name}_project_bn")(x)
    if stride == 1 and channels == filters:
        x = keras.layers.Add(name=f"{name}_add")([x, inputs])
    return x


@register("efficientnet_lite0")
def efficientnet_lite0(num_classes=1000, *, input_shape=(224, 224, 3), include_top=True, padding="same",
                       preprocess="lite", name="efficientnet_lite0"):
    """Builds EfficientNet-Lite0 (weights initialized, not trained) taking [0, 1] RGB.

    Args:
        num_classes: classifier outputs (1000 for ImageNet).
        input_shape: (H, W, 3); (None, None, 3) works for any size.
        include_top: keep pooling, "logits" and Softmax "probs"; False ends at the
            1280-channel "head_relu".
        padding: "same" (TensorFlow's, asymmetric on strided convolutions) or
            "symmetric" (PyTorch's kernel // 2 on every side).
        preprocess: a :class:`~tfopt.layers.preprocess.Preprocess` mode applied first;
            "lite" is ``(255 x - 127) / 128``, what the ImageNet weights expect.
        name: the model's name.

    Returns:
        An uncompiled keras.Model (4,694,024 parameters with the ImageNet top).

    Example:
        net = efficientnet_lite0(input_shape=(None, None, 3), include_top=False)
    """
    check_int("num_classes", num_classes, 2)
    check_choice("padding", padding, ("same", "symmetric"))
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = Preprocess(preprocess, name="preprocess")(inputs)
    x, pad = _pad(x, 3, 2, padding, "stem_conv")
    x = keras.layers.Conv2D(_STEM, 3, 2, padding=pad, use_bias=False, name="stem_conv")(x)
    x = _relu6("stem_relu")(_bn("stem_bn")(x))
    index = 0
    for kernel, stride, expand, filters, repeats in STAGES:
        for r in range(repeats):
            x = _block(x, index, kernel, stride if r == 0 else 1, expand, filters, padding)
            index += 1
    x = keras.layers.Conv2D(_HEAD, 1, use_bias=False, name="head_conv")(x)
    x = _relu6("head_relu")(_bn("head_bn")(x))
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="penultimate")(x)
        x = keras.layers.Dense(num_classes, name="logits")(x)
        x = keras.layers.Softmax(name="probs")(x)
    return keras.Model(inputs, x, name=name)
