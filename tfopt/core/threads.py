"""TensorFlow's thread pools sized to a process's share of the cores, when several run at once.

Each TensorFlow process otherwise sizes its pools to every core, so two processes at once
(two tour sections, two test workers and the binaries they start) keep twice as many busy
threads as cores, and their small ops spend the difference waiting on each other. The
sizes go through TensorFlow's environment variables, read when its runtime starts, so this
must run before TensorFlow is imported, and a process that never imports it pays nothing;
processes started afterwards inherit them.

Example:
    share_cores(2)        # in each of two worker processes, before TensorFlow loads
"""
import os

__all__ = ["share_cores"]


def share_cores(workers, *, keep_set=False):
    """Sets ``TF_NUM_INTRAOP_THREADS`` to cores // ``workers`` (at least 1) and ``TF_NUM_INTEROP_THREADS`` to 1.

    Args:
        workers: how many such processes run at once.
        keep_set: leave a variable the user already set as it is.
    """
    values = {"TF_NUM_INTRAOP_THREADS": str(max(1, (os.cpu_count() or 1) // int(workers))),
              "TF_NUM_INTEROP_THREADS": "1"}
    for name, value in values.items():
        if keep_set:
            os.environ.setdefault(name, value)
        else:
            os.environ[name] = value
