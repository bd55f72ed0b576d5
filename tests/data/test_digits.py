"""tfopt.data: offline digits arrays and pipelines, TFDS names failing fast offline."""
import numpy as np
import pytest

from tfopt import data
from tfopt.core.errors import InputError
from tfopt.net import unreachable_reason


def test_digits_shapes_range_and_labels():
    d = data.digits(seed=0)
    assert d["x_train"].shape == (1347, 32, 32, 1) and d["x_test"].shape == (450, 32, 32, 1)
    assert d["x_train"].dtype == np.float32 and d["y_train"].dtype == np.int64
    for x in (d["x_train"], d["x_test"]):
        assert x.min() == 0.0 and 0.99 < x.max() <= 1.0
    # stratified: every class is in the test split in (nearly) the dataset's proportion
    counts = np.bincount(d["y_test"], minlength=10)
    assert counts.min() >= 43 and counts.max() <= 46
    assert sorted(data.DIGIT_CLASS_NAMES) == [str(k) for k in range(10)]


def test_digits_split_is_fixed_by_seed():
    a, b, c = data.digits(seed=0), data.digits(seed=0), data.digits(seed=1)
    np.testing.assert_array_equal(a["x_test"], b["x_test"])
    assert not np.array_equal(a["y_test"], c["y_test"])
    train = {row.tobytes() for row in a["x_train"].reshape(len(a["x_train"]), -1)}
    assert not any(row.tobytes() in train for row in a["x_test"].reshape(len(a["x_test"]), -1)[:50])
    with pytest.raises(ValueError):
        a["x_train"][0, 0, 0, 0] = 1.0  # the cache is read-only


def test_digits_dataset_batches_and_shuffle_order():
    first = [y.numpy() for _, y in data.digits_dataset("train", batch_size=100, seed=5)]
    again = [y.numpy() for _, y in data.digits_dataset("train", batch_size=100, seed=5)]
    plain = np.concatenate([y.numpy() for _, y in data.digits_dataset("train", batch_size=100, shuffle=False)])
    assert [len(y) for y in first] == [100] * 13 + [47]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))
    assert not np.array_equal(np.concatenate(first), plain)
    np.testing.assert_array_equal(np.sort(np.concatenate(first)), np.sort(plain))


def test_load_dataset_digits_info_and_resize():
    ds, info = data.load_dataset("digits", split="test", batch_size=8, image_size=20, shuffle=False)
    x, y = next(iter(ds))
    assert x.shape == (8, 20, 20, 1) and info.image_shape == (20, 20, 1)
    assert info.num_classes == 10 and info.num_examples == 450 and info.class_names[3] == "3"
    with pytest.raises(InputError, match="split"):
        data.load_dataset("digits", split="validation")


@pytest.mark.parametrize("network", ["real", "simulated"])
def test_tfds_offline_fails_fast_with_one_line(tmp_path, monkeypatch, network):
    """Offline, a TFDS name fails on the probe, before TFDS' download (which retries for minutes)."""
    tfds = pytest.importorskip("tensorflow_datasets")
    if network == "real" and unreachable_reason(data._TFDS_HOST) is None:
        pytest.skip("network available: this test checks the offline message")
    if network == "simulated":
        monkeypatch.setattr(data, "unreachable_reason", lambda url: "no network: cannot resolve storage.googleapis.com")
    downloads = []

    def load(*args, **kwargs):
        downloads.append(args)
        raise AssertionError("tfds.load must not be reached offline")

    monkeypatch.setattr(tfds, "load", load)
    with pytest.raises(InputError) as err:
        data.load_dataset("mnist", data_dir=str(tmp_path))
    assert downloads == []
    message = str(err.value)
    assert "\n" not in message
    assert "cannot download TFDS dataset 'mnist' here" in message and "--dataset=digits" in message


def test_unknown_dataset_name_is_input_error(tmp_path):
    with pytest.raises(InputError, match="no_such_set"):
        data.load_dataset("no_such_set", data_dir=str(tmp_path))


def test_tfds_images_become_float_in_unit_range_with_info(monkeypatch):
    tfds = pytest.importorskip("tensorflow_datasets")
    monkeypatch.setattr(data, "unreachable_reason", lambda url: None)  # pretend to be online
    with tfds.testing.mock_data(num_examples=12):  # TFDS' fake mnist: no download, random examples
        ds, info = data.load_dataset("mnist", split="test", batch_size=5, image_size=(16, 12), seed=0)
        batches = list(ds)
    assert [int(x.shape[0]) for x, _ in batches] == [5, 5, 2]
    x, y = batches[0]
    assert x.shape == (5, 16, 12, 1) and x.dtype == "float32" and y.dtype == "int64"
    assert 0.0 <= float(np.min(x)) and float(np.max(x)) <= 1.0 and float(np.max(x)) > 0.5
    assert info.num_classes == 10 and info.image_shape == (16, 12, 1) and info.class_names[0] == "0"
