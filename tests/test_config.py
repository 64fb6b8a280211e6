"""Package configuration: set_config, get_config and config_context, per thread."""

import threading

import numpy as np
import pytest

import sklearn_nli
from sklearn_nli import config_context, get_config, set_config
from sklearn_nli._runtime._cache import DEFAULT_CAPACITY


@pytest.fixture(autouse=True)
def _restore_config():
    """Every test starts from, and leaves, the configuration it found."""
    before = get_config()
    yield
    set_config(**before)
    assert get_config() == before


def test_public_names():
    for name in ("set_config", "get_config", "config_context"):
        assert name in sklearn_nli.__all__
        assert getattr(sklearn_nli, name) is globals()[name]


def test_defaults():
    assert get_config()["result_cache_size"] == DEFAULT_CAPACITY
    assert sorted(get_config()) == ["export_cache_dir", "result_cache_size"]
    assert DEFAULT_CAPACITY == 100_000


def test_get_config_returns_a_copy():
    config = get_config()
    config["result_cache_size"] = 7
    assert get_config()["result_cache_size"] == DEFAULT_CAPACITY


def test_set_get_round_trip():
    set_config(result_cache_size=10)
    assert get_config()["result_cache_size"] == 10
    set_config(result_cache_size=0)
    assert get_config()["result_cache_size"] == 0
    set_config(result_cache_size=np.int64(25))
    value = get_config()["result_cache_size"]
    assert value == 25 and type(value) is int


def test_none_leaves_the_value_unchanged():
    set_config(result_cache_size=10)
    set_config()
    set_config(result_cache_size=None)
    assert get_config()["result_cache_size"] == 10
    with config_context(result_cache_size=None):
        assert get_config()["result_cache_size"] == 10


def test_config_context_restores_on_exit():
    with config_context(result_cache_size=5):
        assert get_config()["result_cache_size"] == 5
    assert get_config()["result_cache_size"] == DEFAULT_CAPACITY


def test_config_context_restores_on_exception():
    with pytest.raises(RuntimeError, match="boom"):
        with config_context(result_cache_size=5):
            assert get_config()["result_cache_size"] == 5
            raise RuntimeError("boom")
    assert get_config()["result_cache_size"] == DEFAULT_CAPACITY


def test_nested_contexts():
    with config_context(result_cache_size=1):
        with config_context(result_cache_size=2):
            assert get_config()["result_cache_size"] == 2
            with config_context():
                assert get_config()["result_cache_size"] == 2
        assert get_config()["result_cache_size"] == 1
        with pytest.raises(KeyError):
            with config_context(result_cache_size=3):
                raise KeyError("inner")
        assert get_config()["result_cache_size"] == 1
    assert get_config()["result_cache_size"] == DEFAULT_CAPACITY


def test_set_config_inside_a_context():
    # In force at once in this thread; the context's exit does not undo the global value.
    with config_context(result_cache_size=1):
        set_config(result_cache_size=2)
        assert get_config()["result_cache_size"] == 2
    assert get_config()["result_cache_size"] == 2


def test_context_restores_the_value_set_before_it():
    set_config(result_cache_size=42)
    with config_context(result_cache_size=0):
        assert get_config()["result_cache_size"] == 0
    assert get_config()["result_cache_size"] == 42


@pytest.mark.parametrize(
    "value, error, message",
    [
        (-1, ValueError, r"result_cache_size must be an integer >= 0, got -1\."),
        (1.5, TypeError, r"result_cache_size must be an integer >= 0, got 1\.5 of type float"),
        (10.0, TypeError, r"result_cache_size must be an integer >= 0, got 10\.0 of type float"),
        ("10", TypeError, r"result_cache_size must be an integer >= 0, got '10' of type str"),
        (True, TypeError, r"result_cache_size must be an integer >= 0, got True of type bool"),
    ],
)
def test_bad_values(value, error, message):
    with pytest.raises(error, match=message):
        set_config(result_cache_size=value)
    with pytest.raises(error, match=message):
        with config_context(result_cache_size=value):
            pass  # pragma: no cover
    assert get_config()["result_cache_size"] == DEFAULT_CAPACITY


def test_unknown_keys():
    with pytest.raises(
        TypeError,
        match=r"unknown configuration key\(s\) 'cache_size'; "
        r"valid keys: 'export_cache_dir', 'result_cache_size'",
    ):
        with config_context(cache_size=10):
            pass  # pragma: no cover
    with pytest.raises(TypeError, match="unexpected keyword argument 'cache_size'"):
        set_config(cache_size=10)
    assert get_config()["result_cache_size"] == DEFAULT_CAPACITY
    assert sorted(get_config()) == ["export_cache_dir", "result_cache_size"]


def test_bad_value_in_a_context_leaves_the_thread_unchanged():
    with config_context(result_cache_size=3):
        with pytest.raises(ValueError, match="got -2"):
            with config_context(result_cache_size=-2):
                pass  # pragma: no cover
        assert get_config()["result_cache_size"] == 3


def test_config_context_is_per_thread():
    sizes = [0, 10, 200, 3_000]
    barrier = threading.Barrier(len(sizes) + 1, timeout=30)
    seen, errors = {}, []

    def work(size):
        try:
            with config_context(result_cache_size=size):
                barrier.wait()  # every thread is inside its context
                seen[size] = get_config()["result_cache_size"]
                barrier.wait()  # every thread has read its value
            seen[size, "after"] = get_config()["result_cache_size"]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            barrier.abort()

    with config_context(result_cache_size=7):
        threads = [threading.Thread(target=work, args=(size,)) for size in sizes]
        for thread in threads:
            thread.start()
        barrier.wait()
        assert get_config()["result_cache_size"] == 7
        barrier.wait()
        for thread in threads:
            thread.join(timeout=30)
        assert get_config()["result_cache_size"] == 7
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    for size in sizes:
        assert seen[size] == size
        # The main thread's context never reached the workers: they see the global value.
        assert seen[size, "after"] == DEFAULT_CAPACITY
    assert get_config()["result_cache_size"] == DEFAULT_CAPACITY


def test_set_config_reaches_other_threads():
    # The values set with set_config are the process's: a worker thread (joblib,
    # Dask's threaded scheduler) scores with them.
    set_config(result_cache_size=11)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(get_config()["result_cache_size"]))
    thread.start()
    thread.join(timeout=30)
    assert seen == [11]
