"""One device and two CPU replicas take the same GAN-INT-CLS step (matching-aware D + INT), in a fresh process."""
import textwrap

import pytest

_PROGRAM = textwrap.dedent("""
    import json
    import numpy as np
    from tfopt import distribute
    distribute.use_logical_cpus(2)
    from tfopt.text2image import models

    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (32, 16, 16, 3)).astype("float32")
    embeddings = rng.standard_normal((32, 2, 6)).astype("float32")

    def run(strategy):
        with strategy.scope():
            gan = models.build_gan("gan_int_cls", image_size=16, embedding_dim=6, latent_dim=4, filters=4,
                                   projection_dim=4, learning_rate=1e-2, seed=3, damsm_weight=0.0)
        start = [v.numpy().copy() for v in gan.generator.weights + gan.discriminator.weights]
        logs = gan.fit(models.dataset(images, embeddings, batch_size=8, seed=0), steps_per_epoch=1, epochs=1,
                       verbose=0, shuffle=False).history
        end = [v.numpy() for v in gan.generator.weights + gan.discriminator.weights]
        moved = max(float(np.abs(a - b).max()) for a, b in zip(start, end))
        return end, {k: float(np.ravel(v[-1])[0]) for k, v in logs.items()}, moved

    w1, logs1, moved = run(distribute.get_strategy("default"))
    w2, logs2, _ = run(distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"]))
    diff = max(float(np.abs(a - b).max()) for a, b in zip(w1, w2))
    print("RESULT " + json.dumps({"diff": diff, "moved": moved, "logs": [logs1, logs2]}))
""")


@pytest.mark.xfail(reason="open: after one step the weights differ by 0.02 (2 x lr, Adam's first step) and even "
                          "d_real_part differs, so the two runs do not see the same batch or weights; one device is "
                          "deterministic run to run. Suspect the zipped, shuffled stream of models.dataset under "
                          "MirroredStrategy's distribution; not found in the time given", strict=True)
def test_one_step_is_the_same_on_one_device_and_two_replicas(run_program):
    out = run_program(_PROGRAM)
    assert out["moved"] > 1e-3 and out["diff"] < 1e-4, out
    one, two = out["logs"]
    assert {"d_mismatch", "g_interpolation"} <= one.keys() and one.keys() == two.keys()
    for name in one:
        assert two[name] == pytest.approx(one[name], rel=1e-4, abs=1e-5), name
