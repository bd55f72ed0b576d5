"""The wheel-shipped pretrained networks: speed, what they predict on the shipped photos, and the evidence
for EfficientNet-Lite0's padding and input scaling.

* Speed: seconds per forward+backward (the gradient of the input, as every input-optimization
  step needs) of EfficientNet-Lite0 at 224 px and of VGG16's features (HED's weights, through
  block5_conv3) at 256 px, batch 8; the median of ``--repeats`` timed calls after a warm-up.
* Predictions: top-1 class and confidence of EfficientNet-Lite0 on every photo of
  ``tfopt.images.SAMPLE_NAMES`` and on scikit-image's clock (central square crop, 224 px).
* ``--settle``: the four variants (TF-"same" or symmetric padding on the strided
  convolutions) x (``(255x - 127) / 128`` or ImageNet mean/std scaling), judged two ways:
  (1) how far each batch-norm layer's input statistics on the photos (and their mirror
  images) are from the running statistics stored with the weights: the mean over channels
  of |batch mean - running mean| / running std, and of |log(batch var / running var)|;
  the right variant reproduces the statistics the network was trained with. (2) the mean
  log-probability of the photos' known classes over 30 crops each (3 scales x 5
  positions x 2 flips).

    python bench/bench_models.py [--batch=8 --repeats=5 --settle --json=out.json]

Not part of the test run. docs/models.md reports its numbers.
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

KNOWN = {"chelsea": ("Egyptian cat", "tabby", "tiger cat"), "coffee": ("espresso", "cup"),
         "rocket": ("missile", "projectile"), "clock": ("wall clock", "analog clock")}
_STRIDED_BLOCKS = (1, 3, 5, 11)  # the blocks whose depthwise convolution has stride 2
SCALINGS = {"(255x-127)/128": lambda v: (v * 255 - 127) / 128,
            "ImageNet mean/std": lambda v: (v - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]}


def _photos():
    import skimage.data

    from tfopt import images

    photos = {name: images.load_image(name).numpy() for name in images.SAMPLE_NAMES}
    photos["clock"] = np.repeat(skimage.data.clock()[..., None], 3, -1).astype("float32") / 255
    return photos


def _time_grad(model, x, output, repeats):
    import tensorflow as tf

    x = tf.constant(x)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_mean(tf.square(model(x, training=False)) if output == "features" else
                                  tf.reduce_logsumexp(model(x, training=False), -1))
        return tape.gradient(loss, x)

    step(x).numpy()  # trace and warm up
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(x).numpy()
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def timing(args):
    import keras

    from tfopt.models import zoo

    rng = np.random.RandomState(0)
    lite0 = zoo.get_model("efficientnet_lite0")
    logits = keras.Model(lite0.input, lite0.get_layer("logits").output)
    vgg = zoo.get_model("vgg16", weights="hed", include_top=False)
    conv5 = keras.Model(vgg.input, vgg.get_layer("block5_conv3").output)
    out = {
        "efficientnet_lite0_224_fwd_bwd_s": _time_grad(logits, rng.rand(args.batch, 224, 224, 3).astype("float32"),
                                                       "logits", args.repeats),
        "vgg16_256_fwd_bwd_s": _time_grad(conv5, rng.rand(args.batch, 256, 256, 3).astype("float32"),
                                          "features", args.repeats),
        "batch": args.batch,
    }
    print(f"forward+backward, batch {args.batch}: EfficientNet-Lite0 224 px "
          f"{out['efficientnet_lite0_224_fwd_bwd_s']:.3f} s, VGG16 (to block5_conv3) 256 px "
          f"{out['vgg16_256_fwd_bwd_s']:.3f} s")
    return out


def predictions(photos):
    from tfopt.models import zoo
    from tfopt.images import fit_image

    model = zoo.get_model("efficientnet_lite0")
    names = zoo.class_names(model)
    probs = model.predict(np.stack([fit_image(p, 224, 224)[0] for p in photos.values()]), verbose=0)
    out = {}
    for (photo, _), p in zip(photos.items(), probs):
        top = np.argsort(-p)[:3]
        out[photo] = [(names[k], round(float(p[k]), 4)) for k in top]
        print(f"{photo:10s} " + ", ".join(f"{n} {c:.3f}" for n, c in out[photo]))
    return out


def _crops(image, size=224):
    import tensorflow as tf

    h, w = image.shape[:2]
    side, out = min(h, w), []
    for frac in (1.0, 0.875, 0.75):
        c = int(side * frac)
        for y, x in (((h - c) // 2, (w - c) // 2), (0, 0), (h - c, w - c), (0, w - c), (h - c, 0)):
            crop = tf.image.resize(image[y:y + c, x:x + c], (size, size), antialias=True).numpy()
            out += [crop, crop[:, ::-1]]
    return np.clip(np.stack(out), 0, 1)


def _bn_mismatch(model, x):
    import keras

    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    inputs = keras.Model(model.input, [layer.input for layer in bns]).predict(x, verbose=0, batch_size=6)
    rows = []
    for layer, a in zip(bns, inputs):
        _, _, mean, var = layer.get_weights()
        rows.append((np.mean(np.abs(a.mean((0, 1, 2)) - mean) / np.sqrt(var + 1e-3)),
                     np.mean(np.abs(np.log((a.var((0, 1, 2)) + 1e-3) / (var + 1e-3))))))
    return np.asarray(rows), [layer.name for layer in bns]


def settle(photos):
    from tfopt.models.imagenet import imagenet_class_names
    from tfopt.models.pretrained import convert_efficientnet_lite0
    from tfopt.images import fit_image

    names = imagenet_class_names()
    square = np.stack([fit_image(p, 224, 224)[0] for p in photos.values()])
    square = np.concatenate([square, square[:, :, ::-1]]).astype("float32")
    crops = {n: _crops(photos[n]) for n in KNOWN}
    out, stats = {}, {}
    for padding in ("same", "symmetric"):
        model = convert_efficientnet_lite0(padding=padding, preprocess="none")
        for label, scale in SCALINGS.items():
            bn, bn_names = _bn_mismatch(model, scale(square).astype("float32"))
            stats[(padding, label)] = bn
            strided = [bn_names.index(f"block{i}_dwconv_bn") for i in _STRIDED_BLOCKS]
            logp = {}
            for photo, x in crops.items():
                p = model.predict(scale(x).astype("float32"), verbose=0, batch_size=10)
                logp[photo] = float(np.log(p[:, [names.index(c) for c in KNOWN[photo]]].sum(1)).mean())
            key = f"padding={padding}, scaling={label}"
            out[key] = {"stem_bn_mean": float(bn[0, 0]), "stem_bn_logvar": float(bn[0, 1]),
                        "all_bn_mean": float(bn[:, 0].mean()), "all_bn_logvar": float(bn[:, 1].mean()),
                        "strided_dwconv_bn_mean": [round(float(bn[i, 0]), 3) for i in strided],
                        "known_class_logp": logp, "mean_logp": float(np.mean(list(logp.values())))}
            r = out[key]
            print(f"{key:48s} stem BN |dmean| {r['stem_bn_mean']:.3f} |dlogvar| {r['stem_bn_logvar']:.3f}; "
                  f"all 49 BN {r['all_bn_mean']:.3f} {r['all_bn_logvar']:.3f}; after the strided depthwise convs "
                  f"{r['strided_dwconv_bn_mean']}; known-class log p "
                  + " ".join(f"{k} {v:.2f}" for k, v in logp.items()) + f"; mean {r['mean_logp']:.3f}")
    for label in SCALINGS:
        same, sym = stats[("same", label)], stats[("symmetric", label)]
        wins = int(((same[:, 0] < sym[:, 0]) & (same[:, 1] <= sym[:, 1] + 1e-9)).sum())
        out[f"same beats symmetric on BN layers ({label})"] = f"{int((same[:, 0] < sym[:, 0]).sum())}/49 by mean"
        print(f"scaling {label}: 'same' padding is closer to the running mean on "
              f"{int((same[:, 0] < sym[:, 0]).sum())}/49 BN layers, on both mean and variance on {wins}/49")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--settle", action="store_true", help="also run the padding/scaling evidence")
    parser.add_argument("--json", default=None, help="write the numbers here")
    args = parser.parse_args()
    photos = _photos()
    result = {"timing": timing(args), "predictions": predictions(photos)}
    if args.settle:
        result["settle"] = settle(photos)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
