"""Text-to-image ablations in one run: matching-aware D on/off (GAN-INT-CLS), conditioning augmentation on/off
(StackGAN), and the two models side by side, on the held-out (digit, colour) captions of the captioned digits.

Two claims of the papers, each checked by training the same recipe twice with one switch flipped:

* **Matching-aware D** (Reed et al. 2016, "CLS"): without the real-image-with-wrong-text term, D
  only judges realism, so the generator's images should follow the captions less: attribute
  accuracies (digit, stroke, background, thickness, all four) should fall.
* **Conditioning augmentation** (Zhang et al. 2017, "CA"): without ``c = mu + sigma * eps`` and
  its KL term, one caption should give less varied images: diversity (mean pairwise
  digits-classifier feature distance among 8 samples of each of 20 captions) should fall.

Every run is a full ``bin/train_text2image.py`` run (:func:`tfopt.text2image.train.train`) with the
package's defaults unless ``--steps`` / ``--stage2_steps`` shorten it; all share the cached DAMSM
encoders. The runs go one after another, so run it on an otherwise idle machine.

Run (not part of the test suite):
    python bench/bench_text2image.py                                     # both ablations, default recipes
    python bench/bench_text2image.py --parts=cls --steps=1500            # quicker, CLS only
"""
import argparse
import json
import os
import pathlib
import tempfile

from tfopt.text2image.config import Text2ImageConfig
from tfopt.text2image.train import train

_RUNS = {
    "cls": (("gan_int_cls", {}), ("gan_int_cls_no_cls", {"cls": False})),
    "ca": (("stackgan", {}), ("stackgan_no_ca", {"conditioning_augmentation": False})),
}
_COLUMNS = ("digit", "stroke", "background", "thickness", "all")


def _train(name, out, overrides, steps, stage2_steps):
    model = "stackgan" if name.startswith("stackgan") else "gan_int_cls"
    lengths = {k: v for k, v in (("steps", steps), ("stage2_steps", stage2_steps)) if v}
    config = Text2ImageConfig(model=model, **lengths, **overrides)
    summary = train(config, out / name, overwrite=True, quiet=True)
    held = summary["held_out"]
    row = {"steps": summary["steps"], "seconds": round(summary["seconds"], 1), **held["attributes"],
           "r_precision": held["r_precision"], "fid": held["fid"], "diversity": held["diversity"]}
    print(f"{name}: " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
          flush=True)
    return row, held


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="cls,ca", help="comma-separated: cls, ca")
    parser.add_argument("--steps", type=int, default=0, help="GAN-INT-CLS / Stage I steps (0: the default)")
    parser.add_argument("--stage2_steps", type=int, default=0, help="StackGAN Stage II steps (0: the default)")
    parser.add_argument("--output", default=None, help="run directories and bench_text2image.json (default: a "
                                                       "temporary directory)")
    args = parser.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    unknown = sorted(set(parts) - set(_RUNS))
    if unknown:
        parser.error(f"expected --parts among {', '.join(_RUNS)}; received: {', '.join(unknown)}")
    out = pathlib.Path(args.output or tempfile.mkdtemp(prefix="bench_text2image_"))
    print(f"load average before: {os.getloadavg()[0]:.2f}; runs in {out}", flush=True)
    rows, ceilings = {}, None
    for part in parts:
        for name, overrides in _RUNS[part]:
            rows[name], held = _train(name, out, overrides, args.steps, args.stage2_steps)
            ceilings = ceilings or {**held["real_attributes"], "r_precision": held["real_r_precision"]}
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    header = ["run", "steps", "seconds", *_COLUMNS, "r_precision", "fid", "diversity"]
    print("\n" + " | ".join(header))
    for name, row in rows.items():
        print(" | ".join([name] + [f"{row[k]:.3f}" if isinstance(row[k], float) else str(row[k])
                                   for k in header[1:]]))
    print("real images (ceiling) | | | " + " | ".join(f"{ceilings[k]:.3f}" for k in _COLUMNS)
          + f" | {ceilings['r_precision']:.3f} | |")
    for part, (on, off) in ((p, _RUNS[p]) for p in parts):
        a, b = rows[on[0]], rows[off[0]]
        if part == "cls":
            falls = [k for k in _COLUMNS if b[k] < a[k]]
            print(f"CLS off: attribute accuracies that fall: {', '.join(falls) or 'none'} "
                  f"(all four {a['all']:.3f} -> {b['all']:.3f})")
        else:
            print(f"CA off: diversity {a['diversity']:.3f} -> {b['diversity']:.3f} "
                  f"({'falls' if b['diversity'] < a['diversity'] else 'does not fall'})")
    (out / "bench_text2image.json").write_text(json.dumps({"runs": rows, "ceilings": ceilings}, indent=2))


if __name__ == "__main__":
    main()
