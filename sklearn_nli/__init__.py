"""scikit-learn estimators for natural language inference (NLI) models.

The estimators are imported on first use (PEP 562), so that the command line's
``--help``, ``--version`` and argument errors answer without importing torch,
transformers and scikit-learn.
"""

import importlib

from ._runtime._config import config_context, get_config, set_config

__all__ = [
    "NLIPairScorer",
    "ZeroShotNLIClassifier",
    "clear_model_cache",
    "config_context",
    "get_config",
    "set_config",
]
__version__ = "0.1.0"

_LAZY = {
    "NLIPairScorer": "._pairs",
    "ZeroShotNLIClassifier": "._zero_shot",
    "clear_model_cache": "._runtime._engine",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
