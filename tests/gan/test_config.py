"""GANConfig: sections, one set of defaults per model, what a run adds to its paper, flags defined once."""
import dataclasses
import json

import pytest
from absl import flags

from tfopt.cli.config_flags import attribute_docs, config_from_flags, define_config_flags
from tfopt.core.errors import InputError
from tfopt.gan import GANConfig, zoo
from tfopt.gan.config import SECTIONS, flat_name, saved_identity


def test_the_defaults_are_the_papers_and_the_digits_recipe_is_stated_once():
    paper = GANConfig.from_flat(model="dcgan", dataset="mnist").resolved(channels=1)
    assert (paper.model.latent_dim, paper.model.filters, paper.model.categorical_codes) == (100, 64, 0)
    assert (paper.model.augment, paper.model.ema_decay, paper.train.batch_size) == ("", 0.0, 128)
    assert zoo.describe(paper) == {"title": "DCGAN", "paper": "Radford et al. 2016", "extras": [], "changed": {}}
    digits = GANConfig().resolved(channels=1)
    assert (digits.model.latent_dim, digits.model.filters, digits.model.categorical_codes) == (48, 32, 40)
    described = zoo.describe(digits)
    assert described["title"] == "DCGAN + InfoGAN code (40) + DiffAugment (translation) + EMA (0.999)"
    assert described["changed"] == {"latent_dim": [48, 100], "filters": [32, 64], "batch_size": [64, 128]}
    # A value given explicitly wins over every default.
    mine = GANConfig.from_flat(filters=8, augment="", ema_decay=0.0).resolved(channels=1)
    assert mine.model.filters == 8 and zoo.describe(mine)["extras"] == ["InfoGAN code (40)"]


def test_resolution_fills_dependent_defaults_and_names_bad_fields():
    wgan = GANConfig.from_flat(loss="wasserstein").resolved(channels=1)
    assert wgan.model.gp_weight == 10.0 and wgan.model.d_norm == "layer"
    assert zoo.describe(wgan)["extras"][-1:] != ["gradient penalty (10)"]  # WGAN-GP's penalty is its own
    sgd = GANConfig.from_flat(optimizer="sgd").resolved(channels=1)
    assert sgd.optimizer.learning_rate == 0.01 and sgd.optimizer.d_learning_rate == 0.01
    for bad, match in ((dict(k_d_steps=0), "k_d_steps"), (dict(loss="vae"), "loss='vae'"),
                       (dict(model="vae"), "model='vae'"), (dict(d_norm="group"), "d_norm='group'"),
                       (dict(gp_weight=1.0, d_norm="batch"), "d_norm layer or none"),
                       (dict(ema_decay=1.5), "ema_decay"), (dict(augment="flip"), "flip")):
        with pytest.raises(InputError, match=match):
            GANConfig.from_flat(**bad).resolved(channels=1)
    with pytest.raises(InputError, match="'colour'"):
        GANConfig.from_flat(colour=True)


def test_round_trip_through_json_and_resume_identity_of_old_flat_files():
    config = GANConfig.from_flat(model="cdcgan", steps=10).resolved(channels=1)
    saved = json.loads(json.dumps(dataclasses.asdict(config)))
    assert set(saved) == set(SECTIONS) and saved["model"]["name"] == "cdcgan"
    assert GANConfig.from_dict(saved) == config
    assert saved_identity(saved) == config.identity()
    flat = config.flat()
    assert flat["model"] == "cdcgan" and GANConfig.from_dict(flat) == config


def test_every_config_field_is_one_flag_with_its_documented_help():
    values = flags.FlagValues()
    names = define_config_flags(GANConfig, choices={"model": zoo.names()}, flag_values=values)
    leaves = [flat_name(f) for kind in SECTIONS.values() for f in dataclasses.fields(kind)]
    assert sorted(names) == sorted(leaves) and len(set(leaves)) == len(leaves)
    assert values["k_d_steps"].help.startswith("discriminator steps per generator step")
    assert values["model"].parser.enum_values == zoo.names()
    values(["prog", "--model=cdcgan", "--k_d_steps=2", "--augment=", "--sync_batch_norm=false", "--gp_weight=1"])
    config = config_from_flags(GANConfig, values)
    assert (config.model.name, config.train.k_d_steps, config.model.augment) == ("cdcgan", 2, "")
    assert config.model.sync_batch_norm is False and config.model.gp_weight == 1.0
    assert config.model.latent_dim is None  # unset flags leave the model's default to the zoo
    for kind in SECTIONS.values():  # every field is documented where it is defined
        assert set(attribute_docs(kind)) == {f.name for f in dataclasses.fields(kind)}, kind.__name__
