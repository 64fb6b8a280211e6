"""The self-training loop alone, with fake fine-tuning and scoring, and the estimator's use."""

import warnings

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from sklearn_nli import ZeroShotNLIClassifier, clear_model_cache
from sklearn_nli._learning._self_training import self_train
from sklearn_nli._learning._unlabelled import match_prior
from sklearn_nli._runtime import _engine
from sklearn_nli._runtime._engine import loaded_engines

CLASSES = np.array(["a", "b"])
# Rows 0-1 labelled; rows 2-7 the pool. Class "a" wins rows 2, 3, 4 (margins 3, 2, 1),
# class "b" rows 5, 6, 7 (margins 1, 2, 3).
SCORES = np.array(
    [[1.0, 0.0], [0.0, 1.0], [3.0, 0.0], [2.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 2.0], [0.0, 3.0]]
)


class FakeLearner:
    """Records every fine-tuning and scoring call; each model is the round number."""

    def __init__(self, scores_after=None):
        self.fine_tunings = []
        self.scorings = []
        self.scores_after = scores_after or {}

    def fine_tune(self, rows, targets, number):
        self.fine_tunings.append((rows.tolist(), targets.tolist(), number))
        return number, [float(number)]

    def score(self, model, is_last):
        self.scorings.append((model, is_last))
        return self.scores_after.get(model, SCORES)


def run(learner, rounds=2, per_class=2, prior=None, scores=SCORES):
    return self_train(
        scores,
        np.array([0, 1]),
        [0, 1],
        classes=CLASSES,
        rounds=rounds,
        per_class=per_class,
        fine_tune=learner.fine_tune,
        score=learner.score,
        prior=prior,
    )


def test_each_round_trains_on_the_labelled_texts_and_the_most_confident_of_each_class():
    learner = FakeLearner()
    result = run(learner, rounds=1)
    rows, targets, number = learner.fine_tunings[0]
    assert number == 1
    assert rows == [0, 1, 2, 3, 6, 7]  # labelled, then per class the 2 largest margins
    assert targets == [0, 1, 0, 0, 1, 1]
    assert result.model == 1
    assert result.history[0]["pseudo_labels"] == {"a": 2, "b": 2}
    assert result.history[0]["loss_curve"] == [1.0]
    assert result.history[0]["mean_margin"] == pytest.approx(
        np.mean([0.905, 0.762, 0.762, 0.905]), abs=1e-3
    )


def test_the_last_model_is_scored_only_when_a_prior_needs_its_offsets():
    learner = FakeLearner()
    run(learner, rounds=3)
    assert learner.scorings == [(1, False), (2, False)]  # not the last round's model
    learner = FakeLearner()
    run(learner, rounds=2, prior=np.array([0.5, 0.5]))
    assert learner.scorings == [(1, False), (2, True)]


def test_the_next_round_reads_the_new_model_scores():
    flipped = SCORES[:, ::-1].copy()
    learner = FakeLearner(scores_after={1: flipped})
    result = run(learner, rounds=2)
    _, second_targets, _ = learner.fine_tunings[1]
    assert second_targets == [0, 1, 0, 0, 1, 1]  # pool rows 5-7 are now "a", 2-4 "b"
    assert learner.fine_tunings[1][0] == [0, 1, 6, 7, 2, 3]
    # Rows 2, 3 changed class between rounds, as did 6, 7: all date from round 2.
    assert result.targets.tolist() == [0, 1, 1, 1, -1, -1, 0, 0]
    assert result.labeled_iter.tolist() == [0, 0, 2, 2, -1, -1, 2, 2]


def test_a_text_that_keeps_its_pseudo_label_dates_from_its_first_round():
    result = run(FakeLearner(), rounds=3)
    assert result.targets.tolist() == [0, 1, 0, 0, -1, -1, 1, 1]
    assert result.labeled_iter.tolist() == [0, 0, 1, 1, -1, -1, 1, 1]
    assert [h["round"] for h in result.history] == [1, 2, 3]


def test_prior_matching_corrects_the_scores_before_selection():
    # Every pool text leans to "a"; a uniform prior moves the weakest ones to "b".
    scores = np.array([[1.0, 0.0], [0.0, 1.0]] + [[m, 0.0] for m in (4.0, 3.0, 2.0, 1.0, 0.5, 0.2)])
    learner = FakeLearner(scores_after={1: scores})
    result = run(learner, rounds=1, prior=np.array([0.5, 0.5]), scores=scores)
    _, targets, _ = learner.fine_tunings[0]
    assert 1 in targets[2:], "the prior must give 'b' some pseudo-labels"
    np.testing.assert_allclose(result.offsets, match_prior(scores, np.array([0.5, 0.5])))


def test_a_class_with_no_pseudo_label_is_said_and_kept():
    scores = np.array([[1.0, 0.0], [0.0, 1.0]] + [[2.0, 0.0]] * 4)
    learner = FakeLearner()
    with pytest.warns(UserWarning, match=r"round 1: no unlabelled text is predicted as \['b'\]"):
        result = run(learner, rounds=1, scores=scores)
    assert result.history[0]["pseudo_labels"] == {"a": 2, "b": 0}


def test_a_fraction_bounds_the_pseudo_labels_by_the_pool_size():
    learner = FakeLearner()
    run(learner, rounds=1, per_class=0.2)  # 20 % of 6 pool texts: 1 per class
    assert learner.fine_tunings[0][0] == [0, 1, 2, 7]


# ------------------------------------------------------- the estimator's use


TEXTS = [
    "the team won the game",
    "the stock market fell",
    "a man plays guitar music",
    "the dog runs in the park",
] * 4
FAST = {"learning_rate": 1e-2, "device": "cpu", "backend": "torch", "n_epochs": 1}


def test_a_grid_over_rounds_keeps_only_final_models(tiny_model, monkeypatch):
    monkeypatch.setattr(_engine, "MAX_FINE_TUNED_ENGINES", 64)  # no eviction hides a leak
    clear_model_cache()
    built, finals = [], []
    original_build = _engine.FineTunedModel.build_engine
    original_fit = ZeroShotNLIClassifier.fit

    def counting_build(self, *args, **kwargs):
        built.append(self.fingerprint)
        return original_build(self, *args, **kwargs)

    def recording_fit(self, X=None, y=None):
        fitted = original_fit(self, X, y)
        finals.append(fitted.fine_tuned_model_.fingerprint)
        return fitted

    monkeypatch.setattr(_engine.FineTunedModel, "build_engine", counting_build)
    monkeypatch.setattr(ZeroShotNLIClassifier, "fit", recording_fit)
    y = np.array([0, 1, 2, 3] * 2 + [-1] * 8)
    clf = ZeroShotNLIClassifier(
        tiny_model,
        label_descriptions={0: "sports", 1: "business", 2: "music", 3: "animals"},
        pseudo_labels_per_class=1,
        **FAST,
    )
    grid = GridSearchCV(
        clf, {"self_training_rounds": [1, 2], "random_state": [0, 1]}, cv=2, error_score="raise"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        grid.fit(TEXTS, y)
    registered = {key[0][1] for key in loaded_engines() if isinstance(key[0], tuple)}
    assert len(finals) == 9  # 4 grid points x 2 folds, and the refit
    assert registered <= set(finals), "an intermediate round's model was registered"
    assert len(registered) <= len(set(finals))
    intermediate = set(built) - set(finals)
    assert intermediate, "the 2-round fits score an intermediate model"
    assert not intermediate & registered


@pytest.mark.parametrize("labels", [("0", "1", "2"), ("LABEL_0", "LABEL_1", "LABEL_2")])
@pytest.mark.parametrize("multi_label", [False, True])
def test_numpy_integer_label_columns_fit_and_predict(tmp_path, labels, multi_label):
    from sklearn_nli._testing import build_tiny_model

    model = build_tiny_model(tmp_path / "model", labels, seed=3)
    clf = ZeroShotNLIClassifier(
        model,
        candidate_labels=["sports", "business"],
        entailment_label=np.int64(0),
        contradiction_label=np.int64(2),
        multi_label=multi_label,
        device="cpu",
    )
    proba = clf.fit().predict_proba(TEXTS[:2])
    reference = ZeroShotNLIClassifier(
        model,
        candidate_labels=["sports", "business"],
        entailment_label=0,
        contradiction_label=2,
        multi_label=multi_label,
        device="cpu",
    )
    np.testing.assert_array_equal(proba, reference.fit().predict_proba(TEXTS[:2]))
    # What predict resolves comes from the fit's checked state, not from get_params():
    clf.entailment_label = "not a label"
    np.testing.assert_array_equal(clf.predict_proba(TEXTS[:2]), proba)
