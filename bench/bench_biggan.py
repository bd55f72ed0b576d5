"""BigGAN on the digits: the projection discriminator against the one-hot-planes baseline, and the exported model.

Part ``ablation``: two BigGANs with the same generator, data, budget and seed; one
discriminator reads the class through the projection head ``psi(h) + <embed(y), h>``
(Miyato & Koyama 2018), the other as one-hot planes concatenated to the image. They
train in alternating chunks, so a machine shared with other work slows both alike;
the step-time ratio is measured over the same periods. Both are scored by the digits
classifier: class accuracy, FID, intra-class FID, precision and recall (1,000 samples,
100 per class, against the 450 test digits).

Part ``exported``: a trained BigGAN run (``--run``, e.g. from ``bin/train_gan.py
--model=biggan``) is exported as a SavedModel, loaded back in this process through
TensorFlow's loader (not Keras), and asked for 100 samples of each class through its
``truncated`` signature; the digits classifier re-predicts them. That is the class
accuracy a server of the model would deliver.

Run (not part of the test suite):
    python bench/bench_biggan.py --parts=ablation --steps=1500
    python bench/bench_biggan.py --parts=exported --run=runs/biggan
"""
import argparse
import json
import pathlib
import tempfile

import numpy as np

from interleave import fit_in_turns
from tfopt.gan import inputs
from tfopt.gan.config import GANConfig
from tfopt.gan.evaluation import evaluate
from tfopt.gan.trainer import build_gan, make_dataset


def ablation(steps, chunk, seed, samples):
    runs = {}
    for name, projection in (("projection", True), ("one_hot_planes", False)):
        config = GANConfig.from_flat(model="biggan", steps=steps, seed=seed, projection=projection).resolved(
            channels=1)
        ds, info = make_dataset(config)
        runs[name] = (config, build_gan(config, num_classes=info.num_classes), ds)
    per_step = fit_in_turns({name: (gan, ds) for name, (_, gan, ds) in runs.items()}, steps=steps, chunk=chunk)
    out = {"steps": steps, "seconds_per_step": per_step,
           "step_time_ratio_projection_over_planes": per_step["projection"] / per_step["one_hot_planes"]}
    for name, (config, gan, _) in runs.items():
        reference = inputs.reference_examples(config.data, conditional=True)
        scores = evaluate(gan.sampler, reference, num_samples=samples, seed=7)
        out[name] = {k: scores[k] for k in ("class_accuracy", "fid", "intra_class_fid", "precision", "recall")}
    return out


def exported(run, samples_per_class, truncation):
    import tensorflow as tf

    from tfopt import export
    from tfopt.gan import load_generator
    from tfopt.gan.metrics import digits_feature_network

    generator, config = load_generator(run)
    with tempfile.TemporaryDirectory() as tmp:
        version = pathlib.Path(tmp) / "1"
        export.export_model(generator, version, formats=["saved_model"], num_samples=4, timing_runs=1,
                            warmup=False, quiet=True)
        served = tf.saved_model.load(str(version)).signatures["truncated"]
        labels = np.repeat(np.arange(10, dtype=np.int32), samples_per_class)
        z = np.random.default_rng(0).standard_normal((len(labels), config["latent_dim"])).astype(np.float32)
        images = np.concatenate([
            served(z=tf.constant(z[i : i + 250]), labels=tf.constant(labels[i : i + 250]),
                   truncation=tf.fill([len(labels[i : i + 250])], float(truncation)))["images"].numpy()
            for i in range(0, len(labels), 250)])
    _, probs = digits_feature_network()(images)
    return {"truncation": truncation, "samples": len(labels),
            "class_accuracy_through_saved_model": float(np.mean(probs.argmax(axis=1) == labels))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="ablation", help="comma-separated: ablation, exported")
    parser.add_argument("--steps", type=int, default=GANConfig.from_flat(model="biggan").resolved().train.steps)
    parser.add_argument("--chunk", type=int, default=250, help="steps per alternating chunk")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--run", default=None, help="a BigGAN run directory, for the exported part")
    parser.add_argument("--truncation", type=float, default=1.0)
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    out = {}
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if "ablation" in parts:
        out["ablation"] = ablation(args.steps, args.chunk, args.seed, args.samples)
    if "exported" in parts:
        if not args.run:
            parser.error("--parts=exported needs --run=DIR (a bin/train_gan.py --model=biggan run)")
        out["exported"] = exported(args.run, args.samples // 10, args.truncation)
    print(json.dumps(out, indent=1))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
