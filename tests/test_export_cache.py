"""The exported ONNX graph is kept on disk: reused by the next process, rebuilt when bad."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from sklearn_nli import clear_model_cache, config_context, get_config
from sklearn_nli._runtime._backends import _export
from sklearn_nli._runtime._backends._onnxruntime import OnnxRuntimeBackend
from sklearn_nli._runtime._engine import get_engine

pytestmark = pytest.mark.skipif(
    not OnnxRuntimeBackend.is_available(), reason="needs the onnx extra"
)

TEXTS = ["a short text", "the team won the game", "a dog runs in the park"]
HYPOTHESES = ["This example is sports."] * 3
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    clear_model_cache()
    with config_context(export_cache_dir=str(tmp_path / "exports")):
        yield tmp_path / "exports"
    clear_model_cache()


@pytest.fixture
def exports(monkeypatch):
    """Count the exports."""
    calls = []
    original = _export.export_onnx

    def counting(network, example):
        calls.append(1)
        return original(network, example)

    monkeypatch.setattr(_export, "export_onnx", counting)
    return calls


def _logits(model, backend="onnxruntime"):
    engine = get_engine(model, "cpu", backend=backend)
    return engine.logits(TEXTS, HYPOTHESES, cache=False)


def test_the_next_load_reads_the_graph_instead_of_exporting(tiny_model, folder, exports):
    first = _logits(tiny_model)
    graphs = list(folder.glob("*.onnx"))
    assert len(exports) == 1 and len(graphs) == 1
    clear_model_cache()  # as a new process would start
    second = _logits(tiny_model)
    assert len(exports) == 1  # no second export
    np.testing.assert_array_equal(second, first)
    reference = get_engine(tiny_model, "cpu", backend="torch").logits(TEXTS, HYPOTHESES)
    np.testing.assert_allclose(second, reference, atol=1e-5)


def test_the_key_changes_with_the_weights(tiny_model, tiny_model_contradiction_first, folder):
    _logits(tiny_model)
    _logits(tiny_model_contradiction_first)
    assert len(list(folder.glob("*.onnx"))) == 2


def test_the_cache_can_be_turned_off(tiny_model, tmp_path, exports):
    clear_model_cache()
    with config_context(export_cache_dir=False):
        _logits(tiny_model)
        clear_model_cache()
        _logits(tiny_model)
    assert len(exports) == 2
    assert get_config()["export_cache_dir"] is not False
    with pytest.raises(TypeError, match="export_cache_dir must be a folder"):
        with config_context(export_cache_dir=3):
            pass  # pragma: no cover
    clear_model_cache()


@pytest.mark.parametrize("content", [b"", b"not an onnx graph", "truncated"])
def test_a_bad_cached_graph_is_detected_and_rebuilt(tiny_model, folder, exports, content):
    reference = _logits(tiny_model)
    (graph,) = folder.glob("*.onnx")
    good = graph.read_bytes()
    graph.write_bytes(good[: len(good) // 2] if content == "truncated" else content)
    clear_model_cache()
    np.testing.assert_allclose(_logits(tiny_model), reference, atol=1e-6)
    assert len(exports) == 2
    assert graph.read_bytes() == good  # replaced by a good graph


def test_a_graph_with_wrong_logits_is_rebuilt(tiny_model, tiny_model_contradiction_first, folder):
    # Another model's graph under this model's name: it loads, but its logits are wrong.
    _logits(tiny_model)
    (mine,) = folder.glob("*.onnx")
    clear_model_cache()
    _logits(tiny_model_contradiction_first)
    (other,) = set(folder.glob("*.onnx")) - {mine}
    mine.write_bytes(other.read_bytes())
    clear_model_cache()
    reference = get_engine(tiny_model, "cpu", backend="torch").logits(TEXTS, HYPOTHESES)
    np.testing.assert_allclose(_logits(tiny_model), reference, atol=1e-5)


def test_a_process_killed_while_writing_leaves_nothing_half_written(tiny_model, folder, exports):
    # The writer stops (forever) after writing its temporary file, before the rename.
    script = textwrap.dedent(
        f"""
        import time
        from sklearn_nli import set_config
        from sklearn_nli._runtime._backends import _export
        from sklearn_nli._runtime._engine import get_engine

        def stuck(*args):
            print("writing", flush=True)
            time.sleep(600)

        _export.os.fsync = stuck
        set_config(export_cache_dir={str(folder)!r})
        get_engine({tiny_model!r}, "cpu", backend="onnxruntime")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout.readline().strip() == "writing"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    leftovers = list(folder.glob("*.tmp"))
    assert leftovers and not list(folder.glob("*.onnx"))
    # The next process exports again, and cleans up what a dead writer left long ago.
    for leftover in leftovers:
        os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    reference = get_engine(tiny_model, "cpu", backend="torch").logits(TEXTS, HYPOTHESES)
    np.testing.assert_allclose(_logits(tiny_model), reference, atol=1e-5)
    assert len(exports) == 1 and len(list(folder.glob("*.onnx"))) == 1
    assert not list(folder.glob("*.tmp"))


def test_an_unwritable_folder_warns_and_runs(tiny_model, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    clear_model_cache()
    with config_context(export_cache_dir=str(blocker / "exports")):
        with pytest.warns(UserWarning, match="Could not store the exported model"):
            logits = _logits(tiny_model)
    assert np.isfinite(logits).all()
    clear_model_cache()
