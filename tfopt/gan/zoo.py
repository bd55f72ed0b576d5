"""The GAN models by name: networks from :mod:`tfopt.nets`, a list of loss terms, one set of defaults.

Each :class:`ModelSpec` states its paper's values once (``defaults``) and, where the
offline digits need other values, a recipe for them (``recipes["digits"]``). A run
whose settings add something the paper's model does not have (an InfoGAN code,
DiffAugment, an EMA generator, a penalty) names each addition: :func:`describe`
gives the title, the list of extras and the hyper-parameters changed from the paper,
which summary.json, the sample grids and the tour print.

Example:
    spec = get("dcgan")
    g, d = spec.networks(config, num_classes=0)
    d_terms, g_terms = spec.terms(config)
    describe(config)["title"]          # "DCGAN + InfoGAN code (40) + DiffAugment (translation) + EMA (0.999)"
"""
import dataclasses

from tfopt.core.errors import InputError

# The networks (tfopt.nets) and terms (tfopt.gan.terms) are imported where a model is built, not here:
# the names and defaults are read before TensorFlow loads (bin/train_gan.py defines its flags from them).

__all__ = ["ModelSpec", "register", "get", "names", "describe"]

_MODELS = {}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A GAN model: how to build its networks, its terms and its defaults.

    Attributes:
        name: registry name (``--model``).
        title: the name papers use ("DCGAN").
        paper: the reference ("Radford et al. 2016").
        build: ``(config, num_classes) -> (generator, discriminator)``.
        defaults: the paper's values for every model-dependent field (flat names).
        recipes: ``{dataset: {field: value}}`` that replace defaults for that dataset.
        conditional: whether the model needs class labels.
        codes: whether the model can carry an InfoGAN categorical code.
        progressive: whether it grows by stages (trained by :mod:`tfopt.gan.progressive`,
            ``build`` returning a :class:`~tfopt.nets.progressive.ProgressiveNetworks`).
        ema_statistics: how the EMA generator keeps its batch-norm statistics (see
            :class:`~tfopt.gan.models.GAN`): ``"forward"`` or ``"average"``.
    """

    name: str
    title: str
    paper: str
    build: object
    defaults: dict
    recipes: dict = dataclasses.field(default_factory=dict)
    conditional: bool = False
    codes: bool = False
    progressive: bool = False
    ema_statistics: str = "forward"

    def defaults_for(self, dataset):
        """The defaults a run on ``dataset`` gets: the paper's, then that dataset's recipe."""
        return {**self.defaults, **self.recipes.get(str(dataset), {})}

    def check(self, config):
        """Model-specific checks of a resolved config (InputError naming the field)."""
        m = config.model
        if m.categorical_codes and not self.codes:
            raise InputError(f"expected a model with InfoGAN codes (dcgan) for categorical_codes > 0; received: "
                             f"model={self.name!r}, categorical_codes={m.categorical_codes}")
        if not m.projection and self.name != "biggan":
            raise InputError(f"expected model biggan for a discriminator without projection; received: "
                             f"model={self.name!r}, projection=False")
        if m.attention and self.name != "biggan":
            raise InputError(f"expected model biggan for self-attention; received: model={self.name!r}, "
                             f"attention={m.attention}")
        t = config.train
        if not self.progressive:
            for name in ("start_resolution", "fade_images", "stable_images", "stage_batch"):
                if getattr(t, name):
                    raise InputError(f"expected model progressive for {name}; received: model={self.name!r}, "
                                     f"{name}={getattr(t, name)!r}")
        else:
            from tfopt.gan.schedule import schedule_of

            schedule_of(config)  # a schedule that does not add up fails here, before anything is written

    def networks(self, config, *, num_classes=0):
        """``(generator, discriminator)`` for a resolved config with ``channels`` known."""
        if self.conditional and num_classes < 2:
            raise InputError(f"expected labelled data with >= 2 classes for model {self.name!r}; received: "
                             f"{num_classes} class(es)")
        return self.build(config, num_classes if self.conditional else 0)

    def terms(self, config):
        """``(d_terms, g_terms)``: the adversarial pair of ``loss`` plus the penalties the config turns on."""
        from tfopt.gan import terms as T

        m = config.model
        d_terms = [(1.0, T.d_adversarial(m.loss))]
        g_terms = [(1.0, T.g_adversarial(m.loss))]
        if m.gp_weight:
            d_terms.append((m.gp_weight, T.gradient_penalty()))
        if m.r1_weight:
            d_terms.append((m.r1_weight, T.r1()))
        if m.categorical_codes:
            info = T.mutual_information(m.categorical_codes)
            d_terms.append((m.info_weight, info))
            g_terms.append((m.info_weight, info))
        if m.ortho_weight:
            g_terms.append((m.ortho_weight, T.orthogonal("generator")))
        if m.drift_weight:
            d_terms.append((m.drift_weight, T.drift()))
        return d_terms, g_terms


def register(spec):
    """Adds a :class:`ModelSpec` to the registry; returns it."""
    _MODELS[spec.name] = spec
    return spec


def get(name):
    """The :class:`ModelSpec` called ``name``; InputError listing the models otherwise."""
    if name not in _MODELS:
        raise InputError(f"expected model to be one of {', '.join(names())}; received: model={name!r}")
    return _MODELS[name]


def names():
    """The registered model names."""
    return list(_MODELS)


_EXTRAS = (
    ("categorical_codes", lambda v: v > 0, lambda v: f"InfoGAN code ({v})"),
    ("augment", bool, lambda v: f"DiffAugment ({v})"),
    ("ema_decay", lambda v: v > 0, lambda v: f"EMA ({v:g})"),
    ("r1_weight", lambda v: v > 0, lambda v: f"R1 ({v:g})"),
    ("ortho_weight", lambda v: v > 0, lambda v: f"orthogonal regularization ({v:g})"),
)


def describe(config):
    """What a resolved config's run is, in the words of its paper plus what it adds.

    Returns:
        dict: ``title`` (e.g. "DCGAN + DiffAugment (translation)"), ``paper``,
        ``extras`` (a list of additions) and ``changed`` (``{field: [run, paper]}`` for
        the paper's hyper-parameters this run sets otherwise).
    """
    spec = get(config.model.name)
    flat = config.flat()
    # An extra is a component the paper's model does not have; a different value of one it has is a change.
    extras = [label(flat[name]) for name, on, label in _EXTRAS
              if flat[name] is not None and on(flat[name]) and not on(spec.defaults.get(name) or 0)]
    if flat["gp_weight"] and flat["loss"] != "wasserstein":
        extras.append(f"gradient penalty ({flat['gp_weight']:g})")
    extras_names = {name for name, on, _ in _EXTRAS if not on(spec.defaults.get(name) or 0)}
    extras_names |= {"steps", "truncations"}  # training length and evaluation are not the paper's model
    changed = {name: [flat[name], paper] for name, paper in spec.defaults.items()
               if name not in extras_names and flat.get(name) != paper}
    return {"title": " + ".join([spec.title, *extras]), "paper": spec.paper, "extras": extras, "changed": changed}


def _dcgan(config, num_classes):
    from tfopt import nets

    m, d = config.model, config.data
    common = dict(image_size=d.image_size, channels=d.channels, filters=m.filters, sync_batch_norm=m.sync_batch_norm,
                  categorical_codes=m.categorical_codes, num_classes=num_classes)
    return (nets.build("dcgan_generator", latent_dim=m.latent_dim, embed_dim=m.embed_dim, **common),
            nets.build("dcgan_discriminator", norm=m.d_norm, **common))


def _biggan(config, num_classes):
    from tfopt import nets

    m, d = config.model, config.data
    common = dict(image_size=d.image_size, channels=d.channels, width=m.filters, num_classes=num_classes,
                  attention=m.attention)
    return (nets.build("biggan_generator", latent_dim=m.latent_dim, embed_dim=m.embed_dim,
                       sync_batch_norm=m.sync_batch_norm, **common),
            nets.build("biggan_discriminator", projection=m.projection, **common))


def _mlp(config, num_classes):
    from tfopt import nets

    del num_classes
    shape = (config.data.image_size, config.data.image_size, config.data.channels)
    return (nets.build("mlp_generator", latent_dim=config.model.latent_dim, image_shape=shape),
            nets.build("mlp_discriminator", image_shape=shape))


# Optimizer defaults are the same for every model so far: Adam(2e-4, beta_1=0.5) as in DCGAN
# (0.01 with momentum SGD), filled in by GANConfig.resolved.
_NONE = {"categorical_codes": 0, "ortho_weight": 0.0, "attention": 0, "truncations": "", "k_d_steps": 1,
         "drift_weight": 0.0, "start_resolution": 0, "fade_images": 0, "stable_images": 0, "stage_batch": ""}
_DCGAN = {**_NONE, "latent_dim": 100, "filters": 64, "loss": "non_saturating", "ema_decay": 0.0, "augment": "",
          "batch_size": 128, "steps": 3000}
# sklearn's 1,347 training digits are 8x8 images upsampled: few degrees of freedom (8 continuous
# noise dimensions gave a lower FID than 100), few images (DiffAugment keeps D from memorizing
# them), and an InfoGAN code raised the samples' mean classifier confidence from 0.82 to 0.90-0.92
# (docs/gan.md). Width 32 keeps the run under 10 minutes on 2 cores.
_DIGITS = {"latent_dim": 48, "filters": 32, "categorical_codes": 40, "ema_decay": 0.999, "augment": "translation",
           "batch_size": 64}

register(ModelSpec(
    name="gan", title="GAN", paper="Goodfellow et al. 2014", build=_mlp,
    defaults={**_NONE, "latent_dim": 100, "loss": "non_saturating", "ema_decay": 0.0, "augment": "",
              "batch_size": 100, "steps": 3000},
))
register(ModelSpec(
    name="dcgan", title="DCGAN", paper="Radford et al. 2016", build=_dcgan, defaults=_DCGAN,
    recipes={"digits": _DIGITS}, codes=True,
))
register(ModelSpec(
    name="cdcgan", title="class-conditional DCGAN", paper="Mirza & Osindero 2014; Miyato & Koyama 2018",
    build=_dcgan, defaults=_DCGAN, conditional=True, codes=True,
    recipes={"digits": {**_DIGITS, "latent_dim": 32, "categorical_codes": 0}},
))
register(ModelSpec(
    name="biggan", title="BigGAN", paper="Brock, Donahue & Simonyan 2019", build=_biggan, conditional=True,
    # The paper's training: hinge loss, 2 D steps, Adam(0, 0.999), lr G 1e-4 / D 4e-4, EMA, orthogonal
    # regularization 1e-4; widths and embedding of its 128 px model scaled to a 32 px one.
    defaults={**_NONE, "latent_dim": 128, "filters": 64, "embed_dim": 128, "loss": "hinge", "k_d_steps": 2,
              "learning_rate": 1e-4, "d_learning_rate": 4e-4, "beta_1": 0.0, "beta_2": 0.999, "ema_decay": 0.9999,
              "ortho_weight": 1e-4, "augment": "", "batch_size": 256, "steps": 20000,
              "truncations": "2,1,0.5,0.25"},
    # Digits: a 32 px model of width 16. Twice the paper's learning rates learn the classes in 1,500 steps
    # (class accuracy 0.996, 8.7 minutes on 2 cores) where the paper's needed 2,500 (0.998, 13.3 minutes).
    recipes={"digits": {"latent_dim": 32, "filters": 16, "embed_dim": 32, "ema_decay": 0.999, "batch_size": 64,
                        "learning_rate": 2e-4, "d_learning_rate": 8e-4, "steps": 1500}},
    # BigGAN-PyTorch's EMA averages every buffer of G's state, batch-norm statistics included: no extra
    # forward pass of G per step.
    ema_statistics="average",
))


def _progressive(config, num_classes):
    del num_classes
    from tfopt.nets.progressive import ProgressiveNetworks

    m, d = config.model, config.data
    return ProgressiveNetworks(resolution=d.image_size, latent_dim=m.latent_dim, channels=d.channels,
                               filters=m.filters, minibatch_stddev=m.minibatch_stddev)


register(ModelSpec(
    name="progressive", title="Progressive GAN", paper="Karras et al. 2018", build=_progressive, progressive=True,
    # The paper's: WGAN-GP (10) + drift 0.001, Adam(1e-3, 0, 0.99), EMA 0.999, 512 maps, 800k images per
    # fade-in and per stabilization, from 4 px.
    defaults={**_NONE, "latent_dim": 512, "filters": 512, "loss": "wasserstein", "gp_weight": 10.0,
              "drift_weight": 0.001, "learning_rate": 1e-3, "d_learning_rate": 1e-3, "beta_1": 0.0, "beta_2": 0.99,
              "ema_decay": 0.999,
              "augment": "", "batch_size": 16, "steps": 0, "start_resolution": 4, "fade_images": 800000,
              "stable_images": 800000, "stage_batch": ""},
    # Digits: few images (1,347), 32 px at most; widths and images per phase cut to fit 15 minutes on 2 cores.
    # 32 maps: a WGAN-GP step at 32 px with 64 maps took 4x as long as with 32 (double backprop through D).
    # D's learning rate 4e-3: with the paper's 1e-3 for both and one D step, D lost to G at this scale (fakes
    # of grey noise scored above the real digits; FID at 8 px wandered 200-700); 4e-3 reached FID 113 at 8 px
    # in 300 steps (the 8 px floor, real digits pooled and upsampled, is 90), as 5 D steps did at 5x the cost.
    # Stacked digits (three digits as R, G, B) take the same recipe.
    recipes={name: {"latent_dim": 64, "filters": 32, "batch_size": 32, "stage_batch": "4:64,8:64",
                    "fade_images": 8000, "stable_images": 8000, "d_learning_rate": 4e-3}
             for name in ("digits", "stacked_digits")},
))
