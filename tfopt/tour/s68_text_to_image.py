"""Tour section: sentences to images with GAN-INT-CLS, StackGAN and AttnGAN, held-out combinations judged by the
readers, and AttnGAN's attention maps for the colour and digit words of one sentence."""
from tfopt.data.captioned_digits import COLOUR_NAMES, DIGIT_WORDS
from tfopt.text2image.attention_maps import draw_attention
from tfopt.text2image.config import Text2ImageConfig
from tfopt.text2image.sampling import load_text2image
from tfopt.text2image.train import train

__all__ = ["TITLE", "run"]

TITLE = "Text to image: GAN-INT-CLS, StackGAN and AttnGAN draw the sentence, held-out combinations included"

# Shorter than the defaults, to fit the tour: one epoch of DAMSM (its own cache entry), a few hundred GAN steps.
_ENCODER_EPOCHS = 1
# AttnGAN's step costs about 6 of GAN-INT-CLS's (docs/text2image.md). Measured in the tour (2 sections at a time):
# GAN-INT-CLS 400 steps in 207 s, StackGAN 100 + 100 in 146 s, AttnGAN 100 in 95 s, plus about 80 s of scoring
# each; all shortened by a quarter or more to fit the tour's budget.
_STEPS = {"gan_int_cls": (250, 0), "stackgan": (75, 75), "attngan": (75, 0)}
_EVAL_SAMPLES = 200


def _line(summary):
    held = summary["held_out"]
    a = held["attributes"]
    return (f"{summary['title']}: {summary['steps']} steps in {summary['seconds']:.0f} s; digit {a['digit']:.2f}, "
            f"stroke colour {a['stroke']:.2f}, background {a['background']:.2f}, thickness {a['thickness']:.2f}, "
            f"R-precision {held['r_precision']:.2f}, FID {held['fid']:.0f}")


def _attention_line(check):
    """The attention check of the held-out samples in one sentence (or why there is none)."""
    stroke, background = check["stroke_word"], check["background_word"]
    if not stroke["num_captions"] or not background["num_captions"]:
        return "AttnGAN's attention check found no images with both stroke and background to compare."
    return (f"AttnGAN's attention check: the stroke colour's word puts {stroke['mass_on_stroke']:.2f} of its attention "
            f"on the stroke, which covers {stroke['stroke_area']:.2f} of the image; the background colour's word "
            f"{background['mass_on_stroke']:.2f}.")


def run(outdir, *, seed, quiet):
    """Trains the three models briefly on the captioned digits and shows the same sentences through each (see tfopt.tour)."""
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
    sentence = summaries["attngan"]["sample_captions"][0]
    drawn = draw_attention(load_text2image(outdir / "attngan"), [sentence], outdir / "attngan", seed=seed,
                           words=(*COLOUR_NAMES, *DIGIT_WORDS))
    (maps,) = drawn["attention_maps"]
    images.append((f"attngan/{maps['file']}", f'AttnGAN\'s attention for "{sentence}": the image, then where each of '
                                              f"its colour and digit words ({', '.join(maps['words'])}) attends "
                                              f"over Stage 2's {maps['grid'][0]}x{maps['grid'][1]} sub-regions "
                                              f"(bright: more weight)"))
    check = summaries["attngan"]["held_out"]["attention_check"]
    first = summaries["gan_int_cls"]
    held = first["held_out"]
    ceiling = held["real_attributes"]
    sentences = "; ".join(f'"{c}"' for c in first["sample_captions"])
    text = (
        f"The captioned digits (the sklearn digits in 7 named stroke and background colours and 3 thicknesses, "
        f"8 caption templates) hold 10 (digit, stroke colour) pairs out of training. A bi-LSTM text encoder and a "
        f"CNN image encoder are trained with AttnGAN's DAMSM losses (here {_ENCODER_EPOCHS} epoch, cached; the "
        f"default is 6) and frozen; its sentence vectors condition all three GANs. GAN-INT-CLS (Reed et al. 2016): "
        f"a matching-aware D (real image with wrong text counts as fake) and G also trained on interpolated "
        f"sentences. StackGAN (Zhang et al. 2017): conditioning augmentation (c = mu + sigma * eps, KL in G's "
        f"loss), Stage I at 16 px, then Stage II at 32 px on Stage I frozen. AttnGAN (Xu et al. 2018): both stages "
        f"trained together, every 16x16 sub-region of Stage 2 attending over the words, and the DAMSM loss "
        f"(weight 5) between the final image and its caption. Sentences shown (the first three are "
        f"held-out pairs): {sentences}. Scores on {_EVAL_SAMPLES} held-out captions: " + "; ".join(_line(s) for s in
                                                                                   summaries.values())
        + f". Ceilings (the readers on the real held-out images): digit {ceiling['digit']:.2f}, stroke "
        f"{ceiling['stroke']:.2f}, background {ceiling['background']:.2f}, thickness {ceiling['thickness']:.2f}; "
        f"R-precision {held['real_r_precision']:.2f} (chance 0.01). {_attention_line(check)} These runs are a few "
        f"hundred steps: colours are learnt first, digits last. "
        f"The default recipes (bin/train_text2image.py --model=gan_int_cls|stackgan|attngan, with the DAMSM "
        f"encoders' default 6 epochs), their numbers side by side and the ablations (bench/bench_text2image.py) "
        f"are in docs/text2image.md."
    )
    numbers = {}
    for model, summary in summaries.items():
        h = summary["held_out"]
        numbers.update({f"{model}_digit": h["attributes"]["digit"], f"{model}_stroke": h["attributes"]["stroke"],
                        f"{model}_background": h["attributes"]["background"],
                        f"{model}_r_precision": h["r_precision"], f"{model}_fid": h["fid"]})
    numbers["real_r_precision"] = held["real_r_precision"]
    if check["stroke_word"]["num_captions"]:
        numbers["attngan_stroke_word_mass_on_stroke"] = check["stroke_word"]["mass_on_stroke"]
        numbers["attngan_stroke_area"] = check["stroke_word"]["stroke_area"]
    return {"text": text, "images": images, "numbers": numbers}
