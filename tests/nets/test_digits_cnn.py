"""tfopt.nets.digits_cnn: the small CNN's named layers and argument check."""
import pytest

from tfopt.core.errors import InputError
from tfopt.nets.digits_cnn import digits_cnn


def test_digits_cnn_layers_are_named_for_the_techniques():
    net = digits_cnn(10)
    for name in ("relu2", "relu3", "penultimate", "logits", "probs"):
        net.get_layer(name)
    with pytest.raises(InputError, match="num_classes >= 2"):
        digits_cnn(1)
