"""Every notebook runs top to bottom with a tiny model, on a small sample of the data.

The notebooks read their model from ``SKLEARN_NLI_MODEL`` and shrink their data
when ``SKLEARN_NLI_FAST=1``; they find the data in ``../shared/data/``. Where a
data file is absent the test fails in CI (``CI=true``, as ``.ci/run`` sets it),
naming the file, and is skipped elsewhere, rather than downloading.

After each run, the test reads what the notebook printed and displayed (every
displayed value is also dumped as JSON by a probe cell appended in memory, never
saved) and checks what it computed: probability tables whose rows sum to 1,
accuracies in [0, 1] that agree with the predictions shown, counts that add up
to the sample, the learning curves and confusion matrices drawn.
"""

import importlib.util
import json
import os
import re
from pathlib import Path

import _requirements as requirements
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DATA = ROOT.parent / "shared" / "data"
DEFAULT_MODEL = "MoritzLaurer/MiniLM-L6-mnli"


def _sources(path):
    """The source of each code cell."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def test_four_notebooks():
    assert [path.name for path in NOTEBOOKS] == [
        "1_quickstart.ipynb",
        "2_pandas_workflows.ipynb",
        "3_baselines_ag_news.ipynb",
        "4_pairs_sick.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_committed_without_outputs(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code
    for cell in code:
        assert cell["outputs"] == [], f"cell {cell.get('id')} of {path.name} has outputs"
        assert cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_reads_model_from_environment(path):
    text = "\n".join(_sources(path))
    assert f'os.environ.get("SKLEARN_NLI_MODEL", "{DEFAULT_MODEL}")' in text
    # The default model is named nowhere else in the code.
    assert text.count(DEFAULT_MODEL) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs(path, tiny_model, tmp_path, monkeypatch):
    nbformat = requirements.require_module("nbformat")
    nbclient = requirements.require_module("nbclient")
    _require_data(path)
    monkeypatch.setenv("SKLEARN_NLI_MODEL", tiny_model)
    monkeypatch.setenv("SKLEARN_NLI_FAST", "1")
    # One thread: the tiny model gains nothing from more, and on a busy machine
    # OpenMP threads contending for the cores make it many times slower.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("SKLEARN_NLI_DATA", raising=False)
    _hub_unreachable_with_setfit_importable(tmp_path, monkeypatch)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(_PROBE))  # in memory only
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    assert sum(cell.cell_type == "code" for cell in notebook.cells) == sum(
        1 for cell in notebook.cells if cell.cell_type == "code" and cell.execution_count
    )
    run = _Run(notebook)
    if "plt.show()" in "\n".join(_sources(path)):
        assert run.cell("plt.show()").images, f"{path.name} draws no figure"
    # What the notebook computed, read from its outputs.
    _CHECKS[path.stem](run, Path(tiny_model))


# -- running the notebooks ----------------------------------------------------

# Where setfit is not installed, the kernel imports this package in its place:
# like setfit, it loads its sentence encoder through huggingface_hub, which
# raises what it raises offline.
_SETFIT_STAND_IN = """
class logging:
    @staticmethod
    def set_verbosity_error():
        pass


class SetFitModel:
    @classmethod
    def from_pretrained(cls, name):
        from huggingface_hub import snapshot_download

        snapshot_download(name)
        raise AssertionError(f"{name} loaded from the Hub, which should be unreachable here")
"""


def _hub_unreachable_with_setfit_importable(tmp_path, monkeypatch):
    """The Hub out of reach and nothing in its cache; ``setfit`` importable all the same.

    An optional comparison whose model cannot be loaded must then be left out
    with a printed reason (notebook 3 and SetFit), not stop the notebook.
    """
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.delenv("SKLEARN_NLI_SETFIT_BODY", raising=False)
    if importlib.util.find_spec("setfit") is None:
        (tmp_path / "setfit").mkdir()
        (tmp_path / "setfit" / "__init__.py").write_text(_SETFIT_STAND_IN, encoding="utf-8")
        path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
        monkeypatch.setenv("PYTHONPATH", path)


def _require_data(path):
    """Fail in CI, skip elsewhere, when a data file that the notebook reads is absent."""
    text = "\n".join(_sources(path))
    names = re.findall(r'find_data\("([^"]+)"\)', text)
    missing = [DATA / name for name in names if not (DATA / name).is_file()]
    if not missing:
        return
    where = ", ".join(str(file) for file in missing)
    requirements.missing(
        f"{path.name} needs {where}, which is absent (the notebook would download the "
        "data instead; ../shared/data/ holds it)"
    )


# Appended to each notebook before it runs (never saved): prints, as JSON, every
# value that a cell displayed (IPython's ``Out``, by execution count).
_PROBE_MARK = "SKLEARN_NLI_TEST_PROBE "
_PROBE = f"""
def _sklearn_nli_test_probe():
    import json

    import numpy as np
    import pandas as pd

    def describe(value):
        if isinstance(value, (pd.DataFrame, pd.Series)):
            return {{"type": type(value).__name__, **json.loads(value.to_json(orient="split"))}}
        if isinstance(value, np.ndarray):
            return {{"type": "ndarray", "data": value.tolist()}}
        if isinstance(value, dict):
            return {{"type": "dict", "data": {{str(k): float(v) for k, v in value.items()}}}}
        return {{"type": type(value).__name__, "data": repr(value)}}

    return json.dumps({{str(count): describe(value) for count, value in Out.items()}})


print({_PROBE_MARK!r} + _sklearn_nli_test_probe())
"""


class _Cell:
    """What one executed code cell printed, displayed and drew."""

    def __init__(self, cell, results):
        outputs = cell.get("outputs", [])
        self.source = "".join(cell.source)
        self.printed = "".join(
            out["text"]
            for out in outputs
            if out.get("output_type") == "stream" and out.get("name") == "stdout"
        )
        self.result = results.get(str(cell.execution_count))
        self.images = [out for out in outputs if "image/png" in out.get("data", {})]

    def frame(self):
        """The displayed DataFrame or Series, as ``(index, columns, rows)``."""
        assert self.result and self.result["type"] in ("DataFrame", "Series"), self.source
        if self.result["type"] == "Series":
            return self.result["index"], [self.result["name"]], [[v] for v in self.result["data"]]
        return self.result["index"], self.result["columns"], self.result["data"]

    def number(self, pattern):
        """The number that ``pattern`` (with one group) finds in what the cell printed."""
        match = re.search(pattern, self.printed, re.M)
        assert match, f"{pattern!r} not in the output of {self.source[:60]!r}: {self.printed!r}"
        return float(match.group(1))


class _Run:
    """An executed notebook; cells are found by a piece of their source."""

    def __init__(self, notebook):
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        probe = code.pop()
        printed = "".join(out.get("text", "") for out in probe.outputs)
        assert printed.startswith(_PROBE_MARK), printed[:200]
        results = json.loads(printed[len(_PROBE_MARK) :])
        self.cells = [_Cell(cell, results) for cell in code]

    def cell(self, snippet):
        found = [cell for cell in self.cells if snippet in cell.source]
        assert len(found) == 1, f"{len(found)} code cells hold {snippet!r}"
        return found[0]


def _in_unit_interval(values):
    return all(0.0 <= value <= 1.0 for value in values)


def _check_model_line(run, model):
    # The notebook reports the model it read from SKLEARN_NLI_MODEL and fast mode.
    assert run.cell("FAST = ").printed == f"model: {model} | fast mode: True\n"


def _check_data_line(run, name, n_columns):
    """The data came from ../shared/data/, not from the web; returns its number of rows."""
    first = run.cell(f'find_data("{name}")').printed.splitlines()[0]
    match = re.fullmatch(r"(.+) \((\d+), (\d+)\)", first)
    assert match, first
    assert Path(match.group(1)).resolve() == (DATA / name).resolve()
    assert int(match.group(3)) == n_columns
    assert int(match.group(2)) > 0
    return int(match.group(2))


AG_NEWS = ["World", "Sports", "Business", "Sci/Tech"]
SICK = ["CONTRADICTION", "ENTAILMENT", "NEUTRAL"]


def _check_quickstart(run, model):
    assert run.cell('MODEL = os.environ.get("SKLEARN_NLI_MODEL"').result["data"] == repr(str(model))
    predicted = run.cell("clf.predict(texts)").result["data"]
    assert len(predicted) == 4 and set(predicted) <= set(AG_NEWS)
    # One probability column per class, a row per text, each row summing to 1
    # (to the table's rounding), and the predicted class is the most probable one.
    index, columns, rows = run.cell("clf.predict_proba(texts)").frame()
    assert sorted(columns) == sorted(AG_NEWS) and len(index) == 4
    for text_predicted, row in zip(predicted, rows):
        assert _in_unit_interval(row) and abs(sum(row) - 1) <= 0.002
        if row.count(max(row)) == 1:
            assert columns[row.index(max(row))] == text_predicted
    tags = ["sports", "money", "politics", "science"]
    tagger = run.cell("multi_label=True")
    assert tagger.printed.strip() == str([f"This news is about {tag}." for tag in tags])
    index, columns, rows = tagger.frame()
    assert columns == tags and len(index) == 4
    assert {value for row in rows for value in row} <= {0, 1}
    # The pairs: the tiny model's own labels.
    labels = json.loads((model / "config.json").read_text())["id2label"].values()
    pair_predicted = run.cell("scorer.predict(pairs)").result["data"]
    assert len(pair_predicted) == 3 and set(pair_predicted) <= set(labels)
    index, columns, rows = run.cell("scorer.predict_proba(pairs)").frame()
    assert sorted(columns) == sorted(labels) and len(index) == 3
    for row in rows:
        assert _in_unit_interval(row) and abs(sum(row) - 1) <= 0.0015
    # The accuracies are those of the predictions shown above.
    accuracies = run.cell('print("pair accuracy:"')
    gold = ["ENTAILMENT", "CONTRADICTION", "NEUTRAL"]
    expected = sum(p.upper() == g for p, g in zip(pair_predicted, gold)) / 3
    assert accuracies.number(r"^pair accuracy: (\S+)$") == pytest.approx(expected)
    gold = ["Sports", "Business", "Sci/Tech", "World"]
    expected = sum(p == g for p, g in zip(predicted, gold)) / 4
    assert accuracies.number(r"^topic accuracy: (\S+)$") == pytest.approx(expected)


def _check_pandas_workflows(run, model):
    _check_model_line(run, model)
    _check_data_line(run, "ag_news_test.csv", 4)
    index, columns, rows = run.cell('sample[["title", "description", "topic"]]').frame()
    assert columns == ["title", "description", "topic"] and len(rows) == 5
    assert {row[2] for row in rows} <= set(AG_NEWS)
    n = 60  # SKLEARN_NLI_FAST=1
    # Predicted topic and confidence (the largest of four probabilities).
    index, columns, rows = run.cell('sample["confidence"] = ').frame()
    assert columns == ["title", "topic", "predicted", "confidence"] and len(rows) == 8
    assert {row[2] for row in rows} <= set(AG_NEWS)
    assert all(0.25 - 1e-6 <= row[3] <= 1 for row in rows)
    # groupby summary: counts add up to the sample; means and shares in [0, 1].
    index, columns, rows = run.cell("summary = sample.groupby").frame()
    assert columns == ["articles", "mean_confidence", "precision"] and set(index) <= set(AG_NEWS)
    assert sum(row[0] for row in rows) == n
    assert all(0.25 - 1e-3 <= row[1] <= 1 and 0 <= row[2] <= 1 for row in rows)
    # Confusion table with margins: rows and columns add up to their totals.
    index, columns, rows = run.cell("pd.crosstab").frame()
    assert index[-1] == columns[-1] == "All" and rows[-1][-1] == n
    assert set(index[:-1]) <= set(AG_NEWS) and set(columns[:-1]) <= set(AG_NEWS)
    for row in rows:
        assert sum(row[:-1]) == row[-1]
    recall = run.cell('groupby("topic")["right"]')
    for topic in AG_NEWS:
        assert 0 <= recall.number(rf"^{re.escape(topic)}\s+(\S+)$") <= 1
    index, columns, rows = recall.frame()
    assert set(index) <= {False, True} and sum(row[0] for row in rows) == n
    # ColumnTransformer with pandas output: named probability columns, each
    # classifier's four summing to 1 on every row.
    index, columns, rows = run.cell("features.fit_transform(sample)").frame()
    prefixes = ["title_only", "title_and_description"]
    assert sorted(columns) == sorted(f"{p}__{t}" for p in prefixes for t in AG_NEWS)
    assert index == [0, 1, 2, 3, 4]
    for row in rows:
        values = dict(zip(columns, row))
        for prefix in prefixes:
            group = [v for c, v in values.items() if c.startswith(prefix + "__")]
            assert _in_unit_interval(group) and abs(sum(group) - 1) <= 0.002
    same = run.cell("same prediction with and without")
    assert 0 <= same.number(r"description: ([\d.]+)%$") <= 100
    assert 0 <= run.cell("held-out accuracy").number(r"^held-out accuracy: (\S+)$") <= 1
    # The saved pipeline holds no weights: it is smaller than the model's weights file.
    saved = run.cell("joblib.dump(pipeline, path)")
    kib = saved.number(r"^news_pipeline\.joblib: ([\d.]+) KiB$")
    assert kib * 1024 < (model / "model.safetensors").stat().st_size
    assert "the loaded pipeline gives the same predictions" in saved.printed


def _check_baselines(run, model):
    _check_model_line(run, model)
    _check_data_line(run, "ag_news_test.csv", 4)
    n_pool, n_test = 400, 200  # SKLEARN_NLI_FAST=1: 600 texts, 200 of them for testing
    splits = run.cell("training pool: ").printed
    assert splits == (
        f"training pool: {n_pool} texts, test split: {n_test} texts\n"
        f"subset sizes: [8, 32, 128, {n_pool}] | seeds: [0, 1]\n"
    )
    pairs = run.cell("(text, label) pairs in")
    assert pairs.number(r"^(\d+) \(text, label\) pairs in") == (n_pool + n_test) * 4
    zero_shot = run.cell("zero_shot_scores = evaluate").result
    assert zero_shot["type"] == "dict" and set(zero_shot["data"]) == {"accuracy", "macro_f1"}
    assert _in_unit_interval(zero_shot["data"].values())
    # 4 methods x (3 sizes x 2 seeds + the whole pool once).
    assert run.cell("records = []").number(r"^(\d+) fits in") == 4 * (3 * 2 + 1)
    agreement = run.cell("Pipeline and precomputed features agree")
    assert agreement.number(r"agree on ([\d.]+)% of the test texts") >= 99
    # Fast mode: the NLI model fine-tuned on the 8-text subset of seed 0. SetFit's
    # body is not on this machine and the Hub is out of reach: SetFit is left out.
    fine_tuning = run.cell("fine_tuned(seed).fit")
    assert fine_tuning.printed.startswith(
        "SetFit's body 'sentence-transformers/all-MiniLM-L6-v2' cannot be loaded ("
    ), fine_tuning.printed[:300]
    assert "): it is left out.\nsizes: [8] | seeds: [0] | methods: ['NLI fine-tuned" in (
        fine_tuning.printed
    )
    assert fine_tuning.number(r"fine-tuning: (\d+) fits in") == 1
    fine_tuned = "NLI fine-tuned (n_epochs=10)"
    methods = [
        "most frequent (Dummy)",
        "MultinomialNB",
        "TF-IDF + LogisticRegression",
        "NLI features + LogisticRegression",
        fine_tuned,
    ]
    for metric, snippet in (("accuracy", 'table("accuracy")'), ("macro_f1", 'table("macro_f1")')):
        index, columns, rows = run.cell(snippet).frame()
        assert index == methods + ["zero-shot NLI (no labels)"]
        assert columns == ["8", "32", "128", f"all ({n_pool})"]
        for method, row in zip(index, rows):
            for column, cell in zip(columns, row):
                if method == fine_tuned and column != "8":
                    assert cell == "-", (method, column, cell)  # not run at this size
                    continue
                # "mean ± std" over the seeds; one run ("all", zero-shot, fine-tuned): the mean.
                match = re.fullmatch(r"(\d\.\d{3})(?: ± (\d\.\d{3}))?", cell)
                assert match, (method, column, cell)
                assert 0 <= float(match.group(1)) <= 1
                single = column.startswith("all") or method in (
                    "zero-shot NLI (no labels)",
                    fine_tuned,
                )
                assert (match.group(2) is None) == single, (method, column, cell)
        assert rows[-1] == [f"{zero_shot['data'][metric]:.3f}"] * 4
    index, columns, rows = run.cell("The raw results").frame()
    assert columns == ["accuracy", "macro_f1"]
    assert sorted(tuple(i) for i in index) == sorted(
        [(method, size) for method in methods[:-1] for size in (8, 32, 128, n_pool)]
        + [(fine_tuned, 8)]
    )
    assert all(_in_unit_interval(row) for row in rows)


def _check_pairs_sick(run, model):
    _check_model_line(run, model)
    _check_data_line(run, "sick.tsv", 5)
    split = run.cell('sick["pair_ID"] % 5 == 0')
    assert split.printed == "200 pairs\n"  # SKLEARN_NLI_FAST=1
    index, _, rows = split.frame()
    assert set(index) <= set(SICK) and sum(row[0] for row in rows) == 200
    scored = run.cell("classification_report(")
    assert f"classes: {SICK}\n" in scored.printed
    accuracy = scored.number(r"^accuracy: (\S+)$")
    assert 0 <= accuracy <= 1
    # The report's accuracy line: the same figure, over the 200 pairs.
    assert scored.number(r"^\s+accuracy\s+(\S+)\s+200$") == pytest.approx(accuracy, abs=0.005)
    # Five folds of 40 pairs: each score is a multiple of 1/40; with nothing
    # trained, the folds' mean is the accuracy above.
    index, columns, rows = run.cell("cross_val_score(").frame()
    assert index == [f"fold {i}" for i in range(1, 6)] + ["mean", "std"]
    assert columns == ["NLIPairScorer", "NLIPairScorer + LogisticRegression"]
    folds = rows[:5]
    assert all(_in_unit_interval(row) for row in folds)
    assert all(abs(v * 40 - round(v * 40)) < 1e-6 for row in folds for v in row)
    for j in range(2):
        assert rows[5][j] == pytest.approx(sum(row[j] for row in folds) / 5, abs=0.0011)
    assert rows[5][0] == pytest.approx(accuracy, abs=0.0011)


_CHECKS = {
    "1_quickstart": _check_quickstart,
    "2_pandas_workflows": _check_pandas_workflows,
    "3_baselines_ag_news": _check_baselines,
    "4_pairs_sick": _check_pairs_sick,
}


def test_every_notebook_is_checked():
    assert sorted(_CHECKS) == [path.stem for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_docs_show_an_executed_copy_of_the_same_code(path):
    # docs/execute_notebooks.py writes docs/executed/; the site shows those copies.
    executed = ROOT / "docs" / "executed" / path.name
    assert executed.exists(), f"run docs/execute_notebooks.py: {executed} is missing"
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    stamp = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and stamp.startswith("**Outputs from a real run**")
    assert _sources(executed) == _sources(path), "the notebook changed: execute it again"
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] for cell in code)
    outputs = [out for cell in code for out in cell["outputs"]]
    assert outputs and not [out for out in outputs if out["output_type"] == "error"]
    if "plt." in "\n".join(_sources(path)):
        assert any("image/png" in out.get("data", {}) for out in outputs)
