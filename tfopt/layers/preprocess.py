"""In-graph input preprocessing, so every tfopt model takes [0, 1] RGB.

keras.applications models each expect their own input convention; wrapping that
convention in a layer at the front of the model means attacks, visualizations and
style transfer all optimize plain [0, 1] images and never forget a mean subtraction.

Example:
    x = keras.Input((None, None, 3))
    y = Preprocess("caffe")(x)          # what VGG19 / ResNet50 expect
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["MODES", "IMAGENET_BGR_MEANS", "Preprocess"]

MODES = ("caffe", "tf", "none")
IMAGENET_BGR_MEANS = (103.939, 116.779, 123.68)


@serializable
class Preprocess(keras.layers.Layer):
    """Maps [0, 1] RGB images to a keras.applications model's expected input.

    Works for any batch and spatial size; the channel axis is last.

    Args:
        mode: "caffe" (VGG16/19, ResNet50: x*255, RGB->BGR, minus the ImageNet BGR
            means), "tf" (InceptionV3, MobileNetV2: x*2-1) or "none" (identity).
        **kwargs: keras.layers.Layer arguments (name, dtype, ...).

    Returns:
        A layer whose output has the input's shape.

    Example:
        layer = Preprocess("tf")
        layer(np.ones((1, 8, 8, 3), "float32"))   # all 1.0
    """

    def __init__(self, mode="caffe", **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"expected mode in {list(MODES)}; received: mode={mode!r}")
        self.mode = mode

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.mode == "tf":
            return x * 2.0 - 1.0
        if self.mode == "caffe":
            bgr = ops.flip(x, axis=-1) * 255.0
            return bgr - ops.convert_to_tensor(IMAGENET_BGR_MEANS, dtype=self.compute_dtype)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
