"""The record of one GAN step: named tensors, each computed the first time a loss term reads it.

The data of a step (``real`` images, an optional ``condition``, ``wrong_condition``,
...) are given; everything else (noise, generated images, discriminator outputs,
augmented inputs, random weights) is produced on demand by the model that owns the
record and then kept, so a value read by several terms is computed once and a value
no term reads is never computed. Reads inside a ``tf.GradientTape`` are recorded by
it, as any other computation.

Example:
    record = Record({"real": x, "condition": y}, producers, owner=gan)
    record["d_fake"]["logits"]                  # runs G, then D, once
"""
import collections.abc

__all__ = ["Record"]


class Record(collections.abc.Mapping):
    """A lazy, read-mostly mapping of a step's named tensors.

    Args:
        values: the given values (``{name: tensor or None}``).
        producers: ``{name: fn(record) -> value}`` for the values made on demand.
        owner: the object that made the record; its ``discriminate``, ``generator``
            and ``discriminator`` are offered to terms as attributes.
    """

    def __init__(self, values, producers, owner):
        self._values = dict(values)
        self._producers = dict(producers)
        self._owner = owner

    def __getitem__(self, name):
        if name not in self._values:
            if name not in self._producers:
                raise KeyError(f"expected a record entry in {sorted(set(self._values) | set(self._producers))}; "
                               f"received: {name!r}")
            self._values[name] = self._producers[name](self)
        return self._values[name]

    def __iter__(self):
        return iter(sorted(set(self._values) | set(self._producers)))

    def __len__(self):
        return len(set(self._values) | set(self._producers))

    def set(self, name, value):
        """Fixes ``name`` to ``value`` (e.g. the generated images with gradients cut)."""
        self._values[name] = value

    def computed(self, name):
        """Whether ``name`` holds a value already (given or produced)."""
        return name in self._values

    def discriminate(self, image, condition=None):
        """The discriminator's outputs (a dict with ``logits``) on ``image`` in training mode."""
        return self._owner.discriminate(image, condition)

    @property
    def generator(self):
        """The live generator."""
        return self._owner.generator

    @property
    def discriminator(self):
        """The discriminator."""
        return self._owner.discriminator
