"""One input layer: the same bad data gives the same message from every entry point.

The estimators, the command line and the Dask helpers all hand their data to
``sklearn_nli._inputs``; the command line and Dask put the file or the
partition in front of the estimator's own message.
"""

import numpy as np
import pandas as pd
import pytest
from _requirements import require_module

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier
from sklearn_nli._inputs import where
from sklearn_nli.cli import main

dd = require_module("dask.dataframe")
dask = require_module("dask")
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


# --------------------------------------------------------------------------
# other libraries' tables: polars (and pyarrow) read as pandas


@pytest.fixture(scope="module")
def pl():
    return require_module("polars")


TITLES = ["the team won", "stocks fell", "a dog runs", "the vote passed", "rain fell"]
BODIES = ["in the final", "on the market", "in the park", "in parliament", "all day"]
PREMISES = ["A man plays a guitar.", "A dog runs.", "Two people talk.", "A cat sleeps."]
HYPOTHESES = ["A person makes music.", "An animal moves.", "Nobody speaks.", "A cat is awake."]


def _same(got, expected):
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=0, atol=1e-6)


def test_zero_shot_reads_polars_series_and_frames_as_pandas(tiny_model, pl):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu").fit()
    _same(clf.predict_proba(pl.Series("text", TITLES)), clf.predict_proba(pd.Series(TITLES)))
    frame = {"title": TITLES, "body": BODIES}
    fitted = ZeroShotNLIClassifier(tiny_model, device="cpu")
    y = ["sports", "business", "animals", "politics", "weather"]
    from_pandas = fitted.fit(pd.DataFrame(frame), y).predict_proba(pd.DataFrame(frame))
    from_polars = fitted.fit(pl.DataFrame(frame), pl.Series("y", y))
    assert from_polars.feature_names_in_.tolist() == ["title", "body"]
    assert from_polars.classes_.tolist() == sorted(y)
    _same(from_polars.predict_proba(pl.DataFrame(frame)), from_pandas)
    _same(from_polars.predict_proba(pd.DataFrame(frame)), from_pandas)  # fit on one, use the other
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        from_polars.predict_proba(pl.DataFrame(frame).select("body", "title"))


@pytest.mark.parametrize("named", [False, True], ids=["by-position", "named-columns"])
def test_pair_scorer_reads_polars_frames_as_pandas(tiny_model, pl, named):
    columns = {"premise": PREMISES, "hypothesis": HYPOTHESES}
    options = {}
    if named:  # more columns than the pair: the pair's are named
        columns = {"id": [1, 2, 3, 4], "p": PREMISES, "note": ["x"] * 4, "h": HYPOTHESES}
        options = {"premise_column": "p", "hypothesis_column": "h"}
    scorer = NLIPairScorer(tiny_model, device="cpu", **options).fit()
    expected = (
        NLIPairScorer(tiny_model, device="cpu").fit().predict_proba(list(zip(PREMISES, HYPOTHESES)))
    )
    _same(scorer.predict_proba(pd.DataFrame(columns)), expected)
    _same(scorer.predict_proba(pl.DataFrame(columns)), expected)
    y = ["entailment", "entailment", "contradiction", "contradiction"]
    assert scorer.score(pl.DataFrame(columns), pl.Series(y)) == scorer.score(
        pd.DataFrame(columns), y
    )


def test_pair_scorer_reads_pyarrow_tables(tiny_model):
    pa = require_module("pyarrow")
    table = pa.table({"premise": PREMISES, "hypothesis": HYPOTHESES})
    scorer = NLIPairScorer(tiny_model, device="cpu").fit()
    _same(scorer.predict_proba(table), scorer.predict_proba(list(zip(PREMISES, HYPOTHESES))))


@pytest.mark.parametrize("estimator", ["classify", "pairs"])
def test_set_output_polars_on_both_estimators(tiny_model, pl, estimator):
    if estimator == "classify":
        model = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu")
        X = pl.DataFrame({"title": TITLES, "body": BODIES})
    else:
        model = NLIPairScorer(tiny_model, device="cpu")
        X = pl.DataFrame({"premise": PREMISES, "hypothesis": HYPOTHESES})
    model.fit().set_output(transform="polars")
    features = model.transform(X)
    assert isinstance(features, pl.DataFrame)
    assert features.columns == model.get_feature_names_out().tolist()
    _same(features.to_numpy(), model.predict_proba(X.to_pandas()))


@pytest.mark.parametrize(
    ("task", "columns", "expected"),
    [
        (
            "classify-1d",
            {"text": ["a", "b", None, "d"]},
            "X contains a missing value (NaN/None) at row 2, column 'text'; texts expected.",
        ),
        (
            "classify-2d",
            {"title": ["a", "b", "c", "d"], "body": ["e", "f", "g", None]},
            "X contains a missing value (NaN/None) at row 3, column 'body'; texts expected.",
        ),
        (
            "pairs",
            {"premise": PREMISES, "hypothesis": [None, *HYPOTHESES[1:]]},
            "X contains a missing value (NaN/None) at row 0, column 'hypothesis'; texts expected.",
        ),
    ],
)
def test_a_missing_polars_cell_gives_the_pandas_message(tiny_model, pl, task, columns, expected):
    if task == "pairs":
        model = NLIPairScorer(tiny_model, device="cpu").fit()
    else:
        model = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu").fit()
    polars_frame, pandas_frame = pl.DataFrame(columns), pd.DataFrame(columns).fillna(np.nan)
    if task == "classify-1d":
        polars_frame, pandas_frame = polars_frame["text"], pandas_frame["text"]
    for data in (polars_frame, pandas_frame):
        with pytest.raises(ValueError) as raised:
            model.predict_proba(data)
        assert str(raised.value) == expected


def test_polars_inside_cross_validation(tiny_model, pl):
    from sklearn.model_selection import cross_val_score

    clf = ZeroShotNLIClassifier(tiny_model, device="cpu")
    texts = TITLES * 2
    y = ["sports", "business"] * 5
    on_polars = cross_val_score(clf, pl.DataFrame({"title": texts}), pl.Series(y), cv=2)
    on_pandas = cross_val_score(clf, pd.DataFrame({"title": texts}), y, cv=2)
    _same(on_polars, on_pandas)


def test_one_dimensional_arrow_arrays_and_unnamed_polars_series_are_texts(tiny_model, pl):
    pa = require_module("pyarrow")
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu").fit()
    expected = clf.predict_proba(TITLES)
    _same(clf.predict_proba(pa.chunked_array([TITLES[:2], TITLES[2:]])), expected)
    _same(clf.predict_proba(pl.Series(TITLES)), expected)
    for unnamed in (pl.Series(["a", None]), pd.Series(["a", None])):
        with pytest.raises(ValueError) as raised:
            clf.predict_proba(unnamed)
        assert str(raised.value) == (
            "X contains a missing value (NaN/None) at row 1; texts expected."
        )
