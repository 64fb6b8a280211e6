"""Every notebook runs top to bottom with a tiny model, on a small sample of the data.

The notebooks read their model from ``SKLEARN_NLI_MODEL`` and shrink their data
when ``SKLEARN_NLI_FAST=1``; they find the data in ``../shared/data/`` and are
skipped (with the reason) where that folder is absent, rather than downloading.
"""

import json
import os
from pathlib import Path

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
def test_notebook_runs(path, tiny_model, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    text = "\n".join(_sources(path))
    for name in ("ag_news_test.csv", "sick.tsv"):
        if f'find_data("{name}")' in text and not (DATA / name).is_file():
            pytest.skip(f"{DATA / name} is absent (the notebook would download it)")
    monkeypatch.setenv("SKLEARN_NLI_MODEL", tiny_model)
    monkeypatch.setenv("SKLEARN_NLI_FAST", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # One thread: the tiny model gains nothing from more, and on a busy machine
    # OpenMP threads contending for the cores make it many times slower.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("SKLEARN_NLI_DATA", raising=False)
    notebook = nbformat.read(path, as_version=4)
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
    if "plt.show()" in text:
        images = [out for out in outputs if "image/png" in out.get("data", {})]
        assert images, f"{path.name} draws no figure"
    assert os.environ["SKLEARN_NLI_FAST"] == "1"
