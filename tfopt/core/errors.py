"""The one exception type for bad user input.

Library code raises :class:`InputError` with a one-line message that says what was
expected and what was received; the binaries turn it into that line on stderr and
exit status 2 (see :mod:`tfopt.cli`).
"""

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad user input: a one-line message naming what was expected and what was received.

    Example:
        raise InputError(f"expected steps >= 0; received: steps={steps}")
    """
