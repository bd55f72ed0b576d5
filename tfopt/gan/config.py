"""The typed configuration of a GAN run (model, data, optimizer, train, eval), saved as config.json.

Fields left at ``None`` take the model's defaults, which live in one place: the
model's entry in :mod:`tfopt.gan.zoo` (the paper's values, and a recipe for the
offline digits). :meth:`GANConfig.resolved` fills them and checks every field.
Leaf names are unique across the sections, so a config can also be written flat.

Example:
    config = GANConfig.from_flat(model="dcgan", dataset="digits", steps=2000).resolved()
    config.model.latent_dim, config.optimizer.learning_rate      # 48, 2e-4 (the digits recipe)
    config.flat()["model"]                                       # "dcgan": flat names are the flags'
"""
import dataclasses

from tfopt.core.errors import InputError
from tfopt.gan.choices import LOSS_NAMES, parse_policy

__all__ = ["ModelConfig", "DataConfig", "OptimizerConfig", "TrainConfig", "EvalConfig", "GANConfig", "OPTIMIZERS",
           "SECTIONS", "flat_name", "saved_identity", "parse_truncations", "make_optimizers"]

OPTIMIZERS = ("adam", "sgd")
"""``adam``: Adam(lr, beta_1, beta_2) as in DCGAN; ``sgd``: SGD with momentum as in Goodfellow et al. 2014."""


def _choices(*values):
    return dataclasses.field(default=values[0], metadata={"choices": values})


def flat_name(field):
    """The name of a config field in flat form (and as a flag): its own, unless it says otherwise."""
    return field.metadata.get("flat", field.name)


def _flat(section_config):
    return {flat_name(f): getattr(section_config, f.name) for f in dataclasses.fields(section_config)}


def _section(kind, flat):
    return kind(**{f.name: flat[flat_name(f)] for f in dataclasses.fields(kind) if flat_name(f) in flat})


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The networks and their objectives.

    Attributes:
        name: a model of :mod:`tfopt.gan.zoo` (flat name and flag: ``model``): ``dcgan`` (Radford et al. 2016), ``gan``
            (Goodfellow et al. 2014's MLP and maxout networks) or ``cdcgan`` (DCGAN
            conditioned on the class: embedding in G, projection in D).
        latent_dim: noise dimension, code entries included (None: the model's default).
        filters: network width (DCGAN: the discriminator's first layer; None: default).
        categorical_codes: InfoGAN categorical code size, read from the first entries of
            z (0 = off; None: default).
        info_weight: weight of the InfoGAN mutual-information term (with codes).
        d_norm: discriminator normalization: auto (layer norm with a gradient penalty,
            else batch norm), batch, layer or none.
        sync_batch_norm: batch statistics over all replicas.
        loss: loss family (None: the model's default).
        gp_weight: gradient-penalty weight (None: 10 with wasserstein, else 0).
        r1_weight: R1 penalty weight on real images (0 = off).
        ortho_weight: weight of orthogonal regularization on the generator's kernels (BigGAN:
            1e-4; None: default).
        embed_dim: size of the class embedding (None: default; cdcgan: latent_dim).
        attention: resolution of a self-attention block (BigGAN; 0 = none; None: default).
        projection: projection discriminator (BigGAN; False: the class as one-hot input planes).
        ema_decay: generator weight EMA decay (0 = off; None: default).
        augment: DiffAugment for D's inputs: translation, cutout, both comma-separated,
            or empty for none (None: default).
        minibatch_stddev: the minibatch standard-deviation feature in the discriminator
            (progressive).
        drift_weight: weight of the drift term ``D(x)^2`` on real logits (progressive: 0.001;
            None: default).
    """

    name: str = dataclasses.field(default="dcgan", metadata={"flat": "model"})
    latent_dim: int = None
    filters: int = None
    categorical_codes: int = None
    info_weight: float = 1.0
    d_norm: str = _choices("auto", "batch", "layer", "none")
    sync_batch_norm: bool = True
    loss: str = None
    gp_weight: float = None
    r1_weight: float = 0.0
    ortho_weight: float = None
    embed_dim: int = None
    attention: int = None
    projection: bool = True
    ema_decay: float = None
    augment: str = None
    minibatch_stddev: bool = True
    drift_weight: float = None


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """What the model trains on.

    Attributes:
        dataset: digits (offline), a TFDS name (mnist, cifar10, ...) or a folder of images.
        image_size: image side (DCGAN: a power of two, 32 or 64).
        channels: image channels (None: read from the data).
        data_dir: TFDS data directory.
    """

    dataset: str = "digits"
    image_size: int = 32
    channels: int = None
    data_dir: str = None


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
    """The two optimizers (one per network).

    Attributes:
        optimizer: adam or sgd (momentum SGD as in Goodfellow et al. 2014).
        learning_rate: the generator's learning rate (None: default, 2e-4 Adam, 0.01 SGD).
        d_learning_rate: the discriminator's (None: the same as the generator's).
        beta_1: Adam's beta_1 (None: default, 0.5 as in DCGAN).
        beta_2: Adam's beta_2 (None: default, 0.999; progressive GAN 0.99).
        momentum: SGD momentum (0.5 in Goodfellow et al.'s code).
    """

    optimizer: str = _choices(*OPTIMIZERS)
    learning_rate: float = None
    d_learning_rate: float = None
    beta_1: float = None
    beta_2: float = None
    momentum: float = 0.5


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """The training loop.

    Attributes:
        k_d_steps: discriminator steps per generator step (Algorithm 1's k; None: default, 1, BigGAN 2).
        batch_size: global batch size, split over replicas (None: default).
        steps: generator steps in total; a resumed run continues to this (None: default).
        seed: seed of weights, noise and data order.
        checkpoint_every: steps between checkpoints (and generator.keras).
        sample_every: steps between sample grids.
        log_every: steps between logged scalars.
        start_resolution: progressive growing's first stage in px (4 in the paper; the
            final resolution trains one fixed-size network; None: default, 0 for other models).
        fade_images: real images shown during each stage's fade-in (progressive; None: default).
        stable_images: real images shown during each stage's stabilization (progressive).
        stage_batch: per-stage global batch sizes as ``px:batch,...`` (progressive; empty:
            ``batch_size`` at every stage; None: default).
    """

    k_d_steps: int = None
    batch_size: int = None
    steps: int = None
    seed: int = 0
    checkpoint_every: int = 250
    sample_every: int = 250
    log_every: int = 25
    start_resolution: int = None
    fade_images: int = None
    stable_images: int = None
    stage_batch: str = None


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """The scores at the end of a run.

    Attributes:
        eval_samples: samples for FID/KID/IS and the class histogram (0 skips).
        feature_network: digits (the offline classifier) or inception (ImageNet weights).
        truncations: comma-separated truncation thresholds to score a class-conditional
            model at (BigGAN's sweep; empty: none; None: default).
        fid_every: steps between points of an FID-against-time curve during training
            (progressive; 0: none).
    """

    eval_samples: int = 1000
    feature_network: str = _choices("digits", "inception")
    truncations: str = None
    fid_every: int = 0


SECTIONS = {"model": ModelConfig, "data": DataConfig, "optimizer": OptimizerConfig, "train": TrainConfig,
            "eval": EvalConfig}
# Fields that may change between a run and its resumption (not part of its identity).
_RESUMABLE = ("steps", "checkpoint_every", "sample_every", "log_every", "eval_samples", "fid_every")
# Fields added after runs were written, with the value those runs had.
_ADDED_FIELDS = {"categorical_codes": 0, "info_weight": 1.0, "r1_weight": 0.0, "d_learning_rate": None,
                 "beta_2": 0.999, "ortho_weight": 0.0, "embed_dim": None, "attention": 0, "projection": True,
                 "truncations": "", "minibatch_stddev": True, "drift_weight": 0.0, "start_resolution": 0,
                 "fade_images": 0, "stable_images": 0, "stage_batch": ""}


@dataclasses.dataclass(frozen=True)
class GANConfig:
    """Everything that defines a GAN run, in five sections."""

    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    optimizer: OptimizerConfig = dataclasses.field(default_factory=OptimizerConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)

    @classmethod
    def from_flat(cls, **values):
        """A config from flat leaf names: ``GANConfig.from_flat(model="dcgan", steps=2000)``.

        Raises:
            InputError: an unknown name.
        """
        known = {flat_name(f) for kind in SECTIONS.values() for f in dataclasses.fields(kind)}
        for name in values:
            if name not in known:
                raise InputError(f"expected a GANConfig field ({', '.join(sorted(known))}); received: {name!r}")
        return cls(**{section: _section(kind, values) for section, kind in SECTIONS.items()})

    @classmethod
    def from_dict(cls, values):
        """A config from its JSON form: nested by section, or flat (runs written before sections)."""
        flat = _flatten(values)
        known = {flat_name(f) for kind in SECTIONS.values() for f in dataclasses.fields(kind)}
        return cls.from_flat(**{k: v for k, v in flat.items() if k in known})

    def flat(self):
        """``{leaf name: value}`` over all sections."""
        return {k: v for section in SECTIONS for k, v in _flat(getattr(self, section)).items()}

    def replace(self, **values):
        """A copy with some leaf fields changed (flat names)."""
        return GANConfig.from_flat(**{**self.flat(), **values})

    def resolved(self, **known):
        """Fills the model's defaults where a field is None, and checks every field.

        Args:
            **known: values learnt elsewhere, e.g. ``channels=1`` from the dataset.

        Returns:
            A new, validated :class:`GANConfig`.

        Raises:
            InputError: naming the first bad field.
        """
        from tfopt.gan import zoo

        flat = self.flat()
        flat.update({k: v for k, v in known.items() if flat.get(k) is None})
        spec = zoo.get(flat["model"])
        for name, value in spec.defaults_for(flat["dataset"]).items():
            if flat.get(name) is None:
                flat[name] = value
        if flat["gp_weight"] is None:
            flat["gp_weight"] = 10.0 if flat["loss"] == "wasserstein" else 0.0
        if flat["d_norm"] == "auto":
            flat["d_norm"] = "layer" if flat["gp_weight"] > 0 or flat["r1_weight"] > 0 else "batch"
        if flat["learning_rate"] is None:
            flat["learning_rate"] = 2e-4 if flat["optimizer"] == "adam" else 0.01
        if flat["beta_1"] is None:
            flat["beta_1"] = 0.5
        if flat["beta_2"] is None:
            flat["beta_2"] = 0.999
        if flat["d_learning_rate"] is None:
            flat["d_learning_rate"] = flat["learning_rate"]
        config = GANConfig.from_flat(**flat)
        _check(config.flat())
        spec.check(config)
        return config

    def identity(self):
        """The fields that must match for a run directory to be resumed (a flat dict)."""
        return {k: v for k, v in self.flat().items() if k not in _RESUMABLE}


def _flatten(values):
    """A config.json dict (nested by section, or flat as runs before sections wrote it) made flat."""
    if all(isinstance(values.get(name), dict) for name in SECTIONS):
        flat = {}
        for name, kind in SECTIONS.items():
            renames = {f.name: flat_name(f) for f in dataclasses.fields(kind)}
            flat.update({renames.get(k, k): v for k, v in values[name].items()})
        return flat
    return dict(values)


def saved_identity(saved):
    """The identity of a saved config.json (either form), with the values runs had for fields added since.

    Args:
        saved: the dict read from config.json.

    Returns:
        A flat dict comparable with :meth:`GANConfig.identity`.
    """
    given = _flatten(saved)
    given.setdefault("d_learning_rate", given.get("learning_rate"))  # one learning rate for both, before
    names = [flat_name(f) for kind in SECTIONS.values() for f in dataclasses.fields(kind)]
    return {k: given.get(k, _ADDED_FIELDS.get(k)) for k in names if k not in _RESUMABLE}


def _check(flat):
    for section in SECTIONS.values():
        for field in dataclasses.fields(section):
            if "choices" in field.metadata:
                _choice(flat_name(field), flat[flat_name(field)], field.metadata["choices"])
    _choice("loss", flat["loss"], LOSS_NAMES)
    for name in ("image_size", "latent_dim", "k_d_steps", "batch_size", "checkpoint_every", "sample_every",
                 "log_every"):
        _int(name, flat[name])
    for name in ("steps", "eval_samples", "seed", "categorical_codes", "start_resolution", "fade_images", "fid_every",
                 "stable_images"):
        _int(name, flat[name], minimum=0)
    if flat["filters"] is not None:
        _int("filters", flat["filters"])
    if flat["channels"] is not None:
        _int("channels", flat["channels"])
    parse_policy(flat["augment"])
    if flat["embed_dim"] is not None:
        _int("embed_dim", flat["embed_dim"])
    _int("attention", flat["attention"], minimum=0)
    parse_truncations(flat["truncations"])
    for name in ("info_weight", "gp_weight", "r1_weight", "ortho_weight", "drift_weight"):
        if not flat[name] >= 0:
            raise InputError(f"expected {name} >= 0; received: {name}={flat[name]}")
    for name in ("learning_rate", "d_learning_rate"):
        if not flat[name] > 0:
            raise InputError(f"expected {name} > 0; received: {name}={flat[name]}")
    for name in ("beta_1", "beta_2", "momentum", "ema_decay"):
        if not 0 <= flat[name] < 1:
            raise InputError(f"expected 0 <= {name} < 1; received: {name}={flat[name]}")
    if (flat["gp_weight"] > 0 or flat["r1_weight"] > 0) and flat["d_norm"] == "batch":
        raise InputError("expected d_norm layer or none with a gradient penalty (it needs per-example "
                         "gradients); received: d_norm='batch'")
    if flat["categorical_codes"] >= flat["latent_dim"]:
        raise InputError(f"expected categorical_codes < latent_dim={flat['latent_dim']} (the code is read from "
                         f"the first entries of z); received: categorical_codes={flat['categorical_codes']}")


def parse_truncations(text):
    """``"2,1,0.5"`` -> ``(2.0, 1.0, 0.5)``; ``""`` -> ``()``. InputError for a value that is not > 0."""
    values = []
    for part in str(text or "").split(","):
        if not part.strip():
            continue
        try:
            value = float(part)
        except ValueError:
            value = float("nan")
        if not value > 0:
            raise InputError(f"expected truncations > 0, comma-separated; received: truncations={text!r}")
        values.append(value)
    return tuple(values)


def _choice(name, value, choices):
    if value not in choices:
        raise InputError(f"expected {name} to be one of {', '.join(map(str, choices))}; received: {name}={value!r}")


def _int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"expected {name} to be an integer >= {minimum}; received: {name}={value!r}")


def make_optimizers(config):
    """The ``(d_optimizer, g_optimizer)`` of a resolved config (call in the strategy scope)."""
    import keras  # here, not at the top: reading a config (flag definitions do) does not load TensorFlow

    opt = config.optimizer

    def make(learning_rate):
        if opt.optimizer == "adam":
            return keras.optimizers.Adam(learning_rate, beta_1=opt.beta_1, beta_2=opt.beta_2)
        return keras.optimizers.SGD(learning_rate, momentum=opt.momentum)

    return make(opt.d_learning_rate), make(opt.learning_rate)
