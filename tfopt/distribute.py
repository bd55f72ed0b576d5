"""The one place a ``tf.distribute`` strategy is built, plus multi-worker bookkeeping.

Build the strategy once, at the start of a program, then create models, optimizers
and metrics inside ``strategy.scope()``::

    strategy = get_strategy("mirrored")              # all local GPUs (or CPUs)
    with strategy.scope():
        gan = ...; gan.compile(...)
    gan.fit(dataset, ...)                            # global batch split over replicas

Several machines: set ``TF_CONFIG`` on every worker (same ``cluster``, own ``task``)
and use ``get_strategy("multi_worker")``; every worker runs the same program, and only
the chief (:func:`is_chief`) writes the final outputs (:func:`worker_dir`).

On a CPU-only machine, :func:`use_logical_cpus` splits the CPU into several logical
devices before TensorFlow starts, so ``mirrored`` runs (and is tested) with 2 replicas.
"""
import json
import os
import pathlib

from tfopt.core.errors import InputError

# TensorFlow is imported inside the functions that use it: the names (STRATEGIES) and TF_CONFIG checks are read
# before it loads (bin/train_gan.py defines its flags from them).

__all__ = ["STRATEGIES", "get_strategy", "use_logical_cpus", "is_chief", "worker_dir", "task_info"]

STRATEGIES = ("default", "mirrored", "multi_worker", "one_device")
"""Strategy names accepted by :func:`get_strategy`."""


def use_logical_cpus(count):
    """Splits the first physical CPU into ``count`` logical devices (``/cpu:0`` ... ).

    Must run before TensorFlow initializes its devices (before any op or strategy).

    Args:
        count: number of logical CPU devices (>= 1).

    Returns:
        The list of logical CPU device names.

    Raises:
        InputError: bad count, or TensorFlow already initialized with another layout.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InputError(f"expected a CPU device count >= 1; received: {count!r}")
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError:
        have = len(tf.config.list_logical_devices("CPU"))
        if have != count:
            raise InputError(
                f"expected to split the CPU before TensorFlow starts; received: already initialized with {have} "
                "logical CPU device(s)"
            ) from None
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def _local_devices():
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        return [d.name for d in gpus]
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def get_strategy(name="default", devices=None):
    """Builds a distribution strategy by name.

    Args:
        name: one of :data:`STRATEGIES`:
            ``"default"``: no distribution (``tf.distribute.get_strategy()``);
            ``"one_device"``: everything on ``devices[0]`` (default: first GPU, else CPU);
            ``"mirrored"``: synchronous data parallel over ``devices`` (default: all
            local GPUs, else all logical CPUs);
            ``"multi_worker"``: ``MultiWorkerMirroredStrategy`` over the cluster in the
            ``TF_CONFIG`` environment variable (one worker when it is unset).
        devices: device names such as ``["/gpu:0", "/gpu:1"]`` (``one_device`` and
            ``mirrored`` only).

    Returns:
        A ``tf.distribute.Strategy``.

    Raises:
        InputError: unknown name, devices with ``default``/``multi_worker``, bad TF_CONFIG.
    """
    if name not in STRATEGIES:
        raise InputError(f"expected strategy to be one of {', '.join(STRATEGIES)}; received: {name!r}")
    if devices is not None:
        devices = [str(d) for d in devices]
        if not devices:
            raise InputError("expected at least one device name; received: an empty list")
        if name in ("default", "multi_worker"):
            raise InputError(f"expected no devices for strategy {name!r}; received: devices={devices}")
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(devices[0] if devices else _local_devices()[0])
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(devices=devices or _local_devices())
    task_info()  # validates TF_CONFIG before TensorFlow reads it
    return tf.distribute.MultiWorkerMirroredStrategy()


def task_info():
    """Reads ``TF_CONFIG``: ``(task_type, task_id, num_workers)``; ``("worker", 0, 1)`` when unset.

    Returns:
        A tuple ``(task_type, task_id, num_workers)`` where ``num_workers`` counts
        chief and worker tasks.

    Raises:
        InputError: TF_CONFIG is not JSON with ``cluster`` and ``task``.
    """
    raw = os.environ.get("TF_CONFIG", "")
    if not raw.strip():
        return "worker", 0, 1
    try:
        config = json.loads(raw)
        cluster, task = config["cluster"], config["task"]
        count = len(cluster.get("chief", [])) + len(cluster.get("worker", []))
        return str(task["type"]), int(task["index"]), count
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError(
            'expected TF_CONFIG like {"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", '
            f'"index": 0}}}}; received: {raw[:120]!r}'
        ) from None


def is_chief(strategy=None):
    """Whether this process writes the run's outputs (always True outside multi-worker).

    The chief is task ``chief`` if the cluster has one, else ``worker`` 0.

    Args:
        strategy: the strategy in use (None: read ``TF_CONFIG`` only).

    Returns:
        bool.
    """
    resolver = getattr(strategy, "cluster_resolver", None) if strategy is not None else None
    if resolver is not None and resolver.task_type is not None:
        task_type, task_id = resolver.task_type, resolver.task_id
        has_chief = "chief" in resolver.cluster_spec().as_dict()
    else:
        task_type, task_id, _ = task_info()
        has_chief = "chief" in json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    if task_type == "chief":
        return True
    return task_type == "worker" and task_id == 0 and not has_chief


def worker_dir(output_dir, strategy=None):
    """Where this process writes: ``output_dir`` for the chief, a private subdirectory otherwise.

    Every worker must take part in saving a checkpoint (the save is collective), but
    only the chief's copy is kept; others write to ``output_dir/.worker-<type>-<id>``
    and may delete it at the end.

    Args:
        output_dir: the run directory.
        strategy: the strategy in use.

    Returns:
        ``pathlib.Path``.
    """
    output_dir = pathlib.Path(output_dir)
    if is_chief(strategy):
        return output_dir
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is not None and resolver.task_type is not None:
        task_type, task_id = resolver.task_type, resolver.task_id
    else:
        task_type, task_id, _ = task_info()
    return output_dir / f".worker-{task_type}-{task_id}"
