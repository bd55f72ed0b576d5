"""tfopt.nets.stylenet: the feed-forward style network takes any size and stays in [0, 1]."""
import numpy as np
import pytest

from tfopt.core.errors import InputError
from tfopt.nets.stylenet import build_stylenet


def test_stylenet_is_fully_convolutional_and_bounded():
    net = build_stylenet((4, 8, 8), residual_blocks=1)
    for shape in [(1, 32, 32, 3), (2, 37, 50, 3)]:
        y = np.asarray(net(np.random.RandomState(0).rand(*shape).astype("float32")))
        assert y.shape == shape
        assert y.min() >= 0 and y.max() <= 1


@pytest.mark.parametrize("kwargs, match", [({"filters": (4, 8)}, "three positive stage widths"),
                                           ({"residual_blocks": -1}, "residual_blocks >= 0")])
def test_stylenet_checks_its_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        build_stylenet(**kwargs)
