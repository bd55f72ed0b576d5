"""GANs: Algorithm 1 as a Keras train_step, DCGAN networks, losses, penalties, metrics."""
from tfopt.gan.losses import LOSSES, get_loss
from tfopt.gan.models import GAN, generate_from, group_minibatches
from tfopt.gan.networks import build_networks, dcgan_discriminator, dcgan_generator, mlp_discriminator, mlp_generator

__all__ = [
    "GAN",
    "LOSSES",
    "get_loss",
    "group_minibatches",
    "generate_from",
    "build_networks",
    "dcgan_generator",
    "dcgan_discriminator",
    "mlp_generator",
    "mlp_discriminator",
]
