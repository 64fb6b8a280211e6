"""Reading the command line's input tables and writing its results.

Only file formats live here; what the cells must hold is the input layer's
business (:mod:`sklearn_nli._inputs`), as for every other entry point.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

from ._errors import SklearnNLIError

INPUT_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "lines",
}
OUTPUT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class CLIError(SklearnNLIError):
    """A problem with the arguments or the files, reported in one line (exit status 2)."""


def one_line(exc):
    """The message of ``exc`` on one line."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


def describe(source):
    """How messages name ``source``: a quoted path, or standard input."""
    return "standard input" if source == "-" else repr(source)


def input_format(source, given=None):
    """``given``, or the format of ``source`` told by its extension (``'-'``: lines)."""
    return _format(source, given, INPUT_FORMATS, "lines", "", ".csv, .tsv, .jsonl or .parquet")


def output_format(output, given=None):
    """``given``, or the format of ``output`` told by its extension (``'-'``: CSV)."""
    return _format(output, given, OUTPUT_FORMATS, "csv", "output ", ".csv, .tsv or .jsonl")


def _format(path, given, formats, for_stdio, what, known):
    if given:
        return given
    if path == "-":
        return for_stdio
    suffix = Path(path).suffix.lower()
    if suffix in formats:
        return formats[suffix]
    raise CLIError(
        f"cannot tell the {what}format of {path!r} from its extension {suffix or '(none)'!r}; "
        f"use a {known} file, or --{what.strip() or 'input'}-format"
    )


def check_output_path(output, evidence=None):
    """Fail before any work when ``output`` (or the ``--evidence`` file) cannot be written."""
    if evidence is not None:
        if evidence in ("-", output):
            where = "standard output" if evidence == "-" else repr(evidence)
            raise CLIError(
                f"--evidence cannot write to {where}, where the results go; give it a .csv, "
                ".tsv or .jsonl file of its own"
            )
        _evidence_format(evidence)
        check_output_path(evidence)
    if output == "-":
        return
    parent = Path(output).resolve().parent
    if not parent.is_dir():
        raise CLIError(f"cannot write {output!r}: directory {str(parent)!r} does not exist")
    if Path(output).is_dir():
        raise CLIError(f"cannot write {output!r}: it is a directory")


def _evidence_format(path):
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise CLIError(
            f"cannot tell the format of --evidence {path!r} from its extension "
            f"{suffix or '(none)'!r}; use a .csv, .tsv or .jsonl file"
        )
    return OUTPUT_FORMATS[suffix]


def read_table(source, fmt):
    """Read ``source`` (a path or ``'-'``) as a DataFrame.

    Parameters
    ----------
    source : str
        Path of the file, or ``'-'`` for standard input.
    fmt : {"csv", "tsv", "jsonl", "parquet", "lines"}
        File format; ``"lines"`` is one text per line (blank lines skipped),
        read into a ``text`` column indexed by 1-based ``line`` number.

    Returns
    -------
    table : pandas.DataFrame
        The rows of the input; CSV and TSV cells are read as strings (empty
        cells as missing values).
    """
    import pandas as pd

    if source != "-" and not Path(source).exists():
        raise CLIError(f"input file {source!r} does not exist")
    if source != "-" and Path(source).is_dir():
        raise CLIError(f"input {source!r} is a directory, not a file")
    stdin = source == "-"
    try:
        if fmt == "lines":
            content = sys.stdin.read() if stdin else Path(source).read_text(encoding="utf-8")
            lines = [(n, line.rstrip("\r")) for n, line in enumerate(content.split("\n"), 1)]
            lines = [(n, line) for n, line in lines if line.strip()]
            if not lines:
                raise CLIError(f"{describe(source)} holds no text (every line is blank)")
            numbers, texts = zip(*lines)
            return pd.DataFrame({"text": list(texts)}, index=pd.Index(numbers, name="line"))
        if fmt == "parquet":
            return pd.read_parquet(io.BytesIO(sys.stdin.buffer.read()) if stdin else source)
        handle = io.StringIO(sys.stdin.read()) if stdin else source
        if fmt == "jsonl":
            return pd.read_json(handle, lines=True, dtype=False)
        # CSV is untyped: every cell stays as written ("007" stays "007"); a byte-order
        # mark is not part of the first column's name.
        sep = "," if fmt == "csv" else "\t"
        return pd.read_csv(
            handle, encoding="utf-8-sig", sep=sep, dtype=str, keep_default_na=False, na_values=[""]
        )
    except ImportError as exc:
        raise CLIError(
            f"reading {fmt} needs an optional package: {exc}; install it with 'pip install pyarrow'"
        ) from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CLIError(f"cannot read {source!r} as {fmt}: {one_line(exc)}") from None


def text_columns(table, given, source):
    """The text columns: ``given`` (``--text-column``), else ``text``, else the only column."""
    if given:
        return given
    if "text" in table.columns:
        return ["text"]
    if len(table.columns) == 1:
        return [table.columns[0]]
    raise CLIError(
        f"{describe(source)} has {len(table.columns)} columns "
        f"{[str(c) for c in table.columns]!r}; say which holds the text with --text-column"
    )


def results_table(ids, labels, proba, predicted=None):
    """The results: one row per input row, its id, the prediction and a probability per label.

    Parameters
    ----------
    ids : tuple
        ``(column name, values)`` of the id column.
    labels : list of str
        The labels, in the order of ``proba``'s columns.
    proba : ndarray of shape (n_rows, n_labels)
        The probabilities, written rounded to 6 decimals in ``proba_<label>``
        columns (``_`` in front of a name that is already taken).
    predicted : list, default=None
        The predicted labels of each row (multi-label), written as
        ``predictions``; None writes the most probable label as ``prediction``.

    Returns
    -------
    table : pandas.DataFrame
    """
    import numpy as np
    import pandas as pd

    result = pd.DataFrame({ids[0]: ids[1]})
    if predicted is None:
        result["prediction"] = np.asarray(labels, dtype=object)[np.argmax(proba, axis=1)]
    else:
        result["predictions"] = predicted
    for column, label in enumerate(labels):
        name = f"proba_{label}"
        while name in result.columns:
            name = "_" + name
        result[name] = np.round(proba[:, column], 6)
    return result


def evidence_table(ids, evidence):
    """An estimator's ``evidence`` table with its rows named as in the results.

    Parameters
    ----------
    ids : tuple
        ``(column name, values)`` of the results' id column.
    evidence : pandas.DataFrame
        What ``evidence(X)`` returns. Its ``row`` column (positions in ``X``)
        becomes the id column, named as in the results (``_`` in front of a
        name that another column already has); the others are kept, the
        score rounded to 6 decimals.

    Returns
    -------
    table : pandas.DataFrame
    """
    import numpy as np

    name = ids[0]
    while name in evidence.columns and name != "row":
        name = "_" + name
    table = evidence.drop(columns="row")
    table.insert(0, name, np.asarray(ids[1], dtype=object)[evidence["row"].to_numpy()])
    table["score"] = np.round(table["score"].to_numpy(dtype=float), 6)
    return table


def write_evidence(ids, evidence, path):
    """Write :func:`evidence_table` to ``path``, in the format its extension names."""
    write_table(evidence_table(ids, evidence), path, _evidence_format(path))


def write_table(table, output, fmt):
    """Write ``table`` to ``output`` (a path or ``'-'``) as CSV, TSV or JSON Lines.

    Parameters
    ----------
    table : pandas.DataFrame
        The results.
    output : str
        Path of the file, or ``'-'`` for standard output.
    fmt : {"csv", "tsv", "jsonl"}
        Output format.
    """
    if fmt == "jsonl":
        records = table.to_dict(orient="records")
        text = "".join(json.dumps(_jsonable(r), ensure_ascii=False) + "\n" for r in records)
    else:
        text = table.to_csv(index=False, sep="," if fmt == "csv" else "\t", lineterminator="\n")
    try:
        if output == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise CLIError(f"cannot write {output!r}: {one_line(exc)}") from None


def _jsonable(record):
    import numpy as np

    out = {}
    for key, value in record.items():
        value = value.tolist() if isinstance(value, (np.generic, np.ndarray)) else value
        out[str(key)] = None if isinstance(value, float) and not np.isfinite(value) else value
    return out


def silence_stdout():
    """The reader of our output went away (e.g. ``| head``): stop quietly, as Unix tools do.

    Returns the exit status, 1.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    return 1
