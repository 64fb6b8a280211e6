"""Learning from unlabelled texts: class_prior (prior matching) and self-training rounds."""

import json
import pickle
import warnings

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score

from sklearn_nli import ZeroShotNLIClassifier, clear_model_cache
from sklearn_nli._errors import InvalidTypeError, InvalidValueError
from sklearn_nli._learning import _training
from sklearn_nli._learning._unlabelled import match_prior, select_confident

CLASSES = ["animals", "business", "music", "sports"]
TEXTS = [
    "the team won the game",
    "the stock market fell",
    "a man plays guitar music",
    "the dog runs in the park",
    "the team plays in the park",
    "news of the market and the stock",
    "a woman plays music on the guitar",
    "a cat and a dog",
] * 3
LABELS = ["sports", "business", "music", "animals"] * 6
FAST = {"learning_rate": 1e-2, "random_state": 0, "device": "cpu", "backend": "torch"}
ROUNDS = {"self_training_rounds": 2, "n_epochs": 1, "pseudo_labels_per_class": 2, **FAST}


def prior_clf(model, **params):
    return ZeroShotNLIClassifier(model, **{"candidate_labels": CLASSES, **FAST, **params})


def quietly(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rounds where a class gets no text
        return function(*args)


# -------------------------------------------------------------- prior matching


@pytest.mark.parametrize(
    "prior",
    [
        "uniform",
        [0.1, 0.2, 0.3, 0.4],
        {"sports": 0.4, "music": 0.3, "business": 0.2, "animals": 0.1},
    ],
    ids=["uniform", "sequence", "dict"],
)
def test_class_prior_matches_the_mean_predicted_distribution(tiny_model, prior):
    clf = prior_clf(tiny_model, class_prior=prior).fit(TEXTS)
    expected = {
        "uniform": [0.25] * 4,
        "sequence": [0.1, 0.2, 0.3, 0.4],
        "dict": [0.1, 0.2, 0.3, 0.4],
    }
    mean = clf.predict_proba(TEXTS).mean(axis=0)
    wanted = expected["uniform" if prior == "uniform" else "sequence"]
    np.testing.assert_allclose(mean, wanted, atol=1e-6)
    assert clf.class_offsets_.shape == (4,) and abs(clf.class_offsets_.sum()) < 1e-9


def test_every_method_uses_the_corrected_scores(tiny_model):
    raw = prior_clf(tiny_model).fit()
    clf = prior_clf(tiny_model, class_prior="uniform").fit(TEXTS)
    scores = clf.decision_function(TEXTS)
    np.testing.assert_allclose(scores, raw.decision_function(TEXTS) + clf.class_offsets_)
    np.testing.assert_allclose(clf.predict_proba(TEXTS), softmax(scores, axis=1), atol=1e-12)
    np.testing.assert_array_equal(clf.transform(TEXTS), clf.predict_proba(TEXTS))
    predicted = clf.classes_[np.argmax(scores, axis=1)]
    np.testing.assert_array_equal(clf.predict(TEXTS), predicted)
    assert clf.score(TEXTS, LABELS) == np.mean(predicted == np.asarray(LABELS))


def test_class_prior_none_changes_nothing(tiny_model):
    plain = ZeroShotNLIClassifier(tiny_model, candidate_labels=CLASSES, **FAST).fit()
    same = prior_clf(tiny_model, class_prior=None).fit(TEXTS)
    np.testing.assert_array_equal(same.predict_proba(TEXTS), plain.predict_proba(TEXTS))
    assert not hasattr(same, "class_offsets_")


def test_match_prior_reaches_the_prior_and_zero_prior_classes_get_none():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(200, 3)) + np.array([3.0, 0.0, -1.0])
    offsets = match_prior(scores, np.array([0.5, 0.5, 0.0]))
    proba = softmax(scores + offsets, axis=1)
    np.testing.assert_allclose(proba.mean(axis=0), [0.5, 0.5, 0.0], atol=1e-6)
    assert offsets[2] == -np.inf


def test_offsets_come_from_the_texts_fit_gets(tiny_model):
    first = prior_clf(tiny_model, class_prior="uniform").fit(TEXTS[:8])
    second = prior_clf(tiny_model, class_prior="uniform").fit(TEXTS[8:12])
    assert not np.allclose(first.class_offsets_, second.class_offsets_)
    # cross-validation: each fold's offsets from its training texts only
    scores = cross_val_score(
        prior_clf(tiny_model, class_prior="uniform"), TEXTS, LABELS, cv=3, error_score="raise"
    )
    assert scores.shape == (3,)


def test_labelled_and_unlabelled_texts_both_count_for_the_offsets(tiny_model):
    y = np.array(LABELS, dtype=object)
    y[8:] = -1
    clf = prior_clf(tiny_model, class_prior="uniform", candidate_labels=None).fit(TEXTS, y)
    assert clf.classes_.tolist() == CLASSES
    np.testing.assert_allclose(clf.predict_proba(TEXTS).mean(axis=0), 0.25, atol=1e-6)


def test_fine_tuned_offsets_come_from_the_fine_tuned_scores(tiny_model):
    clf = prior_clf(tiny_model, class_prior="uniform", n_epochs=2).fit(TEXTS, LABELS)
    assert hasattr(clf, "fine_tuned_model_")
    np.testing.assert_allclose(clf.predict_proba(TEXTS).mean(axis=0), 0.25, atol=1e-6)


# ---------------------------------------------------------------- self-training


def test_self_training_rounds_and_their_attributes(tiny_model):
    clf = quietly(prior_clf(tiny_model, class_prior="uniform", **ROUNDS).fit, TEXTS)
    assert clf.n_iter_ == 2 and len(clf.self_training_history_) == 2
    for round_ in clf.self_training_history_:
        assert set(round_["pseudo_labels"]) == set(CLASSES)
        assert all(0 <= n <= 2 for n in round_["pseudo_labels"].values())
        assert len(round_["loss_curve"]) == 1
    kept = clf.labeled_iter_ > 0
    assert kept.sum() == sum(clf.self_training_history_[-1]["pseudo_labels"].values())
    assert set(clf.labeled_iter_.tolist()) <= {-1, 1, 2}
    assert (clf.transduction_[~kept] == -1).all()
    assert set(clf.transduction_[kept].tolist()) <= set(CLASSES)
    assert hasattr(clf, "fine_tuned_model_") and hasattr(clf, "class_offsets_")


def test_self_training_with_labels_keeps_them_and_fine_tunes_from_the_base(tiny_model, monkeypatch):
    trained_on = []
    original = _training.fine_tune

    def recording(encoder, examples, objective, recipe, head_labels=None):
        trained_on.append(len(examples(np.random.RandomState(0))))
        assert encoder.source is not None  # the base model's encoder, every time
        return original(encoder, examples, objective, recipe, head_labels)

    monkeypatch.setattr(_training, "fine_tune", recording)
    y = np.array(LABELS, dtype=object)
    y[8:] = -1
    clf = quietly(prior_clf(tiny_model, **{**ROUNDS, "self_training_rounds": 1}).fit, TEXTS, y)
    assert trained_on[0] == 8  # the labelled texts first, then with the pseudo-labels
    assert 8 < trained_on[1] <= 8 + 2 * len(CLASSES)
    assert (clf.labeled_iter_[:8] == 0).all()
    np.testing.assert_array_equal(clf.transduction_[:8], y[:8])


def test_same_random_state_same_probabilities(tiny_model):
    params = {"class_prior": "uniform", **ROUNDS}
    first = quietly(prior_clf(tiny_model, **params).fit, TEXTS).predict_proba(TEXTS)
    second = quietly(prior_clf(tiny_model, **params).fit, TEXTS).predict_proba(TEXTS)
    np.testing.assert_array_equal(first, second)


def test_an_interrupted_self_training_fit_leaves_the_estimator_as_it_was(tiny_model, monkeypatch):
    clf = quietly(prior_clf(tiny_model, class_prior="uniform", **ROUNDS).fit, TEXTS)
    before = dict(vars(clf))
    expected = clf.predict_proba(TEXTS)
    calls = []
    original = _training.fine_tune

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # in the second round
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(_training, "fine_tune", interrupted)
    with pytest.raises(KeyboardInterrupt):
        quietly(clf.set_params(random_state=7).fit, TEXTS)
    after = dict(vars(clf))
    assert after.pop("random_state") == 7
    before.pop("random_state")
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)
    np.testing.assert_array_equal(clf.predict_proba(TEXTS), expected)


def test_a_class_with_no_confident_text_is_kept_and_said(tiny_model):
    clf = prior_clf(tiny_model, **ROUNDS)  # no class_prior: the raw model favours some
    with pytest.warns(UserWarning, match=r"Self-training round 1: no unlabelled text is"):
        clf.fit(TEXTS[:3])
    assert clf.classes_.tolist() == CLASSES
    assert clf.predict_proba(TEXTS).shape == (len(TEXTS), 4)


def test_fewer_unlabelled_texts_than_the_bound_takes_them_all(tiny_model):
    clf = quietly(
        prior_clf(
            tiny_model, class_prior="uniform", **{**ROUNDS, "pseudo_labels_per_class": 50}
        ).fit,
        TEXTS[:6],
    )
    assert sum(clf.self_training_history_[0]["pseudo_labels"].values()) == 6


def test_a_fraction_bounds_the_pseudo_labels_per_class():
    proba = softmax(np.random.default_rng(0).normal(size=(100, 4)), axis=1)
    rows, labels, margins = select_confident(proba, 0.05)
    assert np.bincount(labels, minlength=4).tolist() == [5, 5, 5, 5]
    ordered = np.sort(proba, axis=1)
    margin = ordered[:, -1] - ordered[:, -2]
    predicted = np.argmax(proba, axis=1)
    np.testing.assert_array_equal(labels, predicted[rows])
    np.testing.assert_allclose(margins, margin[rows])
    for k in range(4):
        members = np.flatnonzero(predicted == k)
        left_out = np.setdiff1d(members, rows[labels == k])
        assert margin[rows[labels == k]].min() >= margin[left_out].max()


# ------------------------------------------------------- scikit-learn tools


def test_grid_search_over_class_prior_and_rounds(tiny_model):
    # Integer classes: the default StratifiedKFold sorts y, which mixed str and -1 cannot.
    clf = ZeroShotNLIClassifier(
        tiny_model,
        label_descriptions=dict(enumerate(CLASSES)),
        n_epochs=1,
        pseudo_labels_per_class=2,
        **FAST,
    )
    y = np.array([CLASSES.index(label) for label in LABELS])
    y[12:] = -1
    grid = GridSearchCV(
        clf,
        {"class_prior": [None, "uniform"], "self_training_rounds": [0, 1]},
        cv=3,
        error_score="raise",
    )
    quietly(grid.fit, TEXTS, y)
    assert grid.best_params_["class_prior"] in (None, "uniform")
    assert len(grid.cv_results_["params"]) == 4


def test_a_zero_shot_grid_over_class_prior_loads_the_model_once(tiny_model, monkeypatch):
    from sklearn_nli._runtime._encoder import PairEncoder

    clear_model_cache()
    loads = []
    original = PairEncoder.load_network

    def counting(self, *args, **kwargs):
        loads.append(self.source)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PairEncoder, "load_network", counting)
    grid = GridSearchCV(
        prior_clf(tiny_model, candidate_labels=None),
        {"class_prior": [None, "uniform", [0.1, 0.2, 0.3, 0.4]]},
        cv=3,
    )
    grid.fit(TEXTS, LABELS)
    assert len(loads) == 1


def test_pickle_and_clone(tiny_model, tmp_path):
    clf = prior_clf(tiny_model, class_prior="uniform").fit(TEXTS)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(TEXTS), clf.predict_proba(TEXTS))
    with pytest.raises(NotFittedError):
        clone(clf).predict(TEXTS)


def test_save_pretrained_writes_the_offsets_beside_the_network(tiny_model, tmp_path):
    clf = prior_clf(tiny_model, class_prior="uniform", n_epochs=1).fit(TEXTS, LABELS)
    clf.save_pretrained(tmp_path)
    offsets = json.loads((tmp_path / "class_offsets.json").read_text())
    assert list(offsets) == CLASSES
    np.testing.assert_allclose(list(offsets.values()), clf.class_offsets_)
    assert (tmp_path / "config.json").exists()


def test_minus_one_is_a_class_without_the_options(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, device="cpu").fit(TEXTS[:4], [-1, 1, -1, 2])
    assert clf.classes_.tolist() == [-1, 1, 2]


def test_a_string_minus_one_is_a_label(tiny_model):
    y = ["-1", "a", "b", "a"]
    clf = ZeroShotNLIClassifier(tiny_model, class_prior="uniform", device="cpu")
    assert clf.fit(TEXTS[:4], y).classes_.tolist() == ["-1", "a", "b"]


# ------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"class_prior": [0.5, 0.6, -0.1, 0.0]}, InvalidValueError, r"class_prior\[2\] must be a"),
        ({"class_prior": [0.5, 0.2, 0.2, 0.2]}, InvalidValueError, "must sum to 1.*sum to 1.1"),
        ({"class_prior": [0.5, 0.5]}, InvalidValueError, "has 2 entries but there are 4 classes"),
        (
            {"class_prior": {"sports": 0.5, "cooking": 0.5}},
            InvalidValueError,
            r"has keys \['cooking'\] that are not classes",
        ),
        (
            {"class_prior": {"sports": 1.0}},
            InvalidValueError,
            r"no probability for the classes \['animals', 'business', 'music'\]",
        ),
        ({"class_prior": "balanced"}, InvalidValueError, "class_prior must be None, 'uniform'"),
        ({"class_prior": 3}, InvalidTypeError, "class_prior must be None, 'uniform'"),
        ({"class_prior": ["a", 1]}, InvalidTypeError, r"class_prior\[0\] must be a probability"),
        ({"self_training_rounds": -1}, InvalidValueError, "self_training_rounds must be an"),
        ({"pseudo_labels_per_class": 0}, InvalidValueError, "pseudo_labels_per_class must be"),
        ({"pseudo_labels_per_class": 1.5}, InvalidValueError, r"a float in \(0, 1\]"),
        (
            {"self_training_rounds": 1},
            InvalidValueError,
            "self_training_rounds=1 fine-tunes the model .* but n_epochs=0",
        ),
        (
            {"class_prior": "uniform", "multi_label": True},
            InvalidValueError,
            "single-label mode only",
        ),
    ],
)
def test_bad_parameters_fail_before_any_work(tiny_model, params, error, message):
    clf = prior_clf(tiny_model, **params)
    with pytest.raises(error, match=message):
        clf.fit(TEXTS)
    assert not hasattr(clf, "classes_")


@pytest.mark.parametrize("X", [None, "missing"])
def test_class_prior_needs_texts(tiny_model, X):
    clf = prior_clf(tiny_model, class_prior="uniform")
    with pytest.raises(
        InvalidValueError, match="learn from the texts to classify, but fit got no X"
    ):
        clf.fit() if X == "missing" else clf.fit(None)


def test_self_training_needs_unlabelled_texts(tiny_model, monkeypatch):
    monkeypatch.setattr(_training, "fine_tune", lambda *a, **k: pytest.fail("training started"))
    clf = prior_clf(tiny_model, **ROUNDS)
    with pytest.raises(InvalidValueError, match="every text of X has a label: mark the unlab"):
        clf.fit(TEXTS, LABELS)


def test_minus_one_as_the_only_label_needs_candidate_labels(tiny_model):
    clf = prior_clf(tiny_model, candidate_labels=None, class_prior="uniform")
    with pytest.raises(InvalidValueError, match=r"marks every text as unlabelled \(-1\)"):
        clf.fit(TEXTS[:4], [-1] * 4)
    clf.set_params(candidate_labels=CLASSES)
    assert clf.fit(TEXTS[:4], [-1] * 4).classes_.tolist() == CLASSES


def test_a_missing_label_says_that_minus_one_marks_an_unlabelled_text(tiny_model):
    clf = prior_clf(tiny_model, candidate_labels=None)
    with pytest.raises(InvalidValueError, match=r"row 1: .* -1 marks an unlabelled text"):
        clf.fit(TEXTS[:3], ["sports", None, "music"])
    with pytest.raises(InvalidValueError, match=r"row 1: .* -1 marks an unlabelled text"):
        clf.set_params(class_prior="uniform").fit(TEXTS[:3], ["sports", np.nan, -1])


def test_the_command_line_applies_the_class_prior(tiny_model, tmp_path, capsys):
    import pandas as pd

    from sklearn_nli.cli import main

    source = tmp_path / "news.csv"
    pd.DataFrame({"text": TEXTS}).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    labels = ",".join(CLASSES)
    status = main(
        [
            "classify",
            str(source),
            "--labels",
            labels,
            "--model",
            tiny_model,
            "--class-prior",
            "uniform",
            "-o",
            str(out),
            "--device",
            "cpu",
        ]
    )
    assert status == 0, capsys.readouterr().err
    table = pd.read_csv(out)
    columns = [f"proba_{c}" for c in CLASSES]
    np.testing.assert_allclose(table[columns].to_numpy().mean(axis=0), 0.25, atol=1e-5)
