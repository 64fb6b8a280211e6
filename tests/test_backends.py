"""The backend seam: a backend is a module plus one registration line.

A fake third backend, registered here in one line, is validated as a
``backend`` value, chosen by the engine and run through the same batching,
padding and caching as torch and ONNX Runtime.
"""

import re

import numpy as np
import pytest

from sklearn_nli import ZeroShotNLIClassifier, clear_model_cache
from sklearn_nli._runtime import _backends
from sklearn_nli._runtime._backends import (
    backend_names,
    build_runner,
    get_backend,
    register_backend,
    resolve_backend,
)
from sklearn_nli._runtime._backends._base import Backend
from sklearn_nli._runtime._engine import get_engine

TEXTS = ["a short text", "the team won the game", "a dog runs in the park"]
LABELS = ["sports", "business", "world"]


class FakeRunner:
    """Logits made from the token ids, so that each pair gets its own numbers."""

    def __init__(self):
        self.calls = []

    def __call__(self, inputs):
        self.calls.append({name: array.copy() for name, array in inputs.items()})
        ids = inputs["input_ids"] * inputs["attention_mask"]
        total = ids.sum(axis=1, dtype=np.float64)
        return np.stack([total % 7, total % 5, total % 3], axis=1).astype(np.float32)


class FakeBackend(Backend):
    name = "fake"
    title = "Fake"
    modules = ("nothing",)  # not importable: is_available says yes anyway
    extra = "pip install fake"
    runners = []

    @classmethod
    def is_available(cls):
        return True

    @classmethod
    def unsupported_reason(cls, device, precision):
        return None if precision == "fp32" else f"backend='fake' runs fp32 only, got {precision!r}."

    @classmethod
    def build(cls, network, device, precision, probe):
        assert set(probe) == {"export", "check"}
        cls.runners.append(FakeRunner())
        return cls.runners[-1]


@pytest.fixture
def fake_backend(monkeypatch):
    monkeypatch.setattr(_backends, "_REGISTRY", dict(_backends._REGISTRY))
    register_backend("fake", FakeBackend)  # the one line a new backend adds
    FakeBackend.runners.clear()
    clear_model_cache()
    yield FakeBackend
    clear_model_cache()


def test_a_registered_backend_is_selected_and_produces_logits(fake_backend, tiny_model):
    assert "fake" in backend_names()
    engine = get_engine(tiny_model, "cpu", backend="fake")
    assert engine.backend == "fake"
    logits = engine.logits(TEXTS, ["a hypothesis"] * 3, cache=False)
    assert logits.shape == (3, 3) and logits.dtype == np.float32
    (runner,) = fake_backend.runners
    # The engine hands it padded int64 arrays, and puts its rows back in the input order.
    batch = runner.calls[-1]
    assert {"input_ids", "attention_mask"} <= set(batch)
    assert all(array.dtype == np.int64 for array in batch.values())
    encoded = engine.encoder.encode(TEXTS, ["a hypothesis"] * 3)
    sums = (encoded["input_ids"] * encoded["attention_mask"]).sum(axis=1).astype(np.float64)
    np.testing.assert_array_equal(logits[:, 0], (sums % 7).astype(np.float32))


def test_estimators_accept_it_as_a_parameter_value(fake_backend, tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu", backend="fake")
    proba = clf.fit().predict_proba(TEXTS)
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert get_engine(tiny_model, "cpu", backend="fake").backend == "fake"
    with pytest.raises(ValueError, match="backend='fake' runs fp32 only, got 'bf16'"):
        clf.set_params(precision="bf16").predict_proba(TEXTS)


def test_auto_prefers_backends_in_registration_order(fake_backend, tiny_model, monkeypatch):
    monkeypatch.setattr(_backends, "_REGISTRY", {"fake": FakeBackend, **_backends._REGISTRY})
    assert resolve_backend("auto", "cpu", "fp32") == "auto"
    assert get_engine(tiny_model, "cpu").backend == "fake"
    # Where it does not apply, the next one that does runs.
    assert get_engine(tiny_model, "cpu", "bf16").backend in ("openvino", "torch")


def test_a_failing_backend_falls_back_under_auto_only(fake_backend, tiny_model, monkeypatch):
    def broken(cls, network, device, precision, probe):
        raise RuntimeError("no such kernel")

    monkeypatch.setattr(FakeBackend, "build", classmethod(broken))
    monkeypatch.setattr(
        _backends, "_REGISTRY", {"fake": FakeBackend, "torch": get_backend("torch")}
    )
    with pytest.warns(
        UserWarning, match="with Fake: no such kernel. Running it with torch instead"
    ):
        runner, name, reason = build_runner(
            "auto", _network(tiny_model), "cpu", "fp32", _probe(), "m"
        )
    assert name == "torch"
    assert reason.endswith("; fake failed: no such kernel")
    with pytest.raises(RuntimeError, match=re.escape("with Fake: no such kernel. Use backend=")):
        build_runner("fake", _network(tiny_model), "cpu", "fp32", _probe(), "m")


def test_a_backend_that_is_not_installed_names_its_extra(fake_backend, monkeypatch):
    monkeypatch.setattr(FakeBackend, "is_available", classmethod(lambda cls: False))
    with pytest.raises(
        ImportError, match=re.escape("backend='fake' needs nothing: pip install fake")
    ):
        resolve_backend("fake", "cpu", "fp32")
    assert resolve_backend("auto", "cpu", "fp32") in ("auto", "onnxruntime", "torch")


def _network(model):
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(model).eval()


def _probe():
    batch = {
        "input_ids": np.ones((1, 3), dtype=np.int64),
        "attention_mask": np.ones((1, 3), np.int64),
    }
    return {"export": batch, "check": batch}
