"""The input-optimization engine: objectives, parameterizations, transforms, constraints, one loop."""
from tfopt.optim import constraints, objectives, param, transforms
from tfopt.optim.engine import OPTIMIZERS, OptimResult, evaluate, optimize

__all__ = ["optimize", "evaluate", "OptimResult", "OPTIMIZERS", "objectives", "param", "transforms",
           "constraints"]
