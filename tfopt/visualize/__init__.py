"""Visualizations as recipes on the engine: fooling images, class models, feature inversion.

DeepDream lives in :mod:`tfopt.dream`; its tiled-gradient objective in
:mod:`tfopt.visualize.tiled`.
"""
from tfopt.visualize.class_model import ClassModelResult, class_model, compare_tv
from tfopt.visualize.fooling import THRESHOLDS, FoolingResult, fooling_images
from tfopt.visualize.inversion import InversionResult, invert
from tfopt.visualize.tiled import tiled

__all__ = ["ClassModelResult", "class_model", "compare_tv", "THRESHOLDS", "FoolingResult", "fooling_images",
           "InversionResult", "invert", "tiled"]
