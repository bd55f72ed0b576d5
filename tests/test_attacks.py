"""Attacks on the session's digits classifier (trained once per test run)."""
import json

import keras
import numpy as np
import pytest

from tfopt import attacks
from tfopt.attacks import run as attack_run
from tfopt.core.errors import InputError

N = 24


@pytest.fixture(scope="module")
def model(digits_model):
    """The session's digits CNN (tests/conftest.py), trained once per test run."""
    return digits_model


@pytest.fixture(scope="module")
def data(digits_batch):
    x, y = digits_batch
    return x[:N].copy(), y[:N].copy()


def _judge(model, x, res):
    return attacks.measure(model, x, res.x_adv, res.y_true, res.y_target)


def test_untargeted_linf_pgd_fools_the_model_inside_the_ball(model, data):
    x, y = data
    res = attacks.pgd(model, x, y, eps=0.3, steps=10, step_size=0.05, progress=False)
    numbers, arrays = _judge(model, x, res)
    assert numbers["clean_accuracy"] >= 0.85
    assert numbers["adv_accuracy"] <= 0.05 and numbers["success_rate"] >= 0.95
    assert numbers["linf_max"] <= 0.3 + 1e-6 and numbers["linf_mean"] > 0.25
    assert res.x_adv.min() >= 0.0 and res.x_adv.max() <= 1.0
    np.testing.assert_array_equal(res.y_target, -1)
    # The attack's own verdict is what re-prediction says.
    np.testing.assert_array_equal(res.success, arrays["success"])


def test_targeted_pgd_reaches_the_target_and_untargeted_does_not_aim(model, data):
    x, y = data
    keep = y != 3
    x, y = x[keep], y[keep]
    targeted = attacks.pgd(model, x, y, target=3, eps=0.2, steps=10, step_size=0.05, progress=False)
    _, t_arrays = _judge(model, x, targeted)
    np.testing.assert_array_equal(targeted.y_target, 3)
    assert np.mean(t_arrays["pred_adv"] == 3) >= 0.9
    untargeted = attacks.pgd(model, x, y, eps=0.2, steps=10, step_size=0.05, progress=False)
    _, u_arrays = _judge(model, x, untargeted)
    assert np.mean(u_arrays["pred_adv"] != y) >= 0.9
    assert np.mean(u_arrays["pred_adv"] == 3) < 0.5  # fooled, but not all into one class


def test_l2_pgd_stays_in_the_l2_ball(model, data):
    x, y = data
    res = attacks.pgd(model, x, y, norm="l2", eps=1.5, steps=8, step_size=0.4, progress=False)
    numbers, _ = _judge(model, x, res)
    l2 = np.linalg.norm((res.x_adv - x).reshape(len(x), -1), axis=1)
    assert l2.max() <= 1.5 + 1e-4 and l2.mean() > 1.0
    assert numbers["success_rate"] > 0.3


def test_fgsm_is_one_sign_step_of_size_eps_and_weaker_than_pgd(model, data):
    x, y = data
    eps = 0.1
    one = attacks.fgsm(model, x, y, eps=eps)
    d = one.x_adv - x
    assert np.all(one.steps <= 1)
    moved = np.abs(d) > 1e-6
    unclipped = moved & (one.x_adv > 1e-6) & (one.x_adv < 1 - 1e-6)
    np.testing.assert_allclose(np.abs(d[unclipped]), eps, atol=1e-5)
    many = attacks.pgd(model, x, y, eps=eps, steps=10, step_size=0.02, progress=False)
    assert _judge(model, x, many)[0]["success_rate"] >= _judge(model, x, one)[0]["success_rate"]
    assert many.margin.mean() > one.margin.mean()


def test_restarts_are_in_the_batch_and_keep_the_worst_case(model, data):
    x, y = data[0][:8], data[1][:8]
    res = attacks.pgd(model, x, y, eps=0.08, steps=3, step_size=0.03, restarts=3, progress=False)
    assert res.restart_margins.shape == (3, 8)
    np.testing.assert_allclose(res.margin, res.restart_margins.max(0), rtol=1e-5, atol=1e-5)
    logits, _ = attacks.predict(model, res.x_adv)
    np.testing.assert_allclose(attacks.success_margin(logits, y, res.y_target).numpy(), res.margin, atol=1e-3)


def test_early_stop_freezes_samples_that_already_succeed(model, data):
    x, y = data
    full = attacks.bim(model, x, y, eps=0.3, steps=20, step_size=0.02, progress=False)
    early = attacks.bim(model, x, y, eps=0.3, steps=20, step_size=0.02, early_stop=True, progress=False)
    assert _judge(model, x, early)[0]["success_rate"] >= 0.95
    assert early.steps.mean() < 20 and np.all(full.steps == 20)
    assert np.all(early.margin[early.success] < full.margin[early.success])
    l2 = lambda r: np.linalg.norm((r.x_adv - x).reshape(len(x), -1), axis=1).mean()  # noqa: E731
    assert l2(early) < l2(full)


def test_mim_succeeds(model, data):
    x, y = data
    res = attacks.mim(model, x, y, eps=0.2, steps=8, step_size=0.04, progress=False)
    numbers, _ = _judge(model, x, res)
    assert numbers["success_rate"] >= 0.9 and numbers["linf_max"] <= 0.2 + 1e-6


def test_cw_l2_succeeds_with_less_l2_than_pgd(model, data):
    x, y = data[0][:6], data[1][:6]
    cw = attacks.cw_l2(model, x, y, steps=25, search_steps=2, progress=False)
    cw_numbers, _ = _judge(model, x, cw)
    pgd = attacks.pgd(model, x, y, norm="l2", eps=3.0, steps=10, step_size=0.5, early_stop=True, progress=False)
    pgd_numbers, _ = _judge(model, x, pgd)
    assert cw_numbers["success_rate"] == 1.0 and pgd_numbers["success_rate"] == 1.0
    assert cw_numbers["l2_mean"] < pgd_numbers["l2_mean"]
    assert cw.params["const"].shape == (6,)


def test_gradients_come_from_logits_even_when_the_softmax_saturates(model, data):
    """Scaled logits (as in defensive distillation) make probs one-hot to float32 precision; logits still work."""
    x, y = data
    hot = keras.models.clone_model(model)
    hot.set_weights(model.get_weights())
    w, b = hot.get_layer("logits").get_weights()
    hot.get_layer("logits").set_weights([w * 200, b * 200])
    _, probs = attacks.predict(hot, x)
    # Saturated: the top probability is 1 to within float32 rounding (exactly 1.0 on some CPUs,
    # 1 - 6e-8 on others), so the softmax's gradient p(1 - p) is at most ~1e-7.
    top = probs.max(-1)
    assert np.mean(top * (1.0 - top) < 1e-6) > 0.8
    res = attacks.pgd(hot, x, y, eps=0.3, steps=10, step_size=0.05, loss="margin", progress=False)
    assert _judge(hot, x, res)[0]["success_rate"] >= 0.9


def test_targets_by_index_name_and_list(model):
    np.testing.assert_array_equal(attacks.resolve_target(model, None, 3), [-1, -1, -1])
    np.testing.assert_array_equal(attacks.resolve_target(model, "7", 2), [7, 7])
    np.testing.assert_array_equal(attacks.resolve_target(model, [1, "2"], 2), [1, 2])
    with pytest.raises(InputError, match="target"):
        attacks.resolve_target(model, 12, 2)
    with pytest.raises(InputError, match="ostrich"):
        attacks.resolve_target(model, "ostrich", 2)
    inp = keras.Input((4, 4, 3))
    imagenet_like = keras.Model(inp, keras.layers.Softmax(name="probs")(keras.layers.Dense(1000)(
        keras.layers.Flatten()(inp))))
    np.testing.assert_array_equal(attacks.resolve_target(imagenet_like, "ostrich", 2), [9, 9])


@pytest.mark.parametrize("kwargs,match", [(dict(eps=-0.1), "eps"), (dict(norm="l1"), "norm"),
                                          (dict(steps=0), "steps"), (dict(step_size=0), "step_size")])
def test_bad_arguments_raise_input_error(model, data, kwargs, match):
    with pytest.raises(InputError, match=match):
        attacks.pgd(model, data[0][:2], data[1][:2], progress=False, **kwargs)


@pytest.mark.parametrize("method", ["fgsm", "bim", "mim"])
def test_attack_dispatches_by_name(model, data, method):
    x, y = data[0][:4], data[1][:4]
    res = attacks.attack(model, x, y, method=method, eps=0.3, steps=2, step_size=0.1, progress=False)
    assert res.method == method and res.x_adv.shape == x.shape
    assert np.abs(res.x_adv - x).max() <= 0.3 + 1e-6 and np.abs(res.x_adv - x).max() > 0.05
    with pytest.raises(InputError, match="method"):
        attacks.attack(model, x, y, method="deepfool")


def test_summary_comes_from_repredicting_the_saved_file_not_from_the_attack(model, tmp_path, monkeypatch):
    """An attack that claims success but returns the clean images must be reported as failing."""
    path = tmp_path / "m.keras"
    model.save(path)

    def lying_attack(model_, x, y, **kw):
        y_true = attacks.resolve_labels(model_, x, y)
        return attacks.AttackResult(x_adv=x.copy(), success=np.ones(len(x), bool), margin=np.ones(len(x)),
                                    steps=np.ones(len(x)), y_true=y_true, y_target=np.full(len(x), -1),
                                    seconds=0.1, evaluations=1, method="pgd")
    monkeypatch.setattr(attack_run, "attack", lying_attack)
    out = tmp_path / "out"
    out.mkdir()
    summary = attack_run.run_attack(attack_run.AttackConfig(model=str(path), num_images=10, quiet=True), out)
    assert summary["attack_claimed_success_rate"] == 1.0
    assert summary["success_rate"] == 1.0 - summary["clean_accuracy"]
    assert summary["adv_accuracy"] == summary["clean_accuracy"] > 0.5
    assert summary["claim_agrees_with_reprediction"] < 0.5
    assert json.loads((out / "summary.json").read_text())["success_rate"] == summary["success_rate"]
    with np.load(out / "adversarial.npz") as f:
        assert set(f.files) >= {"x", "x_adv", "y_true", "y_target", "pred_adv"}
        np.testing.assert_array_equal(f["pred_adv"], f["pred_clean"])


def test_without_a_model_photos_go_to_the_offline_imagenet_classifier():
    resolve = attack_run.resolve_model
    assert resolve(attack_run.AttackConfig()).model == "digits_cnn"
    assert resolve(attack_run.AttackConfig(images=("chelsea",))).model == "efficientnet_lite0"
    assert resolve(attack_run.AttackConfig(model="vgg16", images=("chelsea",))).model == "vgg16"


@pytest.mark.parametrize("eps", [4 / 255, 0.0157, 0.01])
def test_saved_pngs_stay_inside_the_linf_ball(eps, tmp_path):
    """Rounding the ball's corners to 8 bits can overshoot eps (0.01 is 2.55 levels); the projection never does."""
    from tfopt.attacks.output import grid_levels, load_pngs, project_to_grid, save_pngs
    from tfopt.images import round_to_8bit as to_grid

    def levels(a):  # largest change from x in 8-bit levels (exact, unlike float32 differences)
        return int(np.abs(np.round(a * 255) - np.round(x * 255)).max())

    rng = np.random.default_rng(0)
    x = to_grid(rng.random((3, 9, 7, 3)))
    corners = np.clip(x + eps * rng.choice([-1.0, 1.0], x.shape), 0, 1).astype(np.float32)
    assert (levels(to_grid(corners)) > eps * 255) == (eps == 0.01)
    q = project_to_grid(x, corners, norm="linf", eps=eps)
    back = load_pngs(save_pngs(tmp_path, q, ["a.png", "b", "c"]))
    np.testing.assert_array_equal(back, q)
    assert levels(back) == grid_levels(eps) <= eps * 255 + 1e-9
    np.testing.assert_allclose(back * 255, np.round(back * 255), atol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["000_a.png", "001_b.png", "002_c.png"]


def test_saved_pngs_stay_inside_the_l2_ball():
    from tfopt.attacks.output import project_to_grid
    from tfopt.images import round_to_8bit as to_grid

    rng = np.random.default_rng(1)
    x = to_grid(rng.random((4, 8, 8, 1)))
    d = rng.standard_normal(x.shape)
    d *= 0.05 / np.linalg.norm(d.reshape(4, -1), axis=1)[:, None, None, None]
    q = project_to_grid(x, np.clip(x + d, 0, 1), norm="l2", eps=0.05)
    assert np.linalg.norm((q - x).reshape(4, -1), axis=1).max() <= 0.05
    np.testing.assert_allclose(q * 255, np.round(q * 255), atol=1e-4)
