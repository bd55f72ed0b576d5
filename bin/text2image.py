"""Draws images for sentences with a trained text-to-image run (bin/train_text2image.py) or its text2image.keras.

Writes ``<output>/samples.png`` (a row per caption; for the captioned digits the attribute
readers' verdict under every image), ``images.npz`` (``images`` [N, H, W, C] in [0, 1],
``z``, ``captions``) and ``summary.json`` (the captions, the words the vocabulary does not
know, and per caption what the readers saw). With ``--attention_maps`` (AttnGAN runs only)
also ``attention_<k>.png`` per caption: its image, then each word's attention map over the
image's sub-regions (AttnGAN's Figure 2).

Example:
    python bin/text2image.py --checkpoint=runs/int_cls --output=out/sevens \
        --captions="a thick red seven on a blue background;on black, a green three drawn in thin lines"
    python bin/text2image.py --checkpoint=runs/stackgan --captions_file=sentences.txt --num_per_caption=16 --output=out/s
    python bin/text2image.py --checkpoint=runs/attngan --attention_maps --output=out/attn \
        --captions="a thick red seven on a blue background"
"""
from absl import flags

from tfopt import cli

flags.DEFINE_string("checkpoint", None, "Run directory of bin/train_text2image.py, or its text2image.keras.")
flags.DEFINE_string("captions", None, "Sentences separated by ';'.")
flags.DEFINE_string("captions_file", None, "A text file with one sentence per line (instead of --captions).")
flags.DEFINE_integer("num_per_caption", 8, "Images per sentence (each with its own noise).")
flags.DEFINE_integer("scale", 3, "Pixel upsampling of samples.png.")
flags.DEFINE_boolean("read", True, "Judge each image with the captioned digits' attribute readers.")
flags.DEFINE_boolean("attention_maps", False, "AttnGAN only: also write attention_<k>.png per caption, each word's "
                     "attention map over the image.")
flags.DEFINE_list("attention_words", None, "With --attention_maps: show only these words' maps (e.g. red,seven); "
                  "default: every word.")
flags.mark_flag_as_required("checkpoint")
cli.define_common_flags()
FLAGS = flags.FLAGS


def main(argv):
    del argv
    cli.check_positive("num_per_caption", FLAGS.num_per_caption)
    cli.check_positive("scale", FLAGS.scale)
    from tfopt.core import files
    from tfopt.text2image import sampling  # after the flag checks: TensorFlow loads here

    cli.set_seed(FLAGS.seed)
    captions = sampling.read_captions(FLAGS.captions, FLAGS.captions_file)
    model = sampling.load_text2image(FLAGS.checkpoint)
    if FLAGS.attention_maps:
        from tfopt.text2image import attention_maps

        attention_maps.attention_parts(model, repr(FLAGS.checkpoint))  # refused before anything is written
    with cli.output_dir(FLAGS.output, overwrite=FLAGS.overwrite) as outdir:
        summary = sampling.draw(model, captions, outdir, num_per_caption=FLAGS.num_per_caption, seed=FLAGS.seed,
                                scale=FLAGS.scale, read=FLAGS.read)
        if FLAGS.attention_maps:
            summary.update(attention_maps.draw_attention(model, captions, outdir, seed=FLAGS.seed, scale=4,
                                                         source=repr(FLAGS.checkpoint),
                                                         words=FLAGS.attention_words))
            summary["files"] += [entry["file"] for entry in summary["attention_maps"]]
            files.write_summary(outdir, summary)
    if not FLAGS.quiet:
        unknown = summary["unknown_words"]
        note = f" (unknown words, drawn as [UNK]: {', '.join(unknown)})" if unknown else ""
        print(f"wrote {len(captions) * FLAGS.num_per_caption} images for {len(captions)} captions to "
              f"{FLAGS.output}{note}")


if __name__ == "__main__":
    cli.run(main)
