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

__all__ = ["MODES", "IMAGENET_BGR_MEANS", "IMAGENET_RGB_MEANS", "IMAGENET_RGB_STDS", "Preprocess"]

MODES = ("caffe", "tf", "torch", "lite", "none")
IMAGENET_BGR_MEANS = (103.939, 116.779, 123.68)
IMAGENET_RGB_MEANS = (0.485, 0.456, 0.406)
IMAGENET_RGB_STDS = (0.229, 0.224, 0.225)


@serializable
class Preprocess(keras.layers.Layer):
    """Maps [0, 1] RGB images to a keras.applications model's expected input.

    Works for any batch and spatial size; the channel axis is last.

    Args:
        mode: "caffe" (VGG16/19, ResNet50: x*255, RGB->BGR, minus the ImageNet BGR
            means), "tf" (InceptionV3, MobileNetV2: x*2-1), "torch" ((x - ImageNet RGB
            mean) / std), "lite" (EfficientNet-Lite: (x*255 - 127) / 128) or "none" (identity).
        means: "caffe" only: the three BGR means to subtract (None: IMAGENET_BGR_MEANS;
            HED was trained with its own).
        **kwargs: keras.layers.Layer arguments (name, dtype, ...).

    Returns:
        A layer whose output has the input's shape.

    Example:
        layer = Preprocess("tf")
        layer(np.ones((1, 8, 8, 3), "float32"))   # all 1.0
    """

    def __init__(self, mode="caffe", means=None, **kwargs):
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"expected mode in {list(MODES)}; received: mode={mode!r}")
        if means is not None and (mode != "caffe" or len(means) != 3):
            raise ValueError(f"expected means=None, or three BGR means with mode 'caffe'; received: "
                             f"mode={mode!r}, means={means!r}")
        self.mode = mode
        self.means = None if means is None else tuple(float(m) for m in means)

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.mode == "tf":
            return x * 2.0 - 1.0
        if self.mode == "lite":
            return (x * 255.0 - 127.0) / 128.0
        if self.mode == "torch":
            mean = ops.convert_to_tensor(IMAGENET_RGB_MEANS, dtype=self.compute_dtype)
            return (x - mean) / ops.convert_to_tensor(IMAGENET_RGB_STDS, dtype=self.compute_dtype)
        if self.mode == "caffe":
            bgr = ops.flip(x, axis=-1) * 255.0
            return bgr - ops.convert_to_tensor(self.means or IMAGENET_BGR_MEANS, dtype=self.compute_dtype)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {**super().get_config(), "mode": self.mode}
        if self.means is not None:
            config["means"] = list(self.means)
        return config
