"""Tour section: sentences to images with GAN-INT-CLS and StackGAN, held-out combinations judged by the readers."""
from tfopt.text2image.config import Text2ImageConfig
from tfopt.text2image.train import train

__all__ = ["TITLE", "run"]

TITLE = "Text to image: GAN-INT-CLS and StackGAN draw the sentence, held-out combinations included"

# Shorter than the defaults, to fit the tour: one epoch of DAMSM (its own cache entry), a few hundred GAN steps.
_ENCODER_EPOCHS = 1
_STEPS = {"gan_int_cls": (500, 0), "stackgan": (150, 150)}
_EVAL_SAMPLES = 300


def _line(summary):
    held = summary["held_out"]
    a = held["attributes"]
    return (f"{summary['title']}: {summary['steps']} steps in {summary['seconds']:.0f} s; digit {a['digit']:.2f}, "
            f"stroke colour {a['stroke']:.2f}, background {a['background']:.2f}, thickness {a['thickness']:.2f}, "
            f"R-precision {held['r_precision']:.2f}, FID {held['fid']:.0f}")


def run(outdir, *, seed, quiet):
    """Trains both models briefly on the captioned digits and shows the same sentences through each (see tfopt.tour)."""
    summaries, images = {}, []
    for model, (steps, stage2) in _STEPS.items():
        config = Text2ImageConfig(model=model, steps=steps, stage2_steps=stage2, encoder_epochs=_ENCODER_EPOCHS,
                                  sample_every=1000, checkpoint_every=1000, log_every=25,
                                  eval_samples=_EVAL_SAMPLES, seed=seed)
        summary = train(config, outdir / model, overwrite=True, quiet=quiet)
        summaries[model] = summary
        images.append((f"{model}/captions.png", f"{summary['title']}: a row per sentence, the same 8 noise vectors "
                                                f"in every row; under each image what the readers saw (digit, "
                                                f"stroke/background, thickness; 'ok' when all four match)"))
    first = summaries["gan_int_cls"]
    held = first["held_out"]
    ceiling = held["real_attributes"]
    sentences = "; ".join(f'"{c}"' for c in first["sample_captions"])
    text = (
        f"The captioned digits (the sklearn digits in 7 named stroke and background colours and 3 thicknesses, "
        f"8 caption templates) hold 10 (digit, stroke colour) pairs out of training. A bi-LSTM text encoder and a "
        f"CNN image encoder are trained with AttnGAN's DAMSM losses (here {_ENCODER_EPOCHS} epoch, cached; the "
        f"default is 6) and frozen; its sentence vectors condition both GANs. GAN-INT-CLS (Reed et al. 2016): a "
        f"matching-aware D (real image with wrong text counts as fake) and G also trained on interpolated "
        f"sentences. StackGAN (Zhang et al. 2017): conditioning augmentation (c = mu + sigma * eps, KL in G's "
        f"loss), Stage I at 16 px, then Stage II at 32 px on Stage I frozen. Sentences shown (the first three are "
        f"held-out pairs): {sentences}. Scores on {_EVAL_SAMPLES} held-out captions: " + "; ".join(_line(s) for s in
                                                                                   summaries.values())
        + f". Ceilings (the readers on the real held-out images): digit {ceiling['digit']:.2f}, stroke "
        f"{ceiling['stroke']:.2f}, background {ceiling['background']:.2f}, thickness {ceiling['thickness']:.2f}; "
        f"R-precision {held['real_r_precision']:.2f} (chance 0.01). These runs are a few hundred steps: colours are "
        f"learnt first, digits last. The default recipe (bin/train_text2image.py --model=gan_int_cls, 4,500 "
        f"steps, with the DAMSM encoders' default 6 epochs), its numbers and the ablations (bench/bench_text2image.py)"
        f" are in docs/text2image.md."
    )
    numbers = {}
    for model, summary in summaries.items():
        h = summary["held_out"]
        numbers.update({f"{model}_digit": h["attributes"]["digit"], f"{model}_stroke": h["attributes"]["stroke"],
                        f"{model}_background": h["attributes"]["background"],
                        f"{model}_r_precision": h["r_precision"], f"{model}_fid": h["fid"]})
    numbers["real_r_precision"] = held["real_r_precision"]
    return {"text": text, "images": images, "numbers": numbers}
