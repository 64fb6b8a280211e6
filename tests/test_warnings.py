"""Every warning the package raises names the caller's line, not the package's.

Each test triggers one warning through the public API, from this file, and
checks that the warning's file is this one: :func:`sklearn_nli._errors.warn`
attributes it to the first frame outside the package, however deep in the
package it is raised.
"""

import re
import warnings
from pathlib import Path

import pytest

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier, clear_model_cache, config_context
from sklearn_nli._errors import warn
from sklearn_nli._runtime import _backends
from sklearn_nli._runtime._backends import _torch, get_backend
from sklearn_nli._runtime._backends._base import Backend
from sklearn_nli._testing import build_tiny_encoder

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_nli"
LABELS = ["sports", "business", "music"]
TEXTS = ["the team won the game", "the stock market fell", "a man plays guitar music"]
FAST = {"learning_rate": 1e-2, "random_state": 0, "device": "cpu", "backend": "torch"}
PAIRS = [("a man plays guitar", "a person plays music"), ("a dog runs", "a cat sleeps")]


@pytest.fixture(autouse=True)
def _fresh_engines():
    clear_model_cache()  # each warning comes from building or fitting afresh
    yield
    clear_model_cache()


def _the_warning(record, pattern):
    """The one warning of ``record`` whose message matches ``pattern``."""
    (warning,) = [w for w in record if re.search(pattern, str(w.message))]
    return warning


def _zero_shot(model, **params):
    return ZeroShotNLIClassifier(model, **{"candidate_labels": LABELS, "cache": False, **params})


@pytest.fixture
def emulated_bf16(monkeypatch):
    """A CPU whose flags lack the native bf16 instructions."""
    monkeypatch.setattr(_torch, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    monkeypatch.setattr(_torch, "native_bf16_flags", lambda: [])


def test_warn_names_the_first_frame_outside_the_package():
    with pytest.warns(UserWarning, match="here") as record:
        warn("here")
    assert _the_warning(record, "here").filename == __file__
    with pytest.warns(RuntimeWarning):
        warn("a category", RuntimeWarning)


def test_no_warning_bypasses_errors_warn():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "_errors.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "warnings.warn(" in line
    ]
    assert not offenders, "use sklearn_nli._errors.warn: " + ", ".join(offenders)


# --------------------------------------------------------------------------
# the runtime


class _BrokenBackend(Backend):
    name = "broken"
    title = "Broken"

    @classmethod
    def is_available(cls):
        return True

    @classmethod
    def unsupported_reason(cls, device, precision):
        return None

    @classmethod
    def build(cls, network, device, precision, probe):
        raise RuntimeError("no such kernel")


def test_backend_fallback_warning(tiny_model, monkeypatch):
    registry = {"broken": _BrokenBackend, "torch": get_backend("torch")}
    monkeypatch.setattr(_backends, "_REGISTRY", registry)  # auto tries broken first
    clf = _zero_shot(tiny_model, device="cpu").fit()
    with pytest.warns(UserWarning, match="no such kernel") as record:
        clf.predict_proba(TEXTS)
    warning = _the_warning(record, r"with Broken: no such kernel\. Running it with torch instead")
    assert warning.filename == __file__


def test_bf16_emulation_warning_at_prediction(tiny_model, emulated_bf16):
    clf = _zero_shot(tiny_model, device="cpu", precision="bf16", backend="torch").fit()
    with pytest.warns(UserWarning, match="emulated") as record:
        clf.predict_proba(TEXTS)
    warning = _the_warning(record, r"^precision='bf16' on this CPU .* emulated")
    assert warning.filename == __file__


def test_bf16_emulation_warning_at_fine_tuning(tiny_model, emulated_bf16):
    clf = _zero_shot(tiny_model, n_epochs=1, train_precision="bf16", **FAST)
    with pytest.warns(UserWarning, match="emulated") as record:
        clf.fit(TEXTS, LABELS)
    warning = _the_warning(record, r"^train_precision='bf16' on this CPU .* emulated")
    assert warning.filename == __file__


def test_export_cache_warning(tiny_model, tmp_path):
    pytest.importorskip("onnxruntime")
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    clf = _zero_shot(tiny_model, device="cpu", backend="onnxruntime").fit()
    with config_context(export_cache_dir=str(blocker / "exports")):
        with pytest.warns(UserWarning, match="Could not store") as record:
            clf.predict_proba(TEXTS)
    warning = _the_warning(record, "Could not store the exported model")
    assert warning.filename == __file__


# --------------------------------------------------------------------------
# the estimators


def test_no_model_card_warning(tiny_model, tmp_path):
    clf = _zero_shot(tiny_model, n_epochs=1, **FAST).fit(TEXTS, LABELS)
    del clf._training_record  # as unpickled from before fits kept one
    with pytest.warns(UserWarning, match="no README.md model card") as record:
        clf.save_pretrained(tmp_path)
    assert _the_warning(record, "no README.md model card is written").filename == __file__


def test_fresh_classification_head_warning(tiny_model, tmp_path):
    encoder = build_tiny_encoder(tmp_path / "encoder", tiny_model, dropout=0.0)
    scorer = NLIPairScorer(encoder, n_epochs=1, train_batch_size=2, **FAST)
    with pytest.warns(UserWarning, match="new head") as record:
        scorer.fit(PAIRS, ["ENTAILMENT", "CONTRADICTION"])
    warning = _the_warning(record, r"without a sequence-classification head.*new head")
    assert warning.filename == __file__


def test_self_training_class_without_pseudo_labels_warning(tiny_model):
    # Three texts, four classes: some class is predicted for no text.
    clf = ZeroShotNLIClassifier(
        tiny_model,
        candidate_labels=["animals", "business", "music", "sports"],
        self_training_rounds=1,
        n_epochs=1,
        pseudo_labels_per_class=1,
        **FAST,
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.fit(TEXTS)
    warning = _the_warning(record, r"Self-training round 1: no unlabelled text is predicted as")
    assert warning.filename == __file__
