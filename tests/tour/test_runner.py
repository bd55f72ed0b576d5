import json
import os
import subprocess
import sys
import types

import numpy as np

from tfopt import images
from tfopt.tour import runner


def _fake_sections(monkeypatch):
    ok = types.ModuleType("tfopt.tour.s01_ok")
    ok.TITLE = "A working section"

    def run_ok(outdir, *, seed, quiet):
        images.save_image(outdir / "pic.png", np.full([8, 8, 3], 0.25 + seed / 10, np.float32))
        return {"text": "it works", "images": [("pic.png", "a grey square")], "numbers": {"answer": 42}}
    ok.run = run_ok
    bad = types.ModuleType("tfopt.tour.s02_bad")
    bad.TITLE = "A broken section"

    def run_bad(outdir, *, seed, quiet):
        raise RuntimeError("boom\nsecond line")
    bad.run = run_bad
    monkeypatch.setitem(sys.modules, ok.__name__, ok)
    monkeypatch.setitem(sys.modules, bad.__name__, bad)
    monkeypatch.setattr(runner, "section_names", lambda: ["s01_ok", "s02_bad"])


def test_tour_writes_gallery_and_summary_and_survives_a_broken_section(tmp_path, monkeypatch):
    _fake_sections(monkeypatch)
    summary = runner.run_tour(tmp_path, seed=1, quiet=True, log=lambda *_: None)
    assert summary["failed"] == ["s02_bad"]
    assert summary["sections"]["s01_ok"]["numbers"] == {"answer": 42}
    assert summary["sections"]["s02_bad"]["error"] == "RuntimeError: boom"
    page = (tmp_path / "index.html").read_text()
    assert "A working section" in page and "s01_ok/pic.png" in page and "boom" in page
    assert (tmp_path / "s01_ok" / "pic.png").exists()
    assert "second line" in (tmp_path / "s02_bad" / "error.txt").read_text()
    assert json.loads((tmp_path / "summary.json").read_text())["seed"] == 1


def test_only_filters_sections(tmp_path, monkeypatch):
    _fake_sections(monkeypatch)
    summary = runner.run_tour(tmp_path, only=["ok"], log=lambda *_: None)
    assert list(summary["sections"]) == ["s01_ok"] and summary["failed"] == []


def test_section_names_are_ordered_modules():
    names = runner.section_names()
    assert names == sorted(names) and all(n[0] == "s" and n[1:3].isdigit() for n in names)


def test_bin_tour_rejects_unknown_section(tmp_path):
    out = tmp_path / "t"
    proc = subprocess.run([sys.executable, "bin/tour.py", f"--output={out}", "--only=nonexistent_section"],
                          capture_output=True, text=True, cwd=runner.__file__.rsplit("/tfopt/", 1)[0])
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "nonexistent_section" in proc.stderr
    assert not out.exists()


_SECTION_SOURCE = """
import os
import numpy as np
from tfopt import images
TITLE = "{title}"

def run(outdir, *, seed, quiet):
    {body}
    images.save_image(outdir / "pic.png", np.full([8, 8, 3], 0.5, np.float32))
    return {{"text": "ran", "images": [("pic.png", "grey")], "numbers": {{"pid": os.getpid(),
            "draw": float(np.random.default_rng().random() * 0 + np.random.random())}}}}
"""


def test_sections_run_side_by_side_in_processes_with_the_same_seeded_results(tmp_path, monkeypatch):
    package = tmp_path / "pkg" / "faketour"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name, title, body in (("s01_a", "A", "pass"), ("s02_b", "B", "pass"),
                              ("s03_bad", "Bad", "raise ValueError('nope')")):
        (package / f"{name}.py").write_text(_SECTION_SOURCE.format(title=title, body=body))
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))  # spawned workers get the parent's sys.path
    one = runner.run_tour(tmp_path / "one", seed=3, log=lambda *_: None, package="faketour")
    two = runner.run_tour(tmp_path / "two", seed=3, log=lambda *_: None, package="faketour", workers=2)
    assert one["failed"] == two["failed"] == ["s03_bad"] and two["workers"] == 2
    assert list(two["sections"]) == ["s01_a", "s02_b", "s03_bad"]  # shown in name order, whatever ran first
    assert two["sections"]["s03_bad"]["error"] == "ValueError: nope"
    pids = {two["sections"][n]["numbers"]["pid"] for n in ("s01_a", "s02_b")}
    assert os.getpid() not in pids and {one["sections"]["s01_a"]["numbers"]["pid"]} == {os.getpid()}
    for name in ("s01_a", "s02_b"):  # each section starts from the seeded state, in any process
        assert two["sections"][name]["numbers"]["draw"] == one["sections"][name]["numbers"]["draw"]
        assert (tmp_path / "two" / name / "pic.png").is_file()
    assert one["sections"]["s01_a"]["numbers"]["draw"] == one["sections"]["s02_b"]["numbers"]["draw"]
