"""tfopt.core.files: JSON conversion, atomic writes that leave nothing partial."""
import dataclasses
import enum
import json
import os
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from tfopt.core import files


@dataclasses.dataclass
class _Config:
    steps: int
    lr: np.float32
    out: pathlib.Path


class _Mode(enum.Enum):
    FAST = "fast"


def test_to_jsonable_converts_numpy_tensors_paths_dataclasses():
    obj = {
        "acc": np.float32(0.5),
        "n": np.int64(3),
        "arr": np.arange(3, dtype=np.int16),
        "t": tf.constant([[1.5, 2.0]]),
        "v": tf.Variable(2.0),
        "p": pathlib.Path("a/b.png"),
        "cfg": _Config(steps=2, lr=np.float32(0.25), out=pathlib.Path("o")),
        "mode": _Mode.FAST,
        "bad": float("nan"),
        "tuple": (1, np.bool_(True)),
        7: "int key",
    }
    out = files.to_jsonable(obj)
    assert out == {
        "acc": 0.5,
        "n": 3,
        "arr": [0, 1, 2],
        "t": [[1.5, 2.0]],
        "v": 2.0,
        "p": "a/b.png",
        "cfg": {"steps": 2, "lr": 0.25, "out": "o"},
        "mode": "fast",
        "bad": None,
        "tuple": [1, True],
        "7": "int key",
    }
    assert type(out["n"]) is int and type(out["tuple"][1]) is bool
    json.dumps(out, allow_nan=False)


def test_to_jsonable_rejects_unknown_types():
    with pytest.raises(TypeError, match="object"):
        files.to_jsonable({"x": object()})


def test_write_summary_is_atomic_and_keeps_old_file_on_failure(tmp_path):
    path = files.write_summary(tmp_path / "run", {"loss": np.float64(1.25)})
    assert path == tmp_path / "run" / "summary.json"
    assert json.loads(path.read_text()) == {"loss": 1.25}
    with pytest.raises(TypeError):
        files.write_summary(tmp_path / "run", {"loss": object()})
    assert json.loads(path.read_text()) == {"loss": 1.25}
    assert os.listdir(tmp_path / "run") == ["summary.json"]


def test_atomic_path_removes_temp_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with files.atomic_path(tmp_path / "x.txt") as tmp:
            assert tmp.parent == tmp_path and tmp.suffix == ".txt"
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_locked_lets_one_holder_in_at_a_time_and_leaves_its_file(tmp_path):
    import threading
    import time

    lock = tmp_path / "not_yet" / ".thing.lock"
    inside, overlaps = [], []

    def work(i):
        with files.locked(lock):
            overlaps.extend(inside)
            inside.append(i)
            time.sleep(0.05)
            inside.remove(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == [] and lock.is_file()
