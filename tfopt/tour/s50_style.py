"""Tour section: style transfer by optimization (with and without colour preservation) and feed-forward."""
import time

import numpy as np

__all__ = ["TITLE", "run"]

TITLE = "Style transfer: Gatys optimization and a feed-forward network"

_PAIRS = (("chelsea", "ihc"), ("astronaut", "flower"))
_SIZE = 128
_STEPS = 30
_POLISH = 30  # Adam polish steps after L-BFGS (the binary's default is 100)


def run(outdir, *, seed, quiet):
    """Two content/style pairs with and without colour preservation, and a tiny feed-forward network.

    Args:
        outdir: directory for the PNGs.
        seed: seed of the network and crops.
        quiet: no progress bars.

    Returns:
        {"text", "images", "numbers"} (see :mod:`tfopt.tour`).
    """
    from tfopt.images import load_image, save_image, side_by_side
    from tfopt.style import colour
    from tfopt.style.fast import TrainConfig, stylize_fast, train_stylenet
    from tfopt.style.gatys import StyleConfig, load_vgg19, stylize

    vgg, described = load_vgg19("imagenet", seed=seed)
    images, numbers, opt_seconds, first = [], {}, None, None
    for content_name, style_name in _PAIRS:
        content = load_image(content_name, max_side=_SIZE)
        style = load_image(style_name, max_side=_SIZE)
        row, captions = [content, style], ["content", "style"]
        for keep in (False, True):
            start = time.perf_counter()
            res = stylize(content, [style], model=vgg, config=StyleConfig(
                size=_SIZE, steps=_STEPS, polish_steps=_POLISH, preserve_colour=keep, seed=seed, progress=not quiet))
            wall = time.perf_counter() - start
            tag = f"{content_name}_{style_name}{'_colour' if keep else ''}"
            numbers[f"{tag}: loss fall (x)"] = round(res.initial["total"] / res.final["total"], 2)
            numbers[f"{tag}: chroma diff to content"] = round(colour.chroma_difference(res.image, content), 4)
            row.append(res.image)
            captions.append(f"colour kept, {wall:.0f} s" if keep else f"optimized, {wall:.0f} s")
            if first is None:
                first, opt_seconds = res.image, wall
        save_image(outdir / f"{content_name}_{style_name}.png", side_by_side(row, captions, height=_SIZE))
        images.append((f"{content_name}_{style_name}.png",
                       f"{content_name} in the style of {style_name}: without and with colour preservation"))

    content = load_image(_PAIRS[0][0], max_side=_SIZE)
    cfg = TrainConfig(steps=80, batch_size=2, crop_size=64, style_size=_SIZE, filters=(8, 16, 32),
                      residual_blocks=2, learning_rate=5e-3, seed=seed, progress=not quiet)
    trained = train_stylenet([load_image(_PAIRS[0][1])], model=vgg, config=cfg)
    fast, fast_seconds = stylize_fast(trained.net, content, repeats=5)
    save_image(outdir / "feedforward.png", side_by_side(
        [content, first, fast],
        ["content", f"optimized {opt_seconds:.1f} s", f"feed-forward {fast_seconds * 1000:.1f} ms"],
        height=_SIZE))
    images.append(("feedforward.png", f"optimized ({_STEPS} L-BFGS + {_POLISH} Adam steps) vs a feed-forward "
                                      f"network trained for {cfg.steps} steps ({trained.seconds:.0f} s): one pass"))
    numbers.update({"optimization seconds": round(opt_seconds, 2), "feed-forward seconds": round(fast_seconds, 4),
                    "speed-up (x)": round(opt_seconds / fast_seconds, 1),
                    "network training seconds": round(trained.seconds, 1)})
    text = (f"Gatys et al.'s style transfer is an optimization on the tfopt engine: L-BFGS on the image's "
            f"per-channel Fourier spectrum (a preconditioner: a lower loss in fewer steps than on pixels), then "
            f"an Adam polish on the pixels with a cosine-decayed learning rate (where L-BFGS slows down), "
            f"minimizing a content term (relative error of VGG19 block5_conv2 features, or of the deepest layer "
            f"before it that sees a patch of the image rather than past its border), a style term (relative "
            f"error of Gram matrices of block1..5_conv1, each layer weighted by its positions inside the image) "
            f"and total variation, each a mean so the same weights work at any size. Here {_STEPS} L-BFGS and "
            f"{_POLISH} Adam steps at {_SIZE} px. Colour preservation transfers only the luminance (YIQ) and "
            f"keeps the content's chroma. A Johnson-style network (instance norm, residual blocks, "
            f"resize-convolutions) learns the same loss once and then stylizes in one pass; this one is tiny and "
            f"trained for seconds, so it only hints at the style.\n\nVGG19 weights: {described}. "
            + ("Random-weight features still carry texture statistics (He, Wang & Hopcroft, 2016), but results "
               "with ImageNet weights look far better." if described.startswith("random") else
               "HED's VGG16 is an ImageNet VGG16 fine-tuned gently for edges: real features, and the style "
               "layers have the same names."))
    return {"text": text, "images": images, "numbers": {k: (float(v) if isinstance(v, np.floating) else v)
                                                        for k, v in numbers.items()}}
