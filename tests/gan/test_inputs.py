"""The trainer's data: a folder of images, any tf.data.Dataset, the named sets; grouping for k D steps."""
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfopt.core.errors import InputError
from tfopt.gan import DataConfig, group_minibatches
from tfopt.gan.inputs import reference_examples, training_examples


def _pngs(folder, count=6, size=12, classes=None):
    rng = np.random.default_rng(0)
    for i in range(count):
        sub = folder / classes[i % len(classes)] if classes else folder
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(sub / f"{i}.png")
    return folder


def test_a_folder_of_pngs_becomes_images_in_tanh_range_at_the_asked_size(tmp_path):
    folder = _pngs(tmp_path / "pngs")
    ds, info = training_examples(DataConfig(dataset=str(folder), image_size=8))
    batch = next(iter(ds.batch(10)))
    assert set(batch) == {"image"} and batch["image"].shape == (6, 8, 8, 3)
    assert -1.0 <= float(tf.reduce_min(batch["image"])) and float(tf.reduce_max(batch["image"])) <= 1.0
    assert info.source == f"folder:{folder}" and info.num_classes == 0 and info.reference == "training data"
    grey, _ = training_examples(DataConfig(dataset=str(folder), image_size=8, channels=1))
    assert next(iter(grey))["image"].shape == (8, 8, 1)


def test_class_subfolders_become_conditions_of_a_conditional_model(tmp_path):
    folder = _pngs(tmp_path / "by_class", classes=["cat", "dog"])
    ds, info = training_examples(DataConfig(dataset=str(folder), image_size=8), conditional=True)
    batch = next(iter(ds.batch(10)))
    assert info.class_names == ("cat", "dog") and info.num_classes == 2
    assert sorted(batch["condition"].numpy().tolist()) == [0, 0, 0, 1, 1, 1]
    unconditional, _ = training_examples(DataConfig(dataset=str(folder), image_size=8))
    assert set(next(iter(unconditional))) == {"image"}  # an unconditional model drops the labels


def test_any_dataset_form_is_accepted_and_uint8_is_scaled(tmp_path):
    images = np.full((5, 8, 8, 1), 255, np.uint8)
    for ds in (tf.data.Dataset.from_tensor_slices(images),                        # images
               tf.data.Dataset.from_tensor_slices(images).batch(2),               # batched images
               tf.data.Dataset.from_tensor_slices((images, np.arange(5))),        # (image, label)
               tf.data.Dataset.from_tensor_slices({"image": images, "caption": np.array(["a"] * 5)})):
        out, info = training_examples(DataConfig(image_size=8), dataset=ds)
        first = next(iter(out))
        np.testing.assert_allclose(first["image"].numpy(), 1.0)  # 255 -> 1.0 -> tanh range 1.0
        assert info.source == "dataset"
    labelled, info = training_examples(DataConfig(image_size=8), conditional=True,
                                       dataset=tf.data.Dataset.from_tensor_slices((images, np.arange(5) % 3)))
    assert next(iter(labelled))["condition"].dtype == tf.int32 and info.num_classes == 3
    with_entries, _ = training_examples(DataConfig(image_size=8), conditional=True, dataset=tf.data.Dataset
                                        .from_tensor_slices({"image": images, "condition": np.ones((5, 4))}))
    assert next(iter(with_entries))["condition"].shape == (4,)
    ref = reference_examples(DataConfig(image_size=8), dataset=tf.data.Dataset.from_tensor_slices(images))
    assert ref["image"].shape == (5, 8, 8, 1) and ref["image"].max() == 1.0  # [0, 1] for the metrics


def test_named_sets_keep_their_test_split_as_reference():
    ds, info = training_examples(DataConfig(dataset="digits"), conditional=True)
    assert info.num_examples == 1347 and info.num_classes == 10 and info.reference == "test split"
    ref = reference_examples(DataConfig(dataset="digits"), conditional=True)
    assert ref["image"].shape == (450, 32, 32, 1) and ref["condition"].shape == (450,)
    grouped = group_minibatches(ds, batch_size=4, k=2)
    element = next(iter(grouped))
    assert element["image"].shape == (4, 2, 32, 32, 1) and element["condition"].shape == (4, 2)


def test_bad_data_gives_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="expected a folder of images"):
        training_examples(DataConfig(dataset=str(tmp_path / "empty")))
    with pytest.raises(InputError, match="expected labels or a 'condition' entry"):
        training_examples(DataConfig(image_size=8), conditional=True,
                          dataset=tf.data.Dataset.from_tensor_slices(np.zeros((2, 8, 8, 1), np.float32)))
    with pytest.raises(InputError, match="expected images"):
        training_examples(DataConfig(), dataset=tf.data.Dataset.from_tensor_slices(np.zeros((2, 8), np.float32)))
    with pytest.raises(InputError, match="tf.data.Dataset"):
        training_examples(DataConfig(), dataset=np.zeros((2, 8, 8, 1)))


def test_train_takes_a_dataset_and_a_finished_run_resumes_to_its_missing_outputs(tmp_path, digits_cache):
    from tfopt.gan import GANConfig, train

    images = np.random.default_rng(0).uniform(0, 1, (24, 16, 16, 1)).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((images, np.arange(24) % 3))
    config = GANConfig.from_flat(model="cdcgan", image_size=16, filters=4, latent_dim=4, batch_size=8, steps=2,
                                 eval_samples=0)
    first = train(config, tmp_path / "run", dataset=ds, quiet=True)
    assert first["steps"] == 2 and first["data"]["num_classes"] == 3 and first["data"]["source"] == "dataset"
    (tmp_path / "run" / "samples.png").unlink()
    again = train(config, tmp_path / "run", dataset=ds, quiet=True)
    assert again["resumed_from_step"] == 2 and again["steps"] == 2 and (tmp_path / "run" / "samples.png").is_file()
