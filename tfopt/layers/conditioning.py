"""Class conditioning for discriminators: the projection term of Miyato & Koyama 2018.

A projection discriminator scores an image ``x`` of class ``y`` as
``psi(h) + <embed(y), h>``, where ``h`` are its last features. :class:`ClassProjection`
is the second term; ``psi`` is an ordinary ``Dense(1)``.

Example:
    h = keras.layers.Flatten()(features)
    logit = keras.layers.Add()([keras.layers.Dense(1)(h), ClassProjection(10)([h, labels])])
"""
import keras
from keras import ops

from tfopt.layers.registration import serializable
from tfopt.layers.spectral import _Spectral, spectral_normalize

__all__ = ["ClassProjection"]


@serializable
class ClassProjection(_Spectral, keras.layers.Layer):
    """``<embed(y), h>``: the inner product of a learnt class embedding with the features.

    Args:
        num_classes: number of classes (positive int).
        embeddings_initializer: initializer of the ``[num_classes, features]`` embedding.
        spectral_norm: spectrally normalize the embedding (BigGAN's discriminator).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``).

    Example:
        score = ClassProjection(10)([h, y])        # h [B, D], y int [B] -> [B, 1]
    """

    def __init__(self, num_classes, embeddings_initializer="glorot_uniform", spectral_norm=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"Expected num_classes to be a positive integer. Received: num_classes={num_classes!r}")
        self.num_classes = num_classes
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.spectral_norm = bool(spectral_norm)
        self.sn_u = None

    def build(self, input_shape):
        features_shape, _ = input_shape
        self.embeddings = self.add_weight(shape=(self.num_classes, int(features_shape[-1])),
                                          initializer=self.embeddings_initializer, name="embeddings")
        if self.spectral_norm:
            self._build_u(int(features_shape[-1]))

    def _spectral_source(self):
        return self.embeddings

    def call(self, inputs):
        features, labels = inputs
        labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        table = spectral_normalize(self.embeddings, self.sn_u) if self.spectral_norm else self.embeddings
        embedded = ops.take(table, labels, axis=0)
        return ops.sum(embedded * features, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        config = super().get_config()
        config.update(num_classes=self.num_classes, spectral_norm=self.spectral_norm,
                      embeddings_initializer=keras.initializers.serialize(self.embeddings_initializer))
        return config
