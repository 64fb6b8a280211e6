"""Labels in one room: the model's outputs, the estimators' classes, and the hypotheses.

Which logit column means entailment (or contradiction), which classes an
estimator has, which model labels make up each class, and the hypothesis
asked for each class: resolved once per fit from the model's labels (a
:class:`~sklearn_nli._runtime._encoder.PairEncoder`'s ``labels``) and the estimator's
parameters, and kept in its fitted state.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._errors import InvalidValueError
from ._inputs import (
    check_learnable,
    check_training_data,
    check_unlabelled_fit,
    check_y,
)

__all__ = [
    "LogitColumnChoice",
    "ZeroShotTask",
    "prepare_zero_shot_fit",
    "build_hypotheses",
    "check_class_keys",
    "class_columns",
    "class_indices",
    "entailment_column",
    "entailment_columns",
    "find_label_column",
    "fresh_head_labels",
    "multi_label_classes",
    "pair_label_mapping",
    "single_label_classes",
]

ENTAILMENT = "entail"
CONTRADICTION = "contradict"


# --------------------------------------------------------------- model labels


def find_label_column(labels, prefix, override, parameter):
    """Index of the model label that starts with ``prefix`` (case-insensitive).

    ``override`` (a label name or an index), when given, wins; it is the way out
    for models whose config names its labels ``LABEL_0``, ``LABEL_1``, ...
    """
    if override is not None:
        if isinstance(override, numbers.Integral):
            override = int(override)
            if not -len(labels) <= override < len(labels):
                raise InvalidValueError(
                    f"{parameter}={override} is out of range for a model with "
                    f"{len(labels)} labels {labels!r}."
                )
            return override % len(labels)
        matches = [i for i, label in enumerate(labels) if label.lower() == override.lower()]
        if not matches:
            raise InvalidValueError(
                f"{parameter}={override!r} is not a label of the model; its labels are {labels!r}."
            )
        return matches[0]
    matches = _starting_with(labels, prefix)
    if not matches:
        raise InvalidValueError(
            f"The model's config names no label starting with {prefix!r} (its labels are "
            f"{labels!r}), so the {prefix}... column cannot be found. Set {parameter} to the "
            "label name or column index that means it, e.g. "
            f"{parameter}={labels[0]!r} or {parameter}=0."
        )
    return matches[0]


def _starting_with(labels, prefix):
    return [i for i, label in enumerate(labels) if label.lower().startswith(prefix)]


def entailment_column(labels, setting):
    """The column of the model label that starts with ``entail``, which ``setting`` reads."""
    matches = _starting_with(labels, ENTAILMENT)
    if not matches:
        raise InvalidValueError(
            f"{setting} reads the premise chunk of highest entailment, but the model's labels "
            f"{labels!r} have none starting with {ENTAILMENT!r}; set long_texts='truncate' "
            "and split_hypothesis=False for this model."
        )
    return matches[0]


class LogitColumnChoice(NamedTuple):
    """The checked ``entailment_label``, ``contradiction_label`` and ``multi_label`` of a fit.

    A zero-shot fit does not load the model, so it keeps these (checked)
    values, and predictions resolve them against the model's labels with
    :meth:`resolve`, never re-reading the estimator's parameters.
    """

    entailment_label: str | int | None
    contradiction_label: str | int | None
    multi_label: bool

    def resolve(self, labels):
        """The logit columns of ``labels`` (the model's) that the zero-shot formulas read."""
        return entailment_columns(labels, *self)


def entailment_columns(labels, entailment_label, contradiction_label, multi_label):
    """The logit columns the zero-shot formulas read.

    ``(entailment,)`` in single-label mode, ``(entailment, contradiction)`` in
    multi-label mode.
    """
    columns = (find_label_column(labels, ENTAILMENT, entailment_label, "entailment_label"),)
    if multi_label:
        columns += (
            find_label_column(labels, CONTRADICTION, contradiction_label, "contradiction_label"),
        )
    return columns


# -------------------------------------------------------- zero-shot classes


def single_label_classes(y, candidates):
    """The sorted classes of single-label classification: from ``candidate_labels`` or ``y``.

    ``y`` (checked 1-D labels, or None) must hold only candidates when both
    are given.
    """
    if y is None and candidates is None:
        raise InvalidValueError(
            "ZeroShotNLIClassifier needs its classes: pass y to fit, or set candidate_labels."
        )
    if candidates is None:
        classes = np.unique(y)
    else:
        classes = np.unique(np.asarray(candidates, dtype=object))
        if y is not None:
            known = set(classes.tolist())
            unknown = [c for c in np.unique(y).tolist() if c not in known]
            if unknown:
                raise InvalidValueError(
                    f"y contains labels {unknown!r} that are not in candidate_labels "
                    f"{list(candidates)!r}."
                )
    if len(classes) < 2:
        raise InvalidValueError(
            f"Single-label zero-shot classification needs at least 2 classes; got "
            f"{len(classes)} class ({classes.tolist()!r}). To score one label on its "
            "own, set multi_label=True."
        )
    return classes


def multi_label_classes(candidates):
    """The classes of multi-label classification: ``candidate_labels``, in their order."""
    if candidates is None:
        raise InvalidValueError(
            "multi_label=True needs candidate_labels: they name the columns of the "
            "binary indicator matrix y and of predict_proba."
        )
    return np.asarray(candidates, dtype=object)


def class_indices(y, classes):
    """The position in ``classes`` of each label of ``y``."""
    index = {c: i for i, c in enumerate(classes.tolist())}
    return [index[label] for label in np.asarray(y).tolist()]


def class_counts(y, classes):
    """``{class: samples}``: the labels of ``y``, or the 1s of each indicator column."""
    y = np.asarray(y)
    if y.ndim == 2:
        counts = y.sum(axis=0)
    else:
        counts = np.bincount(class_indices(y, classes), minlength=len(classes))
    return dict(zip(classes.tolist(), counts.tolist()))


def check_class_keys(mapping, classes, parameter):
    """Every key of the dict ``mapping`` (the parameter ``parameter``) is a class."""
    known = set(classes.tolist())
    unknown = [key for key in mapping if key not in known]
    if unknown:
        raise InvalidValueError(
            f"{parameter} has keys {unknown!r} that are not classes; the classes are "
            f"{classes.tolist()!r}."
        )


def build_hypotheses(classes, template, descriptions):
    """The hypothesis asked for each class: ``template`` filled with its description."""
    descriptions = descriptions or {}
    check_class_keys(descriptions, classes, "label_descriptions")
    return [template.format(descriptions.get(c, str(c))) for c in classes]


# ------------------------------------------------------------ pair classes


def pair_label_mapping(y, model_labels, label_map):
    """The pair scorer's classes and ``{class: tuple of model labels}``.

    From ``label_map`` when given; else, without ``y``, the model's labels
    themselves; else the classes of ``y`` matched to the model's labels by
    name (a binary ``y`` of the entailment label and one other gathers the
    other labels into that other class).
    """
    if label_map is not None:
        mapping = _explicit_mapping(label_map, model_labels)
        if y is not None:
            unknown = [c for c in np.unique(y).tolist() if c not in mapping]
            if unknown:
                raise InvalidValueError(
                    f"y contains labels {unknown!r} that label_map does not map."
                )
        classes = np.unique(np.asarray(list(mapping)))
    elif y is None:
        mapping = {label: (label,) for label in model_labels}
        classes = np.unique(np.asarray(model_labels, dtype=object))
    else:
        classes = np.unique(y)
        mapping = _mapping_by_name(classes, model_labels)
    return classes, {c: mapping[c] for c in classes.tolist()}


def fresh_head_labels(y, label_map, model):
    """Classes, head labels and mapping of a new head whose labels are ``y``'s classes."""
    if label_map is not None:
        raise InvalidValueError(
            f"model={model!r} has no classification head, so fitting creates one "
            "whose labels are the classes of y; label_map, which maps classes to an "
            "existing head's labels, must be None."
        )
    classes = np.unique(y)
    model_labels = [str(c) for c in classes.tolist()]
    if len(set(model_labels)) != len(model_labels):
        raise InvalidValueError(
            f"The classes of y {classes.tolist()!r} do not have distinct names as strings, "
            "which the new head's labels need."
        )
    return classes, model_labels, {c: (m,) for c, m in zip(classes.tolist(), model_labels)}


def class_columns(classes, mapping, model_labels):
    """For each class, the model's logit columns it gathers."""
    position = {label: i for i, label in enumerate(model_labels)}
    return [[position[label] for label in mapping[c]] for c in classes.tolist()]


def _explicit_mapping(label_map, model_labels):
    by_lower = {label.lower(): label for label in model_labels}
    mapping, used = {}, {}
    for cls, targets in label_map.items():
        targets = [targets] if isinstance(targets, str) else list(targets)
        resolved = []
        for target in targets:
            label = by_lower.get(str(target).lower())
            if label is None:
                raise InvalidValueError(
                    f"label_map[{cls!r}] names {target!r}, which is not a label of the "
                    f"model; its labels are {model_labels!r}."
                )
            if label in used:
                raise InvalidValueError(
                    f"label_map maps the model label {label!r} to both {used[label]!r} "
                    f"and {cls!r}; each model label belongs to one class."
                )
            used[label] = cls
            resolved.append(label)
        if not resolved:
            raise InvalidValueError(f"label_map[{cls!r}] lists no model label.")
        mapping[cls] = tuple(resolved)
    missing = [label for label in model_labels if label not in used]
    if missing:
        raise InvalidValueError(
            f"label_map leaves the model labels {missing!r} unmapped; map every model "
            "label to a class so that probabilities sum to 1."
        )
    return mapping


def _mapping_by_name(classes, model_labels):
    by_lower = {label.lower(): label for label in model_labels}
    matched = {c: by_lower.get(str(c).lower()) for c in classes}
    if all(label is not None for label in matched.values()) and len(classes) == len(model_labels):
        return {c: (label,) for c, label in matched.items()}
    entail = [model_labels[i] for i in _starting_with(model_labels, ENTAILMENT)]
    if len(classes) == 2 and entail:
        positive = [c for c, label in matched.items() if label == entail[0]]
        if positive:
            (other,) = [c for c in classes if c != positive[0]]
            rest = tuple(label for label in model_labels if label != entail[0])
            return {positive[0]: (entail[0],), other: rest}
    raise InvalidValueError(
        f"Cannot match the labels of y {list(classes)!r} to the model's labels "
        f"{model_labels!r}: they match by name (ignoring case), or a binary y holds the "
        "entailment label and one other. Set label_map, e.g. "
        "{'yes': 'entailment', 'no': ['neutral', 'contradiction']}."
    )


class ZeroShotTask(NamedTuple):
    """What a fit prepares once: the texts, their checked labels, the classes, the hypotheses.

    ``labels`` holds the labelled texts' labels (None when none has one);
    ``unlabelled`` is the mask of texts marked -1 when the fit learns from
    unlabelled texts, else None.
    """

    texts: list | None
    labels: object
    unlabelled: np.ndarray | None
    classes: np.ndarray
    hypotheses: list
    label_choice: LogitColumnChoice


def prepare_zero_shot_fit(texts, y, params, from_unlabelled):
    """Check ``y`` against the texts and the checked ``params``: a :class:`ZeroShotTask`.

    ``from_unlabelled``: the fit learns from unlabelled texts (-1 in ``y``).
    """
    n_texts = None if texts is None else len(texts)
    candidates = params["candidate_labels"]
    unlabelled = None
    if from_unlabelled:
        labels, unlabelled = check_unlabelled_fit(params, texts, y)
        classes = single_label_classes(labels, candidates)
    else:
        if params["n_epochs"] > 0:
            check_training_data(n_texts, y, params["n_epochs"], "texts")
        labels = y
        if params["multi_label"]:
            classes = multi_label_classes(candidates)
            if y is not None:
                labels = check_y(y, n_texts, "texts", n_columns=len(classes))
        else:
            if y is not None:
                labels = check_y(y, n_texts, "texts")
            classes = single_label_classes(labels, candidates)
        if params["n_epochs"] > 0:
            check_learnable(labels, "texts")
    hypotheses = build_hypotheses(
        classes, params["hypothesis_template"], params["label_descriptions"]
    )
    choice = LogitColumnChoice(
        params["entailment_label"], params["contradiction_label"], params["multi_label"]
    )
    return ZeroShotTask(texts, labels, unlabelled, classes, hypotheses, choice)
