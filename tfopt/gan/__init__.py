"""GANs on one core: Algorithm 1 as a Keras train_step for G(z, c) and D(x, c), weighted loss terms,
a model zoo with one set of defaults per model, a trainer that takes any data.

Example:
    from tfopt import gan
    summary = gan.train(gan.GANConfig.from_flat(steps=2000), "runs/dcgan")
    generator, config = gan.load_generator("runs/dcgan")

    # your own data: a folder of PNGs, or any tf.data.Dataset
    gan.train(gan.GANConfig.from_flat(dataset="my_pngs/", image_size=64), "runs/mine")
"""
from tfopt._lazy import lazy_exports

# name -> module that defines it; imported on first use, so reading a config or a loss name (flag
# definitions do) does not load TensorFlow.
_EXPORTS = {
    "DataConfig": "tfopt.gan.config", "EvalConfig": "tfopt.gan.config", "GANConfig": "tfopt.gan.config",
    "ModelConfig": "tfopt.gan.config", "OptimizerConfig": "tfopt.gan.config", "TrainConfig": "tfopt.gan.config",
    "evaluate": "tfopt.gan.evaluation", "generate_from": "tfopt.gan.feeds", "group_minibatches": "tfopt.gan.inputs",
    "load_generator": "tfopt.gan.io", "save_generator": "tfopt.gan.io", "LOSSES": "tfopt.gan.losses",
    "get_loss": "tfopt.gan.losses", "GAN": "tfopt.gan.models", "Term": "tfopt.gan.terms",
    "build_gan": "tfopt.gan.trainer", "make_dataset": "tfopt.gan.trainer", "train": "tfopt.gan.trainer",
    "terms": "tfopt.gan.terms",
}

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


__getattr__ = lazy_exports(__name__, _EXPORTS)
