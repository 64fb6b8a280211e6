"""The ``sklearn-nli`` command line, run in-process on small files with a tiny model.

The numbers are checked against the estimators themselves; error cases must
exit with status 2 and print one line, without a traceback. A few tests run the
real executable (``python -m sklearn_nli`` and the ``sklearn-nli`` console
script) in a subprocess.
"""

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _doc_examples import commands, output_of, run_command
from _requirements import require_module
from scipy.special import expit

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier
from sklearn_nli.cli import main

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["World", "Sports", "Business", "Sci/Tech"]
NEWS = pd.DataFrame(
    {
        "id": ["n1", "n2", "n3", "n4", "n5"],
        "title": [
            "Extra time decides the final",
            "Parliament passes the budget",
            "Chip maker doubles profit",
            "Probe lands on a comet",
            "Leaders sign a treaty",
        ],
        "description": [
            "The striker scored twice.",
            "After a long debate, the senate approved the plan.",
            "Shares rose as demand kept growing.",
            "The team celebrated a first for science.",
            "The two countries ended the dispute.",
        ],
    }
)
PAIRS = pd.DataFrame(
    {
        "pair_ID": [11, 12, 13],
        "sentence_A": ["A man plays a guitar.", "A man plays a guitar.", "A dog runs."],
        "sentence_B": ["A person makes music.", "Nobody plays music.", "An animal moves."],
    }
)


def _write(frame, path):
    path = Path(path)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif path.suffix == ".parquet":
        require_module("pyarrow")
        frame.to_parquet(path, index=False)
    else:
        raise AssertionError(path)
    return str(path)


def _read(path):
    path = Path(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",", keep_default_na=False)


def _run(argv, capsys):
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _run_ok(argv, capsys):
    status, out, err = _run(argv, capsys)
    assert status == 0, err
    return out


def _joined(frame, columns):
    return [" ".join(row) for row in frame[columns].itertuples(index=False)]


# --------------------------------------------------------------------------
# classify


@pytest.mark.parametrize("extension", [".csv", ".tsv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("out_extension", [".csv", ".jsonl"])
def test_classify_each_format(tmp_path, tiny_model, capsys, extension, out_extension):
    source = _write(NEWS, tmp_path / f"news{extension}")
    target = tmp_path / f"topics{out_extension}"
    argv = ["classify", source, "--labels", ",".join(LABELS), "--model", tiny_model]
    argv += ["--text-column", "title", "--text-column", "description", "-o", target]
    assert _run_ok(argv, capsys) == ""

    result = _read(target)
    probas = [f"proba_{label}" for label in LABELS]
    assert list(result.columns) == ["id", "prediction", *probas]
    assert result["id"].tolist() == NEWS["id"].tolist()

    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS).fit()
    expected = clf.predict_proba(_joined(NEWS, ["title", "description"]))
    expected = expected[:, [list(clf.classes_).index(label) for label in LABELS]]
    np.testing.assert_allclose(result[probas].to_numpy(dtype=float), expected, atol=2e-6)
    np.testing.assert_allclose(result[probas].sum(axis=1), 1.0, atol=1e-5)
    assert result["prediction"].tolist() == [LABELS[i] for i in expected.argmax(axis=1)]


def test_classify_to_stdout_and_default_text_column(tmp_path, tiny_model, capsys):
    source = _write(NEWS[["title"]].rename(columns={"title": "headline"}), tmp_path / "one.csv")
    out = _run_ok(["classify", source, "--labels", "a,b", "--model", tiny_model], capsys)
    result = pd.read_csv(io.StringIO(out))
    assert list(result.columns) == ["index", "prediction", "proba_a", "proba_b"]
    assert result["index"].tolist() == list(range(len(NEWS)))
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=["a", "b"]).fit()
    np.testing.assert_allclose(
        result[["proba_a", "proba_b"]], clf.predict_proba(NEWS["title"].tolist()), atol=2e-6
    )


def test_classify_text_column_named_text_is_the_default(tmp_path, tiny_model, capsys):
    frame = NEWS.rename(columns={"description": "text"})
    source = _write(frame, tmp_path / "news.jsonl")
    out = _run_ok(["classify", source, "--labels", "a,b", "--model", tiny_model], capsys)
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=["a", "b"]).fit()
    result = pd.read_csv(io.StringIO(out))
    np.testing.assert_allclose(
        result[["proba_a", "proba_b"]], clf.predict_proba(frame["text"].tolist()), atol=2e-6
    )


def test_classify_stdin_one_text_per_line(tiny_model, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("first text\n\n  \nsecond text\nthird\n"))
    out = _run_ok(
        ["classify", "-", "--labels", "x", "--labels", "y,z", "--model", tiny_model], capsys
    )
    result = pd.read_csv(io.StringIO(out))
    assert result["line"].tolist() == [1, 4, 5]  # blank lines skipped, numbers kept
    assert list(result.columns) == ["line", "prediction", "proba_x", "proba_y", "proba_z"]
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=["x", "y", "z"]).fit()
    expected = clf.predict_proba(["first text", "second text", "third"])
    np.testing.assert_allclose(result[["proba_x", "proba_y", "proba_z"]], expected, atol=2e-6)


def test_classify_stdin_jsonl_with_input_format(tiny_model, capsys, monkeypatch):
    lines = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate("abc", 7))
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    out = _run_ok(
        ["classify", "-", "--input-format", "jsonl", "--labels", "p,q", "--model", tiny_model]
        + ["--output-format", "jsonl"],
        capsys,
    )
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == [7, 8, 9]  # ids keep their JSON type
    assert all(r["prediction"] in ("p", "q") for r in records)


def test_classify_template_and_label_descriptions(tmp_path, tiny_model, capsys):
    source = _write(NEWS, tmp_path / "news.csv")
    out = _run_ok(
        ["classify", source, "--labels", ",".join(LABELS), "--model", tiny_model]
        + ["--text-column", "description", "--template", "The topic is {}."]
        + ["--label-description", "Sci/Tech = science and technology"],
        capsys,
    )
    clf = ZeroShotNLIClassifier(
        tiny_model,
        candidate_labels=LABELS,
        hypothesis_template="The topic is {}.",
        label_descriptions={"Sci/Tech": "science and technology"},
    ).fit()
    expected = clf.predict_proba(NEWS["description"].tolist())
    expected = expected[:, [list(clf.classes_).index(label) for label in LABELS]]
    result = pd.read_csv(io.StringIO(out))
    np.testing.assert_allclose(result[[f"proba_{label}" for label in LABELS]], expected, atol=2e-6)


def test_classify_multi_label(tmp_path, tiny_model, capsys):
    source = _write(NEWS, tmp_path / "news.tsv")
    labels = ["sports", "money", "politics"]
    base = ["classify", source, "--labels", ",".join(labels), "--model", tiny_model]
    base += ["--text-column", "title", "--multi-label"]
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=labels, multi_label=True).fit()
    expected = expit(clf.decision_function(NEWS["title"].tolist()))
    values = np.sort(expected, axis=None)
    middle = len(values) // 2  # some labels on, some off, none within rounding of the cut
    threshold = float(values[middle - 1] + values[middle]) / 2

    out = _run_ok([*base, "--threshold", threshold], capsys)
    result = pd.read_csv(io.StringIO(out), keep_default_na=False)
    probas = [f"proba_{label}" for label in labels]
    assert list(result.columns) == ["id", "predictions", *probas]
    np.testing.assert_allclose(result[probas], expected, atol=2e-6)
    chosen = [
        ";".join(label for label, p in zip(labels, row) if p >= threshold) for row in expected
    ]
    assert result["predictions"].tolist() == chosen

    out = _run_ok([*base, "--threshold", threshold, "--output-format", "jsonl"], capsys)
    records = [json.loads(line) for line in out.splitlines()]
    assert [";".join(r["predictions"]) for r in records] == chosen


def test_classify_id_column_and_missing_cells(tmp_path, tiny_model, capsys):
    frame = NEWS.copy()
    frame.loc[1, "description"] = None  # one column missing: the other is used
    source = _write(frame, tmp_path / "news.csv")
    argv = ["classify", source, "--labels", "a,b", "--model", tiny_model, "--id-column", "title"]
    argv += ["--text-column", "title", "--text-column", "description"]
    # By default a missing cell is an error, as in the estimators ...
    line = _error(argv, capsys)
    assert "row 1, column 'description'" in line and "news.csv" in line
    # ... and --skip-missing joins the cells a row has.
    out = _run_ok([*argv, "--skip-missing"], capsys)
    result = pd.read_csv(io.StringIO(out))
    assert result["title"].tolist() == NEWS["title"].tolist()
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=["a", "b"]).fit()
    texts = _joined(NEWS, ["title", "description"])
    texts[1] = NEWS.loc[1, "title"]
    np.testing.assert_allclose(result[["proba_a", "proba_b"]], clf.predict_proba(texts), atol=2e-6)


def test_numbers_in_a_text_column_are_read_as_text(tmp_path, tiny_model, capsys):
    path = tmp_path / "codes.csv"
    path.write_text("text\n007\n1.50\n", encoding="utf-8")
    out = _run_ok(["classify", path, "--labels", "a,b", "--model", tiny_model], capsys)
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=["a", "b"]).fit()
    result = pd.read_csv(io.StringIO(out))
    np.testing.assert_allclose(
        result[["proba_a", "proba_b"]], clf.predict_proba(["007", "1.50"]), atol=2e-6
    )


def test_model_from_environment(tmp_path, tiny_model, capsys, monkeypatch):
    source = _write(NEWS, tmp_path / "news.csv")
    monkeypatch.setenv("SKLEARN_NLI_MODEL", tiny_model)
    out = _run_ok(["classify", source, "--labels", "a,b", "--text-column", "title"], capsys)
    assert len(pd.read_csv(io.StringIO(out))) == len(NEWS)


def test_precision_is_passed_on(tmp_path, tiny_model, capsys):
    source = _write(NEWS, tmp_path / "news.csv")
    argv = ["classify", source, "--labels", "a,b", "--model", tiny_model, "--text-column", "title"]
    reference = pd.read_csv(io.StringIO(_run_ok([*argv, "--device", "cpu"], capsys)))
    fast = pd.read_csv(
        io.StringIO(_run_ok([*argv, "--device", "cpu", "--precision", "bf16"], capsys))
    )
    clf = ZeroShotNLIClassifier(
        tiny_model, candidate_labels=["a", "b"], device="cpu", precision="bf16"
    ).fit()
    np.testing.assert_allclose(
        fast[["proba_a", "proba_b"]], clf.predict_proba(NEWS["title"].tolist()), atol=2e-6
    )
    np.testing.assert_allclose(
        fast[["proba_a", "proba_b"]], reference[["proba_a", "proba_b"]], atol=0.05
    )
    assert "precision must be one of 'fp32'" in _exit_error([*argv, "--precision", "fp64"], capsys)


def test_backend_is_passed_on(tmp_path, tiny_model, capsys):
    source = _write(NEWS, tmp_path / "news.csv")
    argv = ["classify", source, "--labels", "a,b", "--model", tiny_model, "--text-column", "title"]
    argv += ["--device", "cpu"]
    default = pd.read_csv(io.StringIO(_run_ok(argv, capsys)))
    torch_run = pd.read_csv(io.StringIO(_run_ok([*argv, "--backend", "torch"], capsys)))
    columns = ["proba_a", "proba_b"]
    np.testing.assert_allclose(torch_run[columns], default[columns], atol=1e-5)
    assert "backend must be one of" in _exit_error([*argv, "--backend", "onnx"], capsys)


# --------------------------------------------------------------------------
# pairs


@pytest.mark.parametrize("extension", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_pairs_each_format(tmp_path, tiny_model, capsys, extension):
    source = _write(PAIRS, tmp_path / f"pairs{extension}")
    out = _run_ok(
        ["pairs", source, "--premise-column", "sentence_A", "--hypothesis-column", "sentence_B"]
        + ["--model", tiny_model, "--id-column", "pair_ID", "--batch-size", "2"],
        capsys,
    )
    result = pd.read_csv(io.StringIO(out))
    model_labels = ["entailment", "neutral", "contradiction"]  # the tiny model's order
    probas = [f"proba_{label}" for label in model_labels]
    assert list(result.columns) == ["pair_ID", "prediction", *probas]
    assert result["pair_ID"].tolist() == PAIRS["pair_ID"].tolist()
    scorer = NLIPairScorer(tiny_model).fit()
    expected = scorer.predict_proba(PAIRS[["sentence_A", "sentence_B"]])
    expected = expected[:, [list(scorer.classes_).index(label) for label in model_labels]]
    np.testing.assert_allclose(result[probas], expected, atol=2e-6)
    assert (
        result["prediction"].tolist()
        == scorer.predict(PAIRS[["sentence_A", "sentence_B"]]).tolist()
    )
    assert result["prediction"].tolist() == [model_labels[i] for i in expected.argmax(axis=1)]


def test_pairs_to_jsonl_file(tmp_path, tiny_model, capsys):
    source = _write(PAIRS.drop(columns="pair_ID"), tmp_path / "pairs.csv")
    target = tmp_path / "scores.jsonl"
    _run_ok(
        ["pairs", source, "--premise-column", "sentence_A", "--hypothesis-column", "sentence_B"]
        + ["--model", tiny_model, "-o", target],
        capsys,
    )
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["index"] for r in records] == [0, 1, 2]
    for record in records:
        total = sum(value for key, value in record.items() if key.startswith("proba_"))
        assert abs(total - 1) < 1e-5


# --------------------------------------------------------------------------
# progress bar


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(tmp_path, tiny_model, capsys, monkeypatch):
    source = _write(NEWS, tmp_path / "news.csv")
    argv = ["classify", source, "--labels", "a,b", "--model", tiny_model, "--text-column", "title"]
    _, out, err = _run(argv, capsys)
    assert "NLI pairs" not in err  # stderr is not a terminal: no bar
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(argv) == 0
    assert "NLI pairs" in terminal.getvalue()
    assert "NLI pairs" not in capsys.readouterr().out  # never on stdout
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main([*argv, "--no-progress"]) == 0
    assert "NLI pairs" not in sys.stderr.getvalue()


# --------------------------------------------------------------------------
# errors: exit status 2, one line, no traceback


def _error(argv, capsys):
    status, out, err = _run(argv, capsys)
    assert status == 2, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sklearn-nli")
    assert "Traceback" not in err
    return lines[0]


def _exit_error(argv, capsys):
    """argparse's own errors raise SystemExit(2)."""
    with pytest.raises(SystemExit) as raised:
        main([str(a) for a in argv])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def news_csv(tmp_path):
    return _write(NEWS, tmp_path / "news.csv")


def test_missing_text_column(news_csv, tiny_model, capsys):
    line = _error(
        ["classify", news_csv, "--labels", "a,b", "--model", tiny_model, "--text-column", "body"],
        capsys,
    )
    assert "'body'" in line and "--text-column" in line and "'description'" in line


def test_ambiguous_text_column(news_csv, tiny_model, capsys):
    line = _error(["classify", news_csv, "--labels", "a,b", "--model", tiny_model], capsys)
    assert "--text-column" in line


@pytest.mark.parametrize("option", ["--premise-column", "--hypothesis-column"])
def test_missing_pair_column(tmp_path, tiny_model, capsys, option):
    source = _write(PAIRS, tmp_path / "pairs.csv")
    columns = {"--premise-column": "sentence_A", "--hypothesis-column": "sentence_B"}
    columns[option] = "nope"
    argv = ["pairs", source, "--model", tiny_model]
    for flag, column in columns.items():
        argv += [flag, column]
    line = _error(argv, capsys)
    assert "'nope'" in line and option in line


def test_missing_id_column(news_csv, tiny_model, capsys):
    line = _error(
        ["classify", news_csv, "--labels", "a,b", "--model", tiny_model]
        + ["--text-column", "title", "--id-column", "key"],
        capsys,
    )
    assert "'key'" in line


def test_missing_file(tmp_path, tiny_model, capsys):
    line = _error(
        ["classify", tmp_path / "nothing.csv", "--labels", "a,b", "--model", tiny_model], capsys
    )
    assert "nothing.csv" in line and "does not exist" in line


def test_directory_as_input(tmp_path, tiny_model, capsys):
    (tmp_path / "data.csv").mkdir()
    line = _error(
        ["classify", tmp_path / "data.csv", "--labels", "a,b", "--model", tiny_model], capsys
    )
    assert "directory" in line


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bad.parquet", b"this is not parquet"),
        ("bad.jsonl", b'{"text": "ok"}\n{not json\n'),
        ("bad.csv", b"text\n\xff\xfe\x00 not utf-8\n"),
        ("bad.tsv", b""),
    ],
)
def test_unreadable_file(tmp_path, tiny_model, capsys, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    line = _error(["classify", path, "--labels", "a,b", "--model", tiny_model], capsys)
    assert name in line


def test_unknown_extensions(tmp_path, news_csv, tiny_model, capsys):
    path = tmp_path / "news.xlsx"
    path.write_text("x")
    assert ".xlsx" in _error(["classify", path, "--labels", "a,b"], capsys)
    line = _error(
        ["classify", news_csv, "--labels", "a,b", "--text-column", "title", "-o", "out.xml"],
        capsys,
    )
    assert "out.xml" in line


def test_output_directory_missing(tmp_path, news_csv, tiny_model, capsys):
    target = tmp_path / "no" / "such" / "dir" / "out.csv"
    line = _error(
        ["classify", news_csv, "--labels", "a,b", "--text-column", "title", "-o", target], capsys
    )
    assert "does not exist" in line


def test_missing_model_directory(news_csv, capsys):
    line = _error(
        ["classify", news_csv, "--labels", "a,b", "--text-column", "title"]
        + ["--model", "./no/such/model"],
        capsys,
    )
    assert "./no/such/model" in line


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--label-description", "nolabel"], "LABEL=PHRASE"),
        (["--label-description", "c=something"], "'c'"),
    ],
)
def test_bad_values(news_csv, tiny_model, capsys, extra, fragment):
    argv = ["classify", news_csv, "--labels", "a,b", "--model", tiny_model]
    line = _error([*argv, "--text-column", "title", *extra], capsys)
    assert fragment in line


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--template", "no placeholder"], "hypothesis_template must contain '{}' exactly once"),
        (["--device", "gpu"], "device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"),
        (["--max-length", "1"], "max_length must be None or an integer >= 2, got 1"),
    ],
)
def test_bad_parameter_values_fail_at_parsing(news_csv, tiny_model, capsys, extra, fragment):
    # The parameter table's own message, before the input is read.
    argv = ["classify", news_csv, "--labels", "a,b", "--model", tiny_model]
    line = _exit_error([*argv, "--text-column", "title", *extra], capsys)
    assert fragment in line


def test_bad_labels(news_csv, tiny_model, capsys):
    argv = ["classify", news_csv, "--model", tiny_model, "--text-column", "title"]
    assert "more than once" in _error([*argv, "--labels", "a,b,a"], capsys)
    assert "no label" in _error([*argv, "--labels", " , "], capsys)


def test_missing_text_in_a_row(tmp_path, tiny_model, capsys):
    frame = NEWS.copy()
    frame.loc[2, "title"] = None
    source = _write(frame, tmp_path / "news.jsonl")
    line = _error(
        ["classify", source, "--labels", "a,b", "--model", tiny_model, "--text-column", "title"],
        capsys,
    )
    assert "row 2" in line and "'title'" in line


def test_pairs_from_plain_text_is_an_error(tiny_model, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a\nb\n"))
    line = _error(
        ["pairs", "-", "--premise-column", "a", "--hypothesis-column", "b"]
        + ["--model", tiny_model],
        capsys,
    )
    assert "pairs needs a table" in line


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "COMMAND"),
        (["classify", "x.csv"], "--labels"),
        (["classify", "x.csv", "--labels", "a,b", "--batch-size", "0"], "--batch-size"),
        (["classify", "x.csv", "--labels", "a,b", "--threshold", "2"], "--threshold"),
        (["pairs", "x.csv", "--premise-column", "a"], "--hypothesis-column"),
        (["translate", "x.csv"], "translate"),
        (["classify", "x.csv", "--labels", "a", "--progress", "--no-progress"], "--progress"),
    ],
)
def test_usage_errors(argv, fragment, capsys):
    line = _exit_error(argv, capsys)
    assert line.startswith("sklearn-nli")
    assert fragment in line


# --------------------------------------------------------------------------
# the real executables


def _env(tiny_model):
    env = dict(os.environ, HF_HUB_OFFLINE="1", SKLEARN_NLI_MODEL=str(tiny_model))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_python_dash_m(tmp_path, tiny_model):
    source = _write(NEWS, tmp_path / "news.csv")
    run = subprocess.run(
        [sys.executable, "-m", "sklearn_nli", "classify", source, "--labels", "a,b"],
        capture_output=True,
        text=True,
        env=_env(tiny_model),
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.strip().splitlines() == [run.stderr.strip()]
    assert "--text-column" in run.stderr and "Traceback" not in run.stderr


def test_console_script(tmp_path, tiny_model):
    script = shutil.which("sklearn-nli", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the sklearn-nli console script is not installed (pip install -e .)")
    run = subprocess.run(
        f"printf 'The match went to extra time.\\nParliament passed the budget.\\n' "
        f"| {script} classify - --labels sports,politics",
        shell=True,
        capture_output=True,
        text=True,
        env=_env(tiny_model),
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no progress bar when stderr is not a terminal, no noise
    result = pd.read_csv(io.StringIO(run.stdout))
    assert result["line"].tolist() == [1, 2]
    assert set(result["prediction"]) <= {"sports", "politics"}


# --------------------------------------------------------------------------
# README


def test_readme_commands(tmp_path, tiny_model, capsys, monkeypatch):
    """README's command-line examples run: online (default model) and offline (--model PATH)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = commands(readme)
    assert len(lines) >= 2
    assert any("--model" not in line for line in lines)  # the default model
    assert any("--model models/minilm-mnli" in line for line in lines)  # offline
    _write(NEWS, tmp_path / "news.csv")
    shutil.copytree(tiny_model, tmp_path / "models" / "minilm-mnli")
    monkeypatch.setenv("SKLEARN_NLI_MODEL", str(tiny_model))
    for line in lines:
        status, out, err = run_command(line, tmp_path, capsys, monkeypatch)
        assert status == 0, f"{line!r}: {err}"
        output = output_of(line)
        result = _read(tmp_path / output) if output else pd.read_csv(io.StringIO(out))
        assert len(result) > 0
        assert "prediction" in result.columns or "predictions" in result.columns


# --------------------------------------------------------------------------
# what is a user's problem (exit 2, one line) and what is a bug (exit 1, traceback)


@pytest.mark.parametrize(
    ("option", "value", "valid"),
    [
        ("--device", "gpu", "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"),
        ("--precision", "int4", "'fp32', 'bf16', 'fp16', 'int8'"),
        ("--backend", "onnx", "'auto', 'openvino', 'onnxruntime', 'torch'"),
    ],
)
def test_bad_choices_fail_before_the_input_is_read(
    news_csv, capsys, monkeypatch, option, value, valid
):
    def never(*args):
        raise AssertionError("the input was read")

    monkeypatch.setattr("sklearn_nli.cli.read_table", never)
    line = _exit_error(["classify", news_csv, "--labels", "a,b", option, value], capsys)
    assert f"got {value!r}" in line and valid in line


def test_a_bug_shows_its_traceback_and_exits_1(news_csv, tiny_model, capsys, monkeypatch):
    def buggy(self, X):
        raise ValueError("an unexpected value deep inside a library")

    monkeypatch.setattr(ZeroShotNLIClassifier, "predict_proba", buggy)
    status, out, err = _run(
        ["classify", news_csv, "--labels", "a,b", "--model", tiny_model, "--text-column", "title"],
        capsys,
    )
    assert status == 1 and out == ""
    assert "Traceback" in err and "an unexpected value deep inside a library" in err
    assert err.strip().splitlines()[-1].startswith("sklearn-nli: internal error")
    assert "please report it" in err


def test_the_command_line_module_imports_nothing_heavy():
    # --help, --version and argument errors answer in a fraction of a second.
    heavy = ("torch", "transformers", "sklearn", "pandas")
    code = f"import sys, sklearn_nli.cli; print(sorted(set({heavy!r}) & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


# --------------------------------------------------------------------------
# long texts and evidence

LONG_SENTENCES = [
    "The team plays the game.",
    "The stock market fell.",
    "The man plays the guitar.",
    "The dog runs in the park.",
    "A woman plays music.",
]
LONG_NEWS = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d"],
        "text": [
            " ".join(LONG_SENTENCES * 8),  # about 250 tokens: longer than the tiny model's 128
            "Extra time decides the final",
            " ".join(LONG_SENTENCES[::-1] * 6) + " Parliament passes the budget.",
            "The striker scored twice.",
        ],
    }
)
LONG_PAIRS = pd.DataFrame(
    {
        "pair_ID": [7, 8, 9],
        "premise": [
            " ".join(LONG_SENTENCES * 8),
            "A man plays a guitar.",
            " ".join(LONG_SENTENCES[::-1] * 6),
        ],
        "hypothesis": [
            "A person makes music. The team lost the game.",
            "A person makes music.",
            "An animal runs.",
        ],
    }
)
_ESTIMATOR_PARAMS = {
    "--long-texts": "long_texts",
    "--chunk-size": "chunk_size",
    "--chunk-aggregation": "chunk_aggregation",
    "--hypothesis-aggregation": "hypothesis_aggregation",
}


def _params_of(options):
    """The estimator parameters that the command-line ``options`` stand for."""
    params = {}
    for flag, value in zip(options, [*options[1:], None]):
        if flag == "--split-hypothesis":
            params["split_hypothesis"] = True
        elif flag == "--multi-label":
            params["multi_label"] = True
        elif flag in _ESTIMATOR_PARAMS:
            params[_ESTIMATOR_PARAMS[flag]] = int(value) if flag == "--chunk-size" else value
    return params


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--long-texts", "truncate"],
        ["--long-texts", "chunk", "--chunk-size", "8"],
        ["--chunk-size", "16", "--chunk-aggregation", "max"],
        ["--chunk-aggregation", "mean", "--multi-label"],
        ["--chunk-size", "12", "--chunk-aggregation", "max", "--multi-label"],
    ],
)
def test_classify_long_text_options_give_the_estimators_results(
    tmp_path, tiny_model, capsys, options
):
    source = _write(LONG_NEWS, tmp_path / "news.csv")
    argv = ["classify", source, "--labels", ",".join(LABELS), "--model", tiny_model, *options]
    result = pd.read_csv(io.StringIO(_run_ok(argv, capsys)))
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, **_params_of(options))
    expected = clf.fit().predict_proba(LONG_NEWS["text"].tolist())
    expected = expected[:, [list(clf.classes_).index(label) for label in LABELS]]
    probas = [f"proba_{label}" for label in LABELS]
    np.testing.assert_allclose(result[probas].to_numpy(dtype=float), expected, atol=2e-6)


def test_classify_long_text_options_change_what_is_read(tmp_path, tiny_model, capsys):
    source = _write(LONG_NEWS, tmp_path / "news.csv")
    argv = ["classify", source, "--labels", ",".join(LABELS), "--model", tiny_model]
    probas = [f"proba_{label}" for label in LABELS]
    runs = {
        name: pd.read_csv(io.StringIO(_run_ok([*argv, *extra], capsys)))[probas].to_numpy()
        for name, extra in {
            "default": [],
            "truncate": ["--long-texts", "truncate"],
            "small": ["--chunk-size", "8"],
            "max": ["--chunk-size", "8", "--chunk-aggregation", "max"],
        }.items()
    }
    short = [1, 3]  # texts within the window: read alike, whatever the options
    np.testing.assert_array_equal(runs["default"][short], runs["truncate"][short])
    for first, second in [("default", "truncate"), ("default", "small"), ("small", "max")]:
        assert np.abs(runs[first][[0, 2]] - runs[second][[0, 2]]).max() > 1e-4, (first, second)


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--long-texts", "truncate"],
        ["--chunk-size", "8"],
        ["--split-hypothesis"],
        ["--split-hypothesis", "--hypothesis-aggregation", "min", "--chunk-size", "10"],
        ["--split-hypothesis", "--long-texts", "truncate", "--hypothesis-aggregation", "mean"],
    ],
)
def test_pairs_long_text_options_give_the_estimators_results(tmp_path, tiny_model, capsys, options):
    source = _write(LONG_PAIRS, tmp_path / "pairs.tsv")
    argv = ["pairs", source, "--premise-column", "premise", "--hypothesis-column", "hypothesis"]
    result = pd.read_csv(io.StringIO(_run_ok([*argv, "--model", tiny_model, *options], capsys)))
    scorer = NLIPairScorer(tiny_model, **_params_of(options)).fit()
    model_labels = ["entailment", "neutral", "contradiction"]
    expected = scorer.predict_proba(LONG_PAIRS[["premise", "hypothesis"]])
    expected = expected[:, [list(scorer.classes_).index(label) for label in model_labels]]
    probas = [f"proba_{label}" for label in model_labels]
    np.testing.assert_allclose(result[probas].to_numpy(dtype=float), expected, atol=2e-6)


def test_pairs_split_hypothesis_changes_the_result(tmp_path, tiny_model, capsys):
    source = _write(LONG_PAIRS, tmp_path / "pairs.csv")
    argv = ["pairs", source, "--premise-column", "premise", "--hypothesis-column", "hypothesis"]
    argv += ["--model", tiny_model]
    probas = ["proba_entailment", "proba_neutral", "proba_contradiction"]
    whole = pd.read_csv(io.StringIO(_run_ok(argv, capsys)))[probas].to_numpy()
    split = pd.read_csv(io.StringIO(_run_ok([*argv, "--split-hypothesis"], capsys)))
    split = split[probas].to_numpy()
    np.testing.assert_array_equal(whole[1:], split[1:])  # one sentence: as it was
    assert np.abs(whole[0] - split[0]).max() > 1e-4


@pytest.mark.parametrize("extension", [".csv", ".tsv", ".jsonl"])
@pytest.mark.parametrize("options", [[], ["--multi-label", "--chunk-size", "8"]])
def test_classify_evidence_file(tmp_path, tiny_model, capsys, extension, options):
    source = _write(LONG_NEWS, tmp_path / "news.csv")
    evidence_path = tmp_path / f"evidence{extension}"
    argv = ["classify", source, "--labels", ",".join(LABELS), "--model", tiny_model, *options]
    results = pd.read_csv(io.StringIO(_run_ok([*argv, "--evidence", evidence_path], capsys)))
    assert results["id"].tolist() == LONG_NEWS["id"].tolist()  # the results, as without it
    evidence = _read(evidence_path)
    assert list(evidence.columns) == ["id", "class", "start", "end", "chunk", "score"]
    assert len(evidence) == len(LONG_NEWS) * len(LABELS)
    assert evidence["id"].tolist() == np.repeat(LONG_NEWS["id"], len(LABELS)).tolist()
    texts = dict(zip(LONG_NEWS["id"], LONG_NEWS["text"]))
    for row in evidence.itertuples(index=False):
        assert texts[row.id][row.start : row.end] == row.chunk
    long_rows = evidence[evidence["id"] == "a"]
    assert (long_rows["end"] - long_rows["start"] < len(texts["a"])).all()  # a part of it
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, **_params_of(options))
    expected = clf.fit().evidence(LONG_NEWS["text"].tolist())
    assert evidence["class"].tolist() == expected["class"].tolist()
    assert evidence["chunk"].tolist() == expected["chunk"].tolist()
    np.testing.assert_allclose(evidence["score"], expected["score"], atol=1e-6)


def test_classify_evidence_of_plain_text_lines(tmp_path, tiny_model, capsys, monkeypatch):
    lines = ["", " ".join(LONG_SENTENCES * 8), "Extra time decides the final"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    evidence_path = tmp_path / "evidence.csv"
    argv = ["classify", "-", "--labels", "sports,politics", "--model", tiny_model]
    _run_ok([*argv, "--evidence", evidence_path], capsys)
    evidence = _read(evidence_path)
    assert evidence.columns[0] == "line"
    assert evidence["line"].tolist() == [2, 2, 3, 3]  # 1-based line numbers, as the results
    for row in evidence.itertuples(index=False):
        assert lines[row.line - 1][row.start : row.end] == row.chunk


@pytest.mark.parametrize("split", [False, True])
def test_pairs_evidence_file(tmp_path, tiny_model, capsys, split):
    source = _write(LONG_PAIRS, tmp_path / "pairs.jsonl")
    evidence_path = tmp_path / "evidence.tsv"
    argv = ["pairs", source, "--premise-column", "premise", "--hypothesis-column", "hypothesis"]
    argv += ["--model", tiny_model, "--id-column", "pair_ID", "--evidence", evidence_path]
    _run_ok([*argv, *(["--split-hypothesis"] if split else [])], capsys)
    evidence = _read(evidence_path)
    assert list(evidence.columns) == ["pair_ID", "sentence", "start", "end", "chunk", "score"]
    if split:
        assert evidence["pair_ID"].tolist() == [7, 7, 8, 9]
        assert evidence["sentence"].tolist()[:2] == [
            "A person makes music.",
            "The team lost the game.",
        ]
    else:
        assert evidence["pair_ID"].tolist() == [7, 8, 9]
        assert evidence["sentence"].tolist() == LONG_PAIRS["hypothesis"].tolist()
    premises = dict(zip(LONG_PAIRS["pair_ID"], LONG_PAIRS["premise"]))
    for row in evidence.itertuples(index=False):
        assert premises[row.pair_ID][row.start : row.end] == row.chunk
    scorer = NLIPairScorer(tiny_model, split_hypothesis=split).fit()
    expected = scorer.evidence(LONG_PAIRS[["premise", "hypothesis"]])
    assert evidence["chunk"].tolist() == expected["chunk"].tolist()
    np.testing.assert_allclose(evidence["score"], expected["score"], atol=1e-6)


def test_an_id_column_named_like_an_evidence_column_is_kept_apart(tmp_path, tiny_model, capsys):
    frame = LONG_NEWS.rename(columns={"id": "chunk"})
    source = _write(frame, tmp_path / "news.csv")
    evidence_path = tmp_path / "evidence.jsonl"
    argv = ["classify", source, "--labels", "a,b", "--model", tiny_model, "--text-column", "text"]
    _run_ok([*argv, "--id-column", "chunk", "--evidence", evidence_path], capsys)
    evidence = _read(evidence_path)
    assert list(evidence.columns) == ["_chunk", "class", "start", "end", "chunk", "score"]
    assert evidence["_chunk"].tolist() == np.repeat(frame["chunk"], 2).tolist()


@pytest.mark.parametrize(
    ("evidence", "fragment"),
    [
        ("evidence.txt", "cannot tell the format of --evidence"),
        ("evidence", "cannot tell the format of --evidence"),
        ("-", "--evidence cannot write to standard output"),
        ("out.csv", "--evidence cannot write to 'out.csv'"),
        ("no/such/dir/evidence.csv", "does not exist"),
    ],
)
def test_bad_evidence_paths_fail_before_the_input_is_read(
    news_csv, tiny_model, capsys, monkeypatch, evidence, fragment
):
    def never(*args):
        raise AssertionError("the input was read")

    monkeypatch.setattr("sklearn_nli.cli.read_table", never)
    argv = ["classify", news_csv, "--labels", "a,b", "--model", tiny_model, "-o", "out.csv"]
    assert fragment in _error([*argv, "--evidence", evidence], capsys)


@pytest.mark.parametrize(
    ("command", "option", "value", "fragment"),
    [
        ("classify", "--chunk-size", "0", "chunk_size must be None or an integer >= 1, got 0"),
        ("classify", "--chunk-size", "-1", "chunk_size must be None or an integer >= 1"),
        ("classify", "--chunk-size", "2.5", "chunk_size must be None or an integer >= 1"),
        ("pairs", "--chunk-size", "ten", "chunk_size must be None or an integer >= 1"),
        ("classify", "--long-texts", "split", "long_texts must be one of 'chunk', 'truncate'"),
        ("pairs", "--long-texts", "all", "long_texts must be one of 'chunk', 'truncate'"),
        ("classify", "--chunk-aggregation", "min", "chunk_aggregation must be one of"),
        ("pairs", "--hypothesis-aggregation", "max", "hypothesis_aggregation must be one of"),
    ],
)
def test_bad_long_text_options_fail_at_parsing(
    news_csv, capsys, monkeypatch, command, option, value, fragment
):
    def never(*args):
        raise AssertionError("the input was read")

    monkeypatch.setattr("sklearn_nli.cli.read_table", never)
    argv = [command, news_csv, "--labels", "a,b"] if command == "classify" else [command, news_csv]
    if command == "pairs":
        argv += ["--premise-column", "title", "--hypothesis-column", "description"]
    line = _exit_error([*argv, option, value], capsys)
    assert fragment in line and option in line


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("classify", "--split-hypothesis"),
        ("classify", "--hypothesis-aggregation=min"),
        ("pairs", "--chunk-aggregation=max"),
    ],
)
def test_long_text_options_of_the_other_command_are_usage_errors(news_csv, capsys, command, option):
    argv = [command, news_csv, "--labels", "a,b"] if command == "classify" else [command, news_csv]
    if command == "pairs":
        argv += ["--premise-column", "title", "--hypothesis-column", "description"]
    assert "unrecognized arguments" in _exit_error([*argv, option], capsys)


def test_a_chunk_size_beyond_the_window_is_one_line(tmp_path, tiny_model, capsys):
    source = _write(LONG_NEWS, tmp_path / "news.csv")
    line = _error(
        ["classify", source, "--labels", "a,b", "--model", tiny_model, "--chunk-size", "10000"],
        capsys,
    )
    assert "chunk_size=10000 is larger than the model's window" in line
    source = _write(LONG_PAIRS, tmp_path / "pairs.csv")
    argv = ["pairs", source, "--premise-column", "premise", "--hypothesis-column", "hypothesis"]
    line = _error([*argv, "--model", tiny_model, "--chunk-size", "10000"], capsys)
    assert "chunk_size=10000 is larger than the model's window" in line
