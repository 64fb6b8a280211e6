"""Parity with transformers' pipelines: the fp32 path must agree to 1e-5.

The guarantee that README.md and docs/performance.md state ("the default (fp32)
path matches transformers' pipelines to 1e-5 on every probability").
"""

import numpy as np
import pytest
from transformers import pipeline

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier
from sklearn_nli._runtime._backends import backend_names, get_backend

TEXTS = [
    "the team plays a game in the park",
    "stock market news: the market is up",
    "a man plays guitar",
    "science and technology news about a dog",
    "politics",
    "the world of business and the stock market in a long text about news and sports " * 3,
    "a cat runs",
    "an example",
]
LABELS = ["sports", "business", "world", "science and technology"]
PAIRS = [
    ("a man plays guitar", "a person plays music"),
    ("a dog runs in the park", "a cat runs"),
    ("the woman plays", "a man plays"),
    ("a team plays a game in the park on sunday afternoon", "the team plays"),
    ("stock market news", "business news"),
    ("a cat", "a dog runs in the park and plays with a man"),
]
MODELS = ["tiny_model", "tiny_model_contradiction_first"]
TOLERANCE = 1e-5


def _zero_shot_reference(model_path, texts, labels, multi_label):
    classifier = pipeline("zero-shot-classification", model=model_path, device="cpu")
    results = classifier(list(texts), candidate_labels=list(labels), multi_label=multi_label)
    return np.array(
        [[dict(zip(r["labels"], r["scores"]))[label] for label in labels] for r in results]
    )


# Every installed backend that runs fp32 on the CPU keeps the 1e-5 guarantee.
FP32_BACKENDS = [
    name
    for name in backend_names()
    if get_backend(name).is_available()
    and get_backend(name).unsupported_reason("cpu", "fp32") is None
]


@pytest.fixture(scope="module", params=FP32_BACKENDS)
def backend(request):
    return {"device": "cpu", "backend": request.param}


@pytest.fixture(scope="module", params=MODELS)
def model_path(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("multi_label", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 32])
def test_zero_shot_matches_pipeline(backend, model_path, multi_label, batch_size):
    labels = sorted(LABELS)  # classes_ order
    expected = _zero_shot_reference(model_path, TEXTS, labels, multi_label)
    clf = ZeroShotNLIClassifier(
        model_path,
        **backend,
        candidate_labels=labels,
        multi_label=multi_label,
        batch_size=batch_size,
    ).fit()
    proba = clf.predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), len(labels))
    np.testing.assert_allclose(proba, expected, atol=TOLERANCE, rtol=0)
    # the scores really differ, so agreement is not an accident of uniform outputs
    assert np.ptp(proba) > 100 * TOLERANCE


@pytest.mark.parametrize("multi_label", [False, True])
def test_zero_shot_shuffled_input_order(backend, model_path, multi_label):
    labels = sorted(LABELS)
    expected = _zero_shot_reference(model_path, TEXTS, labels, multi_label)
    order = np.random.default_rng(0).permutation(len(TEXTS))
    clf = ZeroShotNLIClassifier(
        model_path, **backend, candidate_labels=labels, multi_label=multi_label, batch_size=2
    ).fit()
    proba = clf.predict_proba([TEXTS[i] for i in order])
    np.testing.assert_allclose(proba, expected[order], atol=TOLERANCE, rtol=0)


def test_zero_shot_classes_from_y_follow_sorted_order(backend, model_path):
    y = ["world", "sports", "business", "science and technology"] * 2
    expected = _zero_shot_reference(model_path, TEXTS, sorted(set(y)), multi_label=False)
    clf = ZeroShotNLIClassifier(model_path, **backend).fit(TEXTS, y)
    assert clf.classes_.tolist() == sorted(set(y))
    np.testing.assert_allclose(clf.predict_proba(TEXTS), expected, atol=TOLERANCE, rtol=0)


def test_zero_shot_custom_template_matches_pipeline(backend, model_path):
    template = "The topic of this news is {}."
    labels = sorted(LABELS)
    classifier = pipeline("zero-shot-classification", model=model_path, device="cpu")
    results = classifier(TEXTS, candidate_labels=labels, hypothesis_template=template)
    expected = np.array(
        [[dict(zip(r["labels"], r["scores"]))[lab] for lab in labels] for r in results]
    )
    clf = ZeroShotNLIClassifier(
        model_path, **backend, candidate_labels=labels, hypothesis_template=template
    ).fit()
    np.testing.assert_allclose(clf.predict_proba(TEXTS), expected, atol=TOLERANCE, rtol=0)


def _pair_reference(model_path, pairs):
    classifier = pipeline("text-classification", model=model_path, device="cpu")
    results = classifier([{"text": p, "text_pair": h} for p, h in pairs], top_k=None)
    return [{item["label"]: item["score"] for item in row} for row in results]


@pytest.mark.parametrize("batch_size", [1, 4, 32])
def test_pairs_match_pipeline(backend, model_path, batch_size):
    expected = _pair_reference(model_path, PAIRS)
    scorer = NLIPairScorer(model_path, batch_size=batch_size, **backend).fit()
    proba = scorer.predict_proba(PAIRS)
    reference = np.array([[row[label] for label in scorer.classes_] for row in expected])
    np.testing.assert_allclose(proba, reference, atol=TOLERANCE, rtol=0)
    assert np.ptp(proba) > 100 * TOLERANCE


def test_pairs_shuffled_input_order(backend, model_path):
    expected = _pair_reference(model_path, PAIRS)
    order = np.random.default_rng(1).permutation(len(PAIRS))
    scorer = NLIPairScorer(model_path, batch_size=2, **backend).fit()
    proba = scorer.predict_proba([PAIRS[i] for i in order])
    reference = np.array([[expected[i][label] for label in scorer.classes_] for i in order])
    np.testing.assert_allclose(proba, reference, atol=TOLERANCE, rtol=0)


def test_pairs_sick_style_labels_match_pipeline(backend, model_path):
    y = ["ENTAILMENT", "NEUTRAL", "CONTRADICTION", "NEUTRAL", "ENTAILMENT", "CONTRADICTION"]
    expected = _pair_reference(model_path, PAIRS)
    scorer = NLIPairScorer(model_path, **backend).fit(PAIRS, y)
    assert scorer.classes_.tolist() == ["CONTRADICTION", "ENTAILMENT", "NEUTRAL"]
    reference = np.array([[row[c.lower()] for c in scorer.classes_] for row in expected])
    np.testing.assert_allclose(scorer.predict_proba(PAIRS), reference, atol=TOLERANCE, rtol=0)
