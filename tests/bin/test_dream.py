"""bin/dream.py: a short dream on a sample photo through the digits CNN; bad input exits 2."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _run(*args, cwd, cache):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TFOPT_CACHE": str(cache)}
    return subprocess.run([sys.executable, str(ROOT / "bin" / "dream.py"), *args, "--quiet"],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_dream_writes_the_dream_the_same_size_as_the_photo(tmp_path, digits_cache):
    out = tmp_path / "dream"
    done = _run(f"--output={out}", "--model=digits_cnn", "--weights=default", "--image=coffee", "--max_side=48",
                "--octaves=2", "--steps=3", cwd=tmp_path, cache=digits_cache)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    arrays = np.load(out / "images.npz")
    assert arrays["dream"].shape == arrays["original"].shape and arrays["original"].shape[-1] == 1
    assert max(arrays["original"].shape[:2]) == 48
    assert summary["rms_change"] > 0.005 and summary["final_value"] > summary["start_value"]
    assert (out / "dream.png").is_file() and (out / "octaves.png").is_file()


def test_missing_image_exits_2_with_one_line_and_writes_nothing(tmp_path, digits_cache):
    out = tmp_path / "run"
    done = _run(f"--output={out}", "--model=digits_cnn", "--weights=default", "--image=/no/such.png",
                cwd=tmp_path, cache=digits_cache)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "/no/such.png" in lines[0], done.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("run")]
