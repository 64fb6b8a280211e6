"""Package-wide configuration: ``set_config``, ``get_config`` and ``config_context``.

Modelled on scikit-learn's ``sklearn/_config.py``. The values live in one
process-wide dictionary, which ``set_config`` changes, and each thread has its
own overrides (a ``threading.local``), which ``config_context`` sets for the
duration of a ``with`` block: a context entered in one thread is never seen by
another, while a value set with ``set_config`` reaches every thread, worker
threads (joblib, Dask's threaded scheduler) included.

The keys: ``result_cache_size``, how many (premise, hypothesis) pairs' logits
each loaded model keeps for reuse (see ``cache=`` on the estimators), read by the
engine at the start of every scoring call; ``export_cache_dir``, the folder
where exported ONNX graphs are kept (or False), read when a model is loaded.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

from .._checks import Integer
from ._cache import DEFAULT_CAPACITY

__all__ = ["config_context", "get_config", "set_config"]


def _default_export_cache_dir():
    if os.environ.get("SKLEARN_NLI_CACHE_DIR"):
        return os.environ["SKLEARN_NLI_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sklearn-nli", "exports")


_DEFAULTS = {
    "result_cache_size": DEFAULT_CAPACITY,
    "export_cache_dir": _default_export_cache_dir(),
}

_global_config = dict(_DEFAULTS)
_global_lock = threading.Lock()
_threadlocal = threading.local()


def _thread_overrides():
    """This thread's ``config_context`` values, created empty on first use."""
    if not hasattr(_threadlocal, "overrides"):
        _threadlocal.overrides = {}
    return _threadlocal.overrides


def _check_export_cache_dir(value):
    if value is False or isinstance(value, (str, os.PathLike)) and str(value):
        return value if value is False else os.fspath(value)
    raise TypeError(
        f"export_cache_dir must be a folder (a non-empty path) or False, got {value!r}."
    )


# result_cache_size is checked by the parameter table, in its words.
_CHECKS = {
    "result_cache_size": Integer("result_cache_size", 0).check,
    "export_cache_dir": _check_export_cache_dir,
}


def _checked_settings(values):
    """``values`` without its ``None`` entries, each checked; unknown keys are a TypeError."""
    unknown = sorted(set(values) - set(_DEFAULTS))
    if unknown:
        raise TypeError(
            f"unknown configuration key(s) {', '.join(map(repr, unknown))}; "
            f"valid keys: {', '.join(map(repr, sorted(_DEFAULTS)))}"
        )
    return {key: _CHECKS[key](value) for key, value in values.items() if value is not None}


def get_config():
    """Return the configuration in force in the calling thread.

    Returns
    -------
    config : dict
        A copy of the configuration: the values set with :func:`set_config`,
        overridden by those of any :func:`config_context` that the calling
        thread is inside. Changing the dictionary changes nothing.

    See Also
    --------
    set_config : Set the configuration for the whole process.
    config_context : Set the configuration for a ``with`` block.

    Examples
    --------
    >>> from sklearn_nli import get_config
    >>> config = get_config()
    >>> sorted(config)
    ['export_cache_dir', 'result_cache_size']
    >>> config["result_cache_size"]
    100000
    """
    with _global_lock:
        config = dict(_global_config)
    config.update(_thread_overrides())
    return config


def set_config(result_cache_size=None, export_cache_dir=None):
    """Set the configuration of sklearn_nli for the whole process.

    A value left as ``None`` is left unchanged. The new values apply to every
    thread, except within a :func:`config_context` that overrides them in
    another thread; in the calling thread they also replace the values of the
    :func:`config_context` it is in, if any, until that block exits.

    Parameters
    ----------
    result_cache_size : int, default=None
        How many (premise, hypothesis) pairs' logits each loaded model keeps,
        so that ``predict`` after ``predict_proba``, ``score``, and grid points
        that do not change the pairs reuse them (the oldest are evicted first).
        0 disables the cache. The caches are emptied when it changes. The
        default configuration is 100,000 pairs.
    export_cache_dir : str, path or False, default=None
        Folder where the ONNX graph exported for ``backend="onnxruntime"`` or
        ``"openvino"`` is kept, so that the next process loading the same
        model skips the export; False turns this off. The default
        configuration is ``$SKLEARN_NLI_CACHE_DIR``, else
        ``~/.cache/sklearn-nli/exports`` (under ``$XDG_CACHE_HOME`` when set).

    Raises
    ------
    TypeError
        If ``result_cache_size`` is not an integer, or ``export_cache_dir``
        neither a path nor False.
    ValueError
        If ``result_cache_size`` is negative.

    See Also
    --------
    get_config : The configuration in force.
    config_context : Set the configuration for a ``with`` block only.

    Examples
    --------
    >>> from sklearn_nli import get_config, set_config
    >>> set_config(result_cache_size=10_000)
    >>> get_config()["result_cache_size"]
    10000
    >>> set_config(result_cache_size=100_000)  # back to the default
    """
    values = _checked_settings(
        {"result_cache_size": result_cache_size, "export_cache_dir": export_cache_dir}
    )
    with _global_lock:
        _global_config.update(values)
    overrides = _thread_overrides()
    for key in values.keys() & overrides.keys():
        overrides[key] = values[key]


@contextmanager
def config_context(**kwargs):
    """Set the configuration for the calling thread, within a ``with`` block.

    On exit, normally or through an exception, the values that were in force
    before the block are restored. Other threads do not see the values of the
    block. Contexts nest.

    Parameters
    ----------
    **kwargs
        The configuration keys to set, as for :func:`set_config`:
        ``result_cache_size`` (int >= 0) and ``export_cache_dir`` (a folder,
        or False to keep no exported graph on disk). A value of ``None``
        leaves the key unchanged.

    Yields
    ------
    None

    Raises
    ------
    TypeError
        If a key is unknown or a value has the wrong type.
    ValueError
        If a value is out of range.

    See Also
    --------
    set_config : Set the configuration for the whole process.
    get_config : The configuration in force.

    Examples
    --------
    >>> from sklearn_nli import config_context, get_config
    >>> with config_context(result_cache_size=0):  # no result cache in this block
    ...     get_config()["result_cache_size"]
    0
    >>> get_config()["result_cache_size"]
    100000
    """
    values = _checked_settings(kwargs)
    overrides = _thread_overrides()
    previous = dict(overrides)
    overrides.update(values)
    try:
        yield
    finally:
        overrides.clear()
        overrides.update(previous)
