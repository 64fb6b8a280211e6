"""The ``sklearn-nli`` command: classify texts or score pairs in a file.

``sklearn-nli classify INPUT --labels A,B,C`` and ``sklearn-nli pairs INPUT
--premise-column P --hypothesis-column H`` read a CSV, TSV, JSON Lines or Parquet
file (or one text per line from ``-``) and write one row per input row: its id,
the prediction and one probability column per label. This module only reads
and writes: parameters are parsed and checked by the estimators' parameter
table (before any input is read), and data by the estimators' input layer, so a
bad cell is reported as the estimator reports it, after the file's name. Such
problems exit with status 2 and one line; anything else is a bug, reported with
its traceback and status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback

from ._errors import InputError, SklearnNLIError
from ._files import (
    INPUT_FORMATS,
    CLIError,
    check_output_path,
    describe,
    input_format,
    one_line,
    output_format,
    read_table,
    results_table,
    silence_stdout,
    text_columns,
    write_evidence,
    write_table,
)
from ._params import DEFAULT_MODEL, DEFAULT_TEMPLATE, READING_PARAMETERS, argparse_options

__all__ = ["main", "build_parser"]

MODEL_ENV = "SKLEARN_NLI_MODEL"
EXIT_USAGE = 2
EXIT_BUG = 1


# --------------------------------------------------------------------------
# arguments


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (exit status 2)."""

    def error(self, message):
        self.exit(
            EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see '{self.prog} --help')\n"
        )


# Options as (flags, parameter-table entry or None, add_argument keywords). An entry
# of the table brings its type, choices and bounds, so a bad value fails at parsing.
# fmt: off
_FILE_OPTIONS = (
    ("-o --output", None, {"metavar": "OUTPUT", "default": "-", "help": "where to write the "
     "results: a .csv, .tsv or .jsonl file, or '-' for standard output (the default)"}),
    ("--input-format", None, {"choices": sorted(set(INPUT_FORMATS.values())), "help": "read "
     "INPUT in this format instead of guessing from its extension ('lines': one text per "
     "line)"}),
    ("--output-format", None, {"choices": ["csv", "tsv", "jsonl"], "help": "write in this "
     "format instead of guessing from the extension of OUTPUT (default for standard output: "
     "csv)"}),
    ("--id-column", None, {"metavar": "COLUMN", "help": "input column copied to the output to "
     "identify rows (default: 'id' when the input has one, else the 0-based row index)"}),
    ("--evidence", None, {"metavar": "FILE", "help": "also write the part of each text that "
     "decided each label (or hypothesis sentence), with its span, to a .csv/.tsv/.jsonl file"}),
)
_LONG_TEXT_OPTIONS = (
    ("--long-texts", "long_texts", {"help": "'chunk' (default): read a long text in chunks of "
     "whole sentences, every chunk scored; 'truncate': cut it at --max-length"}),
    ("--chunk-size", "chunk_size", {"metavar": "N", "help": "most tokens in a chunk (default: "
     "the most that fit beside the hypothesis, so a text that fits is one chunk)"}),
)
_MODEL_OPTIONS = (
    ("--model", "model", {"metavar": "MODEL", "help": "Hugging Face Hub model id or local "
     f"model directory (default: ${MODEL_ENV} when set, else {DEFAULT_MODEL})"}),
    ("--device", "device", {"default": "auto", "help": "where the model runs (default: auto)"}),
    ("--batch-size", "batch_size", {"metavar": "N", "help": "pairs per forward pass"}),
    ("--max-length", "max_length", {"metavar": "N", "help": "token limit of a pair; the text "
     "is truncated, never the hypothesis (default: the model's limit)"}),
    ("--precision", "precision", {"default": "fp32", "help": "numeric mode of the model: "
     "'fp32' (the default, the reference numbers) or a fast mode; see the performance docs"}),
    ("--backend", "backend", {"default": "auto", "help": "what runs the model (default: auto)"}),
)
_CLASSIFY_OPTIONS = (
    ("input", None, {"metavar": "INPUT", "help": "CSV, TSV, JSON Lines, Parquet or plain text "
     "file (by extension), or '-' to read one text per line from standard input"}),
    ("--labels", None, {"action": "append", "required": True, "metavar": "L1,L2,...", "help":
     "candidate labels, comma-separated; may be repeated (e.g. --labels World,Sports "
     "--labels Business)"}),
    ("--text-column", None, {"action": "append", "metavar": "COLUMN", "help": "column holding "
     "the text; repeat it to join several columns with a space, e.g. --text-column title "
     "--text-column description (default: the column named 'text', or the only column)"}),
    ("--skip-missing", None, {"action": "store_true", "help": "with several --text-column: join"
     " the cells a row has, skipping missing ones (default: a missing cell is an error)"}),
    ("--template", "hypothesis_template", {"metavar": "TEMPLATE", "default": DEFAULT_TEMPLATE,
     "help": f"hypothesis template, '{{}}' standing for the label (default: "
     f"{DEFAULT_TEMPLATE!r})"}),
    ("--label-description", None, {"action": "append", "default": [], "metavar": "LABEL=PHRASE",
     "help": "put PHRASE into the template instead of LABEL, e.g. 'Sci/Tech=science and "
     "technology'; may be repeated"}),
    ("--multi-label", None, {"action": "store_true", "help": "score every label on its own "
     "(sigmoid of entailment minus contradiction) and predict all labels whose probability "
     "reaches --threshold"}),
    ("--threshold", "threshold", {"metavar": "P", "default": 0.5, "help": "with --multi-label: "
     "probability from which a label is predicted (default: 0.5)"}),
    ("--class-prior", None, {"choices": ["uniform"], "help": "learn one offset per label from "
     "the input's texts so that their mean predicted distribution is uniform, which corrects "
     "a model that favours some labels (prior matching; the texts are scored once)"}),
    *_LONG_TEXT_OPTIONS,
    ("--chunk-aggregation", "chunk_aggregation", {"help": "a long text's probabilities: the "
     "'mean' (default) of its chunks', or from each label's 'max' score over its chunks"}),
)
_PAIRS_OPTIONS = (
    ("input", None, {"metavar": "INPUT", "help": "CSV, TSV, JSON Lines or Parquet file (by "
     "extension); '-' reads standard input in the --input-format given"}),
    *((f"--{side}-column", None, {"required": True, "metavar": "COLUMN", "help": f"column "
       f"holding the {side}"}) for side in ("premise", "hypothesis")),
    *_LONG_TEXT_OPTIONS,
    ("--split-hypothesis", None, {"action": "store_true", "help": "score each sentence of a "
     "hypothesis (a summary, an answer) on its own against the premise"}),
    ("--hypothesis-aggregation", "hypothesis_aggregation", {"help": "with --split-hypothesis: "
     "the 'mean' (default) of the sentences' probabilities, or the least supported's ('min')"}),
)
_PROGRESS_OPTIONS = (
    ("--progress", None, {"dest": "progress", "action": "store_true", "default": None, "help":
     "always show a progress bar on standard error"}),
    ("--no-progress", None, {"dest": "progress", "action": "store_false", "help": "never show "
     "a progress bar (default: shown when standard error is a terminal)"}),
)
# fmt: on


def _add_options(group, options):
    for flags, name, keywords in options:
        if name is not None:
            keywords = {"dest": name, **argparse_options(name), **keywords}
        group.add_argument(*flags.split(), **keywords)


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
    pairs = commands.add_parser(
        "pairs",
        help="entailment / neutral / contradiction probabilities of premise-hypothesis pairs",
        description="Score each (premise, hypothesis) row of INPUT with the model's labels.",
    )
    for command, task, options, run in (
        (classify, "classification", _CLASSIFY_OPTIONS, _run_classify),
        (pairs, "pairs", _PAIRS_OPTIONS, _run_pairs),
    ):
        _add_options(command.add_argument_group(task), options)
        _add_options(command.add_argument_group("input and output"), _FILE_OPTIONS)
        engine = command.add_argument_group("model and speed")
        _add_options(engine, _MODEL_OPTIONS)
        _add_options(engine.add_mutually_exclusive_group(), _PROGRESS_OPTIONS)
        command.set_defaults(run=run)
    return parser


def _version():
    from . import __version__

    return __version__


# --------------------------------------------------------------------------
# commands


@contextlib.contextmanager
def _about(source, option=None):
    """Put the file (and the option that chose the column) in front of a data error."""
    from ._inputs import error_with_place

    try:
        yield
    except InputError as exc:
        place = "standard input" if source == "-" else f"file {source!r}"
        raise error_with_place(exc, place + (f" ({option})" if option else "")) from None


def _load(args, fmt):
    """The output format and the input table, each checked before the model is loaded."""
    out_format = output_format(args.output, args.output_format)
    check_output_path(args.output, args.evidence)
    table = read_table(args.input, fmt)
    if len(table) == 0:
        raise CLIError(f"{describe(args.input)} holds no rows")
    return out_format, table


def _columns(table, columns, args, option):
    from ._inputs import select_columns

    with _about(args.input, option):
        return select_columns(table, columns)


def _identifiers(table, args):
    """The id column of the output: ``(name, values)``."""
    if args.id_column is not None:
        ids = _columns(table, [args.id_column], args, "--id-column")
        return args.id_column, ids[args.id_column].to_numpy()
    if "id" in table.columns:
        return "id", table["id"].to_numpy()
    if table.index.name == "line":
        return "line", table.index.to_numpy()
    return "index", range(len(table))


def _estimator_params(args, estimator):
    """Estimator parameters shared by both commands, and the long-text options given."""
    names = ("device", "batch_size", "max_length", "precision", "backend")
    params = {n: getattr(args, n) for n in names + READING_PARAMETERS[estimator.__name__]}
    params = {name: value for name, value in params.items() if value is not None}
    params["show_progress_bar"] = _show_progress(args)
    return {"model": args.model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL, **params}


def _show_progress(args):
    if args.progress is not None:
        return args.progress
    return bool(sys.stderr is not None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


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
        label, sep, phrase = (part.strip() for part in value.partition("="))
        if not sep or not label or not phrase:
            raise CLIError(
                "--label-description expects LABEL=PHRASE, e.g. 'Sci/Tech=science and "
                f"technology', got {value!r}"
            )
        if label not in labels:
            raise CLIError(
                f"--label-description names {label!r}, which is not one of --labels {labels!r}"
            )
        descriptions[label] = phrase
    return descriptions or None


def _run_classify(args):
    from ._zero_shot import ZeroShotNLIClassifier

    labels = _parse_labels(args.labels)
    descriptions = _parse_descriptions(args.label_description, labels)
    fmt = input_format(args.input, args.input_format)
    if fmt == "lines" and args.text_column:
        raise CLIError("--text-column does not apply to plain text input (one text per line)")
    out_format, table = _load(args, fmt)
    columns = text_columns(table, args.text_column, args.input)
    texts = _columns(table, columns, args, "--text-column")
    ids = _identifiers(table, args)
    clf = ZeroShotNLIClassifier(
        candidate_labels=labels,
        hypothesis_template=args.hypothesis_template,
        label_descriptions=descriptions,
        multi_label=args.multi_label,
        threshold=args.threshold,
        missing_text="skip" if args.skip_missing else "error",
        class_prior=args.class_prior,
        **_estimator_params(args, ZeroShotNLIClassifier),
    )
    with _about(args.input):
        clf.fit(texts if args.class_prior else None)
        proba = clf.predict_proba(texts)[:, _order(clf.classes_, labels)]
    predicted = None
    if args.multi_label:
        predicted = [
            [label for label, p in zip(labels, row) if p >= args.threshold] for row in proba
        ]
        if out_format != "jsonl":
            predicted = [";".join(row) for row in predicted]
    write_table(results_table(ids, labels, proba, predicted), args.output, out_format)
    if args.evidence is not None:  # the texts' problems were reported by predict_proba
        write_evidence(ids, clf.evidence(texts), args.evidence)


def _run_pairs(args):
    from ._pairs import NLIPairScorer

    fmt = input_format(args.input, args.input_format)
    if fmt == "lines":
        raise CLIError(
            "pairs needs a table with a premise and a hypothesis column (CSV, TSV, JSON Lines "
            "or Parquet; from standard input, say which with --input-format), not one text "
            "per line"
        )
    out_format, table = _load(args, fmt)
    for option, column in (
        ("--premise-column", args.premise_column),
        ("--hypothesis-column", args.hypothesis_column),
    ):
        _columns(table, [column], args, option)
    ids = _identifiers(table, args)
    scorer = NLIPairScorer(
        premise_column=args.premise_column,
        hypothesis_column=args.hypothesis_column,
        **_estimator_params(args, NLIPairScorer),
    ).fit()
    labels = list(scorer.model_labels_)
    with _about(args.input):
        proba = scorer.predict_proba(table)[:, _order(scorer.classes_, labels)]
    write_table(results_table(ids, labels, proba), args.output, out_format)
    if args.evidence is not None:
        write_evidence(ids, scorer.evidence(table), args.evidence)


def _order(classes, labels):
    return [list(classes).index(label) for label in labels]


# --------------------------------------------------------------------------
# entry point


def main(argv=None):
    """Run ``sklearn-nli`` with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments, without the program name.

    Returns
    -------
    status : int
        0 on success; 2 for bad arguments, data or model (after one line on
        standard error); 1 for a bug (after its traceback) or when the output
        pipe closes early; 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with status 2 on a usage error
    try:
        args.run(args)
    except BrokenPipeError:
        return silence_stdout()
    except SklearnNLIError as exc:
        print(f"{parser.prog}: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(
            f"{parser.prog}: internal error: this is a bug, in sklearn-nli or in a library it "
            "uses; please report it with the traceback above.",
            file=sys.stderr,
        )
        return EXIT_BUG
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
