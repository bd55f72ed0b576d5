"""tf.distribute: one device and two replicas take the same step (unconditional and class-conditional);
two workers end equal.

Logical CPU devices must be configured before TensorFlow initializes, and
MultiWorkerMirroredStrategy needs TF_CONFIG at start-up, so both run in subprocesses.
"""
import json
import pathlib
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tfopt import distribute
from tfopt.core.errors import InputError

import binaries  # tests/binaries.py

ROOT = pathlib.Path(__file__).resolve().parents[1]

_COMMON = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    from tfopt import distribute
    {prelude}
    import keras, tensorflow as tf
    from tfopt import nets
    from tfopt.gan import GAN, group_minibatches
    from tfopt.gan import terms as T

    def run(strategy, k, loss, steps, classes=0, model="dcgan"):
        keras.utils.set_random_seed(0)
        with strategy.scope():
            if model == "biggan":  # spectral norm's u is assigned in replica context, once per step
                # 8 px: one block each, still spectral norm in G and D and conditional batch norm in G.
                common = dict(image_size=8, channels=1, width=4, num_classes=classes)
                g = nets.build("biggan_generator", latent_dim=8, embed_dim=4, **common)
                d = nets.build("biggan_discriminator", **common)
            else:
                common = dict(image_size=16, channels=1, filters=4, num_classes=classes)
                g = nets.build("dcgan_generator", latent_dim=8, **common)
                d = nets.build("dcgan_discriminator", norm="layer" if loss == "wasserstein" else "batch", **common)
            # BigGAN's EMA averages the batch-norm statistics too (assigned in replica context).
            gan = GAN(g, d, k_d_steps=k, ema_decay=0.9, seed=3, augment="translation,cutout" if k == 2 else None,
                      ema_statistics="average" if model == "biggan" else "forward")
            d_terms = [(1.0, T.d_adversarial(loss))]
            if loss == "wasserstein":
                d_terms.append((10.0, T.gradient_penalty()))
            if classes and model == "dcgan":  # a matching-aware term reads D on (real, wrong class) too
                d_terms.append((0.5, T.mismatch(loss)))
            g_terms = [(1.0, T.g_adversarial(loss))] + ([(1e-2, T.orthogonal())] if model == "biggan" else [])
            gan.compile(keras.optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5),
                        loss=loss, d_terms=d_terms, g_terms=g_terms)
        start = [v.numpy().copy() for v in gan.generator.weights + gan.discriminator.weights]
        size = common["image_size"]  # 16 px DCGANs: D has a (batch or layer) norm layer only from 16 px up
        x = np.random.default_rng(0).uniform(-1, 1, (96, size, size, 1)).astype("float32")
        y = np.arange(96, dtype="int32") % 3
        examples = {{"image": x, "condition": y, "wrong_condition": (y + 1) % 3}} if classes else x
        ds = group_minibatches(tf.data.Dataset.from_tensor_slices(examples).repeat(), batch_size=8, k=k)
        logs = gan.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False).history
        end = [v.numpy() for v in gan.generator.weights + gan.discriminator.weights]
        ema = [v.numpy() for v in gan.ema_generator.weights]
        moved = max(float(np.abs(a - b).max()) for a, b in zip(start, end))
        logs = {{k_: float(np.ravel(v[-1])[0]) for k_, v in logs.items()}}
        return end + ema, logs, moved, strategy.num_replicas_in_sync
""")

_MIRRORED = _COMMON.format(prelude="distribute.use_logical_cpus(2)") + textwrap.dedent("""
    out = {}
    mirrored = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])  # one per process
    # k = 2 with DiffAugment is BigGAN's case; batch norm's cross-replica statistics the conditional DCGAN's.
    for k, loss, classes, model in ((1, "wasserstein", 0, "dcgan"), (1, "hinge", 3, "dcgan"),
                                    (2, "hinge", 3, "biggan")):
        w1, logs1, moved, r1 = run(distribute.get_strategy("default"), k, loss, 1, classes, model)
        w2, logs2, _, r2 = run(mirrored, k, loss, 1, classes, model)
        out[model + "_" + loss] = {"diff": max(float(np.abs(a - b).max()) for a, b in zip(w1, w2)), "moved": moved,
                     "replicas": [r1, r2], "logs": [logs1, logs2], "count": len(w1)}
    print("RESULT " + json.dumps(out))
""")

_WORKER = _COMMON.format(prelude="") + textwrap.dedent("""
    strategy = distribute.get_strategy("multi_worker")
    weights, logs, moved, replicas = run(strategy, 1, "non_saturating", 2)
    np.savez(sys.argv[1], *weights)
    print("RESULT " + json.dumps({"replicas": replicas, "chief": distribute.is_chief(strategy), "moved": moved}))
""")


def _result(stdout):
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, stdout[-2000:]
    return json.loads(lines[-1][len("RESULT "):])


def test_one_device_and_two_mirrored_replicas_take_the_same_step():
    done = binaries.run([sys.executable, "-c", _MIRRORED])
    assert done.returncode == 0, done.stderr[-3000:]
    out = _result(done.stdout)
    assert set(out) == {"dcgan_wasserstein", "dcgan_hinge", "biggan_hinge"}
    assert "d_mismatch" in out["dcgan_hinge"]["logs"][0]  # the conditional model's extra term ran
    assert "g_ortho" in out["biggan_hinge"]["logs"][0]
    for loss, res in out.items():
        assert res["replicas"] == [1, 2], loss
        assert res["moved"] > 1e-3, loss  # the step did change the weights
        assert res["diff"] < 1e-4, (loss, res)
        one, two = res["logs"]
        assert one.keys() == two.keys()
        for name in one:
            assert two[name] == pytest.approx(one[name], rel=1e-4, abs=1e-5), (loss, name)


def _free_ports(count):
    socks = [socket.socket() for _ in range(count)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _run_two_workers(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        procs.append(subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(tmp_path / f"w{index}.npz")], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env={**binaries.environment(), "TF_CONFIG": tf_config},
            cwd=ROOT))
    try:
        outs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return procs, outs


def test_two_workers_train_and_end_with_equal_weights(tmp_path):
    # The ports are free when picked, not reserved: another process (the other pytest-xdist worker, say) may
    # take one before the workers bind it. That, and only that, is tried again with new ports.
    for _ in range(3):
        procs, outs = _run_two_workers(tmp_path)
        if not any(p.returncode and "already in use" in stderr.lower() for p, (_, stderr) in zip(procs, outs)):
            break
    for p, (stdout, stderr) in zip(procs, outs):
        assert p.returncode == 0, stderr[-3000:]
    results = [_result(stdout) for stdout, _ in outs]
    assert [r["replicas"] for r in results] == [2, 2]
    assert [r["chief"] for r in results] == [True, False]
    assert results[0]["moved"] > 1e-3
    a, b = np.load(tmp_path / "w0.npz"), np.load(tmp_path / "w1.npz")
    assert len(a.files) == len(b.files) > 10
    for name in a.files:
        np.testing.assert_allclose(a[name], b[name], atol=1e-6)


def test_strategy_names_and_tf_config(monkeypatch, tmp_path):
    with pytest.raises(InputError, match="received: 'tpu'"):
        distribute.get_strategy("tpu")
    with pytest.raises(InputError, match="expected no devices"):
        distribute.get_strategy("default", devices=["/cpu:0"])
    assert distribute.get_strategy("one_device", devices=["/cpu:0"]).num_replicas_in_sync == 1
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.task_info() == ("worker", 0, 1) and distribute.is_chief()
    cluster = {"chief": ["a:1"], "worker": ["b:1", "c:1"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}}))
    assert distribute.task_info() == ("worker", 0, 3)
    assert not distribute.is_chief()  # a cluster with a chief: worker 0 is not it
    assert distribute.worker_dir(tmp_path) == tmp_path / ".worker-worker-0"
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(InputError, match="expected TF_CONFIG"):
        distribute.task_info()
