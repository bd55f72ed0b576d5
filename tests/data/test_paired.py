"""tfopt.data.paired and paired_sets: pix2pix's folder formats, jitter/mirror, the offline sets, online names."""
import json
import math
import os
import pathlib

import numpy as np
import pytest
from PIL import Image

from tfopt.core.errors import InputError
from tfopt.data import online_pairs, paired_sets
from tfopt.data.paired import jitter_size, paired_dataset, read_pairs, split_dirs


def _save(path, array):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _random_pairs(n=3, height=6, width=5, seed=0):
    rng = np.random.RandomState(seed)
    return [(f"p{k}", rng.randint(0, 256, (height, width, 3), np.uint8), rng.randint(0, 256, (height, width, 3),
                                                                                    np.uint8)) for k in range(n)]


def _side_by_side(folder, pairs):
    for name, a, b in pairs:
        _save(folder / f"{name}.png", np.concatenate([a, b], axis=1))


def _two_folders(folder, pairs, names=("A", "B")):
    for name, a, b in pairs:
        _save(folder / names[0] / f"{name}.png", a)
        _save(folder / names[1] / f"{name}.bmp", b)  # extensions may differ


def _assert_same(got, want):
    assert [g[0] for g in got] == [w[0] for w in want]
    for (_, ga, gb), (_, wa, wb) in zip(got, want):
        np.testing.assert_array_equal(ga, wa)
        np.testing.assert_array_equal(gb, wb)


# ---- read_pairs -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["side_by_side", "A/B", "input/target"])
def test_both_formats_read_the_same_pairs(tmp_path, layout):
    pairs = _random_pairs()
    if layout == "side_by_side":
        _side_by_side(tmp_path, pairs)
    else:
        _two_folders(tmp_path, pairs, names=tuple(layout.split("/")))
    (tmp_path / ".DS_Store").write_bytes(b"\0junk")  # hidden files are ignored
    _assert_same(read_pairs(tmp_path), pairs)


def test_direction_swaps_input_and_target(tmp_path):
    pairs = _random_pairs()
    _side_by_side(tmp_path / "sbs", pairs)
    _two_folders(tmp_path / "ab", pairs)
    swapped = [(n, b, a) for n, a, b in pairs]
    _assert_same(read_pairs(tmp_path / "sbs", direction="BtoA"), swapped)
    _assert_same(read_pairs(tmp_path / "ab", direction="BtoA"), swapped)


def test_grey_becomes_three_channels_and_alpha_is_dropped(tmp_path):
    rng = np.random.RandomState(1)
    grey = rng.randint(0, 256, (4, 6), np.uint8)
    rgba = rng.randint(0, 256, (4, 3, 4), np.uint8)
    _save(tmp_path / "g" / "x.png", grey)
    _save(tmp_path / "c" / "A" / "x.png", rgba)
    _save(tmp_path / "c" / "B" / "x.png", rgba[..., :3])
    (_, a, b), = read_pairs(tmp_path / "g")
    np.testing.assert_array_equal(a, np.repeat(grey[:, :3, None], 3, axis=-1))
    np.testing.assert_array_equal(b, np.repeat(grey[:, 3:, None], 3, axis=-1))
    (_, a, b), = read_pairs(tmp_path / "c")
    np.testing.assert_array_equal(a, rgba[..., :3])
    np.testing.assert_array_equal(b, rgba[..., :3])


def _mismatched(folder):
    _two_folders(folder, _random_pairs(2))
    for k in range(5):
        _save(folder / "A" / f"onlyA{k}.png", np.zeros((6, 5, 3), np.uint8))
    _save(folder / "B" / "onlyB0.png", np.zeros((6, 5, 3), np.uint8))
    return ["onlyA0", "onlyA1", "onlyA2", "onlyB0"]


def _odd_width(folder):
    _side_by_side(folder, _random_pairs(1))
    _save(folder / "odd.png", np.zeros((4, 7, 3), np.uint8))
    return ["odd.png", "width 7"]


def _non_image(folder):
    _side_by_side(folder, _random_pairs(1))
    (folder / "notes.txt").write_text("hello")
    return ["notes.txt"]


def _unreadable(folder):
    _side_by_side(folder, _random_pairs(1))
    (folder / "broken.png").write_bytes(b"not a png")
    return ["broken.png"]


def _empty(folder):
    folder.mkdir()
    (folder / ".DS_Store").write_bytes(b"")
    return ["empty", str(folder)]


def _missing(folder):
    return [str(folder), "no such folder"]


def _sizes_differ(folder):
    _two_folders(folder, _random_pairs(1))
    _save(folder / "B" / "p0.bmp", np.zeros((6, 8, 3), np.uint8))
    return ["'p0'", "5x6", "8x6"]


@pytest.mark.parametrize("make", [_mismatched, _odd_width, _non_image, _unreadable, _empty, _missing, _sizes_differ])
def test_bad_folders_are_one_line_input_errors_naming_the_offender(tmp_path, make):
    folder = tmp_path / "data"
    if make is not _empty and make is not _missing:
        folder.mkdir()
    named = make(folder)
    with pytest.raises(InputError) as info:
        read_pairs(folder)
    message = str(info.value)
    assert "\n" not in message and message.startswith("expected ") and "; received: " in message
    for part in named:
        assert part in message, (part, message)
    if make is _mismatched:
        assert "onlyA3" not in message  # up to 3 shown per side
        assert "(5)" in message and "(1)" in message


def test_unknown_direction_is_an_input_error(tmp_path):
    _side_by_side(tmp_path, _random_pairs(1))
    with pytest.raises(InputError, match="direction='AB'"):
        read_pairs(tmp_path, direction="AB")


def test_split_dirs(tmp_path):
    (tmp_path / "s" / "train").mkdir(parents=True)
    (tmp_path / "s" / "test").mkdir()
    assert split_dirs(tmp_path / "s") == (str(tmp_path / "s" / "train"), str(tmp_path / "s" / "test"))
    (tmp_path / "s" / "val").mkdir()
    assert split_dirs(tmp_path / "s")[1] == str(tmp_path / "s" / "val")
    (tmp_path / "plain").mkdir()
    assert split_dirs(tmp_path / "plain") == (str(tmp_path / "plain"), None)
    with pytest.raises(InputError, match="no such folder"):
        split_dirs(tmp_path / "nothing")


# ---- paired_dataset ---------------------------------------------------------------------------------------------


def _inverse_pairs(n=8, size=16, seed=0):
    """Noise inputs, target = 255 - input pixelwise: a relation any shared linear op keeps."""
    rng = np.random.RandomState(seed)
    inputs = rng.randint(0, 256, (n, size, size, 3), np.uint8)
    return [(f"p{k}", x, 255 - x) for k, x in enumerate(inputs)]


def _collect(ds):
    items = list(ds.as_numpy_iterator())
    return np.stack([i["condition"] for i in items]), np.stack([i["image"] for i in items])


def test_without_augmentation_the_pairs_come_through_unchanged():
    pairs = _inverse_pairs()
    cond, image = _collect(paired_dataset(pairs, image_size=16, jitter=False, mirror=False))
    assert cond.dtype == np.float32 and cond.shape == (8, 16, 16, 3)
    np.testing.assert_allclose(cond, np.stack([p[1] for p in pairs]) / 127.5 - 1.0, atol=1e-6)
    np.testing.assert_allclose(image, np.stack([p[2] for p in pairs]) / 127.5 - 1.0, atol=1e-6)


def test_jitter_and_mirror_move_input_and_target_alike_and_repeat_by_seed():
    pairs = _inverse_pairs()
    plain, _ = _collect(paired_dataset(pairs, image_size=16, jitter=False, mirror=False))
    cond, image = _collect(paired_dataset(pairs, image_size=16, seed=3))
    assert cond.shape == (8, 16, 16, 3) and cond.min() >= -1.0 and cond.max() <= 1.0
    np.testing.assert_allclose(image, -cond, atol=1e-5)  # 255 - x  <->  -x in [-1, 1]: same crop, same flip
    assert np.abs(cond - plain).max() > 0.1  # jitter did something
    again, _ = _collect(paired_dataset(pairs, image_size=16, seed=3))
    np.testing.assert_array_equal(cond, again)
    other, _ = _collect(paired_dataset(pairs, image_size=16, seed=4))
    assert np.abs(cond - other).max() > 0.1


def test_mirror_flips_both_or_neither():
    pairs = _inverse_pairs(n=16)
    plain, _ = _collect(paired_dataset(pairs, image_size=16, jitter=False, mirror=False))
    cond, image = _collect(paired_dataset(pairs, image_size=16, jitter=False, seed=0))
    np.testing.assert_allclose(image, -cond, atol=1e-6)
    flipped = [bool(np.allclose(c, p[:, ::-1])) for c, p in zip(cond, plain)]
    kept = [bool(np.allclose(c, p)) for c, p in zip(cond, plain)]
    assert all(f != k for f, k in zip(flipped, kept))
    assert 0 < sum(flipped) < 16


def test_pairs_are_resized_to_the_image_size_and_jitter_size_is_the_papers():
    pairs = _inverse_pairs(n=2, size=8)
    cond, image = _collect(paired_dataset(pairs, image_size=16, jitter=False, mirror=False))
    assert cond.shape == (2, 16, 16, 3)
    np.testing.assert_allclose(image, -cond, atol=1.01 / 127.5)  # each side is resized, then rounded to 8 bits
    import tensorflow as tf

    want = np.round(tf.image.resize(pairs[0][1].astype(np.float32), (16, 16), method="bilinear").numpy())
    np.testing.assert_allclose(cond[0], want / 127.5 - 1.0, atol=1e-6)  # bilinear, then 8 bits
    assert jitter_size(256) == 286 and jitter_size(64) == 72
    with pytest.raises(InputError):
        paired_dataset([], image_size=16)


# ---- offline sets -----------------------------------------------------------------------------------------------


def _tiles(folder):
    """{photo: [(y, x), ...]} from <photo>_<y>_<x>.png names."""
    out = {}
    for name in sorted(os.listdir(folder)):
        photo, y, x = name[:-4].rsplit("_", 2)
        out.setdefault(photo, []).append((int(y), int(x)))
    return out


def test_tile_geometry_keeps_training_tiles_off_the_strip():
    g = paired_sets.tile_geometry(*paired_sets.photo_shape(300, 451, 64), 64)
    assert (g.height, g.width) == (256, 385)
    assert g.layout == "strip" and g.heldout_columns == ((257, 385),) and g.stride == 16
    assert all(x + 64 <= 257 for _, x in g.train)
    assert all(x >= 257 and x + 64 <= g.width and y % 64 == 0 for y, x in g.heldout)
    assert len(g.heldout) == 4 * 2 and len(g.train) == 13 * 13
    assert [(c.start, c.stop, h) for c, h in paired_sets.regions(g)] == [(0, 257, False), (257, 385, True)]


def _overlaps(x, size, columns):
    return any(x < x1 and x + size > x0 for x0, x1 in columns)


@pytest.mark.parametrize("width, bands", [(256, ((64, 128),)), (294, ((64, 128),)), (385, ((64, 128), (256, 320))),
                                          (512, ((64, 128), (256, 320))), (640, ((64, 128), (256, 320), (448, 512)))])
def test_held_out_bands_lie_between_training_columns_and_no_training_tile_touches_them(width, bands):
    g = paired_sets.tile_geometry(256, width, 64, layout="bands")
    assert g.layout == "bands" and g.heldout_columns == bands
    assert not any(_overlaps(x, 64, bands) for _, x in g.train)
    assert sorted(g.heldout) == sorted((y, x0) for y in (0, 64, 128, 192) for x0, _ in bands)
    parts = [(c.start, c.stop, h) for c, h in paired_sets.regions(g)]
    assert parts[0][0] == 0 and parts[-1][1] == width and all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
    assert not parts[0][2] and not parts[-1][2]  # a training region on both sides of every band
    for x0, x1 in bands:  # each band has training tiles right next to it, left and right
        assert any(x + 64 == x0 for _, x in g.train) and any(x == x1 for _, x in g.train)


def test_bands_need_a_photo_three_tiles_wide_and_a_known_layout():
    with pytest.raises(InputError, match="at least 48 px wide .* received: width=47"):
        paired_sets.tile_geometry(64, 47, 16, layout="bands")
    assert paired_sets.tile_geometry(64, 48, 16, layout="bands").heldout_columns == ((16, 32),)
    with pytest.raises(InputError, match="expected layout in \\['strip', 'bands'\\]; received: layout='grid'"):
        paired_sets.tile_geometry(64, 96, 16, layout="grid")
    with pytest.raises(InputError, match="expected layout in .* received: layout='grid'"):
        paired_sets.offline_set("labels2photo", image_size=16, layout="grid")


@pytest.mark.parametrize("layout", paired_sets.LAYOUTS)
def test_no_held_out_pixel_shapes_a_training_input(layout):
    photo = np.asarray(Image.fromarray(paired_sets.load_photo("coffee")).resize((96, 64)))
    geometry = paired_sets.tile_geometry(64, 96, 16, layout=layout)
    changed = photo.copy()
    for x0, x1 in geometry.heldout_columns:
        changed[:, x0:x1] = changed[::-1, x0:x1]  # upside down: other edges, other labels
    train = [c for c, heldout in paired_sets.regions(geometry) if not heldout]
    for build in (lambda p: paired_sets._label_inputs({"p": p}, {"p": geometry}, 3)[0]["p"],
                  lambda p: paired_sets._edge_inputs({"p": p}, {"p": geometry}, "canny", None)["p"]):
        before, after = build(photo), build(changed)
        for columns in train:
            np.testing.assert_array_equal(before[:, columns], after[:, columns])
        assert not np.array_equal(before, after)  # the held-out columns did change


@pytest.fixture(scope="module")
def labels_set(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return paired_sets.offline_set("labels2photo", image_size=16, cache_dir=cache), cache


def test_labels2photo_layout_geometry_and_meta(labels_set, capsys):
    root, cache = labels_set
    assert root == paired_sets.set_dir("labels2photo", image_size=16, cache_dir=cache)
    assert sorted(os.listdir(os.path.dirname(root))) == ["labels2photo-16-v2"]  # no temporary left behind
    meta = json.loads(pathlib.Path(root, "meta.json").read_text())
    assert meta["num_classes"] == 8 and len(meta["class_names"]) == 8 and meta["image_size"] == 16
    assert meta["palette"] == paired_sets.palette(8).tolist() and meta["version"] == "v2"
    assert all(" or " in name for name in meta["class_names"])  # a darker and a lighter colour per class
    assert list(meta["photos"]) == list(paired_sets.PHOTOS) and "strip" in meta["heldout"]
    assert meta["layout"] == "strip"
    train, val = _tiles(pathlib.Path(root, "train")), _tiles(pathlib.Path(root, "val"))
    assert set(train) == set(val) == set(paired_sets.PHOTOS)
    for photo, info in meta["photos"].items():
        g = paired_sets.tile_geometry(info["height"], info["width"], 16)
        strip_x = g.width - 16 * math.ceil(g.width / 4 / 16)
        assert info["heldout_columns"] == [[strip_x, g.width]]
        assert sorted(train[photo]) == sorted(g.train) and sorted(val[photo]) == sorted(g.heldout)
        assert all(x + 16 <= strip_x for _, x in train[photo])  # no training tile touches the strip
        assert all(x >= strip_x for _, x in val[photo])
    assert meta["train_tiles"] == sum(map(len, train.values())) and meta["val_tiles"] == sum(map(len, val.values()))
    paired_sets.offline_set("labels2photo", image_size=16, cache_dir=cache)  # cached: no rebuild
    assert "building" not in capsys.readouterr().out


def test_every_label_class_holds_a_darker_and_a_lighter_colour():
    # Four flat colours, two classes: sorted by lightness, colours 0 and 2 share a class, 1 and 3 the other.
    colours = np.array([(10, 10, 10), (40, 60, 160), (150, 150, 150), (250, 240, 120)], np.uint8)
    photo = np.zeros((64, 96, 3), np.uint8)
    for band in range(8):  # vertical bands of 12 px, the colours twice over (both regions see all four)
        photo[:, band * 12:(band + 1) * 12] = colours[band % 4]
    geometry = paired_sets.tile_geometry(64, 96, 16)
    maps, names = paired_sets._label_inputs({"bands": photo}, {"bands": geometry}, 2)
    ids = paired_sets.labels_from_colours(maps["bands"][32, 6::12], paired_sets.palette(2))  # band centres
    assert ids[0] == ids[2] == ids[4] == ids[6] and ids[1] == ids[3] == ids[5] == ids[7] and ids[0] != ids[1]
    assert len(names) == 2 and all(" or " in name for name in names)


def test_too_few_superpixels_for_the_classes_is_one_line_and_leaves_nothing(tmp_path):
    with pytest.raises(InputError, match="expected at least 16 superpixels .* num_classes=8; received 9"):
        paired_sets.offline_set("labels2photo", image_size=4, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # the error comes before any folder is made


def test_labels_from_colours_recovers_the_stored_class_maps(labels_set):
    root, _ = labels_set
    pairs = read_pairs(pathlib.Path(root, "val"))
    inputs = np.stack([a for _, a, _ in pairs])
    colours = paired_sets.palette(8)
    ids = paired_sets.labels_from_colours(inputs, colours)
    assert ids.shape == inputs.shape[:3] and ids.dtype == np.int32
    np.testing.assert_array_equal(colours[ids], inputs)  # every stored pixel is exactly a palette colour
    assert len(np.unique(ids)) >= 4
    jpeg = pathlib.Path(root).parent / "x.jpg"
    Image.fromarray(inputs[0]).resize((32, 32), Image.NEAREST).save(jpeg, quality=90)
    back = paired_sets.labels_from_colours(np.asarray(Image.open(jpeg)), colours)
    jpeg.unlink()
    assert (back[::2, ::2] == ids[0]).mean() > 0.95


def test_a_failed_build_leaves_no_half_set(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(paired_sets, "_write_tiles", boom)
    with pytest.raises(RuntimeError):
        paired_sets.offline_set("labels2photo", image_size=16, num_classes=3, cache_dir=tmp_path)
    assert os.listdir(tmp_path / "pix2pix") == []


def test_edges2photo_with_hed_needs_the_models_hed_and_draws_its_probabilities(tmp_path):
    from tfopt.models.pretrained import hed_model

    with pytest.raises(InputError, match="hed=tfopt.models.pretrained.hed_model"):
        paired_sets.offline_set("edges2photo", image_size=16, cache_dir=tmp_path)
    root = paired_sets.offline_set("edges2photo", image_size=16, cache_dir=tmp_path, hed=hed_model)
    meta = json.loads(pathlib.Path(root, "meta.json").read_text())
    assert meta["edges"] == "hed" and meta["val_tiles"] > 0
    pairs = read_pairs(pathlib.Path(root, "train"))
    inputs = np.stack([a for _, a, _ in pairs])
    assert len(pairs) == meta["train_tiles"]
    assert (inputs[..., 0] == inputs[..., 1]).all() and np.median(inputs) > 128  # dark lines on white
    assert inputs.min() < 128
    # HED gives edge probabilities (many grey levels); Canny would give two.
    assert len(np.unique(inputs)) > 16 and meta["edge_detector"].startswith("HED")


def test_edges2photo_with_canny_in_held_out_bands_and_the_strip(tmp_path):
    root = paired_sets.offline_set("edges2photo", image_size=16, edges="canny", layout="bands", cache_dir=tmp_path)
    assert root.endswith("edges2photo-16-canny-bands-v1")
    meta = json.loads(pathlib.Path(root, "meta.json").read_text())
    assert meta["edges"] == "canny" and meta["layout"] == "bands" and "interleaved bands" in meta["heldout"]
    train, val = _tiles(pathlib.Path(root, "train")), _tiles(pathlib.Path(root, "val"))
    for photo, info in meta["photos"].items():
        g = paired_sets.tile_geometry(info["height"], info["width"], 16, layout="bands")
        assert info["heldout_columns"] == [list(c) for c in g.heldout_columns] and len(g.heldout_columns) >= 1
        assert sorted(train[photo]) == sorted(g.train) and sorted(val[photo]) == sorted(g.heldout)
        assert not any(_overlaps(x, 16, g.heldout_columns) for _, x in train[photo])
    strip = paired_sets.offline_set("edges2photo", image_size=16, edges="canny", cache_dir=tmp_path)  # the default
    assert strip.endswith("edges2photo-16-canny-v1")
    assert json.loads(pathlib.Path(strip, "meta.json").read_text())["layout"] == "strip"
    assert paired_sets.offline_set("edges2photo", image_size=16, edges="canny", layout="strip",
                                   cache_dir=tmp_path) == strip
    assert paired_sets.set_dir("labels2photo", image_size=16, layout="bands").endswith("labels2photo-16-bands-v2")
    assert paired_sets.set_dir("labels2photo", image_size=16, layout="strip").endswith("labels2photo-16-v2")
    inputs = np.stack([a for _, a, _ in read_pairs(pathlib.Path(root, "val"))])
    assert set(np.unique(inputs)) == {0, 255}


# ---- online names, resolve_paired -------------------------------------------------------------------------------


def test_an_unreachable_online_set_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(online_pairs, "unreachable_reason", lambda url: "no network: cannot resolve host")
    with pytest.raises(InputError) as info:
        paired_sets.resolve_paired("facades", cache_dir=tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert "'facades'" in message and "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz" in message
    assert "--data=DIR" in message and "no network" in message


def test_resolve_paired_names_folders_and_directions(tmp_path, labels_set):
    _, cache = labels_set
    source = paired_sets.resolve_paired("labels2photo", image_size=16, cache_dir=cache)
    assert source.direction == "AtoB" and source.heldout_dir.endswith("val") and source.meta["num_classes"] == 8
    online = tmp_path / "pix2pix" / "facades" / "facades"  # as keras' get_file unpacks the tarball
    _side_by_side(online / "train", _random_pairs(1))
    _side_by_side(online / "val", _random_pairs(1))
    facades = paired_sets.resolve_paired("facades", cache_dir=tmp_path)
    assert facades.direction == "BtoA" and facades.train_dir == str(online / "train")
    assert paired_sets.resolve_paired("facades", direction="AtoB", cache_dir=tmp_path).direction == "AtoB"
    mine = paired_sets.resolve_paired(str(online / "train"))
    assert (mine.train_dir, mine.heldout_dir, mine.direction) == (str(online / "train"), None, "AtoB")
    with pytest.raises(InputError) as info:
        paired_sets.resolve_paired("facade", cache_dir=tmp_path)
    assert "labels2photo" in str(info.value) and "edges2shoes" in str(info.value) and "'facade'" in str(info.value)
