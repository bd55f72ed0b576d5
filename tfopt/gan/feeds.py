"""Feeding GAN networks by input name, and running generators in batches.

Networks name their inputs: generators take ``z`` (absent when the only noise is
dropout, as in pix2pix) and their condition inputs, discriminators take ``image`` and
the same condition inputs. A condition is one tensor (fed to the input named
``condition``) or a dict of tensors (fed by key). Outputs are read as dicts: a
generator's plain tensor is ``{"image": ...}``, a discriminator's is
``{"logits": ...}``; multi-output networks return dicts themselves. A discriminator
that judges several images at once (one per generator stage) names them as inputs, and
its ``image`` is then a dict of them, fed by key like a dict condition.

Example:
    images = generate_from(generator, z, condition=np.arange(16) % 10)   # numpy [16, H, W, C]
"""
import keras
import numpy as np

from tfopt.core.errors import InputError

__all__ = ["input_names", "latent_dim_of", "condition_names", "num_classes_of", "class_conditions", "feed", "outputs",
           "generate_from", "take"]


def input_names(model):
    """The names of a functional model's inputs, in order."""
    return [t.name for t in model.inputs]


def latent_dim_of(generator):
    """The size of a generator's ``z`` input (0 when it has none)."""
    for t in generator.inputs:
        if t.name == "z":
            return int(t.shape[-1])
    return 0


def condition_names(model, skip=("z", "image")):
    """A network's condition inputs: every input that is not ``z`` or ``image``."""
    return [name for name in input_names(model) if name not in skip]


def num_classes_of(generator):
    """The class count of a class-conditional generator (its class embedding's rows), else 0."""
    if condition_names(generator) != ["condition"]:
        return 0
    condition = [t for t in generator.inputs if t.name == "condition"][0]
    if not str(condition.dtype).startswith("int"):
        return 0
    for layer in generator._flatten_layers():
        if isinstance(layer, keras.layers.Embedding):
            return int(layer.input_dim)
    return 0


def class_conditions(generator, count, classes=None):
    """The ``condition`` array for ``count`` samples of a generator (None for an unconditional one).

    Args:
        generator: the generator.
        count: samples.
        classes: class ids (ints or digit strings) cycled over the samples; None: every class in turn.

    Returns:
        int32 ``[count]`` class ids, or None.

    Raises:
        InputError: classes for an unconditional generator, a class out of range, or a
            generator conditioned on something other than a class.
    """
    names = condition_names(generator)
    if not names:
        if classes:
            raise InputError(f"expected no labels for an unconditional generator; received: labels={classes}")
        return None
    num_classes = num_classes_of(generator)
    if not num_classes:
        raise InputError(f"expected an unconditional or class-conditional generator; received one with inputs "
                         f"{input_names(generator)}")
    try:
        wanted = [int(c) for c in (classes or range(num_classes))]
    except ValueError:
        raise InputError(f"expected labels (class ids) in 0..{num_classes - 1}; received: labels={classes}") from None
    if not wanted or min(wanted) < 0 or max(wanted) >= num_classes:
        raise InputError(f"expected labels (class ids) in 0..{num_classes - 1}; received: labels={classes}")
    return np.resize(np.asarray(wanted, np.int32), count)


def _named(z=None, image=None, condition=None):
    named = {}
    if z is not None:
        named["z"] = z
    if isinstance(image, dict):  # images of several scales, by input name (e.g. a multi-stage discriminator)
        named.update(image)
    elif image is not None:
        named["image"] = image
    if isinstance(condition, dict):
        named.update(condition)
    elif condition is not None:
        named["condition"] = condition
    return named


def feed(model, *, z=None, image=None, condition=None):
    """The argument to call ``model`` with: its inputs picked by name from z, image and the condition.

    Raises:
        InputError: the model needs an input that was not given.
    """
    named = _named(z, image, condition)
    names = input_names(model)
    missing = [name for name in names if name not in named]
    if missing:
        raise InputError(f"expected inputs {names} for {model.name}; received: {sorted(named)} (missing {missing})")
    values = [named[name] for name in names]
    return values[0] if len(values) == 1 else values


class _Outputs(dict):
    """A network's named outputs; a missing name is a one-line InputError (a loss term asked for a head
    the network does not have)."""

    def __missing__(self, name):
        raise InputError(f"expected the network to have an output named {name!r}; received outputs {sorted(self)}")


def outputs(value, main):
    """A network's outputs as a dict: a tensor becomes ``{main: tensor}``.

    Raises:
        InputError: a list/tuple output (name them with a dict output instead) or a dict without ``main``.
    """
    if isinstance(value, dict):
        if main not in value:
            raise InputError(f"expected a network output named {main!r}; received: {sorted(value)}")
        return _Outputs(value)
    if isinstance(value, (list, tuple)):
        raise InputError(f"expected one output or a dict of named outputs (with {main!r}); received: "
                         f"{len(value)} unnamed outputs")
    return _Outputs({main: value})


def take(condition, start, stop):
    """Rows ``start:stop`` of a condition (an array, a dict of arrays, or None)."""
    if condition is None:
        return None
    if isinstance(condition, dict):
        return {k: v[start:stop] for k, v in condition.items()}
    return condition[start:stop]


def _count(z, condition):
    if z is not None:
        return len(z)
    if isinstance(condition, dict):
        return len(next(iter(condition.values())))
    if condition is not None:
        return len(condition)
    raise InputError("expected noise z or a condition to generate from; received: neither")


def generate_from(generator, z=None, *, condition=None, batch_size=256, training=False):
    """Runs ``generator`` on noise ``z`` (and a condition) in batches.

    Args:
        generator: ``keras.Model`` with inputs ``z`` and/or condition inputs.
        z: numpy ``[N, latent_dim]`` noise (None for a generator without ``z``).
        condition: ``[N, ...]`` array or dict of arrays (None for an unconditional one).
        batch_size: images per call.
        training: batch-norm / dropout mode.

    Returns:
        numpy float32 ``[N, H, W, C]`` (the generator's ``image`` output).
    """
    total = _count(z, condition)
    out = []
    for i in range(0, total, batch_size):
        inputs = feed(generator, z=None if z is None else z[i : i + batch_size],
                      condition=take(condition, i, i + batch_size))
        images = outputs(generator(inputs, training=training), "image")["image"]
        out.append(keras.ops.convert_to_numpy(images))
    return np.concatenate(out, axis=0).astype(np.float32)
