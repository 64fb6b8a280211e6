"""The OpenVINO backend: fp32 parity (see test_parity.py), bf16 where the CPU has it, refusals."""

import logging
import re
import warnings

import numpy as np
import pytest

from sklearn_nli import ZeroShotNLIClassifier, clear_model_cache
from sklearn_nli._runtime._backends import _cpu, _openvino, _torch, resolve_backend
from sklearn_nli._runtime._backends._openvino import OpenVINOBackend, native_bf16
from sklearn_nli._runtime._engine import get_engine

TEXTS = ["The match went to extra time.", "Shares fell after the report.", "A short one."]
LABELS = ["sports", "business", "weather"]


@pytest.fixture(autouse=True)
def _fresh_engines():
    clear_model_cache()
    yield
    clear_model_cache()


def _classifier(model, **params):
    params = {"candidate_labels": LABELS, "device": "cpu", "cache": False, **params}
    return ZeroShotNLIClassifier(model, **params).fit()


needs_openvino = pytest.mark.skipif(
    not OpenVINOBackend.is_available(), reason="needs the openvino extra"
)


@needs_openvino
def test_fp32_matches_torch(tiny_model):
    torch_proba = _classifier(tiny_model, backend="torch").predict_proba(TEXTS)
    proba = _classifier(tiny_model, backend="openvino").predict_proba(TEXTS)
    np.testing.assert_allclose(proba, torch_proba, atol=1e-5, rtol=0)
    assert get_engine(tiny_model, "cpu", backend="openvino").backend == "openvino"


@needs_openvino
def test_bf16_without_native_instructions_is_refused_with_the_reason(tiny_model, monkeypatch):
    monkeypatch.setattr(_openvino, "native_bf16", lambda: (False, "CPU flags: none"))
    message = "precision='bf16' with backend='openvino' needs a CPU with native bf16 instructions"
    with pytest.raises(ValueError, match=re.escape(message) + r".*AVX512-BF16 or AMX"):
        resolve_backend("openvino", "cpu", "bf16")
    with pytest.raises(ValueError, match="needs a CPU with native bf16"):
        _classifier(tiny_model, backend="openvino", precision="bf16").predict_proba(TEXTS)


def test_torch_bf16_without_native_instructions_warns(tiny_model, monkeypatch):
    monkeypatch.setattr(_torch, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    monkeypatch.setattr(_torch, "native_bf16_flags", lambda: [])
    with pytest.warns(UserWarning, match="no avx512_bf16 or amx_bf16 .* emulated"):
        get_engine(tiny_model, "cpu", "bf16", backend="torch")


@needs_openvino
@pytest.mark.skipif(not _cpu.native_bf16_flags(), reason="the CPU has no native bf16")
def test_bf16_runs_where_the_cpu_has_it(tiny_model):
    reference = _classifier(tiny_model, backend="torch").predict_proba(TEXTS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no emulation warning on such a CPU
        proba = _classifier(tiny_model, precision="bf16").predict_proba(TEXTS)
    assert get_engine(tiny_model, "cpu", "bf16").backend == "openvino"
    assert np.abs(proba - reference).max() < 0.05
    assert native_bf16()[0]


@needs_openvino
def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setattr(OpenVINOBackend, "is_available", classmethod(lambda cls: False))
    with pytest.raises(ImportError, match=re.escape("pip install 'sklearn-nli[openvino]'")):
        resolve_backend("openvino", "cpu", "fp32")


def test_autos_choice_and_reason_are_visible(tiny_model, caplog):
    with caplog.at_level(logging.INFO, logger="sklearn_nli"):
        engine = get_engine(tiny_model, "cpu")
    assert engine.backend in ("openvino", "onnxruntime", "torch")
    assert engine.backend_reason.startswith(
        "backend='auto' takes the first installed backend in its order of preference"
    )
    assert "runs precision='fp32' on device='cpu'" in engine.backend_reason
    (record,) = [r for r in caplog.records if r.name == "sklearn_nli"]
    assert f"runs with backend {engine.backend!r}" in record.getMessage()
    assert engine.backend_reason in record.getMessage()
    explicit = get_engine(tiny_model, "cpu", backend="torch")
    assert explicit.backend_reason == "backend='torch' was asked for"


def test_no_torch_quantization_in_shipped_code():
    from pathlib import Path

    import sklearn_nli

    package = Path(sklearn_nli.__file__).parent
    offenders = [p.name for p in package.rglob("*.py") if "torch.ao" in p.read_text()]
    assert offenders == []
