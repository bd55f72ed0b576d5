"""Visualizations as recipes on the engine: fooling images, class models, feature inversion, DeepDream.

DeepDream's tiled-gradient objective is part of the engine: :mod:`tfopt.optim.tiled`.
"""
from tfopt.visualize.class_model import ClassModelResult, class_model, compare_tv
from tfopt.visualize.dream import DreamResult, deepdream
from tfopt.visualize.fooling import THRESHOLDS, FoolingResult, fooling_images
from tfopt.visualize.inversion import InversionResult, invert

__all__ = ["ClassModelResult", "class_model", "compare_tv", "THRESHOLDS", "FoolingResult", "fooling_images",
           "InversionResult", "invert", "DreamResult", "deepdream"]
