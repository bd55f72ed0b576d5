"""Models test set-up: the digits CNN trained once per session into a private cache."""
import time

import pytest


@pytest.fixture(scope="session")
def digits_cache(tmp_path_factory):
    """A cache dir holding the trained digits CNN (trained once per test session)."""
    from tfopt.models import zoo

    cache = tmp_path_factory.mktemp("tfopt_cache")
    start = time.perf_counter()
    zoo.get_model("digits_cnn", weights="default", cache_dir=str(cache))
    print(f"digits CNN trained and cached in {time.perf_counter() - start:.1f} s")
    return cache


@pytest.fixture(scope="session")
def digits_model(digits_cache):
    """The trained digits CNN, loaded from the session cache."""
    from tfopt.models import zoo

    return zoo.get_model("digits_cnn", weights="default", cache_dir=str(digits_cache))
