"""Bad input and bad parameters: the right exception, with a message naming the problem.

Parameters are checked at ``fit`` (or at first use of the model), never in
``__init__``; elements are reported by position (and index label / column for
pandas input).
"""

import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy.special import softmax

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier
from sklearn_nli._checks import Flag
from sklearn_nli._inputs import as_1d_texts, as_pairs, cells_as_text, check_text_elements
from sklearn_nli._params import check_param
from sklearn_nli._runtime._engine import get_engine

TOPICS = ["sports", "politics", "business"]
TEXTS = ["the team won the game", "the stock market fell", "politics of the world", "a dog runs"]
PAIRS = [
    ("a man plays a guitar", "a person plays music"),
    ("a dog runs in the park", "a cat runs"),
    ("the team won the game", "the team plays"),
    ("the stock market fell", "the news is about business"),
]
SICK = ["ENTAILMENT", "NEUTRAL", "CONTRADICTION", "NEUTRAL"]


def zero_shot(model, **params):
    params.setdefault("candidate_labels", TOPICS)
    return ZeroShotNLIClassifier(model, **params)


# --------------------------------------------------------------------------
# bad text input (zero-shot)


def test_bare_string_rejected_at_fit(tiny_model):
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        zero_shot(tiny_model).fit("the team won the game")


@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function", "transform"])
def test_bare_string_rejected_at_predict(tiny_model, method):
    clf = zero_shot(tiny_model).fit()
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        getattr(clf, method)("the team won the game")


def test_bare_string_rejected_by_pair_scorer(tiny_model):
    scorer = NLIPairScorer(tiny_model).fit()
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        scorer.predict_proba("a man plays a guitar")


def test_none_element_names_position(tiny_model):
    texts = ["the team won", "a dog runs", None, "the market"]
    with pytest.raises(ValueError, match=r"missing value.*row 2"):
        zero_shot(tiny_model).fit(texts)
    clf = zero_shot(tiny_model).fit()
    with pytest.raises(ValueError, match=r"missing value.*row 2"):
        clf.predict_proba(texts)


@pytest.mark.parametrize("nan", [float("nan"), np.nan, pd.NA], ids=["float", "numpy", "pd.NA"])
def test_nan_element_names_position(tiny_model, nan):
    clf = zero_shot(tiny_model).fit()
    with pytest.raises(ValueError, match=r"missing value.*row 2"):
        clf.predict(["the team won", "a dog runs", nan, "the market"])


def test_nan_in_object_array_names_position(tiny_model):
    texts = np.array(["the team won", "a dog runs", np.nan], dtype=object)
    with pytest.raises(ValueError, match=r"missing value.*row 2"):
        zero_shot(tiny_model).fit().predict_proba(texts)


def test_missing_in_series_names_index_label(tiny_model):
    series = pd.Series(["the team won", None, "the market"], index=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"index label 'b'"):
        zero_shot(tiny_model).fit().predict_proba(series)


def test_non_string_element_names_position_and_type(tiny_model):
    with pytest.raises(TypeError, match=r"int 3 at row 2"):
        zero_shot(tiny_model).fit(["the team won", "a dog runs", 3])
    with pytest.raises(TypeError, match=r"bytes b'abc' at row 1"):
        zero_shot(tiny_model).fit().predict(["the team won", b"abc"])


def test_empty_list_rejected(tiny_model):
    with pytest.raises(ValueError, match="X is empty"):
        zero_shot(tiny_model).fit([])
    with pytest.raises(ValueError, match="X is empty"):
        zero_shot(tiny_model).fit().predict_proba([])
    with pytest.raises(ValueError, match="X is empty"):
        zero_shot(tiny_model).fit().predict_proba(pd.Series([], dtype=object))


def test_empty_dataframe_rejected(tiny_model):
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        zero_shot(tiny_model).fit(pd.DataFrame(columns=["title", "body"]))


def test_empty_pairs_rejected(tiny_model):
    with pytest.raises(ValueError, match="X is empty"):
        NLIPairScorer(tiny_model).fit([])
    with pytest.raises(ValueError, match="X is empty"):
        NLIPairScorer(tiny_model).fit(pd.DataFrame(columns=["premise", "hypothesis"]))
    with pytest.raises(ValueError, match="X is empty"):
        NLIPairScorer(tiny_model).fit().predict_proba([])


def test_numeric_1d_array_rejected(tiny_model):
    with pytest.raises(ValueError, match=r"1-D array of float64.*reshape"):
        zero_shot(tiny_model).fit(np.array([1.0, 2.0, 3.0]))


def test_sparse_input_rejected(tiny_model):
    with pytest.raises(TypeError, match="sparse"):
        zero_shot(tiny_model).fit(sp.csr_matrix(np.eye(3)))


def test_none_as_x_at_predict(tiny_model):
    with pytest.raises(ValueError, match="X is None"):
        zero_shot(tiny_model).fit().predict(None)


def test_dataframe_missing_value_names_index_label_and_column(tiny_model):
    frame = pd.DataFrame(
        {"title": ["match report", "market news", "election"], "body": ["goal", None, "vote"]},
        index=["r1", "r2", "r3"],
    )
    with pytest.raises(ValueError, match=r"NaN.*index label 'r2'.*column 'body'"):
        zero_shot(tiny_model).fit(frame)


def test_dataframe_infinite_value_names_column(tiny_model):
    frame = pd.DataFrame({"title": ["a", "b"], "score": [1.0, np.inf]})
    with pytest.raises(ValueError, match=r"inf at row 1, column 'score'"):
        zero_shot(tiny_model).fit(frame)


def test_dataframe_numbers_are_written_as_text(tiny_model):
    frame = pd.DataFrame({"title": ["game", "market"], "year": [2020, 2021]})
    clf = zero_shot(tiny_model).fit(frame)
    as_text = zero_shot(tiny_model).fit(["game 2020", "market 2021"])
    np.testing.assert_allclose(
        clf.predict_proba(frame), as_text.predict_proba(["game 2020", "market 2021"])
    )


def test_1d_input_after_2d_fit_rejected(tiny_model):
    clf = zero_shot(tiny_model).fit(pd.DataFrame({"title": ["a", "b"], "body": ["c", "d"]}))
    with pytest.raises(ValueError, match="fitted on 2-D input with 2 text columns"):
        clf.predict(["a c", "b d"])


def test_wrong_number_of_columns_after_2d_fit(tiny_model):
    clf = zero_shot(tiny_model).fit(np.array([["a", "b"], ["c", "d"]], dtype=object))
    with pytest.raises(ValueError, match="3 features"):
        clf.predict(np.array([["a", "b", "c"]], dtype=object))


# --------------------------------------------------------------------------
# bad pair input


def test_pairs_array_with_three_columns(tiny_model):
    X = np.array([["a", "b", "c"]] * 3, dtype=object)
    with pytest.raises(ValueError, match=r"2 columns \(premise, hypothesis\).*shape \(3, 3\)"):
        NLIPairScorer(tiny_model).fit(X)


def test_pairs_list_with_a_triple_names_position(tiny_model):
    X = [("a man", "a person"), ("a dog", "a cat", "a bird"), ("a", "b")]
    with pytest.raises(ValueError, match=r"pair at row 1 has 3 elements"):
        NLIPairScorer(tiny_model).fit(X)
    with pytest.raises(ValueError, match=r"pair at row 1 has 3 elements"):
        NLIPairScorer(tiny_model).fit().predict(X)


def test_pairs_list_of_strings_names_position(tiny_model):
    with pytest.raises(TypeError, match=r"pairs, got str 'a dog' at row 1"):
        NLIPairScorer(tiny_model).fit([("a man", "a person"), "a dog"])


def test_pairs_missing_value_names_position_and_side(tiny_model):
    X = [("a man", "a person"), ("a dog", "a cat"), (None, "a bird")]
    with pytest.raises(ValueError, match=r"missing value.*row 2, column 'premise'"):
        NLIPairScorer(tiny_model).fit(X)
    X = [("a man", "a person"), ("a dog", float("nan"))]
    with pytest.raises(ValueError, match=r"missing value.*row 1, column 'hypothesis'"):
        NLIPairScorer(tiny_model).fit(X)


def test_pairs_non_string_names_position_and_type(tiny_model):
    with pytest.raises(TypeError, match=r"int 5 at row 1, column 'hypothesis'"):
        NLIPairScorer(tiny_model).fit([("a man", "a person"), ("a dog", 5)])


def test_pairs_dataframe_missing_value_names_index_label_and_column(tiny_model):
    frame = pd.DataFrame(
        {"premise": ["a man", "a dog", "a cat"], "hypothesis": ["a person", None, "a dog"]},
        index=["s1", "s2", "s3"],
    )
    with pytest.raises(ValueError, match=r"index label 's2', column 'hypothesis'"):
        NLIPairScorer(tiny_model).fit(frame)


def test_pairs_dataframe_missing_column(tiny_model):
    frame = pd.DataFrame({"text": ["a man"], "hypothesis": ["a person"], "label": ["NEUTRAL"]})
    scorer = NLIPairScorer(tiny_model, premise_column="premise", hypothesis_column="hypothesis")
    with pytest.raises(ValueError, match=r"no column 'premise'.*\['text', 'hypothesis', 'label'\]"):
        scorer.fit(frame)


def test_pairs_dataframe_with_three_columns_needs_column_names(tiny_model):
    frame = pd.DataFrame({"premise": ["a"], "hypothesis": ["b"], "label": ["NEUTRAL"]})
    with pytest.raises(ValueError, match=r"2 columns.*got 3.*set premise_column"):
        NLIPairScorer(tiny_model).fit(frame)


def test_pairs_only_one_column_parameter_set(tiny_model):
    frame = pd.DataFrame({"premise": ["a"], "hypothesis": ["b"]})
    with pytest.raises(ValueError, match="Set both premise_column and hypothesis_column"):
        NLIPairScorer(tiny_model, premise_column="premise").fit(frame)


def test_pairs_column_parameters_need_a_dataframe(tiny_model):
    scorer = NLIPairScorer(tiny_model, premise_column="premise", hypothesis_column="hypothesis")
    with pytest.raises(ValueError, match="select columns of a DataFrame; X is a list"):
        scorer.fit(PAIRS)


# --------------------------------------------------------------------------
# zero-shot parameters


@pytest.mark.parametrize(
    ("template", "count"),
    [("This example is about sports.", 0), ("{} is about {}.", 2)],
    ids=["no-placeholder", "two-placeholders"],
)
def test_template_placeholder_count(tiny_model, template, count):
    clf = zero_shot(tiny_model, hypothesis_template=template)  # __init__ accepts it
    with pytest.raises(ValueError, match=rf"exactly once.*contains it {count} times"):
        clf.fit()


def test_template_not_formattable(tiny_model):
    with pytest.raises(ValueError, match="cannot be formatted"):
        zero_shot(tiny_model, hypothesis_template="This {x} is {}.").fit()


def test_duplicate_candidate_labels(tiny_model):
    clf = zero_shot(tiny_model, candidate_labels=["sports", "politics", "sports"])
    with pytest.raises(ValueError, match=r"'sports' twice \(positions 0 and 2\)"):
        clf.fit()


def test_single_candidate_label_in_single_label_mode(tiny_model):
    with pytest.raises(ValueError, match=r"at least 2 classes.*set multi_label=True"):
        zero_shot(tiny_model, candidate_labels=["sports"]).fit()
    # the suggested fix works
    clf = zero_shot(tiny_model, candidate_labels=["sports"], multi_label=True).fit()
    assert clf.predict_proba(TEXTS).shape == (len(TEXTS), 1)


def test_single_class_in_y(tiny_model):
    with pytest.raises(ValueError, match=r"at least 2 classes.*multi_label=True"):
        ZeroShotNLIClassifier(tiny_model).fit(TEXTS, ["sports"] * len(TEXTS))


def test_candidate_labels_as_string(tiny_model):
    with pytest.raises(TypeError, match=r"got the string 'sports'; write \['sports'\]"):
        zero_shot(tiny_model, candidate_labels="sports").fit()


def test_no_classes_at_all(tiny_model):
    with pytest.raises(ValueError, match="pass y to fit, or set candidate_labels"):
        ZeroShotNLIClassifier(tiny_model).fit(TEXTS)


def test_y_outside_candidate_labels(tiny_model):
    with pytest.raises(ValueError, match=r"\['science'\] that are not in candidate_labels"):
        zero_shot(tiny_model).fit(TEXTS, ["sports", "politics", "business", "science"])


def test_y_length_mismatch(tiny_model):
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ZeroShotNLIClassifier(tiny_model).fit(TEXTS, ["sports", "politics"])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        NLIPairScorer(tiny_model).fit(PAIRS, SICK[:3])


def test_indicator_y_in_single_label_mode(tiny_model):
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"set multi_label=True"):
        zero_shot(tiny_model).fit(TEXTS, y)


def test_multi_label_needs_candidate_labels(tiny_model):
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match="multi_label=True needs candidate_labels"):
        ZeroShotNLIClassifier(tiny_model, multi_label=True).fit(TEXTS, y)


def test_multi_label_y_shape_and_values(tiny_model):
    clf = zero_shot(tiny_model, multi_label=True)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\).*got shape \(4, 2\)"):
        clf.fit(TEXTS, np.ones((4, 2), dtype=int))
    with pytest.raises(ValueError, match="only 0 and 1"):
        clf.fit(TEXTS, np.full((4, 3), 2))


def test_label_descriptions_with_unknown_key(tiny_model):
    clf = zero_shot(tiny_model, label_descriptions={"science": "science and technology"})
    with pytest.raises(ValueError, match=r"keys \['science'\] that are not classes"):
        clf.fit()


def test_label_descriptions_not_a_dict(tiny_model):
    with pytest.raises(TypeError, match="label_descriptions must be None or a dict"):
        zero_shot(tiny_model, label_descriptions=["sports"]).fit()


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_out_of_range(tiny_model, threshold):
    with pytest.raises(ValueError, match=r"threshold must be a number in \[0, 1\]"):
        zero_shot(tiny_model, multi_label=True, threshold=threshold).fit()


def test_multi_label_not_a_bool(tiny_model):
    with pytest.raises(TypeError, match="multi_label must be True or False"):
        zero_shot(tiny_model, multi_label="yes").fit()


# --------------------------------------------------------------------------
# engine parameters, both estimators


def _both(model):
    return [
        (zero_shot(model), TEXTS, None),
        (NLIPairScorer(model), PAIRS, SICK),
    ]


@pytest.mark.parametrize(
    ("batch_size", "error", "message"),
    [
        (0, ValueError, "got 0"),
        (-1, ValueError, "got -1"),
        (1.5, TypeError, "got 1.5 of type float"),
        (True, TypeError, "got True of type bool"),
    ],
)
def test_bad_batch_size(tiny_model, batch_size, error, message):
    for estimator, X, y in _both(tiny_model):
        estimator.set_params(batch_size=batch_size)  # no error before fit
        with pytest.raises(error, match=rf"batch_size must be None or an integer >= 1, {message}"):
            estimator.fit(X, y)


@pytest.mark.parametrize(("max_length", "error"), [(1, ValueError), ("64", TypeError)])
def test_bad_max_length(tiny_model, max_length, error):
    for estimator, X, y in _both(tiny_model):
        with pytest.raises(error, match="max_length must be None or an integer >= 2"):
            estimator.set_params(max_length=max_length).fit(X, y)


def test_unknown_device_string(tiny_model):
    for estimator, X, y in _both(tiny_model):
        with pytest.raises(ValueError, match=r"device must be 'auto', .*got 'gpu'"):
            estimator.set_params(device="gpu").fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available on this machine")
def test_unavailable_cuda_device(tiny_model):
    with pytest.raises(ValueError, match=r"device='cuda' was requested but CUDA is not available"):
        NLIPairScorer(tiny_model, device="cuda").fit(PAIRS, SICK)
    # zero-shot fit does not need the model: the error comes at first use
    clf = zero_shot(tiny_model, device="cuda")
    with pytest.raises(ValueError, match=r"device='cuda' was requested but CUDA is not available"):
        clf.fit(TEXTS).predict_proba(TEXTS)


def test_unknown_backend(tiny_model):
    for estimator, X, y in _both(tiny_model):
        with pytest.raises(ValueError, match=r"backend must be one of 'auto', .*got 'onnx'"):
            estimator.set_params(backend="onnx").fit(X, y)


def test_show_progress_bar_not_a_bool(tiny_model):
    for estimator, X, y in _both(tiny_model):
        with pytest.raises(TypeError, match="show_progress_bar must be True or False"):
            estimator.set_params(show_progress_bar="yes").fit(X, y)


def test_missing_model_directory(tiny_model, tmp_path):
    path = str(tmp_path / "no-such-model")
    for estimator, X, y in _both(tiny_model):
        estimator.set_params(model=path)
        with pytest.raises(FileNotFoundError, match=re.escape(repr(path))):
            estimator.fit(X, y).predict_proba(X)


@pytest.mark.parametrize("model", ["", None, 3])
def test_model_not_a_string(model):
    with pytest.raises(TypeError, match="model must be a Hugging Face Hub model id"):
        NLIPairScorer(model).fit(PAIRS)


def test_errors_are_raised_at_fit_not_in_init(tmp_path):
    bad = {
        "candidate_labels": "sports",
        "hypothesis_template": "no placeholder",
        "label_descriptions": ["x"],
        "multi_label": "yes",
        "threshold": 7,
        "entailment_label": 1.5,
        "max_length": 0,
        "batch_size": 0,
        "device": "gpu",
        "show_progress_bar": "no",
    }
    missing = str(tmp_path / "missing")
    clf = ZeroShotNLIClassifier(missing, **bad)
    params = clf.get_params()
    assert params["model"] == missing
    assert {name: params[name] for name in bad} == bad
    scorer = NLIPairScorer(missing, label_map="yes", max_length=0, batch_size=0, device="gpu")
    assert scorer.get_params()["label_map"] == "yes"
    with pytest.raises(ValueError):
        clf.fit(TEXTS)
    with pytest.raises(ValueError):
        scorer.fit(PAIRS)


# --------------------------------------------------------------------------
# models whose config says LABEL_0, LABEL_1, ...


def test_generic_labels_need_entailment_label(tiny_model_generic_labels):
    clf = zero_shot(tiny_model_generic_labels).fit()
    with pytest.raises(ValueError, match=r"no label starting with 'entail'.*Set entailment_label"):
        clf.predict_proba(TEXTS)


@pytest.mark.parametrize("entailment_label", ["LABEL_0", "label_0", 0, -3])
def test_generic_labels_entailment_label_fixes_it(tiny_model_generic_labels, entailment_label):
    clf = zero_shot(tiny_model_generic_labels, entailment_label=entailment_label).fit()
    proba = clf.predict_proba(TEXTS)
    engine = get_engine(tiny_model_generic_labels, "auto")
    logits = np.stack(
        [engine.logits(TEXTS, [f"This example is {c}."] * len(TEXTS))[:, 0] for c in clf.classes_],
        axis=1,
    )
    np.testing.assert_allclose(proba, softmax(logits.astype(np.float64), axis=1), atol=1e-6)


def test_generic_labels_multi_label_needs_contradiction_label(tiny_model_generic_labels):
    clf = zero_shot(tiny_model_generic_labels, multi_label=True, entailment_label="LABEL_0")
    with pytest.raises(ValueError, match="Set contradiction_label"):
        clf.fit().predict_proba(TEXTS)
    clf.set_params(contradiction_label="LABEL_2")
    proba = clf.fit().predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), 3)
    assert np.all((proba >= 0) & (proba <= 1))


@pytest.mark.parametrize(
    ("entailment_label", "message"),
    [("entailment", r"'entailment' is not a label of the model"), (3, "out of range")],
)
def test_bad_entailment_label(tiny_model_generic_labels, entailment_label, message):
    clf = zero_shot(tiny_model_generic_labels, entailment_label=entailment_label).fit()
    with pytest.raises(ValueError, match=message):
        clf.predict_proba(TEXTS)


def test_entailment_label_wrong_type(tiny_model):
    with pytest.raises(TypeError, match="entailment_label must be None, a label name"):
        zero_shot(tiny_model, entailment_label=1.5).fit()


def test_pair_scorer_generic_labels_without_y(tiny_model_generic_labels):
    scorer = NLIPairScorer(tiny_model_generic_labels).fit()
    assert scorer.classes_.tolist() == ["LABEL_0", "LABEL_1", "LABEL_2"]
    np.testing.assert_allclose(scorer.predict_proba(PAIRS).sum(axis=1), 1.0, atol=1e-9)


def test_pair_scorer_generic_labels_binary_y_suggests_a_dict_label_map(
    tiny_model_generic_labels,
):
    """label_map is a dict: the advice must show one, not ``label_map='LABEL_0'``."""
    scorer = NLIPairScorer(tiny_model_generic_labels)
    with pytest.raises(ValueError, match=r"label_map.*\{'") as info:
        scorer.fit(PAIRS, ["entailment", "not_entailment"] * 2)
    assert "label_map='LABEL_0'" not in str(info.value)


# --------------------------------------------------------------------------
# pair scorer: matching y to the model's labels


def test_pair_y_not_matching_model_labels(tiny_model):
    with pytest.raises(ValueError, match=r"Cannot match the labels of y.*Set label_map"):
        NLIPairScorer(tiny_model).fit(PAIRS, ["yes", "no", "maybe", "no"])


def test_label_map_not_a_dict(tiny_model):
    with pytest.raises(TypeError, match="label_map must be None or a dict"):
        NLIPairScorer(tiny_model, label_map=[("yes", "entailment")]).fit()


def test_label_map_unknown_model_label(tiny_model):
    label_map = {"yes": "entails", "no": ["neutral", "contradiction"]}
    with pytest.raises(ValueError, match=r"label_map\['yes'\] names 'entails'"):
        NLIPairScorer(tiny_model, label_map=label_map).fit()


def test_label_map_model_label_twice(tiny_model):
    label_map = {"yes": "entailment", "no": ["neutral", "contradiction", "entailment"]}
    with pytest.raises(ValueError, match=r"maps the model label 'entailment' to both"):
        NLIPairScorer(tiny_model, label_map=label_map).fit()


def test_label_map_leaves_labels_unmapped(tiny_model):
    with pytest.raises(ValueError, match=r"model labels \['contradiction'\] unmapped"):
        NLIPairScorer(tiny_model, label_map={"yes": "entailment", "no": "neutral"}).fit()


def test_label_map_empty_list(tiny_model):
    label_map = {"yes": "entailment", "no": ["neutral", "contradiction"], "maybe": []}
    with pytest.raises(ValueError, match=r"label_map\['maybe'\] lists no model label"):
        NLIPairScorer(tiny_model, label_map=label_map).fit()


def test_y_outside_label_map(tiny_model):
    label_map = {"yes": "entailment", "no": ["neutral", "contradiction"]}
    with pytest.raises(ValueError, match=r"\['maybe'\] that label_map does not map"):
        NLIPairScorer(tiny_model, label_map=label_map).fit(PAIRS, ["yes", "no", "maybe", "no"])


def test_pair_y_two_dimensional(tiny_model):
    with pytest.raises(ValueError, match=r"y must be 1-D"):
        NLIPairScorer(tiny_model).fit(PAIRS, np.array([SICK, SICK]).T)


# --------------------------------------------------------------------------
# unit tests of sklearn_nli._params and sklearn_nli._inputs


@pytest.mark.parametrize("value", [1, 32, np.int64(8)])
def test_check_batch_size_accepts(value):
    assert check_param("batch_size", value) == int(value)
    assert type(check_param("batch_size", value)) is int
    assert check_param("batch_size", None) is None


@pytest.mark.parametrize(
    ("value", "error"),
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (2.0, TypeError), (True, TypeError)],
)
def test_check_batch_size_rejects(value, error):
    with pytest.raises(error, match="batch_size must be None or an integer >= 1"):
        check_param("batch_size", value)


def test_check_max_length():
    assert check_param("max_length", None) is None
    assert check_param("max_length", 2) == 2
    assert check_param("max_length", np.int32(128)) == 128
    with pytest.raises(ValueError, match="got 1"):
        check_param("max_length", 1)
    with pytest.raises(TypeError, match="got False of type bool"):
        check_param("max_length", False)
    with pytest.raises(TypeError, match="of type float"):
        check_param("max_length", 64.0)


@pytest.mark.parametrize("device", ["auto", "cpu", "mps", "cuda", "cuda:0", "cuda:12"])
def test_check_device_accepts(device):
    assert check_param("device", device) == device


@pytest.mark.parametrize("device", ["gpu", "CPU", "cuda:", "cuda:x", "cuda0", "", None, 0])
def test_check_device_rejects(device):
    with pytest.raises(ValueError, match=re.escape(f"got {device!r}")):
        check_param("device", device)


def test_check_model():
    assert check_param("model", "MoritzLaurer/MiniLM-L6-mnli") == "MoritzLaurer/MiniLM-L6-mnli"
    for bad in ["", "   ", None, 3]:
        with pytest.raises(TypeError, match=re.escape(f"got {bad!r}")):
            check_param("model", bad)


def test_check_template():
    assert check_param("hypothesis_template", "This example is {}.") == "This example is {}."
    assert check_param("hypothesis_template", "Topic: {} {{braces}}") == "Topic: {} {{braces}}"
    with pytest.raises(ValueError, match="contains it 0 times"):
        check_param("hypothesis_template", "This example is.")
    with pytest.raises(ValueError, match="contains it 2 times"):
        check_param("hypothesis_template", "{} or {}")
    with pytest.raises(ValueError, match="cannot be formatted with a label"):
        check_param("hypothesis_template", "{} and {0}")
    with pytest.raises(TypeError, match="of type NoneType"):
        check_param("hypothesis_template", None)


def test_check_threshold():
    assert check_param("threshold", 0) == 0.0
    assert check_param("threshold", 1) == 1.0
    assert check_param("threshold", np.float32(0.25)) == 0.25
    with pytest.raises(ValueError, match="got -0.5"):
        check_param("threshold", -0.5)
    with pytest.raises(ValueError, match="got 1.01"):
        check_param("threshold", 1.01)
    with pytest.raises(TypeError, match="got True"):
        check_param("threshold", True)
    with pytest.raises(TypeError, match="got '0.5'"):
        check_param("threshold", "0.5")


def test_check_candidate_labels():
    assert check_param("candidate_labels", ("a", "b")) == ["a", "b"]
    assert check_param("candidate_labels", np.array(["b", "a"])) == ["b", "a"]
    assert check_param("candidate_labels", [1, 2]) == [1, 2]
    with pytest.raises(TypeError, match="got the string 'ab'"):
        check_param("candidate_labels", "ab")
    with pytest.raises(TypeError, match="must be a list of labels, got 5"):
        check_param("candidate_labels", 5)
    with pytest.raises(ValueError, match="candidate_labels is empty"):
        check_param("candidate_labels", [])
    with pytest.raises(ValueError, match="missing value at position 1"):
        check_param("candidate_labels", ["a", None])
    with pytest.raises(ValueError, match="missing value at position 0"):
        check_param("candidate_labels", [np.nan, "a"])
    with pytest.raises(ValueError, match=r"'b' twice \(positions 1 and 3\)"):
        check_param("candidate_labels", ["a", "b", "c", "b"])


def test_check_bool():
    assert Flag("flag").check(True) is True
    assert Flag("flag").check(np.bool_(False)) is False
    for bad in [1, 0, "True", None]:
        with pytest.raises(TypeError, match=re.escape(f"flag must be True or False, got {bad!r}")):
            Flag("flag").check(bad)


def test_check_label_name():
    assert check_param("entailment_label", None) is None
    assert check_param("entailment_label", "LABEL_0") == "LABEL_0"
    assert check_param("entailment_label", np.int64(2)) == 2
    assert type(check_param("entailment_label", np.int64(2))) is int
    for bad in [True, 1.5, ["entailment"]]:
        with pytest.raises(TypeError, match="entailment_label must be None, a label name"):
            check_param("entailment_label", bad)


def test_as_1d_texts_accepts_one_dimensional_input():
    texts = ["a", "b"]
    assert as_1d_texts(texts) == texts
    assert as_1d_texts(tuple(texts)) == texts
    assert as_1d_texts(np.array(texts)) == texts
    assert as_1d_texts(np.array(texts, dtype=object)) == texts
    assert as_1d_texts(pd.Series(texts, index=[5, 7])) == texts
    assert as_1d_texts(iter(texts)) == texts


def test_as_1d_texts_returns_none_for_two_dimensional_input():
    assert as_1d_texts(pd.DataFrame({"a": ["x"], "b": ["y"]})) is None
    assert as_1d_texts(np.array([["x", "y"]], dtype=object)) is None
    assert as_1d_texts([("x", "y"), ("z", "w")]) is None
    assert as_1d_texts([["x", "y"]]) is None


def test_as_1d_texts_rejects():
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        as_1d_texts("text")
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        as_1d_texts(b"bytes")
    with pytest.raises(ValueError, match="X is None"):
        as_1d_texts(None)
    with pytest.raises(TypeError, match="sparse matrix"):
        as_1d_texts(sp.csr_matrix((2, 2)))
    with pytest.raises(ValueError, match="1-D array of int64"):
        as_1d_texts(np.array([1, 2], dtype=np.int64))
    with pytest.raises(TypeError, match="got int"):
        as_1d_texts(5)
    with pytest.raises(ValueError, match="X is empty"):
        as_1d_texts([])
    with pytest.raises(TypeError, match="at row 1"):
        as_1d_texts(["a", ("b", "c")])


@pytest.mark.parametrize(
    "missing",
    [None, float("nan"), np.nan, np.float64("nan"), np.float32("nan"), pd.NA, pd.NaT],
    ids=["None", "float", "np.nan", "float64", "float32", "pd.NA", "pd.NaT"],
)
def test_check_text_elements_missing_values(missing):
    with pytest.raises(ValueError, match=r"missing value \(NaN/None\) at row 1"):
        check_text_elements(["a", missing], "X")


def test_check_text_elements_reports_index_label_and_column():
    index = pd.Index(["x", "y", "z"])
    with pytest.raises(ValueError, match=r"index label 'z', column 'body'"):
        check_text_elements(["a", "b", None], "X", index=index, column="body")
    # a RangeIndex adds nothing to the position
    with pytest.raises(TypeError, match=r"float 1.5 at row 0\.$"):
        check_text_elements([1.5], "X", index=pd.RangeIndex(1))
    check_text_elements(["a", "b"], "X")  # strings pass


def test_cells_as_text():
    cells = np.array([["a", 1], ["b", 2.5]], dtype=object)
    out = cells_as_text(cells, "X")
    assert out.tolist() == [["a", "1"], ["b", "2.5"]]
    with pytest.raises(ValueError, match=r"NaN/None\) at index label 'r2', column 'n'"):
        cells_as_text(
            np.array([["a", 1.0], ["b", np.nan]], dtype=object),
            "X",
            index=pd.Index(["r1", "r2"]),
            columns=["t", "n"],
        )
    with pytest.raises(ValueError, match=r"inf at row 0, column 1"):
        cells_as_text(np.array([["a", -np.inf]], dtype=object), "X")
    with pytest.raises(TypeError, match=r"got bool True at row 0, column 't'"):
        cells_as_text(np.array([[True]], dtype=object), "X", columns=["t"])
    with pytest.raises(TypeError, match=r"got list \['a'\] at row 0, column 0"):
        cells = np.empty((1, 1), dtype=object)
        cells[0, 0] = ["a"]
        cells_as_text(cells, "X")


def test_as_pairs_accepts():
    expected = (["p1", "p2"], ["h1", "h2"])
    assert as_pairs([("p1", "h1"), ("p2", "h2")]) == expected
    assert as_pairs([["p1", "h1"], ["p2", "h2"]]) == expected
    assert as_pairs(np.array([["p1", "h1"], ["p2", "h2"]], dtype=object)) == expected
    frame = pd.DataFrame({"premise": ["p1", "p2"], "hypothesis": ["h1", "h2"]})
    assert as_pairs(frame) == expected
    # named columns in any order, extra columns ignored
    frame = pd.DataFrame({"h": ["h1", "h2"], "x": [0, 1], "p": ["p1", "p2"]})
    assert as_pairs(frame, premise_column="p", hypothesis_column="h") == expected


def test_as_pairs_rejects():
    with pytest.raises(ValueError, match="Iterable over raw text documents expected"):
        as_pairs("premise")
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        as_pairs(np.array(["p", "h"], dtype=object))
    with pytest.raises(TypeError, match="got int"):
        as_pairs(7)
    with pytest.raises(TypeError, match=r"got int 3 at row 0"):
        as_pairs([3])
    with pytest.raises(ValueError, match=r"pair at row 0 has 1 elements"):
        as_pairs([("p",)])
    with pytest.raises(ValueError, match="X is empty"):
        as_pairs(np.empty((0, 2), dtype=object))
    with pytest.raises(ValueError, match="no column 'p'"):
        as_pairs(pd.DataFrame({"a": ["x"], "h": ["y"]}), premise_column="p", hypothesis_column="h")
