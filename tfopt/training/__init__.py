"""What resumable ``fit`` trainers share: the run directory's rule and the callbacks.

:mod:`.rundir` (config.json beside the checkpoints; resume the same config in place,
refuse a different one unless overwrite) and :mod:`.callbacks` (progress bar, logged
scalars and TensorBoard, checkpoints every N steps). Used by :mod:`tfopt.gan` and by the
style network's trainer (:mod:`tfopt.style.fast`).
"""
from tfopt.training.callbacks import HISTORY_FILE, Checkpoints, MetricsLog, ProgressBar, Run
from tfopt.training.rundir import CONFIG_FILE, prepare_run_dir, read_config, write_config

__all__ = ["Run", "ProgressBar", "MetricsLog", "Checkpoints", "HISTORY_FILE", "CONFIG_FILE", "prepare_run_dir",
           "read_config", "write_config"]
