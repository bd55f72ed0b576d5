"""The configuration of a text-to-image run, saved as config.json beside its checkpoints.

One flat dataclass: every field is a flag of ``bin/train_text2image.py`` (help from the
``Attributes:`` below). Fields left at ``None`` take the model's own default from
:data:`tfopt.text2image.models.DEFAULTS` (the papers' values), so a run says which
switches it turned (the ablations: ``--nocls``, ``--nointerpolation``,
``--noconditioning_augmentation``).

Example:
    config = Text2ImageConfig(model="stackgan").validated()
    config.phases()        # (("stage1", 1, 3000), ("stage2", 2, 1000))
"""
import dataclasses

from tfopt.core.errors import InputError
from tfopt.core.fields import check_fields, choices

__all__ = ["Text2ImageConfig", "KIND", "MODELS"]

KIND = "text2image"
"""The ``kind`` written into a run's config.json (other binaries refuse a run of another kind)."""

MODELS = ("gan_int_cls", "stackgan", "attngan")

# Not part of what a run *is*: a resumed run may change these.
_NOT_IDENTITY = ("steps", "stage2_steps", "log_every", "sample_every", "checkpoint_every", "eval_samples",
                 "jit_compile")


# The digits recipes' lengths and EMA, where a field is left at None. Training alone on 2 cores: GAN-INT-CLS 744 s;
# StackGAN's Stage I (16 px) and Stage II (32 px) about 547 + 267 s (timed without CA). Both inside 15 minutes.
_DEFAULT_STEPS = {"gan_int_cls": (4500, 0), "stackgan": (3000, 1000)}
# AttnGAN trains both stages at once, in one phase (docs/text2image.md, "AttnGAN": its measured steps per second).
_DEFAULT_STEPS["attngan"] = (2000, 0)
_DEFAULT_EMA = 0.999
# XLA, where a field is left at None. AttnGAN's step ran faster without it (alone on 2 cores, width 16: 2.27 against
# 2.13 steps/s, and its first step came ~30 s sooner); the other models keep it.
_DEFAULT_JIT = {"gan_int_cls": True, "stackgan": True, "attngan": False}


@dataclasses.dataclass(frozen=True)
class Text2ImageConfig:
    """A text-to-image run: data, model, ablation switches, training and evaluation.

    Attributes:
        model: gan_int_cls (Reed et al. 2016), stackgan (Zhang et al. 2017: Stage I at half the size, then
            Stage II with Stage I frozen) or attngan (Xu et al. 2018: both stages trained together, the second
            attending over the words, with the word- and sentence-level DAMSM loss).
        data: captioned_digits (offline, made by the package) or a folder of images with caption files
            (images/ and text/, CUB / Oxford-102 style).
        train_images: train on the first N images of the training split (0: all of it).
        image_size: side of the generated images (StackGAN's Stage I draws at half of it).
        cls: matching-aware discriminator (real image + wrong text counts as fake); None: the model's default.
        interpolation: GAN-INT, the generator also trains on interpolated captions; None: the model's default.
        conditioning_augmentation: StackGAN's conditioning augmentation; None: the model's default.
        kl_weight: weight of conditioning augmentation's KL term; None: the model's default (1).
        latent_dim: noise size; None: the model's default (100).
        filters: width of both networks; None: the model's default.
        text_norm: the generator's batch norms take their gain and bias from the text, in every block (not in the
            papers, where the text enters once); None: the model's default.
        projection: the discriminator adds a projection term, the inner product of the projected text with its pooled
            image features (Miyato & Koyama 2018; not in the papers); None: the model's default.
        damsm_weight: weight of the DAMSM loss (generated images must match their captions through the frozen
            DAMSM encoders) in the generator's loss: AttnGAN's lambda (word and sentence level; 5 by default), for
            the other two the sentence level only (not in either paper); None: the model's default.
        hard_mismatch: the share of the matching-aware D's wrong captions that are right but for the digit (the
            captioned digits only; a folder set has no attributes and gets random ones); 0: all random, as in Reed
            et al.
        ema_decay: keep an exponential moving average of the generator's weights with this decay and draw with it
            (0: off, as in both papers); None: 0.999.
        encoder_epochs: epochs of the DAMSM text and image encoders' training on first use (cached per recipe);
            None: the recipe's; 0: untrained encoders, for smoke tests.
        batch_size: examples per step.
        steps: training steps (GAN-INT-CLS; StackGAN's Stage I; AttnGAN); None: the model's default (4,500 for
            GAN-INT-CLS, 3,000 for StackGAN, 2,000 for AttnGAN).
        stage2_steps: StackGAN's Stage II steps; None: 1,000.
        learning_rate: Adam learning rate of both networks; None: the model's default (5e-4; both papers: 2e-4).
        seed: seed of the data order, initialization and noise.
        jit_compile: compile the training step with XLA; None: the model's default (on, but off for AttnGAN).
        log_every: steps between logged loss means.
        sample_every: steps between sample grids.
        checkpoint_every: steps between checkpoints (a kill loses at most this many steps).
        eval_samples: held-out captions scored at the end (0: all of them).
    """

    model: str = choices(*MODELS)
    data: str = "captioned_digits"
    train_images: int = 0
    image_size: int = 32
    cls: bool = None
    interpolation: bool = None
    conditioning_augmentation: bool = None
    kl_weight: float = None
    latent_dim: int = None
    filters: int = None
    text_norm: bool = None
    projection: bool = None
    damsm_weight: float = None
    hard_mismatch: float = 0.5
    ema_decay: float = None
    encoder_epochs: int = None
    batch_size: int = 64
    steps: int = None
    stage2_steps: int = None
    learning_rate: float = None
    seed: int = 0
    jit_compile: bool = None
    log_every: int = 50
    sample_every: int = 250
    checkpoint_every: int = 250
    eval_samples: int = 1000

    def validated(self):
        """Checks every field; returns self (InputError naming the first bad field)."""
        check_fields(self, positive=("image_size", "batch_size", "log_every", "sample_every", "checkpoint_every",
                                     "latent_dim", "filters", "learning_rate"),
                     nonnegative=("steps", "stage2_steps", "eval_samples", "seed", "train_images", "encoder_epochs",
                                  "kl_weight", "ema_decay", "hard_mismatch", "damsm_weight"))
        if self.ema_decay is not None and not self.ema_decay < 1.0:
            raise InputError(f"expected 0 <= ema_decay < 1; received: ema_decay={self.ema_decay!r}")
        if not self.hard_mismatch <= 1.0:
            raise InputError(f"expected 0 <= hard_mismatch <= 1; received: hard_mismatch={self.hard_mismatch!r}")
        if self.image_size & (self.image_size - 1) or self.image_size < 16:
            raise InputError(f"expected image_size a power of two >= 16; received: image_size={self.image_size}")
        if self.model == "gan_int_cls" and self.conditioning_augmentation:
            raise InputError("expected conditioning_augmentation only with model=stackgan; received: "
                             "model=gan_int_cls --conditioning_augmentation")
        if self.model == "attngan" and (self.conditioning_augmentation is False or self.interpolation):
            raise InputError("expected attngan with conditioning augmentation and without interpolation; received: "
                             f"conditioning_augmentation={self.conditioning_augmentation}, "
                             f"interpolation={self.interpolation}")
        return self

    def phases(self):
        """``((name, stage, steps), ...)``: one phase for GAN-INT-CLS and AttnGAN, two for StackGAN."""
        steps, stage2_steps = _DEFAULT_STEPS[self.model]
        steps = steps if self.steps is None else self.steps
        if self.model == "stackgan":
            stage2_steps = stage2_steps if self.stage2_steps is None else self.stage2_steps
            return (("stage1", 1, steps), ("stage2", 2, stage2_steps))
        return (("gan", 1, steps),)

    def ema(self):
        """The generator EMA's decay (0: none)."""
        return _DEFAULT_EMA if self.ema_decay is None else self.ema_decay

    def jit(self):
        """Whether the training step is compiled with XLA."""
        return _DEFAULT_JIT[self.model] if self.jit_compile is None else self.jit_compile

    def model_options(self):
        """The :func:`tfopt.text2image.models.build_gan` keyword arguments this config sets (None: the default)."""
        options = dict(cls=self.cls, interpolation=self.interpolation,
                       conditioning_augmentation=self.conditioning_augmentation, kl_weight=self.kl_weight,
                       latent_dim=self.latent_dim, filters=self.filters, learning_rate=self.learning_rate,
                       text_norm=self.text_norm, projection=self.projection, damsm_weight=self.damsm_weight)
        return {k: v for k, v in options.items() if v is not None}

    def identity(self):
        """What the run *is* (config.json minus what a resumed run may change), for resume checks."""
        return {k: v for k, v in self.to_json().items() if k not in _NOT_IDENTITY}

    def to_json(self):
        """The config.json content: the fields and ``kind``."""
        return {"kind": KIND, **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, values):
        """The config of a saved config.json (unknown keys ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})
