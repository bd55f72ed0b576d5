"""docs/gan.md's user script (a DCGAN on a folder of PNGs, full trainer) runs as written, with smaller numbers."""
import json
import pathlib
import re
import sys

import numpy as np
from PIL import Image

import binaries  # tests/binaries.py

ROOT = pathlib.Path(__file__).resolve().parents[2]
_SECTION = "## Your own images, in Python"
# What the test shrinks (each must appear in the script as written): the run's length and sizes.
_SMALLER = {'"my_pngs/"': None, '"runs/my_pngs"': None, "steps=2000": "steps=4", "batch_size=64": "batch_size=8",
            "eval_samples=500": "eval_samples=20"}


def _script():
    text = (ROOT / "docs" / "gan.md").read_text()
    section = text[text.index(_SECTION):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_script_is_at_most_12_lines_and_trains_with_the_full_trainer(tmp_path, digits_cache):
    script = _script()
    assert len([line for line in script.splitlines() if line.strip()]) <= 12
    folder, run = tmp_path / "pngs", tmp_path / "run"
    folder.mkdir()
    from tfopt.data import digits

    for i, image in enumerate(digits()["x_train"][:40]):  # colour PNGs of real digits
        rgb = (np.repeat(image, 3, axis=-1) * [255, 160, 60]).astype(np.uint8)
        Image.fromarray(rgb).save(folder / f"{i:03d}.png")
    replacements = dict(_SMALLER, **{'"my_pngs/"': repr(str(folder)), '"runs/my_pngs"': repr(str(run))})
    for old, new in replacements.items():
        assert old in script, old
        script = script.replace(old, new)
    done = binaries.run([sys.executable, "-c", script], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("DCGAN FID "), done.stdout  # the paper's model: no extras off the digits
    for name in ("ckpt/checkpoint", "samples.png", "generator.keras", "history.json", "config.json"):
        assert (run / name).is_file(), name
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["fid"] > 0 and summary["data"]["source"] == f"folder:{folder}"
    assert summary["data"]["image_shape"] == [32, 32, 3] and summary["real_samples"] == 40
