"""Every registered Keras layer of tfopt, under one registration package: ``tfopt``.

Importing this package registers them all, so ``keras.saving.load_model(path,
safe_mode=True)`` rebuilds any tfopt model without ``custom_objects``.

Example:
    import tfopt.layers  # noqa: F401  (registers the layers)
    model = keras.saving.load_model("generator.keras", safe_mode=True)
"""
from tfopt.layers.codes import CategoricalCode, categorical_code
from tfopt.layers.conditioning import ClassProjection
from tfopt.layers.maxout import Maxout

__all__ = ["CategoricalCode", "categorical_code", "ClassProjection", "Maxout"]
