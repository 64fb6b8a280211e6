"""User data in, texts and pairs out: the one place that converts and checks input.

The estimators, the command line and the Dask helpers all hand their data to
these functions, so the same bad cell gives the same message wherever it comes
from. A message names where the problem is:

- ``row 7``: the position in a list or array, or the label of a pandas
  ``RangeIndex`` (the row numbers pandas gives by default);
- ``index label 'a'``: the label of any other pandas index, written as the user
  wrote it (``12``, never ``np.int64(12)``);
- ``column 'title'``: the column, for tables;

and callers that read from somewhere larger (a file, a partition) put that
place in front with :func:`error_with_place`.

Tables of other libraries (polars, pyarrow, any object with the dataframe
interchange protocol's ``__dataframe__`` or Arrow's ``__arrow_c_stream__``) are
read as pandas first (:func:`as_pandas`), so they are checked, and named in
messages, the same way.
"""

from __future__ import annotations

import numbers
import sys

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils.validation import check_array, validate_data

from ._errors import InputError, InvalidInputTypeError, InvalidInputValueError, InvalidValueError

# --------------------------------------------------------------------------
# locations and messages


def is_missing(value):
    """Whether ``value`` is None, NaN, NA or NaT."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


def _is_number(value):
    return isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_))


def _plain(value):
    """A numpy scalar as the Python value it stands for (``np.int64(12)`` -> ``12``)."""
    return value.item() if isinstance(value, np.generic) else value


def where(position, index=None, column=None):
    """Name the row at ``position`` (by its index label where ``index`` has one) and column."""
    if index is None:
        place = f"row {position}"
    elif isinstance(index, pd.RangeIndex):
        place = f"row {index[position]}"
    else:
        place = f"index label {_plain(index[position])!r}"
    if column is not None:
        place += f", column {_plain(column)!r}"
    return place


def error_with_place(exc, place):
    """``exc`` again, its message prefixed by the larger place it happened in.

    ``place`` is e.g. ``"file 'news.csv'"`` or ``"partition 3 of the Dask
    collection"``. The exception keeps its type, so callers catch it as before.
    """
    message = f"In {place}: {exc}"
    try:
        return type(exc)(message)
    except Exception:  # an exception type whose constructor takes other arguments
        base = InvalidInputTypeError if isinstance(exc, TypeError) else InvalidInputValueError
        return base(message)


def _missing_error(name, place):
    return InvalidInputValueError(
        f"{name} contains a missing value (NaN/None) at {place}; texts expected."
    )


def _type_error(name, value, place):
    return InvalidInputTypeError(
        f"{name} must hold strings, got {type(value).__name__} {value!r} at {place}."
    )


def _check_encodable(text, name, place):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputValueError(
            f"{name} holds a text at {place} that is not valid Unicode: {exc.reason} "
            f"(character {exc.start}, {text[exc.start]!r}); such texts cannot be tokenized."
        ) from None


# --------------------------------------------------------------------------
# tables of other libraries


def as_pandas(X):
    """``X`` as a pandas object if it is another library's DataFrame or Series; else ``X``.

    polars DataFrames and Series are read column by column (``to_numpy``: no
    pyarrow needed; polars 2 no longer offers the interchange protocol); other
    tables through the dataframe interchange protocol (``__dataframe__``:
    pyarrow, Modin, ...) or, failing that, the Arrow stream interface
    (``__arrow_c_stream__``, read with pyarrow). Rows are numbered from 0, as in
    a pandas ``RangeIndex``, and missing cells become NaN, so messages name
    rows and columns as they do for pandas.
    """
    if isinstance(X, (pd.DataFrame, pd.Series)):  # pandas' own __dataframe__ would be a detour
        return X
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(X, polars.Series):
        return pd.Series(X.to_numpy(), name=X.name or None)  # unnamed: "", as pandas' None
    if polars is not None and isinstance(X, polars.DataFrame):
        return pd.DataFrame({name: X.get_column(name).to_numpy() for name in X.columns})
    if hasattr(X, "__dataframe__"):
        return pd.api.interchange.from_dataframe(X, allow_copy=True)
    if hasattr(X, "__arrow_c_stream__") and not hasattr(X, "__array__"):  # a table, not 1-D
        try:
            import pyarrow
        except ImportError:
            raise InvalidInputTypeError(
                f"X is a {type(X).__name__}, a table read through Arrow: install pyarrow "
                "(pip install pyarrow), or pass a pandas DataFrame."
            ) from None
        return pyarrow.table(X).to_pandas()
    return X


# --------------------------------------------------------------------------
# texts


def reject_non_collections(X, name="X", single="a single text in a list: [X]"):
    """Reject a bare string, None and sparse matrices, with what to pass instead."""
    if isinstance(X, (str, bytes)):
        raise InvalidInputValueError(
            f"Iterable over raw text documents expected, string object received for {name}. "
            f"Wrap {single.replace('X', name)}."
        )
    if X is None:
        raise InvalidInputValueError(
            f"{name} is None: a list, array, Series or DataFrame of texts is expected."
        )
    if sp.issparse(X):
        raise InvalidInputTypeError(
            f"{name} is a sparse matrix; sparse input is not supported: texts are expected."
        )


def check_text_elements(values, name="X", index=None, column=None):
    """Check that every element of a 1-D sequence is a string.

    ``index`` (a pandas index) names rows by label; positions otherwise.
    """
    for position, value in enumerate(values):
        if isinstance(value, str):
            if not value.isascii():
                _check_encodable(value, name, where(position, index, column))
            continue
        place = where(position, index, column)
        if is_missing(value):
            raise _missing_error(name, place)
        raise _type_error(name, value, place)


def as_1d_texts(X, name="X"):
    """Return ``X`` as a list of strings if it is one-dimensional text input.

    Returns None when ``X`` is two-dimensional, so that the caller can take its
    own 2-D path (:func:`join_text_columns`). ``X`` is expected in pandas form
    already where it is a table (:func:`as_pandas`).
    """
    reject_non_collections(X, name)
    if isinstance(X, pd.DataFrame):
        return None
    if not isinstance(X, (list, tuple, np.ndarray, pd.Series)) and hasattr(X, "__array__"):
        X = np.asarray(X)
    if isinstance(X, pd.Series):
        values = X.to_numpy(dtype=object)
        check_text_elements(values, name, index=X.index, column=X.name)
        return _non_empty(list(values), name)
    if isinstance(X, np.ndarray):
        if X.ndim != 1:
            return None
        if X.dtype.kind in "biufcmM":
            raise InvalidInputValueError(
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
        raise InvalidInputTypeError(
            f"{name} must be a list, tuple, array, Series or DataFrame of texts, "
            f"got {type(X).__name__}."
        ) from None
    if values and all(isinstance(v, (list, tuple, np.ndarray)) for v in values):
        return None
    check_text_elements(values, name)
    return _non_empty(values, name)


def _non_empty(values, name, what="text"):
    if len(values) == 0:
        raise InvalidInputValueError(f"{name} is empty: at least one {what} is needed.")
    return values


def cells_as_text(values, name="X", index=None, columns=None, missing="error"):
    """Check a 2-D object array of cells and return it as strings, same shape.

    Strings pass. A column that holds no string at all (a numeric column, such
    as a year) is written as text; a number in a column that holds text is an
    error, as in 1-D input. Missing values are errors, or ``None`` in the
    result with ``missing="skip"``; infinities and other objects are errors.
    """
    numeric = [
        not any(isinstance(v, str) for v in values[:, col]) for col in range(values.shape[1])
    ]
    out = np.empty(values.shape, dtype=object)
    for (row, col), value in np.ndenumerate(values):
        column = columns[col] if columns is not None else col
        if isinstance(value, str):
            if not value.isascii():
                _check_encodable(value, name, where(row, index, column))
            out[row, col] = value
        elif is_missing(value):
            if missing != "skip":
                raise _missing_error(name, where(row, index, column))
            out[row, col] = None
        elif numeric[col] and _is_number(value):
            if not np.isfinite(value):
                raise InvalidInputValueError(f"{name} contains inf at {where(row, index, column)}.")
            out[row, col] = str(value)
        else:
            raise _type_error(name, value, where(row, index, column))
    return out


def join_text_columns(cells, name="X", index=None, columns=None):
    """One text per row of a checked cell array: its present cells joined with a space."""
    texts = []
    for row, cells_of_row in enumerate(cells):
        present = [cell for cell in cells_of_row if cell is not None]
        if not present:
            raise InvalidInputValueError(
                f"{name} has no text in any column at {where(row, index)}: every cell is missing."
            )
        texts.append(" ".join(present))
    return texts


def select_columns(frame, columns, name="X"):
    """``frame[columns]``, or an error that lists the columns there are."""
    for column in columns:
        if column not in frame.columns:
            raise InvalidInputValueError(
                f"{name} has no column {_plain(column)!r}; its columns are "
                f"{[_plain(c) for c in frame.columns]!r}."
            )
    return frame[list(columns)]


# --------------------------------------------------------------------------
# pairs

_SINGLE_PAIR = "a single pair in a list of (premise, hypothesis) tuples: [(premise, hypothesis)]"


def as_pairs(X, premise_column=None, hypothesis_column=None, name="X"):
    """Return ``(premises, hypotheses)`` as two lists of strings."""
    reject_non_collections(X, name, single=_SINGLE_PAIR)
    X = as_pandas(X)
    if isinstance(X, pd.DataFrame):
        return _pairs_from_frame(X, premise_column, hypothesis_column, name)
    if premise_column is not None or hypothesis_column is not None:
        raise InvalidInputValueError(
            "premise_column and hypothesis_column select columns of a DataFrame; "
            f"{name} is a {type(X).__name__}. Pass a DataFrame or leave them as None."
        )
    if isinstance(X, np.ndarray):
        if X.ndim != 2 or X.shape[1] != 2:
            raise InvalidInputValueError(
                f"{name} must have 2 columns (premise, hypothesis), got an array of "
                f"shape {X.shape}."
            )
        rows = X.tolist()
    else:
        try:
            rows = list(X)
        except TypeError:
            raise InvalidInputTypeError(
                f"{name} must be an (n, 2) array, a list of (premise, hypothesis) pairs "
                f"or a DataFrame, got {type(X).__name__}."
            ) from None
    _non_empty(rows, name, "(premise, hypothesis) pair")
    for position, row in enumerate(rows):
        if isinstance(row, str) or not hasattr(row, "__len__"):
            raise InvalidInputTypeError(
                f"{name} must hold (premise, hypothesis) pairs, got {type(row).__name__} "
                f"{row!r} at {where(position)}."
            )
        if len(row) != 2:
            raise InvalidInputValueError(
                f"{name} must hold (premise, hypothesis) pairs, the pair at {where(position)} "
                f"has {len(row)} elements."
            )
    premises = [row[0] for row in rows]
    hypotheses = [row[1] for row in rows]
    check_text_elements(premises, name, column="premise")
    check_text_elements(hypotheses, name, column="hypothesis")
    return premises, hypotheses


def pair_columns(columns, premise_column=None, hypothesis_column=None, name="X"):
    """The (premise, hypothesis) column names of a table with ``columns``."""
    if (premise_column is None) != (hypothesis_column is None):
        raise InvalidInputValueError("Set both premise_column and hypothesis_column, or neither.")
    if premise_column is not None:
        return [premise_column, hypothesis_column]
    columns = list(columns)
    if len(columns) != 2:
        raise InvalidInputValueError(
            f"{name} must have 2 columns (premise, hypothesis), got {len(columns)} "
            f"columns {[_plain(c) for c in columns]!r}; set premise_column and "
            "hypothesis_column to choose two."
        )
    return columns


def _pairs_from_frame(X, premise_column, hypothesis_column, name):
    columns = pair_columns(X.columns, premise_column, hypothesis_column, name)
    frame = select_columns(X, columns, name)
    _non_empty(frame, name, "(premise, hypothesis) pair")
    premises = frame.iloc[:, 0].to_numpy(dtype=object)
    hypotheses = frame.iloc[:, 1].to_numpy(dtype=object)
    check_text_elements(premises, name, index=X.index, column=columns[0])
    check_text_elements(hypotheses, name, index=X.index, column=columns[1])
    return list(premises), list(hypotheses)


# --------------------------------------------------------------------------
# targets

_SINGULAR = {"texts": "text", "pairs": "pair"}


def check_training_data(n_samples, y, n_epochs, what):
    """Fine-tuning needs both X and y: say which is missing (``n_samples`` None: no X)."""
    if n_samples is not None and y is not None:
        return
    given = (
        "neither X nor y"
        if n_samples is None and y is None
        else ("no X" if n_samples is None else "no y")
    )
    raise InvalidInputValueError(
        f"n_epochs={n_epochs} fine-tunes the model on labelled {what}, but fit got {given}: "
        f"pass the {what} as X and their labels as y, or set n_epochs=0 for zero-shot use."
    )


def check_y(y, n_samples, what, n_columns=None):
    """Check the targets ``y`` of ``n_samples`` texts or pairs (``what``); return them as an array.

    Without ``n_columns``, one class label per sample (1-D; a column vector is
    raveled with a warning); with it, a binary indicator matrix of shape
    ``(n_samples, n_columns)``, returned as integers. ``n_samples`` None (fit
    got no X) skips the length check. Every message names where ``y`` is wrong.
    """
    _check_y_entries(y, n_samples, what)
    return _check_y_values(y, what, n_columns)


def check_partly_labelled_y(y, n_samples):
    """``y`` of texts where ``-1`` marks an unlabelled one: ``(labels, unlabelled mask)``.

    ``labels`` holds the checked labels of the labelled texts (None when there
    are none); as in scikit-learn's semi-supervised module, ``-1`` is the
    integer -1 in an integer or object ``y``, never a string.
    """
    values = _check_y_entries(y, n_samples, "texts")
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise InvalidInputValueError(
            f"y has shape {values.shape}: with unlabelled texts (-1), y holds one label per text."
        )
    mask = np.fromiter(map(_is_unlabelled, values), dtype=bool, count=len(values))
    if mask.all():
        return None, mask
    labelled = values[~mask]
    if all(isinstance(v, numbers.Integral) for v in labelled):
        labelled = labelled.astype(np.int64)
    return _check_y_values(labelled, "texts", None), mask


def _is_unlabelled(value):
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, (bool, np.bool_))
        and value == -1
    )


def _check_y_entries(y, n_samples, what):
    """What every ``y`` needs: array-like, one entry per sample, none missing.

    Returns ``y`` as an object array.
    """
    singular = _SINGULAR[what]
    labels = np.asarray(y, dtype=object)
    if labels.ndim == 0:
        raise InvalidInputTypeError(
            f"y must be array-like, one label per {singular}, got {type(y).__name__}."
        )
    if n_samples is not None and len(labels) != n_samples:
        raise InvalidInputValueError(
            f"X and y have inconsistent numbers of samples: X has {n_samples} {what} "
            f"and y has {len(labels)} labels; give one label per {singular}."
        )
    for position, value in np.ndenumerate(labels):
        if is_missing(value):
            column = f", column {position[1]}" if len(position) > 1 else ""
            raise InvalidInputValueError(
                f"y has a missing value ({value!r}) at row {position[0]}{column}: every "
                f"{singular} needs a label. Drop the unlabelled {what} or label them"
                + (
                    "; with class_prior or self_training_rounds set, -1 marks an unlabelled text."
                    if what == "texts" and not column
                    else "."
                )
            )
    return labels


def _check_y_values(y, what, n_columns):
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_array, column_or_1d

    y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
    if n_columns is not None:
        if y.ndim != 2 or y.shape[1] != n_columns:
            raise InvalidInputValueError(
                f"multi_label=True expects y as a binary indicator matrix of shape "
                f"(n_samples, {n_columns}) with one column per candidate label; "
                f"got shape {y.shape}."
            )
        if not np.isin(y, (0, 1)).all():
            raise InvalidInputValueError("multi_label=True expects y to hold only 0 and 1.")
        return y.astype(int)
    if what == "pairs" and y.ndim != 1:
        raise InvalidInputValueError(f"y must be 1-D (one label per pair), got shape {y.shape}.")
    if y.ndim == 2 and y.shape[1] > 1:
        raise InvalidInputValueError(
            f"y has shape {y.shape}: single-label mode expects one label per sample. "
            "For a binary indicator matrix, set multi_label=True."
        )
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    return y


def check_learnable(y, what):
    """Fine-tuning's rule: ``y`` (checked) holds at least 2 classes, or both 1s and 0s."""
    if y.ndim == 2:
        if (y == y.flat[0]).all():
            raise InvalidInputValueError(
                f"y holds only {y.flat[0]}s: fine-tuning needs {what} with and without "
                "labels (both 1s and 0s in y) to learn from."
            )
        return
    present = np.unique(y)
    if len(present) < 2:
        raise InvalidInputValueError(
            f"y holds a single class ({present.tolist()!r}): fine-tuning needs labelled "
            f"{what} of at least 2 classes, to learn what tells them apart."
        )


__all__ = [
    "InputError",
    "as_1d_texts",
    "as_pairs",
    "as_pandas",
    "cells_as_text",
    "check_learnable",
    "check_partly_labelled_y",
    "check_text_elements",
    "check_training_data",
    "check_unlabelled_fit",
    "check_y",
    "error_with_place",
    "is_missing",
    "join_text_columns",
    "pair_columns",
    "reject_non_collections",
    "select_columns",
    "text_per_sample",
    "where",
]


def text_per_sample(estimator, X, *, reset, missing="error"):
    """Validate ``X`` (1-D texts or 2-D text columns) for ``estimator``; one text per sample.

    2-D input goes through scikit-learn's ``validate_data`` (``reset`` as
    there), which records ``n_features_in_`` and ``feature_names_in_``.
    """
    X = as_pandas(X)
    texts = as_1d_texts(X)
    if texts is not None:
        if not reset and hasattr(estimator, "n_features_in_"):
            raise InvalidValueError(
                f"X is 1-D, but {type(estimator).__name__} was fitted on 2-D input with "
                f"{estimator.n_features_in_} text columns; pass the same columns."
            )
        return texts
    index = getattr(X, "index", None)
    columns = list(X.columns) if hasattr(X, "columns") else None
    kwargs = {"dtype": None, "ensure_all_finite": False}
    if reset or hasattr(estimator, "n_features_in_"):
        cells = validate_data(estimator, X, reset=reset, **kwargs)
    else:
        cells = check_array(X, **kwargs)
    cells = cells_as_text(cells, "X", index=index, columns=columns, missing=missing)
    return join_text_columns(cells, "X", index=index)


def check_unlabelled_fit(params, texts, y):
    """Check a fit that learns from unlabelled texts: ``(labels, unlabelled mask)``.

    ``labels`` holds the checked labels of the labelled texts (None when no
    text has one); a ``-1`` in ``y`` marks an unlabelled text, and no ``y``
    makes every text unlabelled.
    """
    rounds, n_epochs = params["self_training_rounds"], params["n_epochs"]
    wanted = " and ".join(
        f"{name}={params[name]!r}"
        for name in ("class_prior", "self_training_rounds")
        if params[name] not in (None, 0)
    )
    if params["multi_label"]:
        raise InvalidValueError(
            f"{wanted} work in single-label mode only; with multi_label=True "
            "set class_prior=None and self_training_rounds=0."
        )
    if texts is None:
        raise InvalidValueError(
            f"{wanted} learn from the texts to classify, but fit got no X: "
            "pass them as X (unlabelled ones marked -1 in y, or no y at all)."
        )
    if rounds and n_epochs == 0:
        raise InvalidValueError(
            f"self_training_rounds={rounds} fine-tunes the model on its pseudo-labels in "
            "each round, for n_epochs epochs, but n_epochs=0: set n_epochs (2 is a good "
            "start on unlabelled texts alone)."
        )
    if y is None:
        labels, unlabelled = None, np.ones(len(texts), dtype=bool)
    else:
        labels, unlabelled = check_partly_labelled_y(y, len(texts))
    if y is not None and labels is None and params["candidate_labels"] is None:
        raise InvalidValueError(
            "y marks every text as unlabelled (-1) and candidate_labels is not set, so "
            "there are no classes: set candidate_labels, or label some texts."
        )
    if rounds and not unlabelled.any():
        raise InvalidValueError(
            f"self_training_rounds={rounds} pseudo-labels unlabelled texts, but every "
            "text of X has a label: mark the unlabelled ones -1 in y (or pass them in X "
            "with no y and set candidate_labels)."
        )
    if n_epochs > 0 and labels is not None:
        check_learnable(labels, "texts")
    elif n_epochs > 0 and not rounds:
        given = "no y" if y is None else "a y that marks every text as unlabelled (-1)"
        raise InvalidValueError(
            f"n_epochs={n_epochs} fine-tunes the model on labelled texts, but fit got {given}: "
            "label some texts in y, set self_training_rounds to learn from pseudo-labels, or "
            "set n_epochs=0 to use class_prior alone."
        )
    return labels, unlabelled
