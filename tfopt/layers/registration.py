"""The one registration package of tfopt's Keras layers: every layer is ``tfopt>ClassName``.

Example:
    @serializable
    class MyLayer(keras.layers.Layer):
        ...
    # saved as registered_name "tfopt>MyLayer"; loads with safe_mode=True once imported
"""
import keras

__all__ = ["PACKAGE", "serializable"]

PACKAGE = "tfopt"
"""Package of every registered tfopt layer (its registered name is ``f"{PACKAGE}>{ClassName}"``)."""


def serializable(cls):
    """Registers a layer class under :data:`PACKAGE` (``keras.saving.register_keras_serializable``).

    Args:
        cls: a keras.layers.Layer subclass.

    Returns:
        ``cls``, registered.
    """
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)
