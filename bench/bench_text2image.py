"""Text-to-image comparisons in one run: the three models side by side, AttnGAN with and without its DAMSM loss,
matching-aware D on/off (GAN-INT-CLS) and conditioning augmentation on/off (StackGAN), on the held-out (digit,
colour) captions of the captioned digits.

* **The three models** (``models``): GAN-INT-CLS, StackGAN and AttnGAN at their defaults, scored on the same
  held-out captions: R-precision (1 true caption among 100), attribute accuracies and FID. The papers' order on
  CUB is AttnGAN > StackGAN > GAN-INT-CLS; the run says whether it holds here. AttnGAN's attention check (colour
  words' attention mass on the stroke against the stroke's share of the image) is printed too.
* **DAMSM** (``damsm``, Xu et al. 2018, Table 2): AttnGAN at its default lambda against lambda = 0; R-precision
  should rise with the DAMSM term.

Two more claims of the papers, each checked by training the same recipe twice with one switch flipped:

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
    python bench/bench_text2image.py                                     # everything, default recipes
    python bench/bench_text2image.py --parts=models,damsm                # the three models, AttnGAN's lambda
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
    "models": (("gan_int_cls", {}), ("stackgan", {}), ("attngan", {})),
    "damsm": (("attngan", {}), ("attngan_no_damsm", {"damsm_weight": 0.0})),
    "cls": (("gan_int_cls", {}), ("gan_int_cls_no_cls", {"cls": False})),
    "ca": (("stackgan", {}), ("stackgan_no_ca", {"conditioning_augmentation": False})),
}
_COLUMNS = ("digit", "stroke", "background", "thickness", "all")


def _train(name, out, overrides, steps, stage2_steps):
    model = next((m for m in ("stackgan", "attngan") if name.startswith(m)), "gan_int_cls")
    lengths = {k: v for k, v in (("steps", steps), ("stage2_steps", stage2_steps)) if v}
    config = Text2ImageConfig(model=model, **lengths, **overrides)
    summary = train(config, out / name, overwrite=True, quiet=True)
    held = summary["held_out"]
    row = {"steps": summary["steps"], "seconds": round(summary["seconds"], 1), **held["attributes"],
           "r_precision": held["r_precision"], "fid": held["fid"], "diversity": held["diversity"]}
    if "attention_check" in held:
        row["attention"] = held["attention_check"]
    print(f"{name}: " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                                 if k != "attention"), flush=True)
    return row, held


def _attention_line(check):
    parts = []
    for key in ("stroke_word", "background_word"):
        c = check[key]
        if not c["num_captions"]:
            parts.append(f"{key}: no image with both stroke and background to compare")
            continue
        parts.append(f"{key} mass on stroke {c['mass_on_stroke']:.3f} (stroke area {c['stroke_area']:.3f}), mean "
                     f"weight on stroke {c['mean_on_stroke']:.3f} vs background {c['mean_on_background']:.3f}")
    return "; ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="models,damsm,cls,ca", help="comma-separated: " + ", ".join(_RUNS))
    parser.add_argument("--steps", type=int, default=0, help="GAN-INT-CLS / StackGAN Stage I / AttnGAN steps "
                                                             "(0: the default)")
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
            if name in rows:  # a run two parts share (AttnGAN at its defaults) is trained once
                continue
            rows[name], held = _train(name, out, overrides, args.steps, args.stage2_steps)
            ceilings = ceilings or {**held["real_attributes"], "r_precision": held["real_r_precision"]}
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    (out / "bench_text2image.json").write_text(json.dumps({"runs": rows, "ceilings": ceilings}, indent=2))
    header = ["run", "steps", "seconds", *_COLUMNS, "r_precision", "fid", "diversity"]
    print("\n" + " | ".join(header))
    for name, row in rows.items():
        print(" | ".join([name] + [f"{row[k]:.3f}" if isinstance(row[k], float) else str(row[k])
                                   for k in header[1:]]))
    for name, row in rows.items():
        if "attention" in row:
            print(f"{name} attention check: " + _attention_line(row["attention"]))
    print("real images (ceiling) | | | " + " | ".join(f"{ceilings[k]:.3f}" for k in _COLUMNS)
          + f" | {ceilings['r_precision']:.3f} | |")
    for part in parts:
        if part == "models":  # every part's runs were trained above
            order = sorted((name for name, _ in _RUNS[part]), key=lambda n: -rows[n]["r_precision"])
            print(f"R-precision order: {' > '.join(order)} (the papers': attngan > stackgan > gan_int_cls: "
                  f"{'holds' if order == ['attngan', 'stackgan', 'gan_int_cls'] else 'does not hold'})")
            continue
        (on, _), (off, _) = _RUNS[part]
        a, b = rows[on], rows[off]
        if part == "damsm":
            print(f"DAMSM off (lambda 0): R-precision {b['r_precision']:.3f} -> with DAMSM {a['r_precision']:.3f} "
                  f"({'rises' if a['r_precision'] > b['r_precision'] else 'does not rise'} with DAMSM)")
        elif part == "cls":
            falls = [k for k in _COLUMNS if b[k] < a[k]]
            print(f"CLS off: attribute accuracies that fall: {', '.join(falls) or 'none'} "
                  f"(all four {a['all']:.3f} -> {b['all']:.3f})")
        else:
            print(f"CA off: diversity {a['diversity']:.3f} -> {b['diversity']:.3f} "
                  f"({'falls' if b['diversity'] < a['diversity'] else 'does not fall'})")


if __name__ == "__main__":
    main()
