"""Tests for tfopt.report: curve plots, the HTML gallery."""
import os

import numpy as np
import tensorflow as tf
from PIL import Image

from tfopt import report


def test_plot_curves_writes_png(tmp_path):
    path = report.plot_curves(
        tmp_path / "plots" / "loss.png",
        {"g": [3.0, 2.0, 1.0], "d": np.array([1.0, float("nan"), 0.5]), "t": tf.constant([0.1, 0.2])},
        title="losses",
    )
    assert os.listdir(tmp_path / "plots") == ["loss.png"]
    with Image.open(path) as pil:
        assert pil.format == "PNG" and pil.size == (640, 400)
        pixels = np.asarray(pil.convert("RGB"))
    assert pixels.std() > 5  # something was drawn


def test_gallery_escapes_text_and_shows_sections(tmp_path):
    sections = [
        {
            "title": "Adversarial <examples>",
            "text": "first & only\n\nsecond paragraph",
            "images": [("img/a b.png", 'caption "quoted" <b>')],
            "numbers": {"success_rate": np.float32(0.987654), "steps": 40, "note": None},
        },
        {"title": "Style transfer", "error": "ImageNet weights <unavailable>"},
    ]
    path = report.write_gallery(tmp_path / "index.html", title="Tour & more", sections=sections, intro="Hello <you>")
    page = path.read_text()
    assert os.listdir(tmp_path) == ["index.html"]
    assert "<script" not in page and "<b>" not in page and "<examples>" not in page
    assert "Adversarial &lt;examples&gt;" in page and "Tour &amp; more" in page and "Hello &lt;you&gt;" in page
    assert '<img src="img/a b.png"' in page and "caption &quot;quoted&quot; &lt;b&gt;" in page
    assert page.count("<p>") >= 3  # intro + two paragraphs
    assert "0.9877" in page and ">40<" in page
    assert 'class="error"' in page and "ImageNet weights &lt;unavailable&gt;" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert page.index("Adversarial") < page.index("Style transfer")
