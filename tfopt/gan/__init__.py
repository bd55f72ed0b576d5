"""GANs: Algorithm 1 as a Keras train_step, DCGAN networks, losses, penalties, metrics, runs.

Example:
    from tfopt import gan
    summary = gan.train(gan.GANConfig(steps=2000), "runs/dcgan")
    generator, config = gan.load_generator("runs/dcgan")
"""
from tfopt.gan.config import GANConfig
from tfopt.gan.io import load_generator, save_generator
from tfopt.gan.losses import LOSSES, get_loss
from tfopt.gan.models import GAN, generate_from, group_minibatches
from tfopt.gan.networks import build_networks, dcgan_discriminator, dcgan_generator, mlp_discriminator, mlp_generator
from tfopt.gan.trainer import build_gan, evaluate, train

__all__ = [
    "GAN",
    "GANConfig",
    "LOSSES",
    "get_loss",
    "group_minibatches",
    "generate_from",
    "build_networks",
    "build_gan",
    "dcgan_generator",
    "dcgan_discriminator",
    "mlp_generator",
    "mlp_discriminator",
    "train",
    "evaluate",
    "load_generator",
    "save_generator",
]
