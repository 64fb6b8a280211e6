"""The ONNX Runtime backend: choice, parity with torch, and every way it can fail."""

import re

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier, clear_model_cache, config_context
from sklearn_nli._runtime._backends import _export, resolve_backend
from sklearn_nli._runtime._backends._export import export_onnx
from sklearn_nli._runtime._backends._onnxruntime import OnnxRunner, OnnxRuntimeBackend
from sklearn_nli._runtime._backends._openvino import OpenVINOBackend
from sklearn_nli._runtime._engine import get_engine

pytestmark = pytest.mark.skipif(
    not OnnxRuntimeBackend.is_available(), reason="needs the onnx extra (onnxruntime and onnx)"
)

TEXTS = [
    "The match went to extra time before the home side scored.",
    "Shares fell after the quarterly report.",
    "A short one.",
    "The new phone has a faster chip and a bigger battery, the company said on Tuesday.",
    "Rain is expected over the weekend.",
]
LABELS = ["sports", "business", "technology", "weather"]
PAIRS = [(t, f"This is about {label}.") for t in TEXTS for label in LABELS[:2]]


@pytest.fixture(autouse=True)
def _fresh_engines():
    clear_model_cache()
    with config_context(export_cache_dir=False):  # every load exports (test_export_cache.py)
        yield
    clear_model_cache()


def test_auto_runs_fp32_on_the_cpu_with_an_exported_graph(tiny_model, monkeypatch):
    monkeypatch.setattr(OpenVINOBackend, "is_available", classmethod(lambda cls: False))
    assert get_engine(tiny_model, "cpu").backend == "onnxruntime"
    assert get_engine(tiny_model, "cpu", backend="torch").backend == "torch"
    # int8 is ONNX Runtime's quantizer (torch.ao.quantization is deprecated)
    assert get_engine(tiny_model, "cpu", "int8").backend == "onnxruntime"
    assert get_engine(tiny_model, "cpu", "bf16").backend == "torch"


def test_backends_have_their_own_engines(tiny_model):
    engines = {
        id(get_engine(tiny_model, "cpu", backend=backend))
        for backend in ("auto", "torch", "onnxruntime")
    }
    assert len(engines) == 3
    assert get_engine(tiny_model, "cpu", backend="auto") is get_engine(tiny_model, "cpu")


@pytest.mark.parametrize("multi_label", [False, True])
def test_zero_shot_matches_torch(tiny_model, multi_label):
    probas = {}
    for backend in ("torch", "onnxruntime"):
        clf = ZeroShotNLIClassifier(
            tiny_model,
            candidate_labels=LABELS,
            multi_label=multi_label,
            device="cpu",
            backend=backend,
            batch_size=3,
            cache=False,
        ).fit()
        probas[backend] = clf.predict_proba(TEXTS)
    assert np.ptp(probas["torch"]) > 1e-3  # the comparison means something
    np.testing.assert_allclose(probas["onnxruntime"], probas["torch"], atol=1e-5, rtol=0)


def test_pair_scorer_matches_torch(tiny_model):
    probas = {
        backend: NLIPairScorer(tiny_model, device="cpu", backend=backend, cache=False)
        .fit(PAIRS)
        .predict_proba(PAIRS)
        for backend in ("torch", "onnxruntime")
    }
    np.testing.assert_allclose(probas["onnxruntime"], probas["torch"], atol=1e-5, rtol=0)


def test_long_inputs_and_truncation_match_torch(tiny_model):
    long_text = " ".join(["word"] * 600)
    texts = [long_text, "short", long_text[:900]]
    probas = [
        ZeroShotNLIClassifier(
            tiny_model, candidate_labels=LABELS, device="cpu", backend=backend, max_length=40
        )
        .fit()
        .predict_proba(texts)
        for backend in ("torch", "onnxruntime")
    ]
    np.testing.assert_allclose(probas[0], probas[1], atol=1e-5, rtol=0)


def test_export_leaves_the_network_untouched(tiny_model):
    network = AutoModelForSequenceClassification.from_pretrained(tiny_model).eval()
    engine = get_engine(tiny_model, "cpu", backend="torch")
    batch = engine.encoder.encode(TEXTS, ["a hypothesis"] * len(TEXTS), 64)
    tensors = {name: torch.from_numpy(value) for name, value in batch.items()}
    with torch.inference_mode():
        before = network(**tensors).logits.numpy()
    graph = export_onnx(network, tensors)
    with torch.inference_mode():
        after = network(**tensors).logits.numpy()
    np.testing.assert_array_equal(after, before)
    np.testing.assert_allclose(OnnxRunner(graph, 1)(batch), before, atol=1e-5, rtol=0)


def test_resolve_backend():
    available = OnnxRuntimeBackend.is_available()
    assert resolve_backend("torch", "cpu", "fp32") == "torch"
    assert resolve_backend("auto", "cpu", "fp32") == ("auto" if available else "torch")
    assert resolve_backend("auto", "cuda", "fp32") == "torch"
    assert resolve_backend("auto", "cpu", "int8") == "onnxruntime"
    assert resolve_backend("onnxruntime", "cpu", "fp32") == "onnxruntime"
    with pytest.raises(
        ValueError, match="backend must be one of 'auto', 'openvino', 'onnxruntime'"
    ):
        resolve_backend("onnx", "cpu", "fp32")


@pytest.mark.parametrize(
    ("device", "precision"), [("cpu", "fp16"), ("cpu", "bf16"), ("cuda", "fp32"), ("mps", "int8")]
)
def test_onnxruntime_backend_is_fp32_and_int8_on_the_cpu_only(device, precision):
    message = (
        f"backend='onnxruntime' runs fp32 and int8 on the CPU only, got device={device!r} "
        f"and precision={precision!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        resolve_backend("onnxruntime", device, precision)


def test_estimator_reports_onnxruntime_misuse(tiny_model):
    clf = ZeroShotNLIClassifier(
        tiny_model, candidate_labels=LABELS, device="cpu", precision="bf16", backend="onnxruntime"
    ).fit()
    with pytest.raises(ValueError, match="backend='onnxruntime' runs fp32 and int8 on the CPU"):
        clf.predict_proba(TEXTS)


def test_missing_extra(tiny_model, monkeypatch):
    monkeypatch.setattr(OnnxRuntimeBackend, "is_available", classmethod(lambda cls: False))
    monkeypatch.setattr(OpenVINOBackend, "is_available", classmethod(lambda cls: False))
    assert get_engine(tiny_model, "cpu").backend == "torch"
    with pytest.raises(ImportError, match=re.escape("pip install 'sklearn-nli[onnx]'")):
        get_engine(tiny_model, "cpu", backend="onnxruntime")


def _broken_export(network, example):
    raise RuntimeError("unsupported operator")


def test_failed_export_falls_back_to_torch_under_auto(tiny_model, monkeypatch):
    monkeypatch.setattr(OpenVINOBackend, "is_available", classmethod(lambda cls: False))
    expected = get_engine(tiny_model, "cpu", backend="torch").logits(TEXTS, TEXTS, cache=False)
    monkeypatch.setattr(_export, "export_onnx", _broken_export)
    with pytest.warns(UserWarning, match="unsupported operator. Running it with torch instead"):
        engine = get_engine(tiny_model, "cpu")
    assert engine.backend == "torch"
    np.testing.assert_array_equal(engine.logits(TEXTS, TEXTS, cache=False), expected)


def test_failed_export_is_an_error_when_onnxruntime_is_asked_for(tiny_model, monkeypatch):
    monkeypatch.setattr(_export, "export_onnx", _broken_export)
    with pytest.raises(RuntimeError, match="unsupported operator. Use backend='torch'"):
        get_engine(tiny_model, "cpu", backend="onnxruntime")


def test_wrong_exported_logits_are_caught(tiny_model, monkeypatch):
    monkeypatch.setattr(OpenVINOBackend, "is_available", classmethod(lambda cls: False))
    original = OnnxRunner.__call__
    monkeypatch.setattr(OnnxRunner, "__call__", lambda self, inputs: original(self, inputs) + 0.5)
    with pytest.warns(UserWarning, match="logits differ from torch's by up to 0.5"):
        engine = get_engine(tiny_model, "cpu")
    assert engine.backend == "torch"
    with pytest.raises(RuntimeError, match="logits differ from torch's"):
        get_engine(tiny_model, "cpu", backend="onnxruntime")
