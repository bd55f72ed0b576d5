"""Module attributes imported on first use (PEP 562), for packages whose names must not load TensorFlow.

Only the standard library here: ``tfopt`` itself imports this, and ``import tfopt`` stays cheap.

Example (in a package's ``__init__.py``):
    __getattr__ = lazy_exports(__name__, {"GAN": "tfopt.gan.models", "terms": "tfopt.gan.terms"})
"""
import importlib
import sys

__all__ = ["lazy_exports"]


def lazy_exports(package, exports):
    """A module ``__getattr__`` for ``package``: ``exports`` maps a name to the module that defines it.

    The module is imported when the name is first read, and the value is stored in the
    package so later reads skip this. A name whose module is ``<package>.<name>`` is that
    submodule itself. Any other name raises AttributeError.
    """
    def __getattr__(name):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(exports[name])
        value = module if module.__name__ == f"{package}.{name}" else getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value
    return __getattr__
