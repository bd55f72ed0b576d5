"""tfopt.core.threads.share_cores: each of several processes gets its share of the cores."""
import os

from tfopt.core import threads


def test_share_cores_sets_each_process_share_and_keeps_a_users_setting_when_asked(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    threads.share_cores(2)
    assert (os.environ["TF_NUM_INTRAOP_THREADS"], os.environ["TF_NUM_INTEROP_THREADS"]) == ("4", "1")
    threads.share_cores(16)  # more workers than cores: still one thread each
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "1"
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "3")
    threads.share_cores(2, keep_set=True)
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "3"
    threads.share_cores(2)
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "4"
