"""Fine-tuning: ``fit(X, y)`` with ``n_epochs > 0``, for both estimators.

The models are the tiny random BERTs of ``sklearn_nli._testing`` with dropout
off (``trainable_model``), so that a few epochs on a few dozen pairs learn a
toy task in well under a second and the loss goes down smoothly.
"""

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from _requirements import require_module
from scipy.special import softmax
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier, config_context
from sklearn_nli._errors import InvalidTypeError, InvalidValueError
from sklearn_nli._learning import _training
from sklearn_nli._runtime import _engine
from sklearn_nli._runtime._devices import OUT_OF_MEMORY
from sklearn_nli._runtime._engine import get_engine, loaded_engines
from sklearn_nli._testing import build_tiny_encoder, build_tiny_model

REPO_ROOT = Path(__file__).resolve().parents[1]

CLASSES = ["sports", "business", "music", "animals"]
TEXTS = [
    "the team won the game",
    "the stock market fell",
    "a man plays guitar music",
    "the dog runs in the park",
] * 6
LABELS = CLASSES * 6
PAIRS = [
    ("a man plays guitar", "a person plays music"),
    ("a dog runs in the park", "a cat sleeps"),
    ("the team won the game", "the game was played"),
] * 6
PAIR_LABELS = ["ENTAILMENT", "CONTRADICTION", "NEUTRAL"] * 6

# What learns the toy tasks in a few epochs on the tiny models.
FAST = {"learning_rate": 1e-2, "random_state": 0, "device": "cpu", "backend": "torch"}


def _without_dropout(directory):
    path = os.path.join(directory, "config.json")
    with open(path) as f:
        config = json.load(f)
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    with open(path, "w") as f:
        json.dump(config, f)
    return directory


@pytest.fixture(scope="session")
def trainable_model(tmp_path_factory):
    """The tiny entailment-first model with dropout off: smooth, fast learning."""
    return _without_dropout(build_tiny_model(tmp_path_factory.mktemp("tiny-trainable")))


@pytest.fixture(scope="session")
def plain_encoder(tmp_path_factory, trainable_model):
    """A tiny BERT encoder with no classification head, and the tiny model's tokenizer."""
    directory = tmp_path_factory.mktemp("tiny-encoder")
    return build_tiny_encoder(directory, trainable_model, dropout=0.0)


@pytest.fixture
def fine_tuned(trainable_model):
    return ZeroShotNLIClassifier(trainable_model, n_epochs=4, **FAST).fit(TEXTS, LABELS)


def _accuracy(estimator, X, y):
    return float(np.mean(estimator.predict(X) == np.asarray(y)))


# --------------------------------------------------------------------------
# learning


def test_fine_tuning_learns_a_toy_task(trainable_model):
    zero_shot = ZeroShotNLIClassifier(trainable_model, device="cpu", backend="torch")
    before = _accuracy(zero_shot.fit(TEXTS, LABELS), TEXTS, LABELS)
    clf = ZeroShotNLIClassifier(trainable_model, n_epochs=5, **FAST).fit(TEXTS, LABELS)

    assert len(clf.loss_curve_) == 5
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]
    assert before <= 0.5
    assert _accuracy(clf, TEXTS, LABELS) == 1.0
    # Predictions keep the zero-shot formulas: softmax of the entailment logits.
    scores = clf.decision_function(TEXTS[:4])
    np.testing.assert_allclose(clf.predict_proba(TEXTS[:4]), softmax(scores, axis=1), atol=1e-12)
    assert clf.hypotheses_ == [f"This example is {c}." for c in clf.classes_]


def test_multi_label_fine_tuning_learns_each_label(trainable_model):
    indicator = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 1]] * 6)
    labels = ["sports", "business", "music"]
    zero_shot = ZeroShotNLIClassifier(
        trainable_model, candidate_labels=labels, multi_label=True, device="cpu", backend="torch"
    ).fit(TEXTS, indicator)
    clf = clone(zero_shot).set_params(n_epochs=10, learning_rate=1e-2, random_state=0)
    clf.fit(TEXTS, indicator)

    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]
    assert np.mean(clf.predict(TEXTS) == indicator) == 1.0
    assert np.mean(zero_shot.predict(TEXTS) == indicator) < 1.0


def test_training_pairs_use_the_template_descriptions_and_max_negatives(
    trainable_model, monkeypatch
):
    seen = []
    original = _training._Trainer._logits

    def spy(self, examples):
        seen.extend(group for _, group, _ in examples)
        return original(self, examples)

    monkeypatch.setattr(_training._Trainer, "_logits", spy)
    clf = ZeroShotNLIClassifier(
        trainable_model,
        hypothesis_template="It is about {}.",
        label_descriptions={"music": "songs"},
        n_epochs=1,
        max_negatives=2,
        **FAST,
    ).fit(TEXTS, LABELS)

    assert "It is about songs." in clf.hypotheses_
    assert all(len(group) == 3 for group in seen)  # its own label and 2 drawn negatives
    assert {h for group in seen for h in group} == set(clf.hypotheses_)
    position = {c: i for i, c in enumerate(clf.classes_)}
    firsts = [group[0] for group in seen]
    assert sorted(firsts) == sorted(clf.hypotheses_[position[label]] for label in LABELS)


# --------------------------------------------------------------------------
# reproducibility and fitted state


def test_same_random_state_gives_identical_probabilities(trainable_model):
    make = ZeroShotNLIClassifier(trainable_model, n_epochs=2, **FAST)
    first = clone(make).fit(TEXTS, LABELS)
    second = clone(make).fit(TEXTS, LABELS)
    other = clone(make).set_params(random_state=1).fit(TEXTS, LABELS)

    assert first.fine_tuned_model_.fingerprint == second.fine_tuned_model_.fingerprint
    np.testing.assert_array_equal(first.predict_proba(TEXTS), second.predict_proba(TEXTS))
    assert first.loss_curve_ == second.loss_curve_
    assert other.fine_tuned_model_.fingerprint != first.fine_tuned_model_.fingerprint


_FRESH_PROCESS = textwrap.dedent(
    """
    import pickle, sys
    import numpy as np
    from sklearn_nli._runtime._engine import loaded_engines

    with open(sys.argv[1], "rb") as f:
        estimator, X, expected = pickle.load(f)
    assert not loaded_engines(), "unpickling must not load a model"
    np.testing.assert_allclose(estimator.predict_proba(X), expected, rtol=0, atol=1e-6)
    print("fresh-process-ok", estimator.fine_tuned_model_.fingerprint)
    """
)


def test_pickle_predicts_identically_in_a_fresh_process(trainable_model, tmp_path):
    # The default backend (OpenVINO or ONNX Runtime here) runs the fine-tuned weights.
    clf = ZeroShotNLIClassifier(trainable_model, n_epochs=2, learning_rate=1e-2, random_state=0)
    clf.fit(TEXTS, LABELS)
    path = tmp_path / "clf.pkl"
    with open(path, "wb") as f:
        pickle.dump((clf, TEXTS[:8], clf.predict_proba(TEXTS[:8])), f)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"fresh-process-ok {clf.fine_tuned_model_.fingerprint}" in result.stdout


def test_clone_is_unfitted_and_holds_no_weights(fine_tuned):
    cloned = clone(fine_tuned)
    assert set(vars(cloned)) == set(cloned.get_params(deep=False))
    with pytest.raises(NotFittedError):
        cloned.predict(TEXTS[:2])
    assert len(pickle.dumps(cloned)) < 10_000


def test_zero_shot_pickle_stays_small_and_holds_no_weights(fine_tuned):
    assert len(pickle.dumps(fine_tuned)) > fine_tuned.fine_tuned_model_.n_bytes
    fine_tuned.set_params(n_epochs=0).fit(TEXTS, LABELS)  # refit zero-shot: weights dropped
    assert not hasattr(fine_tuned, "fine_tuned_model_")
    assert not hasattr(fine_tuned, "loss_curve_")
    assert len(pickle.dumps(fine_tuned)) < 100_000


def test_save_pretrained_loads_in_the_transformers_pipeline(fine_tuned, tmp_path):
    from transformers import AutoConfig, pipeline

    path = tmp_path / "saved"
    fine_tuned.save_pretrained(path)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(os.listdir(path))
    assert AutoConfig.from_pretrained(path).id2label == {
        0: "entailment",
        1: "neutral",
        2: "contradiction",
    }
    texts = ["the team won the game", "a dog runs in the park"]
    expected = fine_tuned.predict_proba(texts)

    classifier = pipeline("zero-shot-classification", model=str(path), device="cpu")
    for text, row in zip(texts, expected):
        out = classifier(text, candidate_labels=list(fine_tuned.classes_))
        got = dict(zip(out["labels"], out["scores"]))
        np.testing.assert_allclose([got[c] for c in fine_tuned.classes_], row, atol=1e-5)

    reloaded = ZeroShotNLIClassifier(str(path), device="cpu", backend="torch").fit(TEXTS, LABELS)
    np.testing.assert_allclose(reloaded.predict_proba(texts), expected, atol=1e-5)


def test_save_pretrained_needs_a_fine_tuned_estimator(trainable_model, tmp_path):
    clf = ZeroShotNLIClassifier(trainable_model, device="cpu")
    with pytest.raises(NotFittedError):
        clf.save_pretrained(tmp_path / "x")
    with pytest.raises(InvalidValueError, match=r"without fine-tuning \(n_epochs=0\)"):
        clf.fit(TEXTS, LABELS).save_pretrained(tmp_path / "x")


def test_fine_tuned_results_never_mix_with_the_base_models(trainable_model):
    base = ZeroShotNLIClassifier(trainable_model, device="cpu", backend="torch")
    expected = base.fit(TEXTS, LABELS).predict_proba(TEXTS)
    clf = ZeroShotNLIClassifier(trainable_model, n_epochs=3, **FAST).fit(TEXTS, LABELS)
    tuned = clf.predict_proba(TEXTS)

    tuned_engine = get_engine(clf.fine_tuned_model_, "cpu", backend="torch")
    base_engine = get_engine(trainable_model, "cpu", backend="torch")
    assert tuned_engine is not base_engine
    assert tuned_engine.result_cache is not base_engine.result_cache
    assert ("fine-tuned", clf.fine_tuned_model_.fingerprint) in {k[0] for k in loaded_engines()}
    assert clf.get_backend_info()["model"].endswith(
        f"fine-tuned ({clf.fine_tuned_model_.fingerprint[:12]})"
    )
    assert np.abs(tuned - expected).max() > 0.1
    np.testing.assert_array_equal(base.predict_proba(TEXTS), expected)  # from its cache
    np.testing.assert_array_equal(clf.predict_proba(TEXTS), tuned)


def test_onnxruntime_runs_the_fine_tuned_weights(fine_tuned, trainable_model, tmp_path):
    require_module("onnxruntime")
    with_torch = fine_tuned.predict_proba(TEXTS)
    with config_context(export_cache_dir=str(tmp_path)):
        with_onnx = fine_tuned.set_params(backend="onnxruntime").predict_proba(TEXTS)
    assert list(tmp_path.iterdir()) == []  # fine-tuned graphs are not kept on disk
    assert fine_tuned.get_backend_info()["backend"] == "onnxruntime"
    np.testing.assert_allclose(with_onnx, with_torch, rtol=0, atol=1e-5)
    base = ZeroShotNLIClassifier(trainable_model, device="cpu", backend="onnxruntime")
    assert np.abs(base.fit(TEXTS, LABELS).predict_proba(TEXTS) - with_onnx).max() > 0.1


def test_engines_of_fine_tuned_models_are_bounded_and_rebuilt(trainable_model, monkeypatch):
    monkeypatch.setattr(_engine, "MAX_FINE_TUNED_ENGINES", 1)
    first = ZeroShotNLIClassifier(trainable_model, n_epochs=1, **FAST).fit(TEXTS, LABELS)
    expected = first.predict_proba(TEXTS)
    second = clone(first).set_params(random_state=1).fit(TEXTS, LABELS)
    second.predict_proba(TEXTS)
    fingerprints = [k[0][1] for k in loaded_engines() if isinstance(k[0], tuple)]
    assert fingerprints == [second.fine_tuned_model_.fingerprint]
    # Evicted: rebuilt from the weights the estimator holds, with the same results.
    np.testing.assert_allclose(first.predict_proba(TEXTS), expected, rtol=0, atol=1e-6)


# --------------------------------------------------------------------------
# bad input: a clear error before any training


@pytest.fixture
def no_training(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(_training, "fine_tune", fail)


@pytest.mark.parametrize(
    ("X", "y", "params", "message"),
    [
        (TEXTS[:4], ["sports", None, "music", "animals"], {}, r"missing value \(None\) at row 1"),
        (TEXTS[:4], ["sports", float("nan"), "music", "animals"], {}, "missing value"),
        (TEXTS[:4], ["sports"] * 4, {}, r"at least 2 classes; got 1 class \(\['sports'\]\)"),
        (
            TEXTS[:4],
            ["sports"] * 4,
            {"candidate_labels": CLASSES},
            r"y holds a single class \(\['sports'\]\): fine-tuning needs",
        ),
        (
            TEXTS[:4],
            ["sports", "business", "music", "weather"],
            {"candidate_labels": CLASSES},
            r"labels \['weather'\] that are not in candidate_labels",
        ),
        (TEXTS[:4], LABELS[:3], {}, "X has 4 texts and y has 3 labels"),
        (None, LABELS[:4], {}, "got no X"),
        (TEXTS[:4], None, {"candidate_labels": CLASSES}, "got no y"),
        (None, None, {"candidate_labels": CLASSES}, "got neither X nor y"),
    ],
    ids=["none", "nan", "one-class", "one-class-of-candidates", "unknown-label", "lengths"]
    + ["no-X", "no-y", "nothing"],
)
def test_bad_training_data_fails_before_training(
    trainable_model, no_training, X, y, params, message
):
    clf = ZeroShotNLIClassifier(trainable_model, n_epochs=2, device="cpu", **params)
    with pytest.raises(InvalidValueError, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "classes_")


def test_multi_label_without_negatives_fails_before_training(trainable_model, no_training):
    clf = ZeroShotNLIClassifier(
        trainable_model, candidate_labels=CLASSES[:2], multi_label=True, n_epochs=1, device="cpu"
    )
    with pytest.raises(InvalidValueError, match="holds only 1s"):
        clf.fit(TEXTS[:3], np.ones((3, 2), dtype=int))
    with pytest.raises(InvalidValueError, match=r"missing value \(nan\) at row 1, column 0"):
        clf.fit(TEXTS[:3], np.array([[1, 0], [np.nan, 1], [0, 1]]))


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (["ENTAILMENT", None, "NEUTRAL"], r"missing value \(None\) at row 1"),
        (["NEUTRAL"] * 3, "single class"),
        (["ENTAILMENT", "NEUTRAL"], "X has 3 pairs and y has 2 labels"),
    ],
)
def test_pair_scorer_bad_training_data(trainable_model, no_training, y, message):
    scorer = NLIPairScorer(trainable_model, n_epochs=1, device="cpu")
    with pytest.raises(InvalidValueError, match=message):
        scorer.fit(PAIRS[:3], y)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"n_epochs": -1}, InvalidValueError, "n_epochs must be an integer >= 0, got -1"),
        ({"n_epochs": 2.5}, InvalidTypeError, "n_epochs must be an integer >= 0"),
        ({"learning_rate": 0}, InvalidValueError, "learning_rate must be a finite number > 0"),
        ({"learning_rate": "fast"}, InvalidTypeError, "learning_rate must be a finite number"),
        ({"train_batch_size": 0}, InvalidValueError, "train_batch_size must be an integer >= 1"),
        ({"max_negatives": 0}, InvalidValueError, "max_negatives must be an integer >= 1"),
        ({"warmup_fraction": 1.5}, InvalidValueError, r"warmup_fraction must be a number in"),
        ({"weight_decay": -0.1}, InvalidValueError, "weight_decay must be a finite number >= 0"),
        ({"random_state": "a"}, InvalidTypeError, "random_state must be None, an integer"),
        ({"random_state": -1}, InvalidValueError, "random_state must be None, an integer"),
    ],
)
def test_bad_fine_tuning_parameters(trainable_model, no_training, params, error, message):
    clf = ZeroShotNLIClassifier(trainable_model, n_epochs=1, device="cpu").set_params(**params)
    with pytest.raises(error, match=message):
        clf.fit(TEXTS[:4], LABELS[:4])


# --------------------------------------------------------------------------
# faults


class _Interrupt:
    """Raise KeyboardInterrupt from AdamW's third step."""

    def __init__(self, monkeypatch):
        self.calls = 0
        original = torch.optim.AdamW.step

        def step(optimizer, *args, **kwargs):
            self.calls += 1
            if self.calls == 3:
                raise KeyboardInterrupt
            return original(optimizer, *args, **kwargs)

        monkeypatch.setattr(torch.optim.AdamW, "step", step)


def test_interrupted_fit_leaves_an_unfitted_estimator_unfitted(trainable_model, monkeypatch):
    clf = ZeroShotNLIClassifier(trainable_model, n_epochs=2, **FAST)
    interrupt = _Interrupt(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(TEXTS, LABELS)
    assert interrupt.calls == 3
    assert set(vars(clf)) == set(clf.get_params(deep=False))
    with pytest.raises(NotFittedError):
        clf.predict(TEXTS[:1])


def test_interrupted_fit_keeps_the_previous_fit(fine_tuned, monkeypatch):
    before = dict(vars(fine_tuned))
    expected = fine_tuned.predict_proba(TEXTS)
    _Interrupt(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        fine_tuned.set_params(random_state=5).fit(TEXTS[:8], LABELS[:8])
    after = dict(vars(fine_tuned))
    assert after.pop("random_state") == 5
    before.pop("random_state")
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)
    np.testing.assert_array_equal(fine_tuned.predict_proba(TEXTS), expected)


def test_adamw_takes_the_fused_kernel_where_the_device_has_one(monkeypatch):
    weight = torch.nn.Parameter(torch.zeros(2, 2))
    assert _training._adamw([{"params": [weight]}], 1e-3).defaults["fused"] is True
    plain = torch.optim.AdamW

    def without_fused_kernel(groups, lr, fused=None):
        if fused:
            raise RuntimeError("`fused=True` requires all the params to be on supported devices")
        return plain(groups, lr=lr)

    monkeypatch.setattr(torch.optim, "AdamW", without_fused_kernel)
    assert not _training._adamw([{"params": [weight]}], 1e-3).defaults["fused"]


def test_out_of_memory_halves_the_pieces_of_a_step(trainable_model, monkeypatch):
    from transformers import BertForSequenceClassification

    make = ZeroShotNLIClassifier(trainable_model, n_epochs=2, train_batch_size=4, **FAST)
    expected = clone(make).fit(TEXTS, LABELS).fine_tuned_model_
    original = BertForSequenceClassification.forward
    sizes = []

    def forward(self, input_ids=None, **kwargs):
        sizes.append(len(input_ids))
        if self.training and len(input_ids) > 4:  # more than one text's 4 pairs
            raise OUT_OF_MEMORY("CUDA out of memory (simulated)")
        return original(self, input_ids=input_ids, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(BertForSequenceClassification, "forward", forward)
        clf = clone(make).fit(TEXTS, LABELS)
    assert sizes[:3] == [16, 8, 4]  # halved, then one text (4 pairs) per forward pass
    assert max(sizes[3:]) == 4
    np.testing.assert_allclose(clf.loss_curve_, make.fit(TEXTS, LABELS).loss_curve_, rtol=1e-4)
    assert clf.fine_tuned_model_.files.keys() == expected.files.keys()


# --------------------------------------------------------------------------
# scikit-learn tools, observability


def test_grid_search_over_learning_rate_and_epochs(trainable_model):
    clf = ZeroShotNLIClassifier(trainable_model, random_state=0, device="cpu", backend="torch")
    grid = {"learning_rate": [1e-6, 1e-2], "n_epochs": [0, 6]}
    search = GridSearchCV(clf, grid, cv=3).fit(TEXTS, LABELS)
    assert search.best_params_ == {"learning_rate": 1e-2, "n_epochs": 6}
    assert search.best_score_ == 1.0
    assert search.best_estimator_.loss_curve_


def test_progress_bar_over_training_steps(trainable_model, capsys):
    ZeroShotNLIClassifier(
        trainable_model, n_epochs=2, train_batch_size=5, show_progress_bar=True, **FAST
    ).fit(TEXTS, LABELS)
    err = capsys.readouterr().err
    assert "Fine-tuning" in err
    assert "10/10" in err  # 2 epochs of ceil(24 / 5) steps


# --------------------------------------------------------------------------
# NLIPairScorer


def test_pair_scorer_fine_tunes_its_nli_head(trainable_model):
    zero_shot = NLIPairScorer(trainable_model, device="cpu", backend="torch")
    before = _accuracy(zero_shot.fit(PAIRS, PAIR_LABELS), PAIRS, PAIR_LABELS)
    scorer = NLIPairScorer(trainable_model, n_epochs=4, train_batch_size=6, **FAST)
    scorer.fit(PAIRS, PAIR_LABELS)

    assert scorer.model_labels_ == ["entailment", "neutral", "contradiction"]
    assert len(scorer.loss_curve_) == 4
    assert scorer.loss_curve_[-1] < 0.5 * scorer.loss_curve_[0]
    assert _accuracy(scorer, PAIRS, PAIR_LABELS) == 1.0 > before


def test_pair_scorer_fine_tunes_a_binary_y_through_logsumexp(trainable_model):
    y = ["entailment", "not_entailment", "not_entailment"] * 6
    label_map = {"entailment": "entailment", "not_entailment": ["neutral", "contradiction"]}
    scorer = NLIPairScorer(
        trainable_model, label_map=label_map, n_epochs=4, train_batch_size=6, **FAST
    ).fit(PAIRS, y)
    assert scorer.label_mapping_["not_entailment"] == ("neutral", "contradiction")
    assert _accuracy(scorer, PAIRS, y) == 1.0


def test_pair_scorer_creates_a_fresh_head_on_a_plain_encoder(plain_encoder, tmp_path):
    scorer = NLIPairScorer(plain_encoder, n_epochs=6, train_batch_size=6, **FAST)
    with pytest.warns(UserWarning, match=r"without a sequence-classification head.*new head"):
        scorer.fit(PAIRS, PAIR_LABELS)
    assert scorer.model_labels_ == ["CONTRADICTION", "ENTAILMENT", "NEUTRAL"]
    assert scorer.loss_curve_[-1] < 0.5 * scorer.loss_curve_[0]
    assert _accuracy(scorer, PAIRS, PAIR_LABELS) == 1.0

    path = tmp_path / "nli"
    scorer.save_pretrained(path)
    reloaded = NLIPairScorer(str(path), device="cpu", backend="torch").fit()
    assert reloaded.classes_.tolist() == ["CONTRADICTION", "ENTAILMENT", "NEUTRAL"]
    np.testing.assert_allclose(
        reloaded.predict_proba(PAIRS), scorer.predict_proba(PAIRS), rtol=0, atol=1e-5
    )


def test_fresh_head_is_reproducible_and_rejects_a_label_map(plain_encoder, no_training):
    scorer = NLIPairScorer(plain_encoder, n_epochs=1, label_map={"x": "LABEL_0"}, device="cpu")
    with pytest.raises(InvalidValueError, match="no classification head.*label_map"):
        scorer.fit(PAIRS, PAIR_LABELS)


def test_fresh_head_same_random_state_same_weights(plain_encoder, tmp_path):
    make = NLIPairScorer(plain_encoder, n_epochs=1, train_batch_size=6, **FAST)
    with pytest.warns(UserWarning):
        first = clone(make).fit(PAIRS, PAIR_LABELS)
        second = clone(make).fit(PAIRS, PAIR_LABELS)
    assert first.fine_tuned_model_.fingerprint == second.fine_tuned_model_.fingerprint


def test_fresh_head_directory_is_left_alone(plain_encoder, tmp_path):
    copy = shutil.copytree(plain_encoder, tmp_path / "encoder")
    before = {name: (copy / name).read_bytes() for name in os.listdir(copy)}
    with pytest.warns(UserWarning):
        NLIPairScorer(str(copy), n_epochs=1, **FAST).fit(PAIRS, PAIR_LABELS)
    assert {name: (copy / name).read_bytes() for name in os.listdir(copy)} == before


# --------------------------------------------------------------------------
# the fit path


@pytest.fixture
def no_prediction_runner(monkeypatch):
    """Building, exporting or probing any backend's runner fails the test."""
    from sklearn_nli._runtime import _backends
    from sklearn_nli._runtime._backends import _export, backend_names, get_backend

    def refuse(*args, **kwargs):
        raise AssertionError("fitting built a prediction runner of the model")

    monkeypatch.setattr(_engine, "build_runner", refuse)
    monkeypatch.setattr(_backends, "build_runner", refuse)
    monkeypatch.setattr(_export, "build_checked", refuse)
    for name in backend_names():
        monkeypatch.setattr(get_backend(name), "build", classmethod(refuse))
    return monkeypatch


@pytest.mark.parametrize("multi_label", [False, True])
def test_fine_tuning_never_builds_a_runner_of_the_base_model(
    trainable_model, no_prediction_runner, multi_label
):
    from sklearn_nli import clear_model_cache

    clear_model_cache()
    params = {**FAST, "backend": "auto"}
    if multi_label:
        clf = ZeroShotNLIClassifier(
            trainable_model, candidate_labels=CLASSES, multi_label=True, n_epochs=1, **params
        )
        clf.fit(TEXTS, np.eye(len(CLASSES), dtype=int)[[CLASSES.index(c) for c in LABELS]])
    else:
        clf = ZeroShotNLIClassifier(trainable_model, n_epochs=1, **params).fit(TEXTS, LABELS)
    scorer = NLIPairScorer(trainable_model, n_epochs=1, **params).fit(PAIRS, PAIR_LABELS)
    assert not loaded_engines()
    no_prediction_runner.undo()
    assert clf.predict_proba(TEXTS).shape == (len(TEXTS), len(CLASSES))
    assert scorer.predict_proba(PAIRS).shape == (len(PAIRS), 3)
    assert len(loaded_engines()) == 2  # the two fine-tuned networks', built to predict


def test_fresh_head_fit_builds_no_runner(plain_encoder, no_prediction_runner):
    scorer = NLIPairScorer(plain_encoder, n_epochs=1, **{**FAST, "backend": "auto"})
    with pytest.warns(UserWarning, match="new head"):
        scorer.fit(PAIRS, PAIR_LABELS)
    assert scorer.model_labels_ == sorted(set(PAIR_LABELS))


def test_labels_are_resolved_in_fit_not_in_predict(trainable_model, monkeypatch):
    from sklearn_nli import _labels, _pairs, _zero_shot

    clf = ZeroShotNLIClassifier(trainable_model, n_epochs=1, **FAST).fit(TEXTS, LABELS)
    scorer = NLIPairScorer(trainable_model, n_epochs=1, **FAST).fit(PAIRS, PAIR_LABELS)
    expected = clf.predict_proba(TEXTS), scorer.predict_proba(PAIRS)

    def refuse(*args, **kwargs):
        raise AssertionError("a prediction looked the model's labels up again")

    for module in (_labels, _zero_shot, _pairs):
        for name in ("find_label_column", "entailment_columns", "class_columns"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, refuse)
    np.testing.assert_array_equal(clf.predict_proba(TEXTS), expected[0])
    np.testing.assert_array_equal(scorer.predict_proba(PAIRS), expected[1])


def test_recipe_is_one_frozen_object(trainable_model, monkeypatch):
    seen = []
    original = _training.fine_tune

    def recording(encoder, examples, objective, recipe, head_labels=None):
        seen.append(recipe)
        return original(encoder, examples, objective, recipe, head_labels)

    monkeypatch.setattr(_training, "fine_tune", recording)
    ZeroShotNLIClassifier(trainable_model, n_epochs=2, train_batch_size=3, **FAST).fit(
        TEXTS, LABELS
    )
    (recipe,) = seen
    assert (recipe.n_epochs, recipe.batch_size, recipe.learning_rate) == (2, 3, 1e-2)
    assert (recipe.random_state, recipe.device, recipe.max_length) == (0, "cpu", None)
    with pytest.raises(AttributeError):
        recipe.n_epochs = 3


def test_bf16_training_runs_under_autocast_and_learns(trainable_model, monkeypatch):
    entered = []
    original = torch.autocast

    def recording(device_type, dtype=None, enabled=True, **kwargs):
        entered.append((device_type, dtype, enabled))
        return original(device_type, dtype=dtype, enabled=enabled, **kwargs)

    monkeypatch.setattr(torch, "autocast", recording)
    fp32 = ZeroShotNLIClassifier(trainable_model, n_epochs=4, **FAST).fit(TEXTS, LABELS)
    assert {enabled for _, _, enabled in entered} == {False}
    entered.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # emulated on CPUs without bf16
        bf16 = ZeroShotNLIClassifier(
            trainable_model, n_epochs=4, train_precision="bf16", **FAST
        ).fit(TEXTS, LABELS)
    assert entered and set(entered) == {("cpu", torch.bfloat16, True)}
    assert bf16.loss_curve_[-1] < bf16.loss_curve_[0]
    np.testing.assert_allclose(bf16.loss_curve_, fp32.loss_curve_, rtol=0, atol=0.05)
    assert _accuracy(bf16, TEXTS, LABELS) == _accuracy(fp32, TEXTS, LABELS)


def test_unknown_train_precision_is_a_clear_error(trainable_model, no_training):
    clf = ZeroShotNLIClassifier(trainable_model, n_epochs=1, train_precision="fp16")
    with pytest.raises(InvalidValueError, match="train_precision must be one of 'fp32', 'bf16'"):
        clf.fit(TEXTS, LABELS)
