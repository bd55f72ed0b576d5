"""tests/forked.py gives what a fresh interpreter gives: argv, sys.path, __main__, environment, working directory,
output, exit status, a signal's death, a timeout; and what it answers matches subprocess.run's."""
import json
import os
import subprocess
import sys

import pytest

import forked  # tests/forked.py

_REPORT = """
import json, os, sys
import __main__
print(json.dumps({"argv": sys.argv, "path0": sys.path[0], "cwd": os.getcwd(), "env": os.environ.get("FORKED_TEST"),
                  "main": sorted(k for k in vars(__main__) if not k.startswith("__")),
                  "extra": os.environ["EXTRA_DIR"] in sys.path}))
print("to stderr", file=sys.stderr)
sys.exit(int(sys.argv[-1]))
"""


@pytest.mark.parametrize("as_script", [False, True])
def test_a_child_sees_what_a_fresh_interpreter_sees(tmp_path, monkeypatch, as_script):
    extra = tmp_path / "extra"
    extra.mkdir()
    env = {**os.environ, "FORKED_TEST": "yes", "EXTRA_DIR": str(extra),
           "PYTHONPATH": os.pathsep.join([str(extra), os.environ.get("PYTHONPATH", "")])}
    script = tmp_path / "report.py"
    script.write_text(_REPORT)
    program = [str(script)] if as_script else ["-c", _REPORT]
    monkeypatch.delenv("TFOPT_TEST_FRESH_PROCESSES", raising=False)
    forked_run = forked.run([sys.executable, *program, "a b", "3"], env=env, cwd=tmp_path)
    real = subprocess.run([sys.executable, *program, "a b", "3"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert real.returncode == forked_run.returncode == 3
    assert forked_run.stdout == real.stdout and forked_run.stderr == real.stderr == "to stderr\n"
    seen = json.loads(forked_run.stdout)
    assert seen["argv"] == ([str(script)] if as_script else ["-c"]) + ["a b", "3"]
    assert seen["path0"] == (str(tmp_path) if as_script else "")
    assert seen["cwd"] == str(tmp_path) and seen["env"] == "yes" and seen["extra"]
    assert seen["main"] == ["json", "os", "sys"]  # a bare __main__: nothing of the server's


def test_exit_status_of_an_exception_a_signal_and_exit_with_a_message():
    raised = forked.run([sys.executable, "-c", "raise ValueError('boom')"])
    assert raised.returncode == 1 and raised.stderr.strip().endswith("ValueError: boom")
    killed = forked.run([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    assert killed.returncode == -9
    message = forked.run([sys.executable, "-c", "import sys; print('out'); sys.exit('bad news')"])
    assert (message.returncode, message.stdout, message.stderr) == (1, "out\n", "bad news\n")


def test_atexit_functions_and_threads_finish_before_the_child_ends(tmp_path):
    program = ("import atexit, threading, time\n"
               "atexit.register(print, 'atexit ran')\n"
               "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', flush=True))).start()\n")
    done = forked.run([sys.executable, "-c", program])
    assert done.returncode == 0 and done.stdout == "thread done\natexit ran\n"


def test_a_timeout_kills_the_child_and_the_server_serves_the_next_run():
    with pytest.raises(subprocess.TimeoutExpired):
        forked.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    after = forked.run([sys.executable, "-c", "print('next')"])
    assert after.returncode == 0 and after.stdout == "next\n"


def test_tensorflow_is_loaded_but_its_runtime_is_the_childs_to_configure():
    program = ("import sys, tensorflow as tf\n"
               "assert 'keras' in sys.modules\n"
               "tf.config.set_logical_device_configuration(tf.config.list_physical_devices('CPU')[0],\n"
               "    [tf.config.LogicalDeviceConfiguration()] * 2)\n"
               "print(len(tf.config.list_logical_devices('CPU')))\n")
    done = forked.run([sys.executable, "-c", program])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "2\n"
