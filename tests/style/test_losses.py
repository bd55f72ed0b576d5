import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.models.features import FeatureModel
from tfopt.optim import evaluate
from tfopt.optim.objectives import Context
from tfopt.style.gatys import score
from tfopt.style.losses import (DEFAULT_LAYERS, TARGET_PREFIX, Layers, LossWeights, batch_objective, blend_weights,
                                fit_content_layers, perceptual_objective, perceptual_targets)


def test_terms_vanish_at_targets_and_total_is_weighted_sum(vgg, photos):
    content, style = photos
    s = score(content, content, [content], model=vgg)
    assert s["content"] < 1e-8 and s["style"] < 1e-8
    w = LossWeights(content=2.0, style=3.0, tv=5.0)
    t = score(style[:content.shape[0], :content.shape[1]], content, [style], model=vgg, weights=w)
    assert t["content"] > 0.01 and t["style"] > 0.001
    assert t["total"] == pytest.approx(2 * t["content"] + 3 * t["style"] + 5 * t["tv"], rel=1e-4)


def test_normalization_does_not_grow_with_image_size(vgg, photos):
    """A 2x2 tiling of image, content and style changes every (mean) term by little, not 4x."""
    content, style = photos
    image = np.clip(content + 0.1 * np.random.RandomState(1).randn(*content.shape), 0, 1).astype("float32")
    tile = lambda a: np.tile(a, [2, 2, 1])
    fixed = Layers(fit_content=False)  # the same content layer at both sizes
    small = score(image, content, [style], model=vgg, layers=fixed)
    large = score(tile(image), tile(content), [tile(style)], model=vgg, layers=fixed)
    for key in ("content", "style", "tv"):  # a sum over positions would grow 4x
        assert 0.6 < large[key] / small[key] < 1.6, key


def test_normalization_does_not_depend_on_activation_scale(vgg, photos):
    """Scaling the network's features by 100 leaves the relative terms unchanged."""
    content, style = photos
    fm = FeatureModel(vgg, DEFAULT_LAYERS.all())

    class Scaled(FeatureModel):
        def __init__(self):
            self.model = vgg

        def __call__(self, x):
            return {k: 100.0 * v for k, v in fm(x).items()}

    image = style[:content.shape[0], :content.shape[1]]
    a = score(image, content, [style], model=vgg, feature_model=fm)
    b = score(image, content, [style], model=vgg, feature_model=Scaled())
    assert b["content"] == pytest.approx(a["content"], rel=1e-3)
    assert b["style"] == pytest.approx(a["style"], rel=1e-3)


def test_loss_weights_defaults_replace_only_given_values():
    w = LossWeights.defaults(style=2.0)
    assert (w.content, w.style, w.tv) == (LossWeights().content, 2.0, LossWeights().tv)


def test_blend_weights():
    assert blend_weights(None, 2) == [0.5, 0.5]
    assert blend_weights([3, 1], 2) == [0.75, 0.25]
    with pytest.raises(InputError):
        blend_weights([1], 2)
    with pytest.raises(InputError):
        blend_weights([-1, 2], 2)


def test_blended_style_sits_between_its_styles(vgg, photos):
    content, style = photos
    other = np.ascontiguousarray(content[:, ::-1] * 0.25)
    d = {b: score(content, content, [style, other], model=vgg, blend=b)["style"] for b in ((1, 0), (0, 1))}
    mid = score(content, content, [style, other], model=vgg, blend=[1, 1])["style"]
    assert d[(1, 0)] != pytest.approx(d[(0, 1)], rel=0.05)
    assert mid < max(d[(1, 0)], d[(0, 1)])


def test_batch_objective_matches_single_image_objective(vgg, photos):
    content, style = photos
    fm = FeatureModel(vgg, DEFAULT_LAYERS.all())
    targets = perceptual_targets(fm, content, [style])
    total, _ = perceptual_objective(targets)
    image = np.clip(content + 0.2, 0, 1)[None]
    btotal, _ = batch_objective(targets.grams, style_weights=targets.style_weights)
    acts = dict(fm(tf.constant(image)))
    acts.update({TARGET_PREFIX + n: targets.content[n] for n in DEFAULT_LAYERS.content})
    got = float(btotal(Context(acts, tf.constant(image)))[0])
    assert got == pytest.approx(float(evaluate(total, fm, image)[0]), rel=1e-4)


def test_style_layers_weigh_by_their_positions_inside_the_image(vgg):
    from tfopt.models.features import receptive_field
    from tfopt.style.losses import style_layer_weights

    # tiny_vgg: 3x3 convolutions with 2x2 pooling after the first three.
    assert [receptive_field(vgg, n) for n in DEFAULT_LAYERS.style] == [(3, 1), (8, 2), (18, 4), (38, 8), (54, 8)]
    small, large = (style_layer_weights(vgg, DEFAULT_LAYERS, s, s) for s in (40, 400))
    for w in (small, large):
        assert sum(w.values()) == pytest.approx(1.0)
    # block5_conv1 sees 54 px: no position of a 40 px image is inside; block4_conv1 (38 px): 1 of 5 per axis.
    assert small["block5_conv1"] == 0
    assert 0 < small["block4_conv1"] < small["block3_conv1"] < small["block1_conv1"]
    assert large["block5_conv1"] > 0.15 and large["block5_conv1"] > 10 * small["block5_conv1"]
    assert large["block1_conv1"] < small["block1_conv1"]  # deeper layers take a larger share at 400 px
    tiny = style_layer_weights(vgg, DEFAULT_LAYERS, 2, 2)  # no layer fits: equal weights, not a division by 0
    assert set(tiny.values()) == {0.2}


def test_content_layers_wider_than_the_image_are_replaced_by_the_deepest_that_fits(vgg):
    # tiny_vgg: block5_conv2 sees 70 px, block5_conv1 54 px, block4_conv1 38 px; the shorter side decides.
    assert fit_content_layers(vgg, DEFAULT_LAYERS, 70, 400) is DEFAULT_LAYERS
    assert fit_content_layers(vgg, DEFAULT_LAYERS, 400, 60).content == ("block5_conv1",)
    assert fit_content_layers(vgg, DEFAULT_LAYERS, 40, 40).content == ("block4_conv1",)
    assert fit_content_layers(vgg, DEFAULT_LAYERS, 40, 40).style == DEFAULT_LAYERS.style
    both = Layers(content=("block4_conv1", "block5_conv2"))
    assert fit_content_layers(vgg, both, 40, 40).content == ("block4_conv1",)  # one layer, not twice
    assert fit_content_layers(vgg, Layers(fit_content=False), 40, 40).content == DEFAULT_LAYERS.content
    with pytest.raises(InputError):
        fit_content_layers(vgg, Layers(content=("block9_conv9",)), 40, 40)


def test_vgg19_content_layer_at_the_measured_sizes():
    from tfopt.models import zoo

    vgg19 = zoo.get_model("vgg19", weights="random", include_top=False, seed=0)
    got = {hw: fit_content_layers(vgg19, DEFAULT_LAYERS, *hw).content for hw in
           [(85, 128), (128, 128), (170, 256), (256, 256), (341, 512)]}
    assert got == {(85, 128): ("block4_conv2",), (128, 128): ("block4_conv4",), (170, 256): ("block5_conv1",),
                   (256, 256): ("block5_conv2",), (341, 512): ("block5_conv2",)}
