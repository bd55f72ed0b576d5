"""tfopt.nets: builders by name; an unknown name lists the known ones."""
import numpy as np
import pytest

from tfopt import nets
from tfopt.core.errors import InputError
from tfopt.nets import registry
from tfopt.nets.digits_cnn import digits_cnn
from tfopt.nets.stylenet import build_stylenet


def test_importing_nets_registers_every_builder():
    assert {"digits_cnn", "stylenet", "efficientnet_lite0", "hed"} <= set(nets.names())
    assert nets.names() == sorted(nets.names())
    assert nets.get("stylenet") is build_stylenet and nets.get("digits_cnn") is digits_cnn


def test_build_passes_keyword_arguments():
    net = nets.build("digits_cnn", num_classes=3, input_shape=(16, 16, 1), name="small")
    assert net.name == "small" and tuple(net.output.shape) == (None, 3)


def test_unknown_name_lists_the_known_names():
    with pytest.raises(InputError) as info:
        nets.build("dcgann")
    message = str(info.value)
    assert message.startswith("expected a network name in [") and message.endswith("received: 'dcgann'")
    assert "'stylenet'" in message and "'digits_cnn'" in message and "\n" not in message


def test_register_refuses_a_taken_name_but_allows_the_same_builder(monkeypatch):
    monkeypatch.setattr(registry, "_BUILDERS", dict(registry._BUILDERS))

    @nets.register("tiny_test_net")
    def tiny():
        return "tiny"

    assert nets.register("tiny_test_net")(tiny) is tiny   # re-registering the same function is fine
    assert nets.build("tiny_test_net") == "tiny"
    with pytest.raises(ValueError, match="already registered"):
        nets.register("tiny_test_net")(lambda: None)
    with pytest.raises(ValueError, match="non-empty"):
        nets.register("")


def test_efficientnet_lite0_and_hed_build_at_any_size():
    same = nets.build("efficientnet_lite0", input_shape=(64, 64, 3))
    symmetric = nets.build("efficientnet_lite0", input_shape=(64, 64, 3), padding="symmetric")
    assert same.count_params() == symmetric.count_params() == 4_694_024
    assert [layer.name for layer in same.layers[-3:]] == ["penultimate", "logits", "probs"]
    assert same.get_layer("block15_project_bn").output.shape[1:] == symmetric.get_layer(
        "block15_project_bn").output.shape[1:] == (2, 2, 320)
    assert any(layer.name == "stem_conv_pad" for layer in symmetric.layers)
    with pytest.raises(InputError, match="padding"):
        nets.build("efficientnet_lite0", padding="reflect")
    edges = nets.build("hed", input_shape=(None, None, 3))(np.zeros((1, 37, 50, 3), "float32"))
    assert tuple(edges.shape) == (1, 37, 50, 1)
