"""Run a Python program as ``subprocess.run`` would, but in a child forked from a server that has already imported
TensorFlow, Keras and the other libraries every binary loads.

Why: the binaries' tests start ~100 Python processes, and importing TensorFlow and Keras is 7 s of each on an idle
2-core machine (10 s while the other test worker runs): about a third of the whole test run. A forked child starts
with those modules loaded, and is otherwise a fresh process: its own pid, argv, environment, working directory,
``sys.path`` and ``__main__``, stdout and stderr in files, its exit status (a negative one when a signal killed it).
TensorFlow's runtime is not initialized in the server (checked at start-up), so each child still chooses its own
threads and logical devices.

What a fork does not give: a fresh hash seed (every child has the server's), and a run of what a binary does before
TensorFlow loads (tests/cli/test_deferred_tensorflow.py starts real interpreters for that). Set
``TFOPT_TEST_FRESH_PROCESSES=1`` to run every program in a real interpreter instead.

``python tests/forked.py`` is the server: one JSON request per line on stdin, answered on stdout with the child's
pid, then its exit status. The client side is ``run``.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PRELOAD = ("numpy", "scipy.ndimage", "tensorflow", "keras", "PIL.Image", "absl.app", "absl.flags", "tqdm",
            "matplotlib.figure", "sklearn", "skimage")

_server = None


def _fresh():
    return os.environ.get("TFOPT_TEST_FRESH_PROCESSES", "") not in ("", "0")


def run(args, *, env=None, cwd=None, timeout=None, capture_output=True, text=True):
    """``subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)`` for
    ``args = [sys.executable, script_or_-c, ...]``, run in a forked child (see the module's text)."""
    if not (capture_output and text):
        raise ValueError("forked.run captures text output only")
    args = [str(a) for a in args]
    if _fresh() or args[0] != sys.executable or len(args) < 2:
        return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    server = _server_process()
    with tempfile.TemporaryDirectory(prefix="forked-") as tmp:
        out, err = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        request = {"argv": args[1:], "env": dict(os.environ if env is None else env),
                   "cwd": os.path.abspath(cwd or os.getcwd()), "stdout": out, "stderr": err}
        server.stdin.write((json.dumps(request) + "\n").encode())
        server.stdin.flush()
        pid = _answer(server, None)["pid"]
        try:
            returncode = _answer(server, timeout)["returncode"]
        except subprocess.TimeoutExpired:
            os.kill(pid, 9)
            _answer(server, None)
            raise subprocess.TimeoutExpired(args, timeout) from None
        with open(out, encoding="utf-8", errors="replace") as f:
            stdout = f.read()
        with open(err, encoding="utf-8", errors="replace") as f:
            stderr = f.read()
    return subprocess.CompletedProcess(args, returncode, stdout, stderr)


def _server_process():
    global _server
    if _server is None or _server.poll() is not None:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": ROOT}
        env.pop("TF_CONFIG", None)
        _server = subprocess.Popen([sys.executable, os.path.abspath(__file__)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        _server.pending = b""
        if _answer(_server, 300).get("ready") is not True:
            raise RuntimeError("tests/forked.py: the fork server did not start")
    return _server


def _answer(server, timeout):
    """The server's next JSON line, waiting at most ``timeout`` seconds (None: no limit)."""
    import select
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    fd = server.stdout.fileno()
    while b"\n" not in server.pending:
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            raise subprocess.TimeoutExpired(server.args, timeout)
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError("tests/forked.py: the fork server exited")
        server.pending += chunk
    line, server.pending = server.pending.split(b"\n", 1)
    return json.loads(line)


def _serve():
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    import tensorflow as tf
    from tensorflow.python.eager import context

    tf.config.list_physical_devices()  # as tfopt.cli's quiet import does in every binary (the cuInit note is here)
    assert context._context is None or not context._context._initialized, "TensorFlow's runtime started"
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # a stray print here must not corrupt the answers
    print(json.dumps({"ready": True}), file=answers, flush=True)
    for line in sys.stdin.buffer:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            answers.close()
            _child(request)  # never returns
        print(json.dumps({"pid": pid}), file=answers, flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), file=answers, flush=True)


def _child(request):
    """Runs the request's program in this forked child, then ends it (never returns)."""
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    try:
        _program(request["argv"])
        code = 0
    except SystemExit as stop:  # what the interpreter does with it at exit
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        if not isinstance(stop.code, (int, type(None))):
            print(stop.code, file=sys.stderr)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    # An interpreter's exit, but for its teardown of every module (1.3-1.6 s with TensorFlow loaded, nothing a
    # program sees): wait for non-daemon threads, run the atexit functions, flush the standard streams.
    import atexit
    import threading

    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def _program(argv):
    """``python *argv`` from here on: a script run as __main__, or ``-c`` source."""
    extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path]
    if argv[0] == "-c":
        import types

        sys.argv = ["-c", *argv[2:]]
        sys.path[:1] = ["", *extra]
        main = types.ModuleType("__main__")  # a bare __main__, as ``python -c`` gives (not this file's)
        sys.modules["__main__"] = main
        exec(compile(argv[1], "<string>", "exec"), vars(main))
    else:
        import runpy

        sys.argv = list(argv)
        sys.path[:1] = [os.path.dirname(os.path.abspath(argv[0])), *extra]
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    _serve()
