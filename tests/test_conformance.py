"""Explicit scikit-learn conformance suite for both estimators.

scikit-learn's ``check_estimator`` skips most of its checks for estimators that
take text (their tags declare string input; ``NLIPairScorer``'s also declare no
2-D array input, and ``test_common.py`` runs the common checks that apply on
``ZeroShotNLIClassifier``), so the contract is checked here one property at a
time, on ``ZeroShotNLIClassifier`` and ``NLIPairScorer`` alike, with the tiny
random models that the fixtures of ``conftest.py`` build (``sklearn_nli._testing``).
"""

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier, clear_model_cache
from sklearn_nli._runtime._engine import get_engine

REPO_ROOT = Path(__file__).resolve().parents[1]

TOPICS = ["sports", "politics", "business"]  # deliberately not sorted

TEXTS = [
    "the team won the game in the park",
    "the stock market fell on business news",
    "a woman runs for the politics of the world",
    "the man plays guitar and music",
    "news of the market and the stock",
    "science and technology in the world",
    "the dog runs in the park",
    "a cat and a dog play a game",
    "politics news of the world",
    "the team plays a game of sports",
    "business and technology news",
    "a person plays music in the park",
]
TEXT_TOPICS = [
    "sports",
    "business",
    "politics",
    "sports",
    "business",
    "politics",
    "sports",
    "sports",
    "politics",
    "sports",
    "business",
    "business",
]
MULTI_Y = np.array(
    [
        [1, 0, 0],
        [0, 0, 1],
        [0, 1, 0],
        [1, 0, 1],
        [0, 0, 1],
        [0, 1, 1],
        [1, 0, 0],
        [1, 1, 0],
        [0, 1, 0],
        [1, 0, 0],
        [0, 0, 1],
        [1, 1, 1],
    ]
)

PAIRS = [
    ("a man plays a guitar", "a person plays music"),
    ("a dog runs in the park", "a cat runs in the park"),
    ("the team won the game", "the team plays a game"),
    ("a woman plays music", "a man plays guitar"),
    ("the stock market fell", "the market news is about business"),
    ("a cat runs", "a dog runs"),
    ("a person runs in the park", "a man runs"),
    ("the news is about politics", "the news is about sports"),
    ("a man plays", "a woman plays"),
    ("the dog and the cat", "a dog"),
    ("science news", "technology news"),
    ("a team plays sports", "a game in the park"),
]
SICK = ["ENTAILMENT", "NEUTRAL", "CONTRADICTION"] * 4

TEMPLATES = ["This example is {}.", "This text is about {}.", "The topic is {}."]


def zero_shot_case(model):
    return ZeroShotNLIClassifier(model), list(TEXTS), list(TEXT_TOPICS)


def pair_scorer_case(model):
    return NLIPairScorer(model), list(PAIRS), list(SICK)


CASES = {"zero_shot": zero_shot_case, "pair_scorer": pair_scorer_case}
GRIDS = {
    "zero_shot": {"hypothesis_template": TEMPLATES},
    "pair_scorer": {"batch_size": [3, 8, 32]},
}


@pytest.fixture(params=sorted(CASES))
def case(request, tiny_model):
    """(estimator, X, y) for each estimator; the id names the estimator."""
    return CASES[request.param](tiny_model)


@pytest.fixture(params=sorted(CASES))
def named_case(request, tiny_model):
    return (request.param, *CASES[request.param](tiny_model))


def _take(X, indices):
    return [X[i] for i in indices]


def _without_result_cache(estimator):
    """Turn off the in-process result cache, where the estimator has one, so that
    comparisons between batch sizes or orders really recompute the logits."""
    if "cache" in estimator.get_params():
        estimator.set_params(cache=False)
    return estimator


def _count_model_loads(monkeypatch):
    """Count calls of ``AutoModelForSequenceClassification.from_pretrained``."""
    import transformers

    auto_class = transformers.AutoModelForSequenceClassification
    original = auto_class.from_pretrained
    calls = []

    def counting_from_pretrained(*args, **kwargs):
        calls.append(args[0] if args else kwargs.get("pretrained_model_name_or_path"))
        return original(*args, **kwargs)

    monkeypatch.setattr(auto_class, "from_pretrained", counting_from_pretrained)
    return calls


# --------------------------------------------------------------------------
# parameters, clone, pickle


def test_init_stores_parameters_without_loading(case, monkeypatch, tmp_path):
    estimator, _, _ = case
    calls = _count_model_loads(monkeypatch)
    missing = str(tmp_path / "not-a-model")
    fresh = type(estimator)(missing, batch_size=-3, device="gpu")
    assert fresh.model == missing
    assert fresh.batch_size == -3
    assert fresh.device == "gpu"
    assert calls == []


def test_clone_is_cheap_and_holds_only_parameters(case, monkeypatch):
    estimator, X, y = case
    estimator.fit(X, y).predict_proba(X[:2])  # the engine is loaded and cached
    clear_model_cache()
    calls = _count_model_loads(monkeypatch)

    cloned = clone(estimator)

    assert calls == [], "clone must not load the model"
    assert set(vars(cloned)) == set(estimator.get_params(deep=False))
    assert cloned.get_params() == estimator.get_params()
    assert not hasattr(cloned, "classes_")


def test_get_params_set_params_round_trip(case):
    estimator, _, _ = case
    params = estimator.get_params()
    rebuilt = type(estimator)(**params)
    assert rebuilt.get_params() == params

    assert estimator.set_params(batch_size=7, max_length=64) is estimator
    assert estimator.get_params()["batch_size"] == 7
    assert estimator.get_params()["max_length"] == 64
    estimator.set_params(**params)
    assert estimator.get_params() == params

    with pytest.raises(ValueError, match="Invalid parameter"):
        estimator.set_params(not_a_parameter=1)


def test_pickle_round_trip_is_small_and_identical(case, monkeypatch):
    estimator, X, y = case
    expected = estimator.fit(X, y).predict_proba(X)
    clear_model_cache()
    calls = _count_model_loads(monkeypatch)

    payload = pickle.dumps(estimator)
    loaded = pickle.loads(payload)

    assert calls == [], "pickling and unpickling must not load the model"
    assert len(payload) < 100_000, f"pickle of a fitted estimator is {len(payload)} bytes"
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    np.testing.assert_array_equal(loaded.classes_, estimator.classes_)
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert len(calls) == 1, "the unpickled estimator reloads the model lazily"


_SUBPROCESS_SCRIPT = textwrap.dedent(
    """
    import pickle
    import sys

    import numpy as np

    from sklearn_nli import clear_model_cache
    from sklearn_nli._runtime._engine import loaded_engines

    for name in sys.argv[2:]:
        with open(f"{sys.argv[1]}/{name}.pkl", "rb") as f:
            estimator, X = pickle.load(f)
        expected = np.load(f"{sys.argv[1]}/{name}-proba.npy")
        assert not loaded_engines(), "unpickling must not load a model"
        proba = estimator.predict_proba(X)
        assert proba.shape == expected.shape, (name, proba.shape, expected.shape)
        np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-6, err_msg=name)
        predicted = np.load(f"{sys.argv[1]}/{name}-predict.npy", allow_pickle=True)
        np.testing.assert_array_equal(estimator.predict(X), predicted, err_msg=name)
        clear_model_cache()
        print(f"{name}: fresh-process-ok")
    """
)


def test_pickle_predicts_in_fresh_subprocess(tiny_model, tmp_path):
    """Both estimators, pickled here, load and predict identically in a new interpreter.

    One subprocess serves both estimators: starting Python with torch is the slow part.
    """
    for name, make_case in CASES.items():
        estimator, X, y = make_case(tiny_model)
        estimator.fit(X, y)
        with open(tmp_path / f"{name}.pkl", "wb") as f:
            pickle.dump((estimator, X), f)
        np.save(tmp_path / f"{name}-proba.npy", estimator.predict_proba(X))
        np.save(tmp_path / f"{name}-predict.npy", estimator.predict(X), allow_pickle=True)
    script_path = tmp_path / "load_and_predict.py"
    script_path.write_text(_SUBPROCESS_SCRIPT)

    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    result = subprocess.run(
        [sys.executable, str(script_path), str(tmp_path), *CASES],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in CASES:
        assert f"{name}: fresh-process-ok" in result.stdout


# --------------------------------------------------------------------------
# fit / predict contract


def test_fit_returns_self(case):
    estimator, X, y = case
    assert estimator.fit(X, y) is estimator


def test_fit_without_data(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=TOPICS)
    assert clf.fit() is clf
    assert clf.classes_.tolist() == sorted(TOPICS)

    scorer = NLIPairScorer(tiny_model)
    assert scorer.fit() is scorer
    assert scorer.classes_.tolist() == ["contradiction", "entailment", "neutral"]
    assert scorer.model_labels_ == ["entailment", "neutral", "contradiction"]


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "decision_function", "transform", "score"]
)
def test_not_fitted_error_before_fit(case, method):
    estimator, X, y = case
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(NotFittedError):
        getattr(estimator, method)(*args)


def test_get_feature_names_out_not_fitted(case):
    estimator, _, _ = case
    with pytest.raises(NotFittedError):
        estimator.get_feature_names_out()


def test_classes_are_sorted_unique_y(case):
    estimator, X, y = case
    estimator.fit(X, y)
    assert estimator.classes_.tolist() == sorted(set(y))
    assert estimator.predict_proba(X).shape == (len(X), len(set(y)))


def test_zero_shot_classes_sorted_from_candidate_labels(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=TOPICS).fit()
    assert clf.classes_.tolist() == ["business", "politics", "sports"]
    assert clf.hypotheses_ == [
        "This example is business.",
        "This example is politics.",
        "This example is sports.",
    ]


def test_zero_shot_proba_columns_follow_classes(tiny_model):
    """Column k is the softmax over entailment logits, at ``classes_[k]``'s hypothesis."""
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=TOPICS).fit()
    proba = clf.predict_proba(TEXTS)

    engine = get_engine(tiny_model, "auto")
    entail = engine.labels.index("entailment")
    logits = np.stack(
        [
            engine.logits(TEXTS, [f"This example is {c}."] * len(TEXTS))[:, entail]
            for c in clf.classes_
        ],
        axis=1,
    )
    np.testing.assert_allclose(proba, softmax(logits.astype(np.float64), axis=1), atol=1e-6)


def test_pair_proba_columns_follow_classes(tiny_model_contradiction_first):
    """Classes match model labels by name whatever the model's label order."""
    scorer = NLIPairScorer(tiny_model_contradiction_first).fit(PAIRS, SICK)
    assert scorer.classes_.tolist() == ["CONTRADICTION", "ENTAILMENT", "NEUTRAL"]
    engine = get_engine(tiny_model_contradiction_first, "auto")
    assert engine.labels == ["contradiction", "entailment", "neutral"]
    premises, hypotheses = zip(*PAIRS, strict=True)
    expected = softmax(engine.logits(list(premises), list(hypotheses)).astype(np.float64), axis=1)
    proba = scorer.predict_proba(PAIRS)
    for k, cls in enumerate(scorer.classes_):
        column = engine.labels.index(cls.lower())
        np.testing.assert_allclose(proba[:, k], expected[:, column], atol=1e-6)


def test_predict_proba_rows_sum_to_one(case):
    estimator, X, y = case
    proba = estimator.fit(X, y).predict_proba(X)
    assert proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


def test_predict_is_argmax_of_proba(case):
    estimator, X, y = case
    estimator.fit(X, y)
    proba = estimator.predict_proba(X)
    np.testing.assert_array_equal(estimator.predict(X), estimator.classes_[proba.argmax(axis=1)])


def test_decision_function_consistent_with_proba(case):
    estimator, X, y = case
    estimator.fit(X, y)
    scores = estimator.decision_function(X)
    assert scores.shape == (len(X), len(estimator.classes_))
    np.testing.assert_allclose(softmax(scores, axis=1), estimator.predict_proba(X), atol=1e-9)


def test_binary_decision_function_is_1d(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=["sports", "politics"]).fit()
    scores = clf.decision_function(TEXTS)
    assert scores.shape == (len(TEXTS),)
    np.testing.assert_allclose(expit(scores), clf.predict_proba(TEXTS)[:, 1], atol=1e-9)

    scorer = NLIPairScorer(tiny_model).fit(PAIRS, ["entailment", "not_entailment"] * 6)
    scores = scorer.decision_function(PAIRS)
    assert scores.shape == (len(PAIRS),)
    np.testing.assert_allclose(expit(scores), scorer.predict_proba(PAIRS)[:, 1], atol=1e-9)


def test_transform_equals_predict_proba(case):
    estimator, X, y = case
    estimator.fit(X, y)
    np.testing.assert_array_equal(estimator.transform(X), estimator.predict_proba(X))
    np.testing.assert_array_equal(
        estimator.get_feature_names_out(), [str(c) for c in estimator.classes_]
    )


def test_score_equals_accuracy_score(case):
    estimator, X, y = case
    estimator.fit(X, y)
    expected = accuracy_score(y, estimator.predict(X))
    assert estimator.score(X, y) == pytest.approx(expected)


def test_predictions_independent_of_batch_size_and_order(case):
    estimator, X, y = case
    _without_result_cache(estimator)
    reference = estimator.set_params(batch_size=32).fit(X, y).predict_proba(X)
    order = np.random.default_rng(0).permutation(len(X))
    shuffled = estimator.set_params(batch_size=3).predict_proba(_take(X, order))
    np.testing.assert_allclose(shuffled, reference[order], atol=1e-5)


# --------------------------------------------------------------------------
# meta-estimators


def _first_four_words(texts):
    return [" ".join(text.split()[:4]) for text in texts]


def test_pipeline_identity_step(case):
    estimator, X, y = case
    pipe = Pipeline([("noop", FunctionTransformer()), ("est", clone(estimator))]).fit(X, y)
    estimator.fit(X, y)
    np.testing.assert_array_equal(pipe.classes_, estimator.classes_)
    np.testing.assert_array_equal(pipe.predict_proba(X), estimator.predict_proba(X))
    np.testing.assert_array_equal(pipe.predict(X), estimator.predict(X))
    assert pipe.score(X, y) == pytest.approx(estimator.score(X, y))


def test_pipeline_function_transformer_then_zero_shot(tiny_model):
    pipe = Pipeline(
        [
            ("shorten", FunctionTransformer(_first_four_words)),
            ("clf", ZeroShotNLIClassifier(tiny_model)),
        ]
    ).fit(TEXTS, TEXT_TOPICS)
    direct = ZeroShotNLIClassifier(tiny_model).fit(TEXTS, TEXT_TOPICS)
    shortened = _first_four_words(TEXTS)
    np.testing.assert_allclose(
        pipe.predict_proba(TEXTS), direct.predict_proba(shortened), atol=1e-12
    )
    assert not np.allclose(pipe.predict_proba(TEXTS), direct.predict_proba(TEXTS))


def test_pipeline_column_transformer_then_pair_scorer(tiny_model):
    frame = pd.DataFrame(
        {
            "id": np.arange(len(PAIRS)),
            "premise": [p for p, _ in PAIRS],
            "hypothesis": [h for _, h in PAIRS],
        }
    )
    pipe = Pipeline(
        [
            ("select", ColumnTransformer([("text", "passthrough", ["premise", "hypothesis"])])),
            ("scorer", NLIPairScorer(tiny_model)),
        ]
    ).fit(frame, SICK)
    direct = NLIPairScorer(tiny_model).fit(PAIRS, SICK)
    np.testing.assert_allclose(pipe.predict_proba(frame), direct.predict_proba(PAIRS), atol=1e-12)
    np.testing.assert_array_equal(pipe.predict(frame), direct.predict(PAIRS))


def test_cross_val_score_matches_manual_folds(case):
    estimator, X, y = case
    scores = cross_val_score(estimator, X, y, cv=3, error_score="raise")
    assert scores.shape == (3,)

    expected = []
    for train, test in StratifiedKFold(n_splits=3).split(np.zeros(len(y)), y):
        fold = clone(estimator).fit(_take(X, train), _take(y, train))
        expected.append(fold.score(_take(X, test), _take(y, test)))
    np.testing.assert_allclose(scores, expected, atol=1e-12)


def test_grid_search_zero_shot_over_templates(tiny_model):
    search = GridSearchCV(
        ZeroShotNLIClassifier(tiny_model),
        {"hypothesis_template": TEMPLATES},
        cv=3,
        error_score="raise",
    ).fit(TEXTS, TEXT_TOPICS)
    assert len(search.cv_results_["params"]) == 3
    assert search.best_params_["hypothesis_template"] in TEMPLATES

    for params, mean in zip(
        search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
    ):
        manual = cross_val_score(
            ZeroShotNLIClassifier(tiny_model, **params),
            TEXTS,
            TEXT_TOPICS,
            cv=3,
            error_score="raise",
        )
        assert mean == pytest.approx(manual.mean())

    best = search.best_estimator_
    template = search.best_params_["hypothesis_template"]
    assert best.hypotheses_ == [template.format(c) for c in best.classes_]
    probas = [
        ZeroShotNLIClassifier(tiny_model, hypothesis_template=t, candidate_labels=TOPICS)
        .fit()
        .predict_proba(TEXTS)
        for t in TEMPLATES
    ]
    assert not np.allclose(probas[0], probas[1])
    assert not np.allclose(probas[0], probas[2])


def test_grid_search_pair_scorer_over_batch_size(tiny_model):
    search = GridSearchCV(
        _without_result_cache(NLIPairScorer(tiny_model)),
        {"batch_size": [3, 8, 32]},
        cv=3,
        error_score="raise",
    ).fit(PAIRS, SICK)
    means = search.cv_results_["mean_test_score"]
    assert len(means) == 3
    # the batch size changes speed, never the scores
    np.testing.assert_allclose(means, means[0], atol=1e-12)
    assert search.best_estimator_.batch_size in (3, 8, 32)


def test_grid_search_pair_scorer_over_max_length(tiny_model):
    search = GridSearchCV(
        NLIPairScorer(tiny_model), {"max_length": [11, 14, None]}, cv=3, error_score="raise"
    ).fit(PAIRS, SICK)
    means = search.cv_results_["mean_test_score"]
    assert len(means) == 3
    assert np.all(np.isfinite(means))
    assert search.best_params_["max_length"] in (11, 14, None)
    scorer = NLIPairScorer(tiny_model).fit(PAIRS, SICK)
    short = scorer.set_params(max_length=11).predict_proba(PAIRS)
    full = scorer.set_params(max_length=None).predict_proba(PAIRS)
    assert not np.allclose(short, full), "max_length=11 truncates the premises"


@pytest.mark.parametrize("name", sorted(CASES))
def test_grid_search_loads_model_once(name, tiny_model, monkeypatch):
    estimator, X, y = CASES[name](tiny_model)
    clear_model_cache()
    calls = _count_model_loads(monkeypatch)

    GridSearchCV(estimator, GRIDS[name], cv=3, n_jobs=None, error_score="raise").fit(X, y)

    assert len(calls) == 1, f"model loaded {len(calls)} times: {calls}"


# --------------------------------------------------------------------------
# transformer API: set_output, FeatureUnion


def test_set_output_pandas(case):
    estimator, X, y = case
    estimator.set_output(transform="pandas").fit(X, y)
    out = estimator.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == estimator.get_feature_names_out().tolist()
    assert out.columns.tolist() == [str(c) for c in estimator.classes_]
    np.testing.assert_array_equal(out.to_numpy(), estimator.predict_proba(X))


def test_set_output_pandas_keeps_dataframe_index(tiny_model):
    frame = pd.DataFrame(
        PAIRS, columns=["premise", "hypothesis"], index=[f"p{i}" for i in range(12)]
    )
    scorer = NLIPairScorer(tiny_model).set_output(transform="pandas").fit(frame, SICK)
    out = scorer.transform(frame)
    assert out.index.tolist() == frame.index.tolist()
    assert out.columns.tolist() == ["CONTRADICTION", "ENTAILMENT", "NEUTRAL"]


def test_feature_union_with_tfidf(tiny_model):
    union = FeatureUnion(
        [
            ("tfidf", TfidfVectorizer()),
            ("nli", ZeroShotNLIClassifier(tiny_model, candidate_labels=TOPICS)),
        ]
    )
    features = union.fit_transform(TEXTS)
    n_vocab = len(union.named_transformers["tfidf"].vocabulary_)
    assert n_vocab > 0
    assert features.shape == (len(TEXTS), n_vocab + len(TOPICS))

    dense = features.toarray() if sp.issparse(features) else np.asarray(features)
    nli = union.named_transformers["nli"]
    np.testing.assert_allclose(dense[:, n_vocab:], nli.predict_proba(TEXTS), atol=1e-12)
    names = union.get_feature_names_out()
    assert len(names) == n_vocab + len(TOPICS)
    assert names[n_vocab:].tolist() == ["nli__business", "nli__politics", "nli__sports"]


# --------------------------------------------------------------------------
# pandas input


def test_zero_shot_series_input(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model)
    series = pd.Series(TEXTS, index=[f"doc{i}" for i in range(len(TEXTS))], name="text")
    clf.fit(series, pd.Series(TEXT_TOPICS, index=series.index))
    assert clf.classes_.tolist() == sorted(TOPICS)
    assert not hasattr(clf, "n_features_in_")
    np.testing.assert_array_equal(clf.predict_proba(series), clf.predict_proba(TEXTS))


def test_zero_shot_dataframe_with_two_text_columns(tiny_model):
    titles = [" ".join(t.split()[:2]) for t in TEXTS]
    bodies = [" ".join(t.split()[2:]) for t in TEXTS]
    frame = pd.DataFrame({"title": titles, "body": bodies})
    clf = ZeroShotNLIClassifier(tiny_model).fit(frame, TEXT_TOPICS)
    assert clf.n_features_in_ == 2
    assert clf.feature_names_in_.tolist() == ["title", "body"]

    joined = [f"{a} {b}" for a, b in zip(titles, bodies, strict=True)]
    reference = ZeroShotNLIClassifier(tiny_model).fit(joined, TEXT_TOPICS)
    np.testing.assert_allclose(
        clf.predict_proba(frame), reference.predict_proba(joined), atol=1e-12
    )
    # a 2-D array of the same columns works as well (sklearn warns: no feature names)
    with pytest.warns(UserWarning, match="feature names"):
        proba = clf.predict_proba(frame.to_numpy())
    np.testing.assert_allclose(proba, reference.predict_proba(joined), atol=1e-12)


def test_pair_scorer_dataframe_named_columns(tiny_model):
    frame = pd.DataFrame(
        {
            "label": SICK,
            "hypothesis": [h for _, h in PAIRS],
            "id": range(len(PAIRS)),
            "premise": [p for p, _ in PAIRS],
        }
    )
    scorer = NLIPairScorer(tiny_model, premise_column="premise", hypothesis_column="hypothesis")
    scorer.fit(frame, frame["label"])
    reference = NLIPairScorer(tiny_model).fit(PAIRS, SICK)
    np.testing.assert_allclose(
        scorer.predict_proba(frame), reference.predict_proba(PAIRS), atol=1e-12
    )


def test_pair_scorer_two_column_dataframe_and_array(tiny_model):
    reference = NLIPairScorer(tiny_model).fit(PAIRS, SICK).predict_proba(PAIRS)
    frame = pd.DataFrame(PAIRS, columns=["sentence_A", "sentence_B"])
    scorer = NLIPairScorer(tiny_model).fit(frame, pd.Series(SICK))
    np.testing.assert_allclose(scorer.predict_proba(frame), reference, atol=1e-12)
    array = np.array(PAIRS, dtype=object)
    np.testing.assert_allclose(scorer.predict_proba(array), reference, atol=1e-12)
    # premise and hypothesis are not interchangeable
    swapped = frame[["sentence_B", "sentence_A"]]
    assert not np.allclose(scorer.predict_proba(swapped), reference)


# --------------------------------------------------------------------------
# multi-label zero-shot


def test_multi_label_classes_keep_candidate_order(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=TOPICS, multi_label=True)
    clf.fit(TEXTS, MULTI_Y)
    assert clf.classes_.tolist() == TOPICS
    assert clf.hypotheses_ == [f"This example is {t}." for t in TOPICS]


def test_multi_label_proba_shape_and_range(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=TOPICS, multi_label=True)
    proba = clf.fit(TEXTS, MULTI_Y).predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), len(TOPICS))
    assert np.all((proba >= 0) & (proba <= 1))
    # labels are scored independently: rows do not sum to 1
    assert not np.allclose(proba.sum(axis=1), 1.0)


def test_multi_label_proba_is_sigmoid_of_entailment_minus_contradiction(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=TOPICS, multi_label=True).fit()
    engine = get_engine(tiny_model, "auto")
    entail = engine.labels.index("entailment")
    contra = engine.labels.index("contradiction")
    columns = []
    for label in TOPICS:
        logits = engine.logits(TEXTS, [f"This example is {label}."] * len(TEXTS))
        columns.append(logits[:, entail].astype(np.float64) - logits[:, contra])
    differences = np.stack(columns, axis=1)
    expected = expit(differences)
    np.testing.assert_allclose(clf.predict_proba(TEXTS), expected, atol=1e-6)
    np.testing.assert_allclose(clf.decision_function(TEXTS), differences, atol=1e-5)

    single = ZeroShotNLIClassifier(tiny_model, candidate_labels=["politics"], multi_label=True)
    np.testing.assert_allclose(single.fit().predict_proba(TEXTS)[:, 0], expected[:, 1], atol=1e-12)


def test_multi_label_predict_is_thresholded_indicator(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=TOPICS, multi_label=True)
    proba = clf.fit(TEXTS, MULTI_Y).predict_proba(TEXTS)
    threshold = float(np.median(proba))
    clf.set_params(threshold=threshold)
    predicted = clf.predict(TEXTS)

    assert predicted.shape == (len(TEXTS), len(TOPICS))
    assert set(np.unique(predicted).tolist()) == {0, 1}
    np.testing.assert_array_equal(predicted, (proba >= threshold).astype(int))
    assert clf.set_params(threshold=0.0).predict(TEXTS).all()
    assert not clf.set_params(threshold=1.0).predict(TEXTS).any()

    clf.set_params(threshold=threshold)
    f1 = f1_score(MULTI_Y, predicted, average="micro")
    true_positives = np.sum(predicted & MULTI_Y)
    assert f1 == pytest.approx(2 * true_positives / (predicted.sum() + MULTI_Y.sum()))
    assert clf.score(TEXTS, MULTI_Y) == pytest.approx(accuracy_score(MULTI_Y, predicted))


# --------------------------------------------------------------------------
# hypotheses, label mapping


def test_label_descriptions_change_hypotheses(tiny_model):
    descriptions = {"sports": "games and athletics"}
    plain = ZeroShotNLIClassifier(tiny_model).fit(TEXTS, TEXT_TOPICS)
    described = ZeroShotNLIClassifier(tiny_model, label_descriptions=descriptions).fit(
        TEXTS, TEXT_TOPICS
    )
    assert described.classes_.tolist() == plain.classes_.tolist()
    assert described.hypotheses_ == [
        "This example is business.",
        "This example is politics.",
        "This example is games and athletics.",
    ]
    assert not np.allclose(described.predict_proba(TEXTS), plain.predict_proba(TEXTS))

    # the description replaces the label text: same scores as a label named by it
    renamed = ZeroShotNLIClassifier(
        tiny_model, candidate_labels=["business", "politics", "games and athletics"]
    ).fit()
    order = [renamed.classes_.tolist().index(c) for c in ["business", "politics"]]
    order.append(renamed.classes_.tolist().index("games and athletics"))
    np.testing.assert_allclose(
        described.predict_proba(TEXTS), renamed.predict_proba(TEXTS)[:, order], atol=1e-12
    )
    np.testing.assert_array_equal(
        described.predict(TEXTS),
        described.classes_[renamed.predict_proba(TEXTS)[:, order].argmax(axis=1)],
    )


def test_pair_binary_not_entailment_sums_other_labels(tiny_model):
    three = NLIPairScorer(tiny_model).fit(PAIRS, SICK)
    p3 = three.predict_proba(PAIRS)
    column = {c: k for k, c in enumerate(three.classes_.tolist())}

    binary = NLIPairScorer(tiny_model).fit(PAIRS, ["entailment", "not_entailment"] * 6)
    assert binary.classes_.tolist() == ["entailment", "not_entailment"]
    assert binary.label_mapping_ == {
        "entailment": ("entailment",),
        "not_entailment": ("neutral", "contradiction"),
    }
    p2 = binary.predict_proba(PAIRS)
    np.testing.assert_allclose(p2[:, 0], p3[:, column["ENTAILMENT"]], atol=1e-9)
    np.testing.assert_allclose(
        p2[:, 1], p3[:, column["NEUTRAL"]] + p3[:, column["CONTRADICTION"]], atol=1e-9
    )
    np.testing.assert_allclose(p2.sum(axis=1), 1.0, atol=1e-9)


def test_pair_label_map(tiny_model):
    label_map = {"yes": "entailment", "no": ["neutral", "contradiction"]}
    y = ["yes", "no", "no"] * 4
    scorer = NLIPairScorer(tiny_model, label_map=label_map).fit(PAIRS, y)
    assert scorer.classes_.tolist() == ["no", "yes"]
    assert scorer.label_mapping_ == {"no": ("neutral", "contradiction"), "yes": ("entailment",)}

    full = NLIPairScorer(tiny_model).fit()
    p3 = full.predict_proba(PAIRS)
    column = {c: k for k, c in enumerate(full.classes_.tolist())}
    proba = scorer.predict_proba(PAIRS)
    np.testing.assert_allclose(proba[:, 1], p3[:, column["entailment"]], atol=1e-9)
    np.testing.assert_allclose(
        proba[:, 0], p3[:, column["neutral"]] + p3[:, column["contradiction"]], atol=1e-9
    )
    np.testing.assert_array_equal(scorer.predict(PAIRS), np.where(proba[:, 1] > 0.5, "yes", "no"))

    # without y the classes come from the map
    assert NLIPairScorer(tiny_model, label_map=label_map).fit().classes_.tolist() == ["no", "yes"]


def test_pair_label_map_renames_three_classes(tiny_model_contradiction_first):
    label_map = {"E": "ENTAILMENT", "N": "Neutral", "C": "contradiction"}
    scorer = NLIPairScorer(tiny_model_contradiction_first, label_map=label_map)
    scorer.fit(PAIRS, ["E", "N", "C"] * 4)
    assert scorer.classes_.tolist() == ["C", "E", "N"]
    by_name = NLIPairScorer(tiny_model_contradiction_first).fit(PAIRS, SICK)
    np.testing.assert_allclose(
        scorer.predict_proba(PAIRS), by_name.predict_proba(PAIRS), atol=1e-12
    )
