"""Input and parameter checks shared by both estimators.

Every check raises a ``ValueError`` or ``TypeError`` whose message names the
parameter or the position of the offending element, so that a bad row among a
million is found without reading a traceback from inside torch.
"""

from __future__ import annotations

import numbers
import re

import numpy as np
import pandas as pd
import scipy.sparse as sp

_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


# --------------------------------------------------------------------------
# parameters


def _check_integer(value, name, minimum, allow_none=False):
    expected = f"{'None or ' if allow_none else ''}an integer >= {minimum}"
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {expected}, got {value!r} of type {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be {expected}, got {value}.")
    return int(value)


def check_batch_size(batch_size):
    return _check_integer(batch_size, "batch_size", 1, allow_none=True)


def check_max_length(max_length):
    return _check_integer(max_length, "max_length", 2, allow_none=True)


def check_device(device):
    """Check the spelling of ``device``; availability is checked by the engine."""
    if not isinstance(device, str) or not _DEVICE_PATTERN.match(device):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}."
        )
    return device


PRECISIONS = ("fp32", "bf16", "fp16", "int8")


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}.")
    return value


def check_precision(precision):
    return _check_choice(precision, "precision", PRECISIONS)


BACKENDS = ("auto", "torch", "onnxruntime")


def check_backend(backend):
    return _check_choice(backend, "backend", BACKENDS)


def check_model(model):
    if not isinstance(model, str) or not model.strip():
        raise TypeError(
            "model must be a Hugging Face Hub model id or the path of a local "
            f"model directory (a non-empty string), got {model!r}."
        )
    return model


def check_template(template):
    if not isinstance(template, str):
        raise TypeError(
            "hypothesis_template must be a string containing '{}' once, got "
            f"{template!r} of type {type(template).__name__}."
        )
    count = template.replace("{{", "").replace("}}", "").count("{}")
    if count != 1:
        raise ValueError(
            "hypothesis_template must contain '{}' exactly once, where the label "
            f"goes (e.g. 'This example is {{}}.'); {template!r} contains it {count} times."
        )
    try:
        template.format("label")
    except (IndexError, KeyError, ValueError) as exc:
        raise ValueError(
            f"hypothesis_template {template!r} cannot be formatted with a label: {exc}. "
            "Write literal braces as '{{' and '}}'."
        ) from None
    return template


def check_threshold(threshold):
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"threshold must be a number in [0, 1], got {threshold!r}.")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold}.")
    return float(threshold)


def check_candidate_labels(candidate_labels):
    """Return ``candidate_labels`` as a list, rejecting strings, empties and duplicates."""
    if isinstance(candidate_labels, str):
        raise TypeError(
            "candidate_labels must be a list of labels, got the string "
            f"{candidate_labels!r}; write [{candidate_labels!r}] for a single label."
        )
    try:
        labels = list(candidate_labels)
    except TypeError:
        raise TypeError(
            f"candidate_labels must be a list of labels, got {candidate_labels!r}."
        ) from None
    if not labels:
        raise ValueError("candidate_labels is empty: give at least one label.")
    for position, label in enumerate(labels):
        if _is_missing(label):
            raise ValueError(f"candidate_labels contains a missing value at position {position}.")
    seen = {}
    for position, label in enumerate(labels):
        if label in seen:
            raise ValueError(
                f"candidate_labels contains {label!r} twice (positions {seen[label]} "
                f"and {position}); each label must appear once."
            )
        seen[label] = position
    return labels


def check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_label_name(value, name):
    """``entailment_label`` / ``contradiction_label``: None, a label name or an index."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise TypeError(
        f"{name} must be None, a label name from the model config or a column index, got {value!r}."
    )


# --------------------------------------------------------------------------
# text input


def _is_missing(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and np.isnan(value)


def _reject_non_collections(X, name):
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"Iterable over raw text documents expected, string object received for {name}. "
            f"Wrap a single text in a list: [{name}]."
        )
    if X is None:
        raise ValueError(
            f"{name} is None: a list, array, Series or DataFrame of texts is expected."
        )
    if sp.issparse(X):
        raise TypeError(
            f"{name} is a sparse matrix; sparse input is not supported: texts are expected."
        )


def check_text_elements(values, name, index=None, column=None):
    """Check that every element of a 1-D sequence is a string.

    ``index`` gives the labels to report (a pandas index); positions otherwise.
    """
    for position, value in enumerate(values):
        if isinstance(value, str):
            if not value.isascii():
                _check_encodable(value, name, _where(name, position, index, column))
            continue
        where = _where(name, position, index, column)
        if _is_missing(value):
            raise ValueError(
                f"{name} contains a missing value (NaN/None) at {where}; texts expected."
            )
        raise TypeError(
            f"{name} must hold strings, got {type(value).__name__} {value!r} at {where}."
        )


def _check_encodable(text, name, where):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{name} holds a text at {where} that is not valid Unicode: {exc.reason} "
            f"(character {exc.start}, {text[exc.start]!r}); such texts cannot be tokenized."
        ) from None


def _where(name, position, index, column):
    where = f"position {position}"
    if index is not None and not isinstance(index, pd.RangeIndex):
        where += f" (index label {index[position]!r})"
    if column is not None:
        where += f", column {column!r}"
    return where


def as_1d_texts(X, name="X"):
    """Return ``X`` as a list of strings if it is one-dimensional text input.

    Returns None when ``X`` is two-dimensional, so that the caller can take its
    own 2-D path.
    """
    _reject_non_collections(X, name)
    if isinstance(X, pd.DataFrame):
        return None
    if not isinstance(X, (list, tuple, np.ndarray, pd.Series)) and hasattr(X, "__array__"):
        X = np.asarray(X)
    if isinstance(X, pd.Series):
        values = X.to_numpy(dtype=object)
        check_text_elements(values, name, index=X.index)
        return _non_empty(list(values), name)
    if isinstance(X, np.ndarray):
        if X.ndim != 1:
            return None
        if X.dtype.kind in "biufcmM":
            raise ValueError(
                f"{name} is a 1-D array of {X.dtype} values, where texts are expected. "
                "Reshape your data either using array.reshape(-1, 1) if it holds a single "
                "column or array.reshape(1, -1) if it holds a single row of a 2-D input."
            )
        values = list(X)
        check_text_elements(values, name)
        return _non_empty(values, name)
    try:
        values = list(X)
    except TypeError:
        raise TypeError(
            f"{name} must be a list, tuple, array, Series or DataFrame of texts, "
            f"got {type(X).__name__}."
        ) from None
    if values and all(_is_row(v) for v in values):
        return None
    check_text_elements(values, name)
    return _non_empty(values, name)


def _is_row(value):
    return isinstance(value, (list, tuple, np.ndarray))


def _non_empty(values, name):
    if len(values) == 0:
        raise ValueError(f"{name} is empty: at least one text is needed.")
    return values


def cells_as_text(values, name, index=None, columns=None):
    """Check a 2-D object array of cells; strings pass, finite numbers become text.

    Returns an object array of strings of the same shape. Missing values, inf
    and other objects are errors naming the row and column.
    """
    out = np.empty(values.shape, dtype=object)
    for (row, col), value in np.ndenumerate(values):
        column = columns[col] if columns is not None else col
        if isinstance(value, str):
            if not value.isascii():
                _check_encodable(value, name, f"row {row}, column {column!r}")
            out[row, col] = value
        elif _is_missing(value):
            raise ValueError(
                f"{name} contains NaN (a missing value) at {_where('X', row, index, None)}, "
                f"column {column!r}; texts expected."
            )
        elif isinstance(value, (numbers.Real, np.number)) and not isinstance(value, bool):
            if not np.isfinite(value):
                raise ValueError(
                    f"{name} contains inf at {_where('X', row, index, None)}, column {column!r}."
                )
            out[row, col] = str(value)
        else:
            raise TypeError(
                f"{name} must hold strings (or numbers, formatted as text), got "
                f"{type(value).__name__} {value!r} at row {row}, column {column!r}."
            )
    return out


# --------------------------------------------------------------------------
# pair input


def as_pairs(X, premise_column=None, hypothesis_column=None, name="X"):
    """Return ``(premises, hypotheses)`` as two lists of strings."""
    _reject_non_collections(X, name)
    if isinstance(X, pd.DataFrame):
        return _pairs_from_frame(X, premise_column, hypothesis_column, name)
    if premise_column is not None or hypothesis_column is not None:
        raise ValueError(
            "premise_column and hypothesis_column select columns of a DataFrame; "
            f"{name} is a {type(X).__name__}. Pass a DataFrame or leave them as None."
        )
    if isinstance(X, np.ndarray):
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(
                f"{name} must have 2 columns (premise, hypothesis), got an array of "
                f"shape {X.shape}."
            )
        rows = X.tolist()
    else:
        try:
            rows = list(X)
        except TypeError:
            raise TypeError(
                f"{name} must be an (n, 2) array, a list of (premise, hypothesis) pairs "
                f"or a DataFrame, got {type(X).__name__}."
            ) from None
    if len(rows) == 0:
        raise ValueError(f"{name} is empty: at least one (premise, hypothesis) pair is needed.")
    for position, row in enumerate(rows):
        if isinstance(row, str) or not hasattr(row, "__len__"):
            raise TypeError(
                f"{name} must hold (premise, hypothesis) pairs, got {type(row).__name__} "
                f"{row!r} at position {position}."
            )
        if len(row) != 2:
            raise ValueError(
                f"{name} must hold (premise, hypothesis) pairs, the row at position "
                f"{position} has {len(row)} elements."
            )
    premises = [row[0] for row in rows]
    hypotheses = [row[1] for row in rows]
    check_text_elements(premises, name, column="premise")
    check_text_elements(hypotheses, name, column="hypothesis")
    return premises, hypotheses


def _pairs_from_frame(X, premise_column, hypothesis_column, name):
    if (premise_column is None) != (hypothesis_column is None):
        raise ValueError("Set both premise_column and hypothesis_column, or neither.")
    if premise_column is None:
        if X.shape[1] != 2:
            raise ValueError(
                f"{name} must have 2 columns (premise, hypothesis), got {X.shape[1]} "
                f"columns {list(X.columns)!r}; set premise_column and hypothesis_column "
                "to choose two."
            )
        premise_column, hypothesis_column = X.columns
    for column in (premise_column, hypothesis_column):
        if column not in X.columns:
            raise ValueError(
                f"{name} has no column {column!r}; its columns are {list(X.columns)!r}."
            )
    if len(X) == 0:
        raise ValueError(f"{name} is empty: at least one (premise, hypothesis) pair is needed.")
    premises = X[premise_column].to_numpy(dtype=object)
    hypotheses = X[hypothesis_column].to_numpy(dtype=object)
    check_text_elements(premises, name, index=X.index, column=premise_column)
    check_text_elements(hypotheses, name, index=X.index, column=hypothesis_column)
    return list(premises), list(hypotheses)
