"""Library modules stay off the command-line side: importing every one never imports tfopt.cli or touches fd 2.

tfopt.cli (absl flags, run(), the fd-redirecting TensorFlow import) is for bin/ only. In a
fresh interpreter this imports every module of tfopt except tfopt.cli and its submodules,
found on disk (pkgutil.iter_modules, not walk_packages, which would import tfopt.cli to
look inside it), with os.dup2 wrapped to record any redirection of a file descriptor.
"""
import json
import os
import pathlib
import subprocess
import sys
import textwrap

REPO = pathlib.Path(__file__).resolve().parents[2]

_SCRIPT = textwrap.dedent(
    """
    import importlib, json, os, pkgutil, sys

    dup2_calls = []
    _real_dup2 = os.dup2

    def _recording_dup2(fd, fd2, *args, **kwargs):
        dup2_calls.append([fd, fd2])
        return _real_dup2(fd, fd2, *args, **kwargs)

    os.dup2 = _recording_dup2  # before TensorFlow loads: tfopt.cli's quiet import would redirect fd 2 then
    import tfopt


    def library_modules(path, prefix):
        for info in pkgutil.iter_modules(path):
            name = prefix + info.name
            if name == "tfopt.cli":
                continue
            yield name
            if info.ispkg:
                yield from library_modules([os.path.join(path[0], info.name)], name + ".")


    names = sorted(library_modules(list(tfopt.__path__), "tfopt."))
    failed = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as err:  # reported, not raised: one bad module must not hide the others
            failed[name] = f"{type(err).__name__}: {err}"
    print(json.dumps({"modules": names, "failed": failed, "dup2": dup2_calls,
                      "cli": sorted(m for m in sys.modules if m == "tfopt.cli" or m.startswith("tfopt.cli."))}))
    """
)


def test_library_modules_never_import_the_command_line_side():
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TFOPT_VERBOSE_TF", None)
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, timeout=300,
                          check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    modules = set(got["modules"])
    # The walk reaches nested packages and leaves the command-line side out.
    assert {"tfopt.core.files", "tfopt.layers.conv", "tfopt.nets.stylenet", "tfopt.optim.engine",
            "tfopt.style.gatys", "tfopt.export.tflite", "tfopt.gan.trainer", "tfopt.tour.runner"} <= modules
    assert not any(m == "tfopt.cli" or m.startswith("tfopt.cli.") for m in modules)
    assert got["failed"] == {}
    assert got["cli"] == [], f"imported by a library module: {got['cli']}"
    assert got["dup2"] == [], f"a library import redirected a file descriptor: {got['dup2']}"
