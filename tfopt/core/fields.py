"""Checks shared by the flat run configs (pix2pix, text to image): enum fields, positive and non-negative fields.

Example:
    @dataclasses.dataclass(frozen=True)
    class MyConfig:
        norm: str = choices("batch", "instance")
        steps: int = 100

        def validated(self):
            check_fields(self, nonnegative=("steps",))
            return self
"""
import dataclasses

from tfopt.core.errors import InputError

__all__ = ["choices", "check_fields"]


def choices(*values):
    """A dataclass field whose value must be one of ``values`` (the first is the default)."""
    return dataclasses.field(default=values[0], metadata={"choices": values})


def check_fields(config, *, positive=(), nonnegative=()):
    """Checks a config's enum fields and the named positive / non-negative ones (None passes: "the default").

    Raises:
        InputError: one line naming the first bad field.
    """
    for f in dataclasses.fields(config):
        allowed = f.metadata.get("choices")
        value = getattr(config, f.name)
        if allowed and value not in allowed:
            raise InputError(f"expected {f.name} in {', '.join(map(str, allowed))}; received: {f.name}={value!r}")
    for names, fails, words in ((positive, lambda v: not v > 0, "> 0"), (nonnegative, lambda v: v < 0, ">= 0")):
        for name in names:
            value = getattr(config, name)
            if value is not None and fails(value):
                raise InputError(f"expected {name} {words}; received: {name}={value!r}")
