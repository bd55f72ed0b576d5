"""tfopt.core.progress: quiet means silent, values show, a log file gets few redraws."""
import sys

import numpy as np
import pytest

from tfopt.core.progress import progress


def test_progress_is_silent_when_quiet(capfd):
    bar = progress(4, quiet=True, desc="steps")
    for _ in range(4):
        bar.update(1, loss=np.float32(0.5))
    bar.close()
    assert bar.n == 4
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_shows_values(capfd):
    with progress(2, quiet=False, desc="steps") as bar:
        bar.update(1, loss=0.123456)
        bar.update(1, loss=0.25, note="x")
    err = capfd.readouterr().err
    assert "steps" in err and "2/2" in err and "loss=0.25" in err


class _Stream:
    """A stderr stand-in that records writes and claims (or not) to be a terminal."""

    def __init__(self, tty):
        self.tty, self.writes = tty, []

    def isatty(self):
        return self.tty

    def write(self, text):
        self.writes.append(text)

    def flush(self):
        pass


@pytest.mark.parametrize("tty", [True, False])
def test_progress_redraws_rarely_into_a_log_file(monkeypatch, tty):
    stream = _Stream(tty)
    monkeypatch.setattr(sys, "stderr", stream)
    clock = iter(np.arange(0.0, 1000.0, 0.5))     # every update half a second after the last
    monkeypatch.setattr("tqdm.std.time", lambda: next(clock))
    with progress(40, quiet=False, desc="steps") as bar:
        for _ in range(40):
            bar.update(1)
    draws = sum(text.count("steps") for text in stream.writes)
    # 20 s of updates: a terminal redraws each one; a log gets the first and the last line.
    assert (draws >= 30) if tty else (draws <= 3)
    assert "40/40" in "".join(stream.writes)
