"""Style transfer benchmark: the TF tutorial's recipe against tfopt's default, and the issue's numbers.

    python bench/bench_style.py --output=runs/bench_style                      # everything
    python bench/bench_style.py --output=runs/b --parts=tutorial --tutorial_steps=200

Parts (--parts, comma separated):
  tutorial  The TensorFlow "Neural style transfer" tutorial's recipe (Adam lr 0.02, beta1 0.99,
            eps 0.1, --tutorial_steps steps (the tutorial: 1000), style 1e-2 / content 1e4 with its
            own normalization: Gram / (H*W), sums of layer means, TV weight 30 on
            tf.image.total_variation) and tfopt's default (L-BFGS, relative terms), same VGG19
            weights and images at --size px. Both final images are scored by one common loss
            (tfopt's default loss) and by the tutorial's own loss; then the default is run again
            with a stop rule at the tutorial's final common score to time how long it takes to
            get there. Per-step time against a bare VGG19 forward+backward pass.
  balance   style/content ratio of the default weights at 128 and 512 px (--balance_steps).
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
flags.DEFINE_list("parts", ["tutorial", "balance", "colour", "fast"], "Parts to run.")
flags.DEFINE_string("content", "chelsea", "Content image.")
flags.DEFINE_string("style", "ihc", "Style image.")
flags.DEFINE_integer("size", 256, "Longer side of the images.")
flags.DEFINE_integer("steps", 100, "Default recipe: L-BFGS iterations.")
flags.DEFINE_integer("tutorial_steps", 1000, "Tutorial recipe: Adam steps (the tutorial runs 1000).")
flags.DEFINE_integer("balance_steps", 30, "Steps per scale of the balance runs.")
flags.DEFINE_integer("fast_steps", 100, "Training steps of the feed-forward network.")
flags.DEFINE_string("weights", "imagenet", "VGG19 weights (random fallback offline).")
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


def run_tutorial(fm, content, style, layers, steps):
    """The tutorial's optimization loop, as it is written there (tf.function train_step, clip after each step)."""
    import keras
    import tensorflow as tf

    loss_fn = tutorial_loss_fn(fm, content, style, layers)
    image = tf.Variable(content[None])
    opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            total = loss_fn(image)[0]
        opt.apply_gradients([(tape.gradient(total, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return total

    train_step()  # trace outside the timing, then start again from the content image
    image.assign(content[None])
    for v in opt.variables:  # Adam's moments and step count; not its learning rate
        if "learning_rate" not in v.path:
            v.assign(tf.zeros_like(v))
    start = time.perf_counter()
    for _ in range(steps):
        train_step()
    seconds = time.perf_counter() - start
    return image.numpy()[0], seconds, loss_fn


def bare_pass_seconds(model, fm, shape, repeats=5):
    """Seconds of one forward+backward pass on an image of ``shape`` [H, W, 3]: the full VGG19 conv
    base, and only the layers the loss reads."""
    import numpy as np
    import tensorflow as tf

    x = tf.constant(np.random.RandomState(0).rand(1, *shape).astype("float32"))
    out = {}
    for name, fn in (("full_vgg19", lambda t: {"out": model(t)}), ("loss_layers", fm)):
        @tf.function
        def fb(t, fn=fn):
            with tf.GradientTape() as tape:
                tape.watch(t)
                s = tf.add_n([tf.reduce_sum(v) for v in fn(t).values()])
            return tape.gradient(s, t)
        fb(x)
        start = time.perf_counter()
        for _ in range(repeats):
            fb(x).numpy()
        out[name] = (time.perf_counter() - start) / repeats
    return out


def part_tutorial(model, described, content, style, outdir):
    import numpy as np
    import tensorflow as tf

    from tfopt.images import save_image, side_by_side
    from tfopt.models.features import FeatureModel
    from tfopt.optim import optimize
    from tfopt.style.gatys import StyleConfig, score, stylize
    from tfopt.style.losses import DEFAULT_LAYERS, perceptual_objective, perceptual_targets

    layers = DEFAULT_LAYERS
    fm = FeatureModel(model, layers.all())
    tut_img, tut_seconds, tut_loss = run_tutorial(fm, content, style, layers, FLAGS.tutorial_steps)
    res = stylize(content, [style], model=model, config=StyleConfig(size=FLAGS.size, steps=FLAGS.steps, progress=False))
    one = stylize(content, [style], model=model, config=StyleConfig(size=FLAGS.size, steps=1, progress=False))
    marginal_step = (res.seconds - one.seconds) / max(1, res.steps - one.steps)
    marginal_eval = (res.seconds - one.seconds) / max(1, res.evaluations - one.evaluations)
    common = {"tutorial": score(tut_img, content, [style], model=model, feature_model=fm),
              "default": score(res.image, content, [style], model=model, feature_model=fm)}
    own = {k: float(tut_loss(tf.constant(np.asarray(v)[None]))[0])
           for k, v in (("tutorial", tut_img), ("default", res.image))}
    # Time for the default recipe to reach the tutorial's final common score.
    target = common["tutorial"]["total"]
    total, _ = perceptual_objective(perceptual_targets(fm, content, [style], layers=layers))
    reach = optimize(total, fm, np.asarray(content)[None], steps=FLAGS.steps, optimizer="lbfgs", learning_rate=0.1,
                     maximize=False, stop=lambda c, v: v <= target, stop_layers=(), progress=False)
    bare = bare_pass_seconds(model, fm, content.shape)
    save_image(outdir / "comparison.png", side_by_side(
        [content, style, tut_img, res.image], ["content", "style", f"tutorial {FLAGS.tutorial_steps} steps",
                                               f"default {FLAGS.steps} L-BFGS"], height=256))
    return {
        "tutorial_steps": FLAGS.tutorial_steps, "tutorial_seconds": tut_seconds,
        "tutorial_seconds_per_step": tut_seconds / FLAGS.tutorial_steps,
        "default_steps": res.steps, "default_evaluations": res.evaluations, "default_seconds": res.seconds,
        "default_seconds_per_step": res.seconds / max(1, res.steps),
        "default_seconds_per_evaluation": res.seconds / max(1, res.evaluations),
        "common_loss": common, "tutorial_own_loss": own,
        "default_reached_tutorial_score": bool(reach.stopped[0]),
        "default_seconds_to_tutorial_score": reach.seconds if reach.stopped[0] else None,
        "default_steps_to_tutorial_score": int(reach.steps[0]) if reach.stopped[0] else None,
        "time_fraction_of_tutorial": reach.seconds / tut_seconds if reach.stopped[0] else None,
        "bare_forward_backward_seconds": bare,
        "default_one_step_run_seconds (trace + 1 step)": one.seconds,
        "default_marginal_seconds_per_step": marginal_step,
        "default_marginal_seconds_per_evaluation": marginal_eval,
        "default_step_over_bare_loss_layers": marginal_step / bare["loss_layers"],
        "default_evaluation_over_bare_loss_layers": marginal_eval / bare["loss_layers"],
        "tutorial_step_over_bare_loss_layers": tut_seconds / FLAGS.tutorial_steps / bare["loss_layers"],
    }


def part_balance(model, content_name, style_name):
    from tfopt.images import load_image
    from tfopt.style.gatys import StyleConfig, stylize

    out = {}
    for size in (128, 512):
        res = stylize(load_image(content_name), [load_image(style_name)], model=model,
                      config=StyleConfig(size=size, steps=FLAGS.balance_steps, progress=False))
        s = res.summary()
        out[str(size)] = {"style_content_ratio": s["style_content_ratio"], "final_loss": s["final_loss"],
                          "loss_fall": s["loss_fall"], "sizes": s["sizes"], "seconds": s["seconds"]}
    out["ratio_of_ratios_512_over_128"] = out["512"]["style_content_ratio"] / out["128"]["style_content_ratio"]
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
    from tfopt.style.gatys import load_vgg19

    outdir = pathlib.Path(FLAGS.output)
    outdir.mkdir(parents=True, exist_ok=True)
    model, described = load_vgg19(FLAGS.weights)
    content = np.asarray(load_image(FLAGS.content, max_side=FLAGS.size))
    style = np.asarray(load_image(FLAGS.style, max_side=FLAGS.size))
    summary = {"vgg19_weights": described, "content": FLAGS.content, "style": FLAGS.style, "size": FLAGS.size}
    path = outdir / "summary.json"
    if path.exists():
        summary.update(json.loads(path.read_text()))
    for part in FLAGS.parts:
        start = time.perf_counter()
        if part == "tutorial":
            summary[part] = part_tutorial(model, described, content, style, outdir)
        elif part == "balance":
            summary[part] = part_balance(model, FLAGS.content, FLAGS.style)
        elif part == "colour":
            summary[part] = part_colour(model, np.asarray(load_image(FLAGS.content, max_side=128)),
                                        np.asarray(load_image(FLAGS.style, max_side=128)))
        elif part == "fast":
            summary[part] = part_fast(model, content, style, summary)
        else:
            raise app.UsageError(f"expected parts among tutorial, balance, colour, fast; received: {part!r}")
        summary[part]["part_seconds"] = time.perf_counter() - start
        from tfopt.report import write_json
        write_json(path, summary)
        print(json.dumps({part: summary[part]}, indent=1, default=str), flush=True)


if __name__ == "__main__":
    app.run(main)
