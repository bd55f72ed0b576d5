"""Trains pix2pix (Isola et al. 2017) on paired images, resumes in place, and scores it on held-out pairs.

    python bin/train_pix2pix.py --output=runs/labels2photo
    python bin/train_pix2pix.py --data=edges2photo --output=runs/edges2photo
    python bin/train_pix2pix.py --generator=encoder_decoder --output=runs/encdec
    python bin/train_pix2pix.py --loss=l1 --output=runs/l1_only
    python bin/train_pix2pix.py --patch=16 --output=runs/patch16
    python bin/train_pix2pix.py --data=my_pairs/ --image_size=256 --filters=64 --batch_size=1 --output=runs/mine
    python bin/translate.py --checkpoint=runs/labels2photo --input=my_labels/ --output=out

--data is labels2photo or edges2photo (offline paired sets made from the sample photos,
with a held-out region of every photo: --heldout=strip|bands), an online pix2pix set (facades, maps, ...), or a
folder of pairs (side-by-side A|B images, or A/ and B/ sub-folders with matching names;
train/ and val/ sub-folders are the split). Writes, in --output: config.json, ckpt/,
generator.keras, samples.png and samples/ (held-out input | output | target),
history.json, losses.png, logs/ (TensorBoard), comparison.png and summary.json (held-out
L1, PSNR, SSIM, sharpness ratio, and for the offline sets the FCN-score analogue). Re-running
the same command continues from the latest checkpoint; a different configuration in a
non-empty --output is refused unless --overwrite. Every field of
tfopt.pix2pix.Pix2PixConfig is a flag.
"""
from absl import flags, logging

from tfopt import cli
from tfopt.cli.config_flags import config_from_flags, define_config_flags
from tfopt.pix2pix.config import Pix2PixConfig

cli.define_common_flags()
define_config_flags(Pix2PixConfig)
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)  # checkpoint INFO lines are noise here
    config = config_from_flags(Pix2PixConfig, FLAGS).validated()
    from tfopt.pix2pix.train import train  # after the flag checks: TensorFlow loads here

    summary = train(config, FLAGS.output, overwrite=FLAGS.overwrite, quiet=FLAGS.quiet)
    if not FLAGS.quiet and "heldout" in summary:
        h = summary["heldout"]
        fcn = f" fcn_pixel_acc={h['fcn']['per_pixel_accuracy']:.3f} (real {h['fcn_real']['per_pixel_accuracy']:.3f})" \
            if "fcn" in h else ""
        print(f"{FLAGS.output}: {summary['title']} steps={summary['steps']} heldout l1={h['l1']:.4f} "
              f"psnr={h['psnr']:.2f} ssim={h['ssim']:.3f} sharpness={h['sharpness_ratio']:.3f}{fcn}")


if __name__ == "__main__":
    cli.run(main)
