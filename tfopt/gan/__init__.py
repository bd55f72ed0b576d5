"""GANs on one core: Algorithm 1 as a Keras train_step for G(z, c) and D(x, c), weighted loss terms,
a model zoo with one set of defaults per model, a trainer that takes any data.

Example:
    from tfopt import gan
    summary = gan.train(gan.GANConfig.from_flat(steps=2000), "runs/dcgan")
    generator, config = gan.load_generator("runs/dcgan")

    # your own data: a folder of PNGs, or any tf.data.Dataset
    gan.train(gan.GANConfig.from_flat(dataset="my_pngs/", image_size=64), "runs/mine")
"""
from tfopt.gan import terms
from tfopt.gan.config import DataConfig, EvalConfig, GANConfig, ModelConfig, OptimizerConfig, TrainConfig
from tfopt.gan.evaluation import evaluate
from tfopt.gan.feeds import generate_from
from tfopt.gan.inputs import group_minibatches
from tfopt.gan.io import load_generator, save_generator
from tfopt.gan.losses import LOSSES, get_loss
from tfopt.gan.models import GAN
from tfopt.gan.terms import Term
from tfopt.gan.trainer import build_gan, make_dataset, train

__all__ = [
    "GAN",
    "GANConfig",
    "ModelConfig",
    "DataConfig",
    "OptimizerConfig",
    "TrainConfig",
    "EvalConfig",
    "LOSSES",
    "Term",
    "terms",
    "get_loss",
    "group_minibatches",
    "generate_from",
    "build_gan",
    "make_dataset",
    "train",
    "evaluate",
    "load_generator",
    "save_generator",
]
