"""Trains a text-to-image GAN (GAN-INT-CLS, StackGAN, AttnGAN) on captioned images, resumes in place, scores held-out
captions.

    python bin/train_text2image.py --model=gan_int_cls --output=runs/int_cls
    python bin/train_text2image.py --model=stackgan --output=runs/stackgan
    python bin/train_text2image.py --model=attngan --output=runs/attngan
    python bin/train_text2image.py --model=attngan --damsm_weight=0 --output=runs/attngan_no_damsm   # ablation
    python bin/train_text2image.py --model=gan_int_cls --nocls --output=runs/no_cls            # ablation
    python bin/train_text2image.py --model=stackgan --noconditioning_augmentation --output=runs/no_ca
    python bin/train_text2image.py --data=CUB_200_2011/ --image_size=64 --output=runs/birds
    python bin/text2image.py --checkpoint=runs/int_cls --captions="a thick red seven on a blue background"

--data is captioned_digits (offline: the package's coloured digits with templated captions;
some digit x colour pairs are held out of training and scored) or a folder with images/
and text/ (one caption file per image, CUB / Oxford-102 style). The frozen DAMSM text
encoder (trained once on first use, cached) turns captions into sentence vectors. Writes,
in --output: config.json, one sub-directory per phase (gan, or StackGAN's stage1 and stage2: ckpt/,
samples/, history.json, losses.png, logs/ for TensorBoard), text2image.keras (raw captions
in), captions.png (held-out captions with the readers' verdicts) and summary.json
(attribute accuracies, R-precision, FID and diversity on held-out captions, with the real
images' ceilings). Every field of tfopt.text2image.Text2ImageConfig is a flag.
"""
from absl import flags, logging

from tfopt import cli
from tfopt.cli.config_flags import config_from_flags, define_config_flags
from tfopt.text2image.config import Text2ImageConfig

cli.define_common_flags()
define_config_flags(Text2ImageConfig)
FLAGS = flags.FLAGS


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    config = config_from_flags(Text2ImageConfig, FLAGS).validated()
    from tfopt.text2image.train import train  # after the flag checks: TensorFlow loads here

    summary = train(config, FLAGS.output, overwrite=FLAGS.overwrite, quiet=FLAGS.quiet)
    if not FLAGS.quiet and "held_out" in summary:
        h = summary["held_out"]
        attrs = " ".join(f"{k}={v:.3f}" for k, v in h.get("attributes", {}).items())
        print(f"{FLAGS.output}: {summary['title']} steps={summary['steps']} held-out {attrs} "
              f"r_precision={h['r_precision']:.3f} fid={h['fid']:.1f} diversity={h['diversity']:.3f}")


if __name__ == "__main__":
    cli.run(main)
