"""The Spark recipes of docs/scaling_out.md: mapInPandas and pandas UDFs.

The page shows its Spark examples as ``{code-block} python`` (so that the docs
tests, which run every page's ``python`` blocks, do not need pyspark); this module
runs them, and checks the same recipes against in-process results.

pyspark comes with the ``spark`` extra, which the dev extra includes, and Java
with the machine; without either the module is skipped, and in CI it fails.
"""

import os
import random
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _doc_examples import blocks, run_python, with_tiny_model  # noqa: E402
from _requirements import require_module, require_program

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore:::pyspark"),
]

WORDS = "the a man dog plays music game team market stock news park politics sports".split()


def _sentences(n, seed):
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(3, 20))) + "." for _ in range(n)]


@pytest.fixture(scope="module", autouse=True)
def spark():
    # In a fixture, not at import: in CI each test fails saying what is missing,
    # and the rest of the suite still runs.
    require_module("pyspark", "the spark extra (in the dev extra)")
    require_program("java", "JAVA_HOME")  # pyspark starts a Java process
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        session = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_map_in_pandas_zero_shot(spark, tiny_model):
    clf = ZeroShotNLIClassifier(
        tiny_model, candidate_labels=["sports", "politics", "business"], device="cpu"
    ).fit()
    names = clf.get_feature_names_out().tolist()

    def score(batches):
        for batch in batches:
            if len(batch) == 0:
                continue
            proba = pd.DataFrame(clf.predict_proba(batch["text"]), columns=names)
            yield pd.concat([batch[["id"]].reset_index(drop=True), proba], axis=1)

    texts = pd.DataFrame({"id": range(300), "text": _sentences(300, seed=0)})
    schema = "id long, " + ", ".join(f"`{name}` double" for name in names)
    news = spark.createDataFrame(texts).repartition(3)
    got = news.mapInPandas(score, schema=schema).toPandas().sort_values("id")
    assert got["id"].tolist() == list(range(300))
    expected = clf.predict_proba(texts["text"])
    np.testing.assert_allclose(got[names].to_numpy(), expected, rtol=0, atol=1e-6)


def test_pandas_udf_pairs(spark, tiny_model):
    from pyspark.sql.functions import pandas_udf

    scorer = NLIPairScorer(tiny_model, device="cpu").fit()
    names = scorer.get_feature_names_out().tolist()

    @pandas_udf(", ".join(f"`{name}` double" for name in names))
    def pair_proba(premise: pd.Series, hypothesis: pd.Series) -> pd.DataFrame:
        pairs = pd.DataFrame({"premise": premise, "hypothesis": hypothesis})
        return pd.DataFrame(scorer.predict_proba(pairs), columns=names)

    pairs = pd.DataFrame(
        {"id": range(200), "premise": _sentences(200, 1), "hypothesis": _sentences(200, 2)}
    )
    frame = spark.createDataFrame(pairs).repartition(2)
    got = (
        frame.select("id", pair_proba("premise", "hypothesis").alias("proba"))
        .select("id", "proba.*")
        .toPandas()
        .sort_values("id")
    )
    expected = scorer.predict_proba(pairs[["premise", "hypothesis"]])
    np.testing.assert_allclose(got[names].to_numpy(), expected, rtol=0, atol=1e-6)


def _spark_blocks():
    text = (Path(__file__).resolve().parents[1] / "docs" / "scaling_out.md").read_text("utf-8")
    return [
        body
        for language, _, body in blocks(text)
        if language == "{code-block} python" and "pyspark" in body
    ]


def test_docs_spark_examples_run(spark, tiny_model):
    # Last in the module: each example stops the (shared) session at its end.
    examples = _spark_blocks()
    assert len(examples) == 2
    for number, code in enumerate(examples, start=1):
        namespace = {"__name__": "docs_scaling_out_spark"}
        printed = run_python(with_tiny_model(code, tiny_model), namespace, f"spark {number}")
        assert "politics" in printed
