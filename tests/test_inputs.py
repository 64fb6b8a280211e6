"""One input layer: the same bad data gives the same message from every entry point.

The estimators, the command line and the Dask helpers all hand their data to
``sklearn_nli._inputs``; the command line and Dask put the file or the
partition in front of the estimator's own message.
"""

import numpy as np
import pandas as pd
import pytest

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier
from sklearn_nli._inputs import where
from sklearn_nli.cli import main

dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")
from sklearn_nli.dask import predict_proba as dask_predict_proba  # noqa: E402

TEXTS = ["the team won the game", "the stock market fell", "a dog runs", "politics", "news"]
LABELS = ["sports", "business"]


def _texts_with(value):
    column = pd.Series(TEXTS, name="text", dtype=object)
    column.iloc[3] = value
    return column


# Each bad input: (what the estimator and Dask get, what the CLI reads, CLI arguments).
BAD_INPUTS = {
    "nan in a text column": (
        "classify",
        _texts_with(np.nan),
        "X contains a missing value (NaN/None) at row 3, column 'text'; texts expected.",
    ),
    "number in a text column": (
        "classify",
        _texts_with(17),
        "X must hold strings, got int 17 at row 3, column 'text'.",
    ),
    "missing column": (
        "pairs",
        pd.DataFrame({"premise": TEXTS, "hypothesis": TEXTS[::-1]}),
        "X has no column 'nope'; its columns are ['premise', 'hypothesis'].",
    ),
    "bare string": (
        "classify",
        "the team won the game",
        "Iterable over raw text documents expected, string object received for X. "
        "Wrap a single text in a list: [X].",
    ),
}


def _estimator(task, model):
    if task == "classify":
        return ZeroShotNLIClassifier(model, candidate_labels=LABELS, device="cpu").fit()
    scorer = NLIPairScorer(model, device="cpu", premise_column="premise")
    return scorer.set_params(hypothesis_column="nope").fit()


def _message_from_estimator(task, data, model):
    with pytest.raises((ValueError, TypeError)) as raised:
        _estimator(task, model).predict_proba(data)
    return str(raised.value)


def _message_from_dask(task, data, model):
    if isinstance(data, str):
        collection = data
    else:
        with dask.config.set({"dataframe.convert-string": False}):  # keep the int 17 an int
            collection = dd.from_pandas(data, npartitions=2)
    with pytest.raises((ValueError, TypeError)) as raised:
        dask_predict_proba(_estimator(task, model), collection).compute()
    return str(raised.value)


def _message_from_cli(task, data, model, tmp_path, capsys):
    if isinstance(data, str):
        pytest.skip("the command line reads files: its input is never a bare string")
    path = tmp_path / "input.jsonl"  # JSON Lines keeps the number a number
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    frame.to_json(path, orient="records", lines=True)
    argv = [task, str(path), "--model", model, "--device", "cpu"]
    if task == "classify":
        argv += ["--labels", ",".join(LABELS), "--text-column", "text"]
    else:
        argv += ["--premise-column", "premise", "--hypothesis-column", "nope"]
    capsys.readouterr()
    assert main(argv) == 2
    line = capsys.readouterr().err.strip()
    prefix = "sklearn-nli: error: "
    assert line.startswith(prefix) and "\n" not in line
    return line[len(prefix) :], str(path)


@pytest.mark.parametrize("entry", ["estimator", "cli", "dask"])
@pytest.mark.parametrize("bad", list(BAD_INPUTS))
def test_same_message_from_every_entry_point(bad, entry, tiny_model, tmp_path, capsys):
    task, data, expected = BAD_INPUTS[bad]
    if entry == "estimator":
        assert _message_from_estimator(task, data, tiny_model) == expected
    elif entry == "dask":
        message = _message_from_dask(task, data, tiny_model)
        place = "" if bad in ("missing column", "bare string") else "In partition 1 of the "
        place += "Dask collection: " if place else ""
        assert message == place + expected  # row 3 lies in partition 1 of 2
    else:
        message, path = _message_from_cli(task, data, tiny_model, tmp_path, capsys)
        option = " (--hypothesis-column)" if bad == "missing column" else ""
        assert message == f"In file {path!r}{option}: {expected}"


def test_index_labels_are_written_as_the_user_wrote_them(tiny_model):
    texts = pd.Series(TEXTS, index=np.arange(10, 15, dtype=np.int64), dtype=object)
    texts.iloc[2] = None
    clf = _estimator("classify", tiny_model)
    with pytest.raises(ValueError, match=r"at index label 12;") as raised:
        clf.predict_proba(texts)
    assert "np.int64" not in str(raised.value)
    with pytest.raises(ValueError, match=r"partition 0 .* at index label 12;"):
        dask_predict_proba(clf, dd.from_pandas(texts, npartitions=1)).compute()
    texts.index = ["a", "b", "c", "d", "e"]
    with pytest.raises(ValueError, match=r"at index label 'c';"):
        clf.predict_proba(texts)


@pytest.mark.parametrize(
    ("index", "column", "expected"),
    [
        (None, None, "row 4"),
        (pd.RangeIndex(100, 110), "title", "row 104, column 'title'"),
        (
            pd.Index(np.arange(5, dtype=np.int64) * 2),
            np.str_("body"),
            "index label 8, column 'body'",
        ),
        (pd.Index(["a", "b", "c", "d", "e"]), 3, "index label 'e', column 3"),
    ],
)
def test_where(index, column, expected):
    assert where(4, index, column) == expected


def test_missing_cells_of_joined_columns(tiny_model):
    frame = pd.DataFrame({"title": ["a", "b", None], "body": ["c", None, None]})
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu")
    clf.fit(frame.fillna("x"))
    with pytest.raises(ValueError, match=r"missing value \(NaN/None\) at row 1, column 'body'"):
        clf.predict_proba(frame)
    skipping = clf.set_params(missing_text="skip")
    with pytest.raises(ValueError, match=r"no text in any column at row 2"):
        skipping.predict_proba(frame)
    proba = skipping.predict_proba(frame.head(2))
    expected = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu")
    np.testing.assert_allclose(proba, expected.fit().predict_proba(["a c", "b"]), atol=1e-6)
    with pytest.raises(ValueError, match="missing_text must be one of 'error', 'skip'"):
        clf.set_params(missing_text="drop").fit(frame.fillna("x"))


def test_number_in_a_text_column_is_an_error_but_a_numeric_column_is_text(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu")
    frame = pd.DataFrame({"title": ["a", 5, "c"], "year": [1990, 1991, 1992]}, dtype=object)
    with pytest.raises(TypeError, match=r"got int 5 at row 1, column 'title'"):
        clf.fit(frame)
    frame["title"] = ["a", "b", "c"]
    clf.fit(frame)
    np.testing.assert_allclose(
        clf.predict_proba(frame), clf.fit().predict_proba(["a 1990", "b 1991", "c 1992"]), atol=1e-6
    )


def test_pair_scorer_bare_string_says_what_pairs_look_like(tiny_model):
    with pytest.raises(
        ValueError, match=r"Wrap a single pair in a list of \(premise, hypothesis\)"
    ):
        NLIPairScorer(tiny_model, device="cpu").fit().predict("A man plays.")
