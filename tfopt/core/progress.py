"""Progress bars for long loops (tqdm), quiet on request, one line per 30 s in a log file.

Example:
    with progress(steps, quiet=quiet, desc="pgd") as bar:
        for _ in range(steps):
            bar.update(1, loss=loss)
"""
import sys

__all__ = ["progress"]

_LOG_INTERVAL = 30.0


class _Progress:
    """A tqdm bar with ``update(n, **values)`` showing the latest values after the bar."""

    def __init__(self, total, *, quiet, desc):
        from tqdm.auto import tqdm

        # On a terminal the bar redraws in place; in a log file every redraw is a new line, so a
        # non-interactive stream gets one line per _LOG_INTERVAL seconds instead of ten a second.
        interactive = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self._bar = tqdm(total=total, desc=desc or None, disable=quiet, leave=True, dynamic_ncols=True,
                         mininterval=0.1 if interactive else _LOG_INTERVAL)
        self.n = 0

    def update(self, n=1, **values):
        """Advances by ``n`` steps and shows ``values`` (numbers are formatted with 4 digits)."""
        self.n += n
        if values:
            shown = {}
            for key, value in values.items():
                try:
                    shown[key] = f"{float(value):.4g}"
                except (TypeError, ValueError):
                    shown[key] = str(value)
            self._bar.set_postfix(shown, refresh=False)
        self._bar.update(n)

    def close(self):
        """Finishes the bar."""
        self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def progress(total, *, quiet, desc=""):
    """A progress bar (tqdm) with ``update(n, **values)`` and ``close()``; silent when ``quiet``.

    A context manager too.

    Args:
        total: expected number of steps (None if unknown).
        quiet: show nothing.
        desc: label in front of the bar.

    Returns:
        The bar object.

    Example:
        with progress(steps, quiet=quiet, desc="pgd") as bar:
            for _ in range(steps):
                bar.update(1, loss=loss)
    """
    return _Progress(total, quiet=quiet, desc=desc)
