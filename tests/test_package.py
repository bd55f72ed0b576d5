import pytest

import tfopt


def test_every_curated_export_resolves():
    for name in tfopt.__all__:
        assert getattr(tfopt, name) is not None, name
    assert callable(tfopt.optimize) and callable(tfopt.pgd) and tfopt.__version__


def test_unknown_attribute_raises():

    with pytest.raises(AttributeError):
        tfopt.no_such_thing
