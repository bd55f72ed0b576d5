"""Held-out scoring: the offline edges2photo set gets its FCN-score from labels2photo's tiles of the same photos,
built in the same held-out layout."""
import os

import keras
import numpy as np
import pytest

from tfopt import nets
from tfopt.data import paired, paired_sets
from tfopt.pix2pix import evaluate as evaluation
from tfopt.pix2pix import segmenter
from tfopt.pix2pix.config import Pix2PixConfig

SIZE = 16


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    old = os.environ.get("TFOPT_CACHE")
    os.environ["TFOPT_CACHE"] = str(root)
    yield root
    if old is None:
        os.environ.pop("TFOPT_CACHE")
    else:
        os.environ["TFOPT_CACHE"] = old


@pytest.fixture()
def quick_segmenter(monkeypatch):
    real = segmenter.load_or_train_segmenter

    def quick(key, photos, labels, num_classes, **kwargs):  # a few steps: the test checks the wiring, not skill
        return real(key, photos, labels, num_classes, steps=30, filters=8, **kwargs)

    monkeypatch.setattr(segmenter, "load_or_train_segmenter", quick)


def _data(name, layout=None):
    config = Pix2PixConfig(data=name, image_size=SIZE, edges="canny")
    source = paired_sets.resolve_paired(name, image_size=SIZE, edges="canny", layout=layout)
    train = paired.read_pairs(source.train_dir)
    heldout = paired.read_pairs(source.heldout_dir)
    return config, source, train, heldout


def _generator():
    keras.utils.set_random_seed(0)
    return nets.build("unet", image_size=None, depth=4, filters=4)


@pytest.mark.parametrize("layout", [None, "bands"])
def test_edges2photo_is_scored_against_the_label_maps_of_the_same_tiles(cache, quick_segmenter, layout):
    config, source, train, heldout = _data("edges2photo", layout)
    assert source.meta["layout"] == (layout or "strip")
    scores, arrays = evaluation.evaluate(_generator(), heldout, config=config, source=source, train_pairs=train)
    assert scores["fcn_labels"] == "labels2photo"
    # The real photos of the edges tiles are labels2photo's photos of the same tiles (labels2photo built in the
    # edges set's layout): the same ceiling, exactly.
    l_config, l_source, l_train, l_heldout = _data("labels2photo", source.meta["layout"])
    l_scores, l_arrays = evaluation.evaluate(_generator(), l_heldout, config=l_config, source=l_source,
                                             train_pairs=l_train)
    assert [n for n, _, _ in heldout] == [n for n, _, _ in l_heldout]
    np.testing.assert_array_equal(arrays["targets"], l_arrays["targets"])
    assert scores["fcn_real"] == l_scores["fcn_real"] and scores["fcn_real"]["per_pixel_accuracy"] > 0
    # One segmenter serves both sets: trained for the first, read from the cache for the second.
    assert l_scores["segmenter"]["cached"] and not scores["segmenter"]["cached"]
    same = {k: v for k, v in scores["segmenter"].items() if k not in ("cached", "seconds")}
    assert same and same == {k: v for k, v in l_scores["segmenter"].items() if k not in ("cached", "seconds")}
    # Each layout has its own segmenter, trained on its own training tiles only.
    assert scores["segmenter"]["path"].endswith("-v2.keras" if layout is None else "-v2-bands.keras")
    # The edges outputs are not the labels outputs (other inputs), so their scores are their own.
    assert not np.array_equal(arrays["outputs"], l_arrays["outputs"])


def test_edges_tiles_without_a_label_tile_are_not_scored(cache, quick_segmenter, capsys):
    config, source, train, heldout = _data("edges2photo")
    renamed = [("elsewhere_0_0.png", a, b) for _, a, b in heldout[:2]]
    scores, _ = evaluation.evaluate(_generator(), renamed, config=config, source=source, train_pairs=train)
    assert "fcn" not in scores and "l1" in scores
    assert "no FCN-score: 2 held-out edges tiles have no labels2photo tile (first: elsewhere_0_0.png)" in \
        capsys.readouterr().out
