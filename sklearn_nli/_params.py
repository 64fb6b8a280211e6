"""Every parameter of the estimators and of the command line, declared once.

``PARAMETERS`` maps each name to what values it takes, as a checker of
:mod:`sklearn_nli._checks`. The estimators check all their parameters against
it once per ``fit``, and their engine parameters again when a prediction looks
the engine up (they may change between fit and predict); the command line
builds its ``choices`` and argument types from it, so that a bad value is
reported in the same words everywhere, and on the command line before any input
is read. A new parameter is one line of ``PARAMETERS``. The defaults that
several places name (the estimators, the command line, the docstrings) are
constants here.
"""

from __future__ import annotations

from ._checks import (
    Choice,
    ClassPrior,
    CountOrFraction,
    Device,
    Flag,
    Integer,
    LabelName,
    Labels,
    Mapping,
    ModelName,
    Number,
    Parameter,
    Probability,
    RandomState,
    Template,
)
from ._runtime._backends import backend_choices

DEFAULT_MODEL = "MoritzLaurer/MiniLM-L6-mnli"
DEFAULT_TEMPLATE = "This example is {}."

PRECISIONS = ("fp32", "bf16", "fp16", "int8")
LONG_TEXTS = ("chunk", "truncate")


PARAMETERS = {
    parameter.name: parameter
    for parameter in (
        ModelName("model"),
        Device("device"),
        Choice("precision", PRECISIONS),
        Choice("backend", backend_choices),
        Integer("batch_size", 1, allow_none=True),
        Integer("max_length", 2, allow_none=True),
        Flag("cache"),
        Flag("show_progress_bar"),
        Labels("candidate_labels"),
        Template("hypothesis_template"),
        Mapping("label_descriptions", "{class: phrase}"),
        Flag("multi_label"),
        Probability("threshold"),
        LabelName("entailment_label"),
        LabelName("contradiction_label"),
        Choice("missing_text", ("error", "skip")),
        Choice("long_texts", LONG_TEXTS),
        Integer("chunk_size", 1, allow_none=True),
        Choice("chunk_aggregation", ("mean", "max")),
        Flag("split_hypothesis"),
        Choice("hypothesis_aggregation", ("mean", "min")),
        # Column names: whether the column exists is the input layer's question.
        Parameter("premise_column"),
        Parameter("hypothesis_column"),
        Mapping("label_map", "{class: model label or list of model labels}"),
        Integer("n_epochs", 0),
        Number("learning_rate", 0.0),
        Integer("train_batch_size", 1),
        Probability("warmup_fraction"),
        Number("weight_decay", 0.0, inclusive=True),
        Integer("max_negatives", 1),
        Choice("train_precision", ("fp32", "bf16")),
        ClassPrior("class_prior"),
        Integer("self_training_rounds", 0),
        CountOrFraction("pseudo_labels_per_class"),
        RandomState("random_state"),
    )
}

ENGINE_PARAMETERS = (
    "model",
    "device",
    "precision",
    "backend",
    "batch_size",
    "max_length",
    "cache",
    "show_progress_bar",
)

# How the estimators read long texts: checked at fit and again at predict (they
# may be set between the two), before any model work.
READING_PARAMETERS = {
    "ZeroShotNLIClassifier": ("long_texts", "chunk_size", "chunk_aggregation"),
    "NLIPairScorer": ("long_texts", "chunk_size", "split_hypothesis", "hypothesis_aggregation"),
}

# The fine-tuning parameters (``fit(X, y)`` with ``n_epochs > 0``) of both estimators;
# ZeroShotNLIClassifier adds ``max_negatives``.
FINE_TUNING_PARAMETERS = (
    "n_epochs",
    "learning_rate",
    "train_batch_size",
    "warmup_fraction",
    "weight_decay",
    "train_precision",
    "random_state",
)


def check_param(name, value):
    """Check ``value`` against the table entry ``name``; return it normalised."""
    return PARAMETERS[name].check(value)


def check_params(estimator, names):
    """Check the estimator's parameters ``names``; return ``{name: normalised value}``."""
    return {name: check_param(name, getattr(estimator, name)) for name in names}


def argparse_options(name):
    """``add_argument`` keyword arguments for the parameter ``name`` (choices or a type)."""
    return PARAMETERS[name].argparse_options()
