"""Network builders by name: ``register`` a builder once, ``build`` it anywhere by its name.

A builder is a function of keyword arguments that returns an (untrained) keras.Model.

Example:
    @register("tiny")
    def tiny(width=8):
        ...
    net = build("tiny", width=16)
    names()                            # [..., "tiny", ...]
"""
from tfopt.core.errors import InputError

__all__ = ["register", "get", "build", "names"]

_BUILDERS = {}  # name -> builder function


def register(name):
    """Decorator registering a network builder under ``name``.

    Args:
        name: the builder's name (a non-empty string not registered yet).

    Returns:
        A decorator that registers the function and returns it unchanged.

    Raises:
        ValueError: ``name`` is empty or already taken by another builder.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"expected a non-empty builder name; received: {name!r}")

    def decorate(builder):
        known = _BUILDERS.get(name)
        if known is not None and known is not builder:
            raise ValueError(f"expected a new builder name; received: {name!r} (already registered "
                             f"to {known.__module__}.{known.__qualname__})")
        _BUILDERS[name] = builder
        return builder

    return decorate


def get(name):
    """Returns the builder registered under ``name``.

    Raises:
        InputError: no builder has that name (the message lists the known names).
    """
    builder = _BUILDERS.get(name)
    if builder is None:
        raise InputError(f"expected a network name in {names()}; received: {name!r}")
    return builder


def build(name, /, **kwargs):
    """Builds the network ``name`` with the builder's keyword arguments.

    ``name`` is positional-only, so a builder's own ``name=`` (the model's name) passes through.

    Example:
        net = build("stylenet", filters=(16, 32, 64), residual_blocks=3)
    """
    return get(name)(**kwargs)


def names():
    """Returns the registered builder names, sorted."""
    return sorted(_BUILDERS)
