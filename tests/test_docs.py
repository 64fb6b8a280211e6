"""Every code example of the documentation runs, with a tiny local model.

Each page's Python blocks run in order in one namespace, in a fresh working
directory holding the files that the pages show (blocks captioned with a file
name) and a copy of the tiny model at ``models/minilm-mnli``; every string
literal naming the default model is replaced by the tiny model. Then each
``sklearn-nli`` command of the page runs, with ``SKLEARN_NLI_MODEL`` pointing
at the tiny model (the command line's default). See ``_doc_examples.py``.
"""

import importlib.util
import re
import shutil
from pathlib import Path

import _requirements as requirements
import pandas as pd
import pytest
from _doc_examples import (
    DEFAULT_MODEL,
    commands,
    files,
    output_of,
    python_blocks,
    run_command,
    run_python,
    with_tiny_model,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
EXPECTED_PAGES = {
    "index",
    "getting_started",
    "zero_shot",
    "pairs",
    "pandas_pipelines",
    "model_selection",
    "cli",
    "performance",
    "scaling_out",
    "offline",
    "notebooks",
    "api",
}


def _text(page):
    return page.read_text(encoding="utf-8")


def _has_examples(page):
    text = _text(page)
    return bool(python_blocks(text) or commands(text))


def _all_files():
    shown = {}
    for page in PAGES:
        shown.update(files(_text(page)))
    return shown


def _missing_modules(code):
    names = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.M))
    return sorted(name for name in names if importlib.util.find_spec(name) is None)


def test_every_page_is_there():
    assert EXPECTED_PAGES <= {page.stem for page in PAGES}
    assert (DOCS / "conf.py").is_file()


def test_toctree_lists_every_page():
    index = _text(DOCS / "index.md")
    for name in EXPECTED_PAGES - {"index"}:
        assert re.search(rf"^{name}$", index, re.M), f"{name} is not in index.md's toctree"


def test_examples_use_the_default_model_by_name():
    # The replacement below relies on examples naming the default model.
    pages = [page for page in PAGES if python_blocks(_text(page))]
    assert len(pages) >= 7
    for page in pages:
        code = "\n".join(python_blocks(_text(page)))
        assert DEFAULT_MODEL in code or "models/minilm-mnli" in code, page.name


@pytest.fixture
def workdir(tmp_path, tiny_model, monkeypatch):
    for name, content in _all_files().items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    shutil.copytree(tiny_model, tmp_path / "models" / "minilm-mnli")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKLEARN_NLI_MODEL", str(tiny_model))
    return tmp_path


@pytest.mark.parametrize(
    "page", [page for page in PAGES if _has_examples(page)], ids=lambda page: page.stem
)
def test_page_examples_run(page, workdir, tiny_model, capsys, monkeypatch):
    text = _text(page)
    blocks = python_blocks(text)
    missing = _missing_modules("\n".join(blocks))
    if missing:
        missing_reason = f"{page.name} needs {', '.join(missing)}, which is not importable"
        requirements.missing(missing_reason)
    namespace = {"__name__": f"docs_{page.stem}"}
    for number, code in enumerate(blocks, start=1):
        name = f"{page.name}, python block {number}"
        printed = run_python(with_tiny_model(code, tiny_model), namespace, name)
        if "print(" in code:
            assert printed.strip(), f"{name} printed nothing"
    for line in commands(text):
        status, out, err = run_command(line, workdir, capsys, monkeypatch)
        assert status == 0, f"{page.name}: {line!r} exited with {status}: {err}"
        output = output_of(line)
        if output is None:
            assert out.strip(), f"{page.name}: {line!r} wrote nothing"
        else:
            path = workdir / output
            assert path.is_file(), f"{page.name}: {line!r} did not write {output}"
            if path.suffix == ".jsonl":
                table = pd.read_json(path, lines=True)
            else:
                table = pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",")
            assert len(table) > 0
            assert any(column.startswith("proba_") for column in table.columns)


def test_cli_page_documents_every_option():
    from sklearn_nli.cli import build_parser

    text = _text(DOCS / "cli.md")
    parser = build_parser()
    commands_ = parser._subparsers._group_actions[0].choices
    for command, subparser in commands_.items():
        assert f"sklearn-nli {command}" in text
        for action in subparser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in text, f"cli.md does not mention {option} of {command}"
