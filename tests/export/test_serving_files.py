"""export/models.config and export/compose.yaml agree with each other and with the exporter."""
import re

import pytest


def _config(root):
    text_format = pytest.importorskip("google.protobuf.text_format")
    config_pb2 = pytest.importorskip("tensorflow_serving.config.model_server_config_pb2")
    return text_format.Parse((root / "export" / "models.config").read_text(), config_pb2.ModelServerConfig())


def test_models_config_parses_as_tf_serving_config(root):
    models = _config(root).model_config_list.config
    assert [m.name for m in models] == ["dcgan", "style"]
    for model in models:
        assert model.base_path == f"/models/{model.name}"
        assert model.model_platform == "tensorflow"
        assert model.model_version_policy.WhichOneof("policy_choice") == "latest"


def test_compose_mounts_models_and_config_where_the_config_points(root):
    compose = (root / "export" / "compose.yaml").read_text()
    assert re.search(r"^\s+image: tensorflow/serving:", compose, re.M)
    mounts = dict(m.groups() for m in re.finditer(r"^\s+- (\S+?):(/\S+?)(?::ro)?$", compose, re.M))
    assert mounts["./models.config"] == "/config/models.config"
    assert "/models" in mounts.values()
    assert "--model_config_file=/config/models.config" in compose
    assert '"8500:8500"' in compose and '"8501:8501"' in compose
