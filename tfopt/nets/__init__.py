"""Network builders by name (a registry), below every technique that uses them.

Example:
    from tfopt import nets
    g = nets.build("dcgan_generator", latent_dim=100, image_size=32, channels=1)
    nets.names()
"""
from tfopt.nets import dcgan, mlp  # noqa: F401  (fill the registry)
from tfopt.nets.registry import build, get, names, register

__all__ = ["build", "get", "names", "register"]
