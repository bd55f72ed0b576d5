"""Network builders by name: ``register("dcgan_generator")(fn)``, then ``build("dcgan_generator", ...)``.

Example:
    @register("tiny")
    def tiny(units=8):
        ...
    model = build("tiny", units=4)
"""
from tfopt.core.errors import InputError

__all__ = ["register", "get", "build", "names"]

_BUILDERS = {}


def register(name):
    """Decorator: records ``fn`` as the builder called ``name`` (a name may be taken once).

    Args:
        name: the registry name.

    Returns:
        The decorator, which returns ``fn`` unchanged.
    """

    def decorate(fn):
        if name in _BUILDERS and _BUILDERS[name] is not fn:
            raise ValueError(f"Expected a new network name. Received: name={name!r} (already registered)")
        _BUILDERS[name] = fn
        return fn

    return decorate


def get(name):
    """The builder registered as ``name``; InputError listing the known names otherwise."""
    if name not in _BUILDERS:
        raise InputError(f"expected a network name in {', '.join(sorted(_BUILDERS))}; received: {name!r}")
    return _BUILDERS[name]


def build(name, **kwargs):
    """Builds the network ``name`` with keyword arguments (see its builder's docstring)."""
    return get(name)(**kwargs)


def names():
    """The registered names, sorted."""
    return sorted(_BUILDERS)
