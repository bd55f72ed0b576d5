"""The tour: every technique on offline data, written as one HTML gallery.

Each section is a module ``tfopt/tour/sNN_<name>.py`` (run in name order) with::

    TITLE = "Class-model visualization"
    def run(outdir: pathlib.Path, *, seed: int, quiet: bool) -> dict:
        # writes PNGs under outdir, returns
        return {"text": "...", "images": [("relative.png", "caption")], "numbers": {...}}
"""
