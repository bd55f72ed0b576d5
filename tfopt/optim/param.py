"""Image parameterizations: what variable the optimizer actually moves.

* :func:`pixel` - the pixels themselves, clipped to a value range after each step.
  The only one that takes norm-ball constraints (attacks).
* :func:`sigmoid` - unbounded variable squashed into the range: no clipping needed,
  so quasi-Newton steps stay exact.
* :func:`fft` - a scaled Fourier spectrum with ImageNet-decorrelated colour (Olah et al.
  2017): steepest ascent in this basis favours low frequencies, which makes
  visualizations far less noisy than pixel ascent.

Each maps images to its variable (``from_image``) and back (``to_image``), so any
start image works with any parameterization.
"""
import numpy as np
import tensorflow as tf

__all__ = ["Param", "pixel", "sigmoid", "fft", "get_param"]

# Square root of ImageNet's RGB colour covariance (the published Lucid constant):
# multiplying decorrelated channels by it gives natural colour statistics.
_COLOR_SQRT = np.asarray([[0.26, 0.09, 0.02],
                          [0.27, 0.00, -0.05],
                          [0.27, -0.09, 0.03]], np.float32)
_COLOR_SQRT /= np.max(np.linalg.norm(_COLOR_SQRT, axis=0))


class Param:
    """Base parameterization: identity on pixels within ``value_range``."""

    name = "pixel"
    clips = True  # projection onto the value range after each step is meaningful

    def __init__(self, value_range=(0.0, 1.0)):
        self.lo, self.hi = (float(v) for v in value_range)

    @property
    def key(self):
        """The structure a compiled loop depends on (the engine reuses loops of equal keys)."""
        return (type(self).__name__, self.lo, self.hi)

    def from_image(self, images):
        """The variable value whose image is ``images`` ([N, H, W, C])."""
        return tf.identity(tf.cast(images, tf.float32))

    def to_image(self, p):
        """The image ([N, H, W, C] within the value range) for variable value ``p``."""
        return p

    def project(self, p):
        """Keeps the variable valid after a step."""
        return tf.clip_by_value(p, self.lo, self.hi)


class _Sigmoid(Param):
    name = "sigmoid"
    clips = False

    def _unit(self, images):
        return (tf.cast(images, tf.float32) - self.lo) / (self.hi - self.lo)

    def from_image(self, images):
        u = tf.clip_by_value(self._unit(images), 1e-4, 1 - 1e-4)
        return tf.math.log(u) - tf.math.log1p(-u)

    def to_image(self, p):
        return self.lo + (self.hi - self.lo) * tf.sigmoid(p)

    def project(self, p):
        return p


class _FFT(_Sigmoid):
    name = "fft"

    def __init__(self, value_range=(0.0, 1.0), decay_power=1.0, decorrelate=True):
        super().__init__(value_range)
        self.decay_power = float(decay_power)
        self.decorrelate = decorrelate
        self._shape = None

    @property
    def key(self):
        return super().key + (self.decay_power, bool(self.decorrelate))

    def _scale(self, h, w):
        fy = np.fft.fftfreq(h)[:, None]
        fx = np.fft.rfftfreq(w)[None, :]
        freqs = np.sqrt(fx * fx + fy * fy)
        scale = 1.0 / np.maximum(freqs, 1.0 / max(h, w)) ** self.decay_power
        return tf.constant((scale * np.sqrt(h * w)).astype(np.float32))

    def _color(self, channels):
        return self.decorrelate and channels == 3

    def from_image(self, images):
        images = tf.cast(images, tf.float32)
        _, h, w, c = images.shape
        self._shape = (h, w, c)
        t = super().from_image(images)  # logit space
        if self._color(c):
            t = tf.einsum("nhwc,dc->nhwd", t, tf.constant(np.linalg.inv(_COLOR_SQRT)))
        spec = tf.signal.rfft2d(tf.transpose(t, [0, 3, 1, 2])) / tf.cast(self._scale(h, w), tf.complex64)
        return tf.stack([tf.math.real(spec), tf.math.imag(spec)], -1)

    def to_image(self, p):
        h, w, c = self._shape
        spec = tf.complex(p[..., 0], p[..., 1]) * tf.cast(self._scale(h, w), tf.complex64)
        t = tf.transpose(tf.signal.irfft2d(spec, fft_length=[h, w]), [0, 2, 3, 1])
        if self._color(c):
            t = tf.einsum("nhwc,dc->nhwd", t, tf.constant(_COLOR_SQRT))
        return super().to_image(t)


def pixel(value_range=(0.0, 1.0)):
    """Pixels clipped to ``value_range`` after each step."""
    return Param(value_range)


def sigmoid(value_range=(0.0, 1.0)):
    """Pixels as ``lo + (hi - lo) * sigmoid(v)``."""
    return _Sigmoid(value_range)


def fft(value_range=(0.0, 1.0), decay_power=1.0, decorrelate=True):
    """A 1/f^decay_power-scaled spectrum, colour-decorrelated for 3-channel images."""
    return _FFT(value_range, decay_power, decorrelate)


def get_param(spec, value_range=(0.0, 1.0)):
    """A :class:`Param` from a name ("pixel" | "sigmoid" | "fft") or an instance."""
    if isinstance(spec, Param):
        return spec
    makers = {"pixel": pixel, "sigmoid": sigmoid, "fft": fft}
    if spec not in makers:
        from tfopt.core.errors import InputError
        raise InputError(f"expected a parameterization ({', '.join(makers)}); received: {spec!r}")
    return makers[spec](value_range)
