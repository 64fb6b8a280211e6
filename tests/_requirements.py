"""What a test needs beyond the package: skipped here without it, a failure in CI.

``.ci/run`` sets ``CI=true`` and installs the dev extra, which brings every
optional library the tests use; a test that skipped there would hide a missing
dependency, so under CI it fails instead, saying what is missing.
"""

import importlib
import os
import shutil

import pytest


def in_ci():
    """Whether the tests run in CI (``CI`` set to a true value, as ``.ci/run`` sets it)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def missing(reason):
    """Fail (in CI) or skip (elsewhere) the calling test or module, giving ``reason``."""
    if in_ci():
        pytest.fail(f"{reason}; CI must provide it", pytrace=False)
    pytest.skip(f"{reason}; with CI=true this fails", allow_module_level=True)


def require_module(name, provider="the dev extra"):
    """Import and return module ``name``, or :func:`missing` it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"{name} is not importable ({exc}); it comes with {provider}")


def require_program(name, home_variable=None):
    """:func:`missing` unless program ``name`` is on PATH (or ``home_variable`` is set)."""
    if shutil.which(name) is None and not (home_variable and os.environ.get(home_variable)):
        where = f" and {home_variable} is not set" if home_variable else ""
        missing(f"{name} is not on PATH{where}")
