"""Style transfer: Gatys optimization on the engine, and a feed-forward network that serves it.

``stylize`` (optimization, :mod:`.gatys`), ``train_stylenet`` / ``stylize_fast``
(feed-forward, :mod:`.fast`), the perceptual loss (:mod:`.losses`), colour preservation
(:mod:`.colour`), the coarse-to-fine schedule (:mod:`.schedule`). The network is built by
:func:`tfopt.nets.stylenet.build_stylenet` (re-exported here) from the layers of :mod:`tfopt.layers`.
"""
from tfopt.nets.stylenet import build_stylenet
from tfopt.style.fast import TrainConfig, TrainResult, load_stylenet, save_stylenet, stylize_fast, train_stylenet
from tfopt.style.gatys import (FEATURE_MODELS, StyleConfig, StyleResult, load_features, load_vgg19, score,
                               stylize)
from tfopt.style.losses import DEFAULT_LAYERS, Layers, LossWeights

__all__ = ["stylize", "StyleConfig", "StyleResult", "FEATURE_MODELS", "load_features", "load_vgg19", "score",
           "train_stylenet", "TrainConfig", "TrainResult", "stylize_fast", "save_stylenet", "load_stylenet",
           "build_stylenet", "LossWeights", "Layers", "DEFAULT_LAYERS"]
