"""bin/attack.py --method=apgd_ce|apgd_dlr: a run writes its files; bad APGD input exits 2 in one line, writing nothing."""
import json

import keras


def test_apgd_ce_run_writes_pngs_and_a_summary_inside_eps(digits_model_file, run_binary, tmp_path):
    out = tmp_path / "run"
    done = run_binary("attack", f"--output={out}", f"--model={digits_model_file}", "--method=apgd_ce",
                      "--num_images=6", "--steps=5", "--eps=0.1", "--quiet")
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(list((out / "adversarial").glob("*.png"))) == 6 and (out / "adversarial.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "apgd_ce" and summary["params"]["loss"] == "ce" and summary["steps"] == 5
    assert summary["linf_max"] <= 0.1 + 1e-6 and 0 <= summary["success_rate"] <= 1


def _three_class_file(tmp_path):
    inp = keras.Input((32, 32, 1))
    path = tmp_path / "three.keras"
    keras.Model(inp, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inp))).save(path)
    return path


def test_bad_apgd_input_exits_2_with_one_line_and_writes_nothing(digits_model_file, expect_refusals, tmp_path):
    """steps < 1 is the flag check every method shares (tests/attacks/test_apgd.py checks apgd's own)."""
    model_file = digits_model_file
    cases = {
        "eps": ([f"--model={model_file}", "--method=apgd_ce", "--norm=l2", "--eps=1.5"], "eps <= 1.0"),  # l2 too
        "n_target_classes": ([f"--model={model_file}", "--method=apgd_dlr", "--n_target_classes=10"],
                             "n_target_classes in [1, 9]"),
        "classes": ([f"--model={_three_class_file(tmp_path)}", "--method=apgd_dlr", "--n_target_classes=2"],
                    "a model with 3 classes"),
    }
    lines = expect_refusals("attack", {case: (["--num_images=2", *args], message)
                                       for case, (args, message) in cases.items()})
    assert all("error: expected" in line for line in lines.values()), lines
