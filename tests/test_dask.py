"""The estimators on a dask.distributed cluster: sklearn_nli.dask.

One LocalCluster of two single-threaded worker processes serves the module. Model
loads are counted from outside the package: before any scoring, every worker gets a
wrapped ``AutoModelForSequenceClassification.from_pretrained`` (through
``client.run``) that records each call, and the engine cache of each worker is
inspected at the end.
"""

import os
import pickle
import random
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from _requirements import require_module

dask = require_module("dask", "the dask extra (in the dev extra)")
dd = require_module("dask.dataframe", "the dask extra (in the dev extra)")
db = require_module("dask.bag", "the dask extra (in the dev extra)")
distributed = require_module("distributed", "the dask extra (in the dev extra)")
cloudpickle = require_module("cloudpickle", "the dask extra (in the dev extra)")

from sklearn.exceptions import NotFittedError  # noqa: E402

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier  # noqa: E402
from sklearn_nli.dask import predict, predict_proba  # noqa: E402

N_TEXTS = 2_000
N_PARTITIONS = 8
WORDS = (
    "the a man woman dog cat plays runs music guitar game team market stock news park "
    "politics science world business technology sports person"
).split()
LABELS = ["sports", "politics", "business"]
WORKER_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}


def _sentences(n, seed):
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(3, 30))) + "." for _ in range(n)]


def _count_model_loads():
    """Run on each worker before scoring: record every model load of the process."""
    import transformers

    auto = transformers.AutoModelForSequenceClassification
    original = auto.from_pretrained
    loads = []

    def counting_from_pretrained(*args, **kwargs):
        loads.append(str(args[0]) if args else str(kwargs))
        return original(*args, **kwargs)

    auto.from_pretrained = counting_from_pretrained
    auto._sklearn_nli_test_loads = loads


def _model_loads():
    import transformers

    return list(transformers.AutoModelForSequenceClassification._sklearn_nli_test_loads)


def _engine_cache():
    from sklearn_nli._runtime._engine import loaded_engines

    return {str(key): id(engine) for key, engine in loaded_engines().items()}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        env=WORKER_ENV,
    )
    client = distributed.Client(cluster)
    try:
        client.wait_for_workers(2)
        client.run(_count_model_loads)
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def texts():
    return pd.Series(_sentences(N_TEXTS, seed=0), name="text")


@pytest.fixture(scope="module")
def pairs():
    premises = _sentences(N_TEXTS, seed=1)
    hypotheses = _sentences(N_TEXTS, seed=2)
    index = pd.RangeIndex(10_000, 10_000 + N_TEXTS, name="pair_id")
    return pd.DataFrame({"premise": premises, "hypothesis": hypotheses}, index=index)


def test_cluster_results_equal_in_process_and_one_load_per_worker(client, tiny_model, texts, pairs):
    # Acceptance 1 and 2, on one cluster: zero-shot texts and pairs, then the loads.
    assert client.run(_model_loads) == {worker: [] for worker in client.run(_model_loads)}

    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu").fit()
    ddf = dd.from_pandas(texts.to_frame(), npartitions=N_PARTITIONS)
    proba = predict_proba(clf, ddf["text"])
    assert proba.npartitions == ddf.npartitions
    assert proba.divisions == ddf.divisions
    assert proba.columns.tolist() == clf.get_feature_names_out().tolist()
    got = proba.compute()
    expected = clf.predict_proba(texts)
    pd.testing.assert_index_equal(got.index, texts.index)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=0, atol=1e-6)
    labels = predict(clf, ddf["text"]).compute()
    assert labels.tolist() == clf.predict(texts).tolist()

    scorer = NLIPairScorer(tiny_model, device="cpu").fit()
    pair_frame = dd.from_pandas(pairs, npartitions=N_PARTITIONS)
    got_pairs = predict_proba(scorer, pair_frame).compute()
    pd.testing.assert_index_equal(got_pairs.index, pairs.index)
    assert got_pairs.columns.tolist() == scorer.classes_.tolist()
    np.testing.assert_allclose(got_pairs.to_numpy(), scorer.predict_proba(pairs), rtol=0, atol=1e-6)

    loads = client.run(_model_loads)
    assert len(loads) == 2
    assert all(len(worker_loads) == 1 for worker_loads in loads.values()), loads
    caches = client.run(_engine_cache)
    assert all(len(cache) == 1 for cache in caches.values()), caches


def test_pickled_estimator_is_small(tiny_model, texts):
    # Acceptance 3: what travels is parameters and fitted attributes, not weights.
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu").fit()
    clf.predict_proba(texts[:10])  # the model is loaded in this process
    scorer = NLIPairScorer(tiny_model, device="cpu").fit()
    for estimator in (clf, scorer):
        assert len(pickle.dumps(estimator)) < 100_000
        assert len(cloudpickle.dumps(estimator)) < 100_000

    # The whole task graph adds less than 100 kB to the input's own graph,
    # whatever the number of partitions: one estimator key, shared.
    series = dd.from_pandas(texts, npartitions=N_PARTITIONS)
    proba = predict_proba(clf, series)
    input_size = len(cloudpickle.dumps(dict(series.__dask_graph__())))
    graph = dict(proba.__dask_graph__())
    extra = len(cloudpickle.dumps(graph)) - input_size
    assert extra < 100_000
    shipped = [
        value
        for value in map(_task_value, graph.values())
        if isinstance(value, ZeroShotNLIClassifier)
    ]
    assert len(shipped) == 1
    assert shipped[0] is not clf  # a copy: later changes to clf do not leak in


def _task_value(task):
    return getattr(task, "value", task)


def test_bag_input(client, tiny_model, texts, pairs):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu").fit()
    bag = db.from_sequence(texts.tolist()[:300], npartitions=3)
    got = predict_proba(clf, bag).compute()
    np.testing.assert_allclose(got.to_numpy(), clf.predict_proba(texts[:300]), rtol=0, atol=1e-6)

    scorer = NLIPairScorer(tiny_model, device="cpu").fit()
    pair_list = list(pairs.head(300).itertuples(index=False, name=None))
    got = predict(scorer, db.from_sequence(pair_list, npartitions=3)).compute()
    assert got.tolist() == scorer.predict(pair_list).tolist()


def test_several_text_columns_are_joined(client, tiny_model, texts):
    # title + body, as the estimator itself does with 2-D input (numbers become text).
    frame = pd.DataFrame({"title": texts.head(200).values, "year": np.arange(200) + 1990})
    frame["body"] = texts.tail(200).values
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu").fit(frame)
    got = predict_proba(clf, dd.from_pandas(frame, npartitions=3)).compute()
    np.testing.assert_allclose(got.to_numpy(), clf.predict_proba(frame), rtol=0, atol=1e-6)


def test_empty_partitions_and_named_pair_columns(client, tiny_model, pairs):
    frame = pairs.assign(other=1.5).reset_index()
    scorer = NLIPairScorer(
        tiny_model, premise_column="premise", hypothesis_column="hypothesis", device="cpu"
    ).fit()
    ddf = dd.from_pandas(frame.head(200), npartitions=4)
    ddf = ddf[ddf["pair_id"] < 10_100]  # the last two partitions become empty
    got = predict_proba(scorer, ddf).compute()
    expected = scorer.predict_proba(frame[frame["pair_id"] < 10_100])
    assert len(got) == 100
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=0, atol=1e-6)


def test_non_string_names_partition_and_row(client, tiny_model, texts):
    # Acceptance 5.
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu").fit()
    bad = texts.head(400).astype(object).copy()
    bad.index = pd.RangeIndex(1_000, 1_400)
    bad.iloc[250] = 17  # partition 2 of 4 (rows 200-299), row 50, label 1250
    # Dask turns object columns into strings by default ("17"); keep the int.
    with dask.config.set({"dataframe.convert-string": False}):
        series = dd.from_pandas(bad, npartitions=4)
    with pytest.raises(TypeError) as info:
        predict_proba(clf, series).compute()
    message = str(info.value)
    # The estimator's own message (rows named by the labels of the RangeIndex), after
    # the partition's number.
    assert message.startswith("In partition 2 of the Dask collection: ")
    assert "at row 1250, column 'text'" in message
    assert "int 17" in message

    bad.iloc[250] = None
    with pytest.raises(ValueError, match=r"partition 2 .*missing value .* row 1250, column 'text'"):
        predict(clf, dd.from_pandas(bad, npartitions=4)).compute()

    scorer = NLIPairScorer(tiny_model, device="cpu").fit()
    frame = pd.DataFrame({"premise": texts.head(100), "hypothesis": texts.tail(100).values})
    frame["hypothesis"] = frame["hypothesis"].astype(object)
    frame.loc[75, "hypothesis"] = 3.5
    with dask.config.set({"dataframe.convert-string": False}):
        pair_frame = dd.from_pandas(frame, npartitions=2)
    with pytest.raises(TypeError, match=r"partition 1 .*float 3.5 at row 75, column 'hypothesis'"):
        predict_proba(scorer, pair_frame).compute()

    numbers = dd.from_pandas(pd.Series(np.arange(10), name="n"), npartitions=2)
    with pytest.raises(TypeError, match=r"partition ([01]) .*got int ([05]) at row \2, column 'n'"):
        predict_proba(clf, numbers).compute()

    bag = db.from_sequence(["a text", "another", b"bytes", "more"], npartitions=2)
    with pytest.raises(TypeError, match=r"partition 1 .*bytes b'bytes' at row 0\."):
        predict_proba(clf, bag).compute()


def test_checks_before_any_work(tiny_model, texts):
    with pytest.raises(NotFittedError):
        predict_proba(ZeroShotNLIClassifier(tiny_model), dd.from_pandas(texts, npartitions=2))
    scorer = NLIPairScorer(tiny_model, device="cpu").fit()
    with pytest.raises(TypeError, match="not a Series"):
        predict_proba(scorer, dd.from_pandas(texts, npartitions=2))
    three = dd.from_pandas(pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["z"]}), npartitions=1)
    with pytest.raises(ValueError, match="2 columns"):
        predict_proba(scorer, three)
    with pytest.raises(TypeError, match="Dask Series, DataFrame or Bag"):
        predict_proba(scorer, [("a", "b")])


def test_import_error_names_the_extra():
    code = "import sys; sys.modules['dask'] = None; import sklearn_nli.dask"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **WORKER_ENV},
        check=False,
    )
    assert result.returncode != 0
    assert 'pip install "sklearn-nli[dask]"' in result.stderr
