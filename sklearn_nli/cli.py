"""The ``sklearn-nli`` command: classify texts or score pairs in a file.

Usage::

    sklearn-nli classify INPUT --labels World,Sports,Business,Sci/Tech \\
        [--text-column title --text-column description] [--template T] \\
        [--multi-label] [--model M] [--device D] [--batch-size N] [-o OUTPUT]
    sklearn-nli pairs INPUT --premise-column A --hypothesis-column B [-o OUTPUT]

``INPUT`` is a CSV, TSV, JSON Lines or Parquet file (chosen by extension), or
``-`` for one text per line on standard input. The output (standard output by
default, or ``-o`` with ``.csv``, ``.tsv`` or ``.jsonl``) has one row per input
row: its id (the ``id`` column or ``--id-column`` when there is one, else the
row's 0-based ``index``; ``line`` for standard input), the prediction and one
probability column per label.

Errors in the arguments or the data (a missing column, an unreadable file, a
bad template, a model directory that does not exist) end the command with exit
status 2 and one line on standard error, without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["main", "build_parser"]

DEFAULT_MODEL = "MoritzLaurer/MiniLM-L6-mnli"
MODEL_ENV = "SKLEARN_NLI_MODEL"

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
EXIT_USAGE = 2


class CLIError(Exception):
    """A problem with the arguments or the data, reported in one line (exit status 2)."""


# --------------------------------------------------------------------------
# arguments


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit status 2)."""

    def error(self, message):
        self.exit(
            EXIT_USAGE,
            f"{self.prog}: error: {_one_line(message)} (see '{self.prog} --help')\n",
        )


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def _probability(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {value}")
    return value


def _add_input_argument(parser, help):
    parser.add_argument("input", metavar="INPUT", help=help)


def _add_common_arguments(parser):
    files = parser.add_argument_group("input and output")
    files.add_argument(
        "-o",
        "--output",
        metavar="OUTPUT",
        default="-",
        help="where to write the results: a .csv, .tsv or .jsonl file, or '-' for "
        "standard output (the default)",
    )
    files.add_argument(
        "--input-format",
        choices=sorted(set(INPUT_FORMATS.values())),
        help="read INPUT in this format instead of guessing from its extension "
        "('lines': one text per line)",
    )
    files.add_argument(
        "--output-format",
        choices=["csv", "tsv", "jsonl"],
        help="write in this format instead of guessing from the extension of OUTPUT "
        "(default for standard output: csv)",
    )
    files.add_argument(
        "--id-column",
        metavar="COLUMN",
        help="input column copied to the output to identify rows (default: 'id' when "
        "the input has one, else the 0-based row index)",
    )
    engine = parser.add_argument_group("model and speed")
    engine.add_argument(
        "--model",
        metavar="MODEL",
        default=None,
        help="Hugging Face Hub model id or local model directory (default: "
        f"${MODEL_ENV} when set, else {DEFAULT_MODEL})",
    )
    engine.add_argument(
        "--device",
        metavar="DEVICE",
        default="auto",
        help="'auto' (the default: CUDA, then MPS, then CPU), 'cpu', 'cuda', 'cuda:N' or 'mps'",
    )
    engine.add_argument(
        "--batch-size",
        metavar="N",
        type=_positive_int,
        default=None,
        help="pairs per forward pass (default: 8 on the CPU, 64 on a GPU)",
    )
    engine.add_argument(
        "--max-length",
        metavar="N",
        type=_positive_int,
        default=None,
        help="token limit of a pair; the text is truncated, never the hypothesis "
        "(default: the model's limit)",
    )
    engine.add_argument(
        "--precision",
        metavar="P",
        default=None,
        help="numeric mode of the model: 'fp32' (the default, the reference numbers) or a "
        "fast mode such as 'bf16', 'fp16' (GPU) or 'int8' (CPU); see the performance docs",
    )
    engine.add_argument(
        "--backend",
        metavar="B",
        default=None,
        help="what runs the model: 'auto' (the default: ONNX Runtime for fp32 on the CPU "
        "when the onnx extra is installed, else torch), 'torch' or 'onnxruntime'",
    )
    progress = engine.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="always show a progress bar on standard error",
    )
    progress.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="never show a progress bar (default: shown when standard error is a terminal)",
    )


def build_parser():
    """The argument parser of ``sklearn-nli``.

    Returns
    -------
    parser : argparse.ArgumentParser
        Its subcommands are ``classify`` and ``pairs``.
    """
    parser = _Parser(
        prog="sklearn-nli",
        description="Zero-shot text classification and premise/hypothesis scoring with "
        "natural language inference models, on CSV, TSV, JSON Lines and Parquet files.",
        epilog="Run 'sklearn-nli COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    classify = commands.add_parser(
        "classify",
        help="zero-shot classification of texts into --labels",
        description="Classify each text of INPUT into one of --labels (or, with "
        "--multi-label, any number of them), with no training data.",
    )
    _add_input_argument(
        classify,
        "CSV, TSV, JSON Lines, Parquet or plain text file (by extension), or '-' to read "
        "one text per line from standard input",
    )
    task = classify.add_argument_group("classification")
    task.add_argument(
        "--labels",
        action="append",
        required=True,
        metavar="L1,L2,...",
        help="candidate labels, comma-separated; may be repeated (e.g. --labels "
        "World,Sports --labels Business)",
    )
    task.add_argument(
        "--text-column",
        action="append",
        metavar="COLUMN",
        help="column holding the text; repeat it to join several columns with a space, "
        "e.g. --text-column title --text-column description (default: the column named "
        "'text', or the only column)",
    )
    task.add_argument(
        "--template",
        metavar="TEMPLATE",
        default="This example is {}.",
        help="hypothesis template, '{}' standing for the label (default: 'This example is {}.')",
    )
    task.add_argument(
        "--label-description",
        action="append",
        default=[],
        metavar="LABEL=PHRASE",
        help="put PHRASE into the template instead of LABEL, e.g. "
        "'Sci/Tech=science and technology'; may be repeated",
    )
    task.add_argument(
        "--multi-label",
        action="store_true",
        help="score every label on its own (sigmoid of entailment minus contradiction) and "
        "predict all labels whose probability reaches --threshold",
    )
    task.add_argument(
        "--threshold",
        metavar="P",
        type=_probability,
        default=0.5,
        help="with --multi-label: probability from which a label is predicted (default: 0.5)",
    )
    _add_common_arguments(classify)
    classify.set_defaults(run=_run_classify)

    pairs = commands.add_parser(
        "pairs",
        help="entailment / neutral / contradiction probabilities of premise-hypothesis pairs",
        description="Score each (premise, hypothesis) row of INPUT with the model's labels.",
    )
    _add_input_argument(
        pairs,
        "CSV, TSV, JSON Lines or Parquet file (by extension); '-' reads standard input "
        "in the --input-format given",
    )
    task = pairs.add_argument_group("pairs")
    task.add_argument(
        "--premise-column", required=True, metavar="COLUMN", help="column holding the premise"
    )
    task.add_argument(
        "--hypothesis-column",
        required=True,
        metavar="COLUMN",
        help="column holding the hypothesis",
    )
    _add_common_arguments(pairs)
    pairs.set_defaults(run=_run_pairs)
    return parser


def _version():
    from . import __version__

    return __version__


# --------------------------------------------------------------------------
# input


def _input_format(args):
    if args.input_format:
        return args.input_format
    if args.input == "-":
        return "lines"
    suffix = Path(args.input).suffix.lower()
    if suffix in INPUT_FORMATS:
        return INPUT_FORMATS[suffix]
    raise CLIError(
        f"cannot tell the format of {args.input!r} from its extension {suffix or '(none)'!r}; "
        "use a .csv, .tsv, .jsonl or .parquet file, or --input-format"
    )


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
    if source != "-":
        path = Path(source)
        if not path.exists():
            raise CLIError(f"input file {source!r} does not exist")
        if path.is_dir():
            raise CLIError(f"input {source!r} is a directory, not a file")
    try:
        return _read(source, fmt)
    except CLIError:
        raise
    except ImportError as exc:
        raise CLIError(
            f"reading {fmt} needs an optional package: {exc}; install it with 'pip install pyarrow'"
        ) from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CLIError(f"cannot read {source!r} as {fmt}: {_one_line(exc)}") from None


def _read(source, fmt):
    stdin = source == "-"
    if fmt == "lines":
        if stdin:
            content = sys.stdin.read()
        else:
            content = Path(source).read_text(encoding="utf-8")
        lines = [
            (number, line.rstrip("\r"))
            for number, line in enumerate(content.split("\n"), start=1)
            if line.strip()
        ]
        if not lines:
            raise CLIError(f"{_name(source)} holds no text (every line is blank)")
        numbers, texts = zip(*lines)
        return pd.DataFrame({"text": list(texts)}, index=pd.Index(numbers, name="line"))
    if fmt in ("csv", "tsv"):
        handle = io.StringIO(sys.stdin.read()) if stdin else source
        return pd.read_csv(
            handle,
            encoding="utf-8-sig",  # a byte-order mark is not part of the first column's name
            sep="," if fmt == "csv" else "\t",
            dtype=str,  # CSV is untyped: keep every cell as written ("007" stays "007")
            keep_default_na=False,
            na_values=[""],
        )
    if fmt == "jsonl":
        handle = io.StringIO(sys.stdin.read()) if stdin else source
        table = pd.read_json(handle, lines=True, dtype=False)
        if not isinstance(table, pd.DataFrame):
            raise CLIError(f"{_name(source)} is not JSON Lines with one object per line")
        return table
    if fmt == "parquet":
        handle = io.BytesIO(sys.stdin.buffer.read()) if stdin else source
        return pd.read_parquet(handle)
    raise CLIError(f"unknown input format {fmt!r}")  # pragma: no cover (argparse choices)


def _name(source):
    return "standard input" if source == "-" else repr(source)


def _check_columns(table, columns, source, option):
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise CLIError(
            f"{_name(source)} has no column {missing[0]!r} ({option}); its columns are "
            f"{[str(c) for c in table.columns]!r}"
        )


def _text_cells(table, column, source):
    """Strings of ``column``; missing cells become None, numbers become text."""
    values = []
    for position, value in enumerate(table[column].tolist()):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            values.append(None)
        elif isinstance(value, str):
            values.append(value)
        elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            values.append(str(value))
        else:
            raise CLIError(
                f"{_name(source)}, column {column!r}, row {_row_name(table, position)}: "
                f"expected text, got {type(value).__name__} {value!r}"
            )
    return values


def _row_name(table, position):
    label = table.index[position]
    if isinstance(table.index, pd.RangeIndex):
        return f"{position} (0-based, header not counted)"
    return f"{label!r}"


def _identifiers(table, args, source):
    """The id column of the output: ``(name, values)``."""
    if args.id_column is not None:
        _check_columns(table, [args.id_column], source, "--id-column")
        return args.id_column, table[args.id_column].to_numpy()
    if "id" in table.columns:
        return "id", table["id"].to_numpy()
    if table.index.name == "line":
        return "line", table.index.to_numpy()
    return "index", np.arange(len(table))


# --------------------------------------------------------------------------
# output


def _output_format(args):
    if args.output_format:
        return args.output_format
    if args.output == "-":
        return "csv"
    suffix = Path(args.output).suffix.lower()
    if suffix in OUTPUT_FORMATS:
        return OUTPUT_FORMATS[suffix]
    raise CLIError(
        f"cannot tell the output format of {args.output!r} from its extension "
        f"{suffix or '(none)'!r}; use a .csv, .tsv or .jsonl file, or --output-format"
    )


def _check_output_path(output):
    if output == "-":
        return
    parent = Path(output).resolve().parent
    if not parent.is_dir():
        raise CLIError(f"cannot write {output!r}: directory {str(parent)!r} does not exist")
    if Path(output).is_dir():
        raise CLIError(f"cannot write {output!r}: it is a directory")


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
        raise CLIError(f"cannot write {output!r}: {_one_line(exc)}") from None


def _jsonable(record):
    out = {}
    for key, value in record.items():
        if isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, float) and not np.isfinite(value):
            value = None
        out[str(key)] = value
    return out


# --------------------------------------------------------------------------
# commands


def _model(args):
    return args.model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def _engine_params(args):
    """Estimator parameters shared by both commands."""
    params = {
        "max_length": args.max_length,
        "batch_size": args.batch_size,
        "device": args.device,
        "show_progress_bar": _show_progress(args),
    }
    for name in ("precision", "backend"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    return params


def _show_progress(args):
    if args.progress is not None:
        return args.progress
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def _parse_labels(values):
    labels = [label.strip() for value in values for label in value.split(",")]
    labels = [label for label in labels if label]
    if not labels:
        raise CLIError("--labels names no label; give them comma-separated, e.g. --labels a,b")
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise CLIError(f"--labels names {duplicates[0]!r} more than once")
    return labels


def _parse_descriptions(values, labels):
    descriptions = {}
    for value in values:
        label, sep, phrase = value.partition("=")
        label, phrase = label.strip(), phrase.strip()
        if not sep or not label or not phrase:
            raise CLIError(
                f"--label-description expects LABEL=PHRASE, e.g. 'Sci/Tech=science and "
                f"technology', got {value!r}"
            )
        if label not in labels:
            raise CLIError(
                f"--label-description names {label!r}, which is not one of --labels {labels!r}"
            )
        descriptions[label] = phrase
    return descriptions or None


def _default_text_column(table, source):
    if "text" in table.columns:
        return ["text"]
    if len(table.columns) == 1:
        return [table.columns[0]]
    raise CLIError(
        f"{_name(source)} has {len(table.columns)} columns "
        f"{[str(c) for c in table.columns]!r}; say which holds the text with --text-column"
    )


def _run_classify(args):
    labels = _parse_labels(args.labels)
    descriptions = _parse_descriptions(args.label_description, labels)
    out_format = _output_format(args)
    _check_output_path(args.output)
    fmt = _input_format(args)
    if fmt == "lines" and args.text_column:
        raise CLIError("--text-column does not apply to plain text input (one text per line)")
    table = read_table(args.input, fmt)
    if len(table) == 0:
        raise CLIError(f"{_name(args.input)} holds no rows")
    columns = args.text_column or _default_text_column(table, args.input)
    _check_columns(table, columns, args.input, "--text-column")
    cells = [_text_cells(table, column, args.input) for column in columns]
    texts = []
    for position, row in enumerate(zip(*cells)):
        present = [cell for cell in row if cell is not None]
        if not present:
            raise CLIError(
                f"{_name(args.input)}, row {_row_name(table, position)}: no text in "
                f"{'column' if len(columns) == 1 else 'columns'} "
                f"{', '.join(repr(c) for c in columns)}"
            )
        texts.append(" ".join(present))
    id_name, ids = _identifiers(table, args, args.input)

    from ._zero_shot import ZeroShotNLIClassifier

    clf = ZeroShotNLIClassifier(
        _model(args),
        candidate_labels=labels,
        hypothesis_template=args.template,
        label_descriptions=descriptions,
        multi_label=args.multi_label,
        threshold=args.threshold,
        **_engine_params(args),
    ).fit()
    proba = clf.predict_proba(texts)
    order = [list(clf.classes_).index(label) for label in labels]
    proba = proba[:, order]
    result = pd.DataFrame({id_name: ids})
    if args.multi_label:
        chosen = proba >= args.threshold
        predicted = [[label for label, on in zip(labels, row) if on] for row in chosen]
        if out_format == "jsonl":
            result["predictions"] = predicted
        else:
            result["predictions"] = [";".join(row) for row in predicted]
    else:
        result["prediction"] = np.asarray(labels, dtype=object)[np.argmax(proba, axis=1)]
    for column, label in enumerate(labels):
        result[_proba_column(label, result.columns)] = np.round(proba[:, column], 6)
    write_table(result, args.output, out_format)


def _run_pairs(args):
    out_format = _output_format(args)
    _check_output_path(args.output)
    fmt = _input_format(args)
    if fmt == "lines":
        raise CLIError(
            "pairs needs a table with a premise and a hypothesis column (CSV, TSV, JSON Lines "
            "or Parquet; from standard input, say which with --input-format), not one text "
            "per line"
        )
    columns = [args.premise_column, args.hypothesis_column]
    table = read_table(args.input, fmt)
    if len(table) == 0:
        raise CLIError(f"{_name(args.input)} holds no rows")
    _check_columns(table, [args.premise_column], args.input, "--premise-column")
    _check_columns(table, [args.hypothesis_column], args.input, "--hypothesis-column")
    premises = _text_cells(table, args.premise_column, args.input)
    hypotheses = _text_cells(table, args.hypothesis_column, args.input)
    for position, pair in enumerate(zip(premises, hypotheses)):
        for column, cell in zip(columns, pair):
            if cell is None:
                raise CLIError(
                    f"{_name(args.input)}, row {_row_name(table, position)}: no text in "
                    f"column {column!r}"
                )
    id_name, ids = _identifiers(table, args, args.input)

    from ._pairs import NLIPairScorer

    scorer = NLIPairScorer(_model(args), **_engine_params(args)).fit()
    proba = scorer.predict_proba(list(zip(premises, hypotheses)))
    labels = list(scorer.model_labels_)
    order = [list(scorer.classes_).index(label) for label in labels]
    proba = proba[:, order]
    result = pd.DataFrame({id_name: ids})
    result["prediction"] = np.asarray(labels, dtype=object)[np.argmax(proba, axis=1)]
    for column, label in enumerate(labels):
        result[_proba_column(label, result.columns)] = np.round(proba[:, column], 6)
    write_table(result, args.output, out_format)


def _proba_column(label, existing):
    name = f"proba_{label}"
    while name in existing:
        name = "_" + name
    return name


# --------------------------------------------------------------------------
# entry point


def _one_line(exc):
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


def main(argv=None):
    """Run ``sklearn-nli`` with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments, without the program name.

    Returns
    -------
    status : int
        0 on success; 2 for bad arguments or data (after one line on standard
        error); 1 when the output pipe closes early; 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with status 2 on a usage error
    try:
        with _quiet_loading(_show_progress(args)):
            args.run(args)
    except CLIError as exc:
        return _fail(parser, str(exc))
    except (OSError, ValueError, TypeError, ImportError) as exc:
        if isinstance(exc, BrokenPipeError):
            return _broken_pipe()
        return _fail(parser, _one_line(exc))
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    return 0


@contextlib.contextmanager
def _quiet_loading(progress):
    """Hide transformers' own progress bars (weight loading) unless progress is shown."""
    if progress:
        yield
        return
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def _fail(parser, message):
    print(f"{parser.prog}: error: {_one_line(message)}", file=sys.stderr)
    return EXIT_USAGE


def _broken_pipe():
    # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
