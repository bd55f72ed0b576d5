"""The input-optimization engine: objectives, parameterizations, transforms, constraints, one loop.

:func:`~tfopt.optim.tiled.tiled` wraps an objective so it is evaluated tile by tile (images
larger than memory allows; DeepDream uses it).
"""
from tfopt.optim import constraints, objectives, param, transforms
from tfopt.optim.engine import OPTIMIZERS, OptimResult, evaluate, optimize, optimize_tensors
from tfopt.optim.tiled import tiled

__all__ = ["optimize", "optimize_tensors", "evaluate", "OptimResult", "OPTIMIZERS", "tiled", "objectives", "param", "transforms",
           "constraints"]
