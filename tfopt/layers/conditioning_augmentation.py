"""StackGAN's conditioning augmentation: a text embedding becomes a Gaussian, and the condition a draw from it.

Zhang et al. 2017 (section 3.1): a sentence embedding ``phi_t`` is mapped to a mean
``mu(phi_t)`` and a diagonal covariance; the generator is conditioned on
``c = mu + sigma * eps`` with ``eps ~ N(0, I)``, and the KL of ``N(mu, sigma^2)`` to
``N(0, I)`` (:func:`tfopt.gan.penalties.conditioning_kl`) joins the generator's loss.
Small changes of a caption then move ``c`` smoothly, and one caption gives many
conditions.

``eps`` is an input, not a draw made inside the layer: the networks of
:mod:`tfopt.nets.text2image` read it from the tail of their noise ``z``, so the GAN
core's one seeded draw (split across replicas), ``GAN.generate(seed=...)`` and an
exported model's ``z`` all serve it. Inference samples as the paper's code does; pass
zeros for ``eps`` to condition on the mean. Mean and log variance come from separate
columns of one dense map (the first ``units`` are the mean, the last ``units`` the log
variance), with no activation in between.

Example:
    c, mean, log_var = ConditioningAugmentation(128)([embedding, eps])   # [B, E], [B, 128] -> 3 x [B, 128]
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable

__all__ = ["ConditioningAugmentation"]


@serializable
class ConditioningAugmentation(keras.layers.Layer):
    """``[embedding, eps] -> [c, mean, log_var]`` with ``c = mean + exp(log_var / 2) * eps``.

    Args:
        units: size of ``c`` (128 in StackGAN).
        kernel_initializer: initializer of the ``[E, 2 * units]`` kernel.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``).

    Example:
        ca = ConditioningAugmentation(16)
        c, mean, log_var = ca([np.ones((2, 8), "float32"), np.zeros((2, 16), "float32")])   # c == mean
    """

    def __init__(self, units, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"Expected units to be a positive integer. Received: units={units!r}")
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        embedding_shape, eps_shape = input_shape
        if eps_shape[-1] is not None and eps_shape[-1] != self.units:
            raise ValueError(f"Expected eps of size units={self.units}. Received: shape {tuple(eps_shape)}")
        self.kernel = self.add_weight(shape=(int(embedding_shape[-1]), 2 * self.units),
                                      initializer=self.kernel_initializer, name="kernel")
        self.bias = self.add_weight(shape=(2 * self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        embedding, eps = inputs
        h = ops.matmul(embedding, self.kernel) + self.bias
        mean, log_var = h[:, : self.units], h[:, self.units :]
        c = mean + ops.exp(0.5 * log_var) * ops.cast(eps, mean.dtype)
        return c, mean, log_var

    def compute_output_shape(self, input_shape):
        shape = (input_shape[0][0], self.units)
        return shape, shape, shape

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config
