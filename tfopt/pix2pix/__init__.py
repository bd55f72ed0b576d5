"""pix2pix (Isola et al. 2017): paired image-to-image translation on the GAN core, and its evaluation.

:mod:`tfopt.pix2pix.config` is a run's configuration, :mod:`tfopt.pix2pix.train` trains
and scores a run (``bin/train_pix2pix.py``), :mod:`tfopt.pix2pix.translator` loads a run
and translates images of any size (``bin/translate.py``), :mod:`tfopt.pix2pix.evaluate`
scores held-out pairs.
:mod:`tfopt.pix2pix.metrics` scores generated photos against their targets and
labellings against the truth; :mod:`tfopt.pix2pix.segmenter` trains the segmenter
behind the FCN score (photos -> labels) and scores photos with it.

Example:
    from tfopt.pix2pix import fcn_scores, image_scores, load_or_train_segmenter
    segmenter, info = load_or_train_segmenter("tiles-v1-64", photos, labels, 8)
    fcn_scores(segmenter, generated, held_out_labels, 8)["per_pixel_accuracy"]
"""
from tfopt.pix2pix.config import Pix2PixConfig
from tfopt.pix2pix.metrics import image_scores, segmentation_scores
from tfopt.pix2pix.segmenter import fcn_scores, load_or_train_segmenter, train_segmenter

__all__ = ["Pix2PixConfig", "image_scores", "segmentation_scores", "train_segmenter", "load_or_train_segmenter", "fcn_scores"]
