"""tfopt.cli.style_flags: the loss-weight flags of bin/style.py and bin/train_stylenet.py."""
import types

import pytest

from tfopt.core.errors import InputError
from tfopt.cli.style_flags import loss_weights
from tfopt.style.losses import LossWeights


def test_loss_weights_fill_defaults_and_refuse_negatives():
    got = loss_weights(types.SimpleNamespace(content_weight=None, style_weight=3.0, tv_weight=None))
    assert got == LossWeights(content=LossWeights().content, style=3.0, tv=LossWeights().tv)
    with pytest.raises(InputError, match="tv_weight"):
        loss_weights(types.SimpleNamespace(content_weight=None, style_weight=None, tv_weight=-1.0))
