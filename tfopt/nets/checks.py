"""Argument checks shared by the network builders (one-line InputErrors naming the value)."""
from tfopt.core.errors import InputError

__all__ = ["check_int", "check_power_of_two", "check_choice"]


def check_int(name, value, lo=1):
    """Checks that ``value`` is an integer >= ``lo``; returns it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise InputError(f"expected {name} to be an integer >= {lo}; received: {name}={value!r}")
    return value


def check_power_of_two(name, value, lo=8):
    """Checks that ``value`` is a power of two >= ``lo``; returns it."""
    check_int(name, value, lo)
    if value & (value - 1):
        raise InputError(f"expected {name} to be a power of two >= {lo}; received: {name}={value}")
    return value


def check_choice(name, value, choices):
    """Checks ``value in choices``; returns it."""
    if value not in choices:
        raise InputError(f"expected {name} to be one of {', '.join(map(str, choices))}; received: {name}={value!r}")
    return value
