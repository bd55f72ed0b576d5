"""tfopt: feature-space optimization with TensorFlow 2 / Keras 3.

The most used entry points are re-exported here; they are imported on first use, so
``import tfopt`` stays cheap (TensorFlow loads when one of them is touched)::

    import tfopt
    model = tfopt.get_model("digits_cnn")
    res = tfopt.pgd(model, x, y, eps=0.3)
"""
from tfopt._lazy import lazy_exports

__version__ = "0.1.0"

# name -> module that defines it
_EXPORTS = {
    "optimize": "tfopt.optim", "evaluate": "tfopt.optim", "objectives": "tfopt.optim",
    "get_model": "tfopt.models.zoo", "FeatureModel": "tfopt.models.features",
    "load_image": "tfopt.images", "save_image": "tfopt.images", "load_dataset": "tfopt.data",
    "fgsm": "tfopt.attacks", "bim": "tfopt.attacks", "pgd": "tfopt.attacks", "mim": "tfopt.attacks",
    "cw_l2": "tfopt.attacks",
    "class_model": "tfopt.visualize", "fooling_images": "tfopt.visualize", "invert": "tfopt.visualize",
    "deepdream": "tfopt.visualize",
    "stylize": "tfopt.style", "train_stylenet": "tfopt.style",
    "GAN": "tfopt.gan", "load_generator": "tfopt.gan",
    "get_strategy": "tfopt.distribute",
    "InputError": "tfopt.core.errors",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__ = lazy_exports(__name__, _EXPORTS)
