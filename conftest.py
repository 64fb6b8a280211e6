"""Shared test fixtures: tiny random NLI models built on disk, no network.

The models come from ``sklearn_nli._testing.build_tiny_model``.

Lives at the repository root so that both ``tests/`` and the doctests in
``sklearn_nli/`` see the fixtures.
"""

import os
import tempfile
from collections import Counter

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # One thread per worker: the workers already use the cores, and OpenMP threads
    # contending for them make torch many times slower.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
# Exported graphs go to a folder of this run, never to the user's cache.
os.environ["SKLEARN_NLI_CACHE_DIR"] = tempfile.mkdtemp(prefix="sklearn-nli-exports-")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from sklearn_nli._testing import (  # noqa: E402
    CONTRADICTION_FIRST,
    GENERIC_LABELS,
    build_tiny_model,
)

# Property tests: 100 examples each in CI; `--hypothesis-profile=thorough` for 1,000.
_PROFILE = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
settings.register_profile("default", max_examples=100, **_PROFILE)
settings.register_profile("thorough", max_examples=1000, **_PROFILE)
settings.load_profile("default")

try:  # sklearn_nli.dask needs the dask extra; without it, skip its doctests.
    import dask.dataframe  # noqa: F401
except ImportError:
    collect_ignore = ["sklearn_nli/dask.py"]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """Tiny model with MiniLM-L6-mnli's label order."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-entailment-first"))


@pytest.fixture(scope="session")
def tiny_model_contradiction_first(tmp_path_factory):
    """Tiny model with cross-encoder/nli-*'s label order."""
    return build_tiny_model(
        tmp_path_factory.mktemp("tiny-contradiction-first"), CONTRADICTION_FIRST, seed=1
    )


@pytest.fixture(scope="session")
def tiny_model_generic_labels(tmp_path_factory):
    """Tiny model whose config names its labels LABEL_0, LABEL_1, LABEL_2."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-generic"), GENERIC_LABELS, seed=2)


@pytest.fixture(autouse=True)
def _doctest_model(request, doctest_namespace):
    if isinstance(request.node, pytest.DoctestItem):
        doctest_namespace["model_path"] = request.getfixturevalue("tiny_model")


# The modules that need more than the package (Spark and Java, Dask, Jupyter
# kernels): the summary says how many of their tests passed, so that a CI log
# shows they ran rather than skipped.
_INTEGRATION_MODULES = ("tests/test_spark.py", "tests/test_dask.py", "tests/test_notebooks.py")


def pytest_terminal_summary(terminalreporter):
    counts = {module: Counter() for module in _INTEGRATION_MODULES}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            module = getattr(report, "nodeid", "").split("::")[0]
            if module in counts:
                counts[module][outcome] += 1
    if any(counts.values()):
        terminalreporter.section("tests that need more than the package")
        for module, outcomes in counts.items():
            line = ", ".join(f"{n} {outcome}" for outcome, n in outcomes.items()) or "none ran"
            terminalreporter.write_line(f"{module}: {line}")
