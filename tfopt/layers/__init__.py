"""Every registered Keras layer of tfopt, under one registration package: ``tfopt>ClassName``.

Importing this package registers them all, so a saved ``.keras`` file that uses them
loads with ``keras.saving.load_model(path, safe_mode=True)``.

* :mod:`.conv`: ``ReflectConv`` (reflection-padded convolution), ``UpsampleConv``
  (resize-convolution), ``CropLike``, ``ResizeLike`` (bilinear, to another tensor's size);
* :mod:`.norms`: ``InstanceNorm``;
* :mod:`.blocks`: ``ResidualBlock``;
* :mod:`.preprocess`: ``Preprocess`` (a keras.applications input convention in-graph);
* :mod:`.maxout`: ``Maxout`` (the original GAN's discriminator units);
* :mod:`.codes`: ``CategoricalCode`` and ``categorical_code`` (InfoGAN's code read from z);
* :mod:`.conditioning`: ``ClassProjection`` (the projection discriminator's class term);
* :mod:`.spectral`: ``SpectralConv2D``, ``SpectralDense`` (spectral norm, one power iteration per step);
* :mod:`.norms` also: ``ConditionalBatchNorm`` (BigGAN's class-conditional batch norm);
* :mod:`.attention`: ``SelfAttention`` (SAGAN); :mod:`.latent`: ``LatentChunks`` (hierarchical z);
* :mod:`.word_attention`: ``WordAttention`` (AttnGAN's sub-regions over words), ``GLU`` (gated linear unit);
* :mod:`.text`: ``TokenMask``, ``MaskedWords`` (the DAMSM text encoder's padding);
* :mod:`.progressive`: ``EqualizedDense``, ``EqualizedConv2D``, ``PixelNorm``, ``MinibatchStddev``,
  ``FadeIn`` (Progressive GAN's equalized learning rate, pixel norm, minibatch stddev, fade-in).

Example:
    import tfopt.layers  # noqa: F401  (registers the layers)
    net = keras.saving.load_model("stylenet.keras", safe_mode=True)
"""
import keras

from tfopt.layers.attention import SelfAttention
from tfopt.layers.blocks import ResidualBlock
from tfopt.layers.codes import CategoricalCode, categorical_code
from tfopt.layers.conditioning import ClassProjection
from tfopt.layers.conditioning_augmentation import ConditioningAugmentation
from tfopt.layers.conv import CropLike, NearestUpsample, ReflectConv, ResizeLike, UpsampleConv
from tfopt.layers.latent import LatentChunks
from tfopt.layers.maxout import Maxout
from tfopt.layers.norms import ConditionalBatchNorm, InstanceNorm
from tfopt.layers.preprocess import Preprocess
from tfopt.layers.progressive import EqualizedConv2D, EqualizedDense, FadeIn, MinibatchStddev, PixelNorm
from tfopt.layers.registration import PACKAGE, serializable
from tfopt.layers.spectral import SpectralConv2D, SpectralDense, update_spectral_norms
from tfopt.layers.text import MaskedWords, TokenMask
from tfopt.layers.word_attention import GLU, WordAttention

__all__ = ["PACKAGE", "serializable", "ReflectConv", "NearestUpsample", "UpsampleConv", "CropLike", "ResizeLike",
           "InstanceNorm", "ResidualBlock",
           "Preprocess", "Maxout", "CategoricalCode", "categorical_code", "ClassProjection", "SpectralConv2D",
           "SpectralDense", "update_spectral_norms", "ConditionalBatchNorm", "SelfAttention", "LatentChunks",
           "EqualizedDense", "EqualizedConv2D", "PixelNorm", "MinibatchStddev", "FadeIn", "ConditioningAugmentation",
           "WordAttention", "GLU", "TokenMask", "MaskedWords"]

# Registered names used before all layers moved here, kept so files saved then still load:
# the style network's layers were registered under the package "tfopt_style".
_LEGACY_NAMES = {
    "tfopt_style>ReflectConv": ReflectConv,
    "tfopt_style>InstanceNorm": InstanceNorm,
    "tfopt_style>ResidualBlock": ResidualBlock,
    "tfopt_style>UpsampleConv": UpsampleConv,
    "tfopt_style>CropLike": CropLike,
}
keras.saving.get_custom_objects().update(_LEGACY_NAMES)
