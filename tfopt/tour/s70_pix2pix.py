"""Tour section: pix2pix on labels -> photo: U-Net against encoder-decoder, L1 + cGAN against L1 alone."""
import dataclasses

import numpy as np

from tfopt.images import image_grid, save_image
from tfopt.pix2pix.config import Pix2PixConfig
from tfopt.pix2pix.evaluate import pair_arrays
from tfopt.pix2pix.train import load_data, train
from tfopt.pix2pix.translator import load_translator, translate

__all__ = ["TITLE", "run", "VARIANTS"]

TITLE = "pix2pix: label maps to photos (U-Net, PatchGAN, L1 + cGAN)"

# Tour-sized: 32 px tiles (the photos at a 128 px short side) and a 16 px PatchGAN (the 34 px default exceeds
# them), 120 steps a run; docs/pix2pix.md has the 64 px, 1,000-step runs.
_STEPS = 120
_SIZE = 32
_SHOWN = 6
VARIANTS = (  # (run name, column caption, config changes): equal budgets, one change each
    ("unet", "U-Net", {}),
    ("encoder_decoder", "encoder-decoder", {"generator": "encoder_decoder"}),
    ("l1_only", "L1 only", {"loss": "l1"}),
)


def run(outdir, *, seed, quiet, steps=_STEPS):
    """Trains three short pix2pix runs with equal budgets and shows them side by side on held-out pairs.

    Args:
        outdir: directory for this section's files.
        seed: seed of weights, data order and jitter.
        quiet: no progress bars.
        steps: training steps of each run.

    Returns:
        The tour section dict: text, images, numbers.
    """
    base = Pix2PixConfig(data="labels2photo", image_size=_SIZE, patch="16", steps=steps, seed=seed,
                         sample_every=steps, checkpoint_every=steps, log_every=max(1, steps // 10))
    summaries, columns = {}, []
    _, _, heldout = load_data(base)
    inputs, targets = pair_arrays(heldout, base.image_size)
    pick = np.linspace(0, len(inputs) - 1, _SHOWN).astype(int)
    for name, caption, changes in VARIANTS:
        summaries[name] = train(dataclasses.replace(base, **changes), outdir / name, overwrite=True,
                                quiet=quiet)
        generator, config = load_translator(outdir / name)
        columns.append((caption, translate(generator, inputs[pick], test_mode=config.test_mode)))
    tiles = np.stack([inputs[pick], *[c for _, c in columns], targets[pick]], axis=1)
    captions = ["input", *[c for c, _ in columns], "target"]
    labels = captions + [""] * (tiles.shape[0] * tiles.shape[1] - len(captions))
    save_image(outdir / "pix2pix.png", image_grid(tiles.reshape((-1,) + tiles.shape[2:]), labels=labels,
                                                  ncols=tiles.shape[1], scale=4))
    rows = []
    for (name, caption, _), summary in ((v, summaries[v[0]]) for v in VARIANTS):
        h = summary["heldout"]
        rows.append(f"{caption}: L1 {h['l1']:.3f}, PSNR {h['psnr']:.1f} dB, SSIM {h['ssim']:.3f}, sharpness "
                    f"{h['sharpness_ratio']:.2f}, FCN per-pixel {h['fcn']['per_pixel_accuracy']:.2f} / per-class "
                    f"{h['fcn']['per_class_accuracy']:.2f} / IoU {h['fcn']['class_iou']:.2f}")
    first = summaries["unet"]
    real = first["heldout"]["fcn_real"]
    text = (
        f"Isola et al.'s conditional GAN on an offline labels -> photo set: label maps from a colour/position "
        f"segmentation (SLIC superpixels, {first['config']['num_classes']} classes of two k-means colour clusters "
        f"each, a darker and a lighter one, so a label does not fix the colour) of the sample photos, "
        f"{first['data']['train_pairs']} training tiles of {base.image_size} px, scored on "
        f"{first['heldout']['pairs']} tiles of a held-out strip of every photo ({first['data']['heldout']}). "
        f"The generator takes only the label map (its noise is dropout; its decoder upsamples by nearest x2 and "
        f"3x3 convolutions, the offline default, which paints no checkerboard); a {first['receptive_field']}x"
        f"{first['receptive_field']} PatchGAN judges (labels, photo) pairs. Three runs of {steps} steps each, one "
        f"change each: " + "; ".join(rows) + f". The FCN-score reads the generated photos with a segmenter trained "
        f"on the real training photos; on the real held-out photos it scores per-pixel {real['per_pixel_accuracy']:.2f}"
        f" / per-class {real['per_class_accuracy']:.2f} / IoU {real['class_iou']:.2f} (the ceiling). Sharpness is the "
        f"variance of the Laplacian relative to the real photos' (1 = as sharp). These are short tour runs; "
        f"docs/pix2pix.md has the full-budget comparison. Train with bin/train_pix2pix.py, translate any size "
        f"with bin/translate.py, export with bin/export.py --checkpoint=RUN."
    )
    numbers = {}
    for name, summary in summaries.items():
        h = summary["heldout"]
        numbers.update({f"{name}_l1": h["l1"], f"{name}_ssim": h["ssim"], f"{name}_sharpness": h["sharpness_ratio"],
                        f"{name}_fcn_pixel": h["fcn"]["per_pixel_accuracy"], f"{name}_seconds": summary["seconds"]})
    numbers["fcn_pixel_real"] = real["per_pixel_accuracy"]
    images = [("pix2pix.png", "held-out tiles: input labels | U-Net (L1 + cGAN) | encoder-decoder (L1 + cGAN) | "
                              "U-Net (L1 only) | target photo")]
    return {"text": text, "images": images, "numbers": numbers}
