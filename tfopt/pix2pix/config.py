"""The configuration of a pix2pix run, saved as config.json beside its checkpoints.

One flat dataclass: every field is a flag of ``bin/train_pix2pix.py`` (help from the
``Attributes:`` below). :data:`PAPER` holds Isola et al.'s values for the fields this
package's offline defaults change (smaller images, a narrower network, a larger batch:
what fits 10 minutes on two CPU cores), so summary.json can say what differs.

Example:
    config = Pix2PixConfig(data="edges2photo", generator="encoder_decoder").validated()
    config.identity()["generator"]          # "encoder_decoder"
"""
import dataclasses

from tfopt.core.errors import InputError
from tfopt.core.fields import check_fields, choices
from tfopt.gan.choices import LOSS_NAMES

__all__ = ["Pix2PixConfig", "title", "GENERATORS", "HELDOUT", "PATCHES", "OBJECTIVES", "TEST_MODES", "PAPER", "KIND"]

KIND = "pix2pix"
"""The ``kind`` written into a run's config.json (other binaries refuse a run of another kind)."""

GENERATORS = ("unet", "encoder_decoder")
PATCHES = ("34", "1", "16", "70", "142", "286", "image")
OBJECTIVES = ("l1_cgan", "l1", "cgan")
TEST_MODES = ("inference", "batch")
NORMS = ("batch", "instance")
UPSAMPLES = ("resize", "transpose")
"""The generator's decoders; the first is the offline default (docs/pix2pix.md: lower held-out L1 on both offline
sets at 1,000 steps, no checkerboard), the second the paper's."""
_UPSAMPLE_BEFORE_THE_FIELD = "transpose"  # what a config.json saved before ``upsample`` existed was built with
HELDOUT = ("auto", "strip", "bands")

PAPER = {"image_size": 256, "filters": 64, "batch_size": 1, "loss": "l1_cgan", "l1_weight": 100.0,
         "learning_rate": 2e-4, "beta_1": 0.5, "patch": "70", "generator": "unet", "gan_loss": "non_saturating",
         "upsample": "transpose"}
"""Isola et al. 2017's settings (facades: batch 1, 200 epochs at 256 px)."""

# Not part of what a run *is*: a resumed run may change these.
_NOT_IDENTITY = ("steps", "log_every", "sample_every", "checkpoint_every", "eval_samples", "jit_compile")


@dataclasses.dataclass(frozen=True)
class Pix2PixConfig:
    """A pix2pix run: data, networks, objective, training and evaluation.

    Attributes:
        data: the paired set: labels2photo or edges2photo (offline, made from the sample photos), an online pix2pix
            set (facades, cityscapes, maps, edges2shoes, edges2handbags, night2day) or a folder of pairs.
        direction: which side is the input: auto (the set's own; AtoB for a folder), AtoB or BtoA.
        image_size: side of the square training images (pairs are resized to it; the paper's is 256).
        num_classes: label classes of labels2photo.
        edges: edge detector of edges2photo: hed (the offline HED network) or canny.
        heldout: where an offline set's held-out region of every photo lies: auto (the set's own, the rightmost
            strip for both), strip, or bands (interleaved columns; docs/pix2pix.md).
        generator: unet (skip connections) or encoder_decoder (the same network without them).
        patch: the discriminator's receptive field in pixels: 1 (PixelGAN), 16, 34, 70, 142, 286, or image
            (ImageGAN: one logit per image); at most the image size. The paper's 70 is a quarter of its 256 px
            images; at the offline 64 px, 70 would exceed the image and 34 is the default.
        loss: the generator's objective: l1_cgan (the paper's), l1 only, or cgan only.
        l1_weight: lambda, the weight of L1 in l1_cgan and l1.
        gan_loss: the adversarial loss family (the paper's non_saturating cGAN, or lsgan, hinge, ...).
        norm: normalization in both networks: batch (the paper's) or instance.
        upsample: the generator's decoder: resize (nearest x2 and a 3x3 convolution, which builds no checkerboard
            pattern into the output; the offline default) or transpose (the paper's 4x4 stride-2 transposed
            convolutions).
        filters: width of the first layer of both networks (the paper's 64).
        dropout: dropout rate in the generator's first decoder blocks (the paper's noise).
        batch_size: pairs per step (the paper's 1 on facades).
        steps: training steps (a resumed run may be given more).
        learning_rate: Adam learning rate of both networks.
        beta_1: Adam beta_1.
        test_mode: how the generator runs at test time: inference (moving batch-norm statistics, no dropout, no
            state changed) or batch (the paper's: the test batch's own statistics and dropout on, stored
            statistics left untouched).
        seed: seed of the data order, jitter, initialization and noise.
        jit_compile: compile the training step with XLA (on 2 idle CPU cores, 0.86x the step time without it;
            docs/pix2pix.md).
        log_every: steps between logged loss means.
        sample_every: steps between sample grids.
        checkpoint_every: steps between checkpoints (a kill loses at most this many steps).
        eval_samples: held-out pairs scored at the end (0: all).
    """

    data: str = "labels2photo"
    direction: str = choices("auto", "AtoB", "BtoA")
    image_size: int = 64
    num_classes: int = 8
    edges: str = choices("hed", "canny")
    heldout: str = choices(*HELDOUT)
    generator: str = choices(*GENERATORS)
    patch: str = choices(*PATCHES)
    loss: str = choices(*OBJECTIVES)
    l1_weight: float = 100.0
    gan_loss: str = dataclasses.field(default="non_saturating", metadata={"choices": LOSS_NAMES})
    norm: str = choices(*NORMS)
    upsample: str = choices(*UPSAMPLES)
    filters: int = 32
    dropout: float = 0.5
    batch_size: int = 16
    steps: int = 1000
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    test_mode: str = choices(*TEST_MODES)
    seed: int = 0
    jit_compile: bool = True
    log_every: int = 50
    sample_every: int = 250
    checkpoint_every: int = 250
    eval_samples: int = 0

    def validated(self):
        """Checks every field; returns self (InputError naming the first bad field)."""
        check_fields(self, positive=("image_size", "filters", "batch_size", "learning_rate", "log_every",
                                     "sample_every", "checkpoint_every"),
                     nonnegative=("steps", "l1_weight", "eval_samples", "seed"))
        if self.image_size & (self.image_size - 1) or self.image_size < 8:
            raise InputError(f"expected image_size a power of two >= 8; received: image_size={self.image_size}")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"expected 0 <= dropout < 1; received: dropout={self.dropout!r}")
        if not 0.0 <= self.beta_1 < 1.0:
            raise InputError(f"expected 0 <= beta_1 < 1; received: beta_1={self.beta_1!r}")
        if self.num_classes < 2:
            raise InputError(f"expected num_classes >= 2; received: num_classes={self.num_classes}")
        if self.loss != "cgan" and not self.l1_weight:
            raise InputError(f"expected l1_weight > 0 with loss={self.loss}; received: l1_weight=0")
        return self

    @property
    def depth(self):
        """The U-Net's depth: down to 1x1 at the training size, at most 8 (the paper's at 256 px)."""
        return min(self.image_size.bit_length() - 1, 8)

    def identity(self):
        """The fields a resumed run must share with the saved one."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in _NOT_IDENTITY}

    def changed_from_paper(self):
        """``{field: [this run, the paper]}`` for the paper's settings this run changes."""
        values = dataclasses.asdict(self)
        return {k: [values[k], paper] for k, paper in PAPER.items() if values[k] != paper}

    def to_json(self):
        """The config.json content: the fields and ``kind``."""
        return {"kind": KIND, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, values):
        """The config of a saved config.json (unknown keys ignored; a run saved before ``upsample``
        existed was built with transposed convolutions; one saved before ``heldout`` existed took its set's own
        held-out region, which is ``auto``)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{"upsample": _UPSAMPLE_BEFORE_THE_FIELD, **{k: v for k, v in values.items() if k in names}})


def title(config):
    """What a run is, in the paper's words: "pix2pix: U-Net + 34x34 PatchGAN, L1 + cGAN"."""
    generator = {"unet": "U-Net", "encoder_decoder": "encoder-decoder"}[config.generator]
    patch = {"1": "1x1 PixelGAN", "image": "ImageGAN"}.get(config.patch, f"{config.patch}x{config.patch} PatchGAN")
    loss = {"l1_cgan": "L1 + cGAN", "l1": "L1 only", "cgan": "cGAN only"}[config.loss]
    return f"pix2pix: {generator} + {patch}, {loss}"
