"""Text to image: captioned data readers, text and image encoders (DAMSM), GAN-INT-CLS, StackGAN and AttnGAN.

The captioned digits themselves live in :mod:`tfopt.data.captioned_digits` (a real captioned folder in
:mod:`tfopt.data.captioned_folder`); this package holds what reads, encodes and draws them:
:mod:`tfopt.text2image.readers` judges an image's digit, colours and thickness from its pixels.

Example:
    from tfopt.data.captioned_digits import captioned_digits
    from tfopt.text2image.readers import attribute_accuracy
    data = captioned_digits("held_out", num=200)
    attribute_accuracy(data.images, data.attributes)     # the readers' ceiling on real images
"""

__all__ = []
