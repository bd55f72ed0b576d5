"""Network builders by name: ``build("stylenet", ...)``, ``build("digits_cnn", ...)``, ``names()``.

Each builder module registers its networks with :func:`~tfopt.nets.registry.register`
when imported; this package imports them all, so the registry is full once
``tfopt.nets`` is imported. A new network is a new module here plus one import line below.

Example:
    from tfopt import nets
    net = nets.build("stylenet", filters=(16, 32, 64), residual_blocks=3)
    nets.names()                       # ["dcgan_discriminator", "dcgan_generator", "digits_cnn", ...]
"""
from tfopt.nets.registry import build, get, names, register

# Builder modules, one a line: importing one registers its networks.
from tfopt.nets import attngan
from tfopt.nets import biggan
from tfopt.nets import dcgan
from tfopt.nets import digits_cnn
from tfopt.nets import efficientnet_lite
from tfopt.nets import hed
from tfopt.nets import mlp
from tfopt.nets import pix2pix
from tfopt.nets import segmenter
from tfopt.nets import stylenet
from tfopt.nets import text2image

__all__ = ["register", "get", "build", "names",
           # the builder modules
           "attngan", "biggan", "dcgan", "digits_cnn", "efficientnet_lite", "hed", "mlp", "pix2pix", "segmenter",
           "stylenet",
           "text2image"]
