"""Score Dask collections with the sklearn_nli estimators, one partition at a time.

``predict_proba(estimator, X)`` and ``predict(estimator, X)`` take a fitted
estimator and a Dask Series, DataFrame or Bag, and return a lazy Dask
DataFrame (or Series) whose partitions line up with those of ``X``: same
number, same index, so the result joins back onto the input. They run on
whatever scheduler is active, a ``dask.distributed`` cluster included.

What travels to the workers is the pickled estimator: its parameters and
fitted attributes, a few kilobytes, never the weights. It is one key of the
task graph, shared by all partitions. Each worker process loads the model on
its first partition and keeps it (the engine caches one model per process),
so a worker loads it once however many partitions, estimators or calls use
it. ``device`` and ``batch_size`` are the estimator's own parameters and apply
in each worker: ``device="auto"`` picks the GPU that the worker sees.

Install with ``pip install "sklearn-nli[dask]"``.
"""

from __future__ import annotations

import copy
import numbers

import numpy as np
import pandas as pd

try:
    import dask
    import dask.bag as db
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - exercised without dask only
    raise ImportError(
        'sklearn_nli.dask needs Dask: install it with pip install "sklearn-nli[dask]" '
        '(or pip install "dask[dataframe,distributed]").'
    ) from exc

from sklearn.utils.validation import check_is_fitted

from ._pairs import NLIPairScorer
from ._validation import _is_missing

__all__ = ["predict", "predict_proba"]


def predict_proba(estimator, X):
    """Class probabilities of every row of a Dask collection.

    Parameters
    ----------
    estimator : ZeroShotNLIClassifier or NLIPairScorer
        A fitted estimator (any fitted estimator that takes texts works too).
        It is copied when this function is called; later changes to it do
        not reach the result.
    X : dask.dataframe.Series, dask.dataframe.DataFrame or dask.bag.Bag
        For ``ZeroShotNLIClassifier``: a Series of texts, a DataFrame of text
        columns (one column, or several joined per row as the estimator
        does), or a Bag of strings. For ``NLIPairScorer``: a DataFrame with two
        columns (premise, hypothesis), or the two named by its
        ``premise_column`` / ``hypothesis_column``, or a Bag of
        ``(premise, hypothesis)`` tuples.

    Returns
    -------
    proba : dask.dataframe.DataFrame
        Lazy; one float64 column per class, named by
        ``estimator.get_feature_names_out()`` (the classes as strings, in
        ``classes_`` order). For a Series or DataFrame input, partition ``i``
        holds the rows of input partition ``i`` with the same index and
        divisions, so ``X.join(proba)`` lines up. For a Bag, each partition's
        index counts from 0.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        When ``estimator`` is not fitted (raised here, before any work).
    TypeError, ValueError
        When computed: a partition holding a missing value or a non-string,
        with the message naming the partition number, the row within the
        partition, its index label and the column.

    See Also
    --------
    predict : The predicted classes, the same way.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> from sklearn_nli import ZeroShotNLIClassifier
    >>> from sklearn_nli.dask import predict_proba
    >>> clf = ZeroShotNLIClassifier(model_path, candidate_labels=["sports", "politics"]).fit()
    >>> texts = pd.Series(["The match went to extra time.", "Parliament passed the budget.",
    ...                    "The striker scored twice."], name="text")
    >>> proba = predict_proba(clf, dd.from_pandas(texts, npartitions=2))
    >>> proba.columns.tolist(), proba.npartitions
    (['politics', 'sports'], 2)
    >>> result = proba.compute()  # on the active scheduler, e.g. a distributed Client
    >>> result.shape, bool(abs(result.to_numpy() - clf.predict_proba(texts)).max() < 1e-6)
    ((3, 2), True)
    """
    return _score(estimator, X, "predict_proba")


def predict(estimator, X):
    """Predicted class of every row of a Dask collection.

    Parameters
    ----------
    estimator : ZeroShotNLIClassifier or NLIPairScorer
        A fitted estimator; see :func:`predict_proba`.
    X : dask.dataframe.Series, dask.dataframe.DataFrame or dask.bag.Bag
        Texts or pairs; see :func:`predict_proba`.

    Returns
    -------
    y_pred : dask.dataframe.Series or dask.dataframe.DataFrame
        Lazy; a Series named ``"prediction"`` holding the class of each row,
        or, for a multi-label ``ZeroShotNLIClassifier``, a DataFrame of 0/1
        columns named by the classes. Partitions line up with those of ``X``
        as in :func:`predict_proba`.

    See Also
    --------
    predict_proba : The class probabilities, the same way.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> from sklearn_nli import NLIPairScorer
    >>> from sklearn_nli.dask import predict
    >>> scorer = NLIPairScorer(model_path).fit()
    >>> pairs = pd.DataFrame({"premise": ["A man plays a guitar.", "A dog runs."],
    ...                       "hypothesis": ["A person makes music.", "A cat sleeps."]})
    >>> labels = predict(scorer, dd.from_pandas(pairs, npartitions=1)).compute()
    >>> labels.name, len(labels), set(labels) <= set(scorer.classes_)
    ('prediction', 2, True)
    """
    return _score(estimator, X, "predict")


# --------------------------------------------------------------------------
# plan: what to read from X and what comes out


def _score(estimator, X, method):
    check_is_fitted(estimator)
    if not hasattr(estimator, method):
        raise AttributeError(f"{type(estimator).__name__} has no method {method!r}.")
    pairs = isinstance(estimator, NLIPairScorer)
    meta = _output_meta(estimator, method)
    # One copy, one graph key: every partition's task depends on it, so the
    # estimator is serialised once per compute and sent once to each worker.
    shipped = dask.delayed(copy.deepcopy(estimator), pure=True)
    if isinstance(X, db.Bag):
        parts = [
            dask.delayed(_score_bag_partition, pure=True)(part, shipped, method, pairs, number)
            for number, part in enumerate(X.to_delayed())
        ]
        return dd.from_delayed(parts, meta=meta, verify_meta=False)
    if isinstance(X, dd.DataFrame):
        columns = _input_columns(estimator, X, pairs)
        X = X[columns]
    elif isinstance(X, dd.Series):
        if pairs:
            raise TypeError(
                "NLIPairScorer needs pairs: pass a Dask DataFrame with a premise and a "
                "hypothesis column, or a Bag of (premise, hypothesis) tuples, not a Series."
            )
    else:
        raise TypeError(
            "X must be a Dask Series, DataFrame or Bag, got "
            f"{type(X).__module__}.{type(X).__name__}. For data in memory, call "
            f"estimator.{method}(X) directly."
        )
    return X.map_partitions(
        _score_frame_partition,
        shipped,
        method,
        pairs,
        meta=meta,
        transform_divisions=False,
        align_dataframes=False,
    )


def _input_columns(estimator, X, pairs):
    columns = list(X.columns)
    if not pairs:
        return columns
    premise = getattr(estimator, "premise_column", None)
    hypothesis = getattr(estimator, "hypothesis_column", None)
    if premise is None and hypothesis is None:
        if len(columns) != 2:
            raise ValueError(
                f"X must have 2 columns (premise, hypothesis), got {len(columns)} columns "
                f"{columns!r}; select two, or set the estimator's premise_column and "
                "hypothesis_column."
            )
        return columns
    for column in (premise, hypothesis):
        if column not in columns:
            raise ValueError(f"X has no column {column!r}; its columns are {columns!r}.")
    return [premise, hypothesis]


def _output_meta(estimator, method):
    names = [str(name) for name in estimator.get_feature_names_out()]
    if method == "predict_proba":
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in names})
    if getattr(estimator, "multi_label", False):
        return pd.DataFrame({name: pd.Series(dtype="int64") for name in names})
    classes = np.asarray(estimator.classes_)
    dtype = classes.dtype if classes.dtype.kind in "biuf" else object
    return pd.Series(dtype=dtype, name="prediction")


# --------------------------------------------------------------------------
# what runs in the workers


def _score_frame_partition(part, estimator, method, pairs, partition_info=None):
    number = None if partition_info is None else partition_info["number"]
    if isinstance(part, pd.Series):
        _check_texts(part.to_numpy(dtype=object), part.index, part.name, number, False)
    else:
        several = not pairs and part.shape[1] > 1  # numbers are joined as text there
        for column in part.columns:
            values = part[column].to_numpy(dtype=object)
            _check_texts(values, part.index, column, number, several)
    return _run(estimator, method, part, part.index, number)


def _score_bag_partition(items, estimator, method, pairs, number):
    items = list(items)
    index = pd.RangeIndex(len(items))
    if pairs:
        for position, item in enumerate(items):
            if isinstance(item, str) or not hasattr(item, "__len__") or len(item) != 2:
                raise TypeError(
                    "The Bag must hold (premise, hypothesis) pairs, got "
                    f"{type(item).__name__} {item!r} at {_where(number, position, None, None)}."
                )
        data = pd.DataFrame(
            [tuple(item) for item in items], columns=["premise", "hypothesis"], dtype=object
        )
        data = data.set_axis(index)
        for column in data.columns:
            _check_texts(data[column].to_numpy(dtype=object), None, column, number, False)
        if estimator.premise_column is not None:
            data.columns = [estimator.premise_column, estimator.hypothesis_column]
    else:
        data = pd.Series(items, index=index, dtype=object)
        _check_texts(data.to_numpy(dtype=object), None, None, number, False)
    return _run(estimator, method, data, index, number)


def _run(estimator, method, data, index, number):
    meta = _output_meta(estimator, method)
    if len(data) == 0:
        return meta.set_axis(index)
    try:
        result = getattr(estimator, method)(data)
    except (TypeError, ValueError) as exc:
        raise _in_partition(exc, number) from exc
    if isinstance(meta, pd.Series):
        return pd.Series(result, index=index, name=meta.name, dtype=meta.dtype)
    return pd.DataFrame(np.asarray(result), index=index, columns=meta.columns)


def _check_texts(values, index, column, number, allow_numbers):
    """Raise, naming partition, row, index label and column, at the first non-text."""
    for position, value in enumerate(values):
        if isinstance(value, str):
            continue
        if allow_numbers and _is_finite_number(value):
            continue
        where = _where(number, position, None if index is None else index[position], column)
        if _is_missing(value):
            raise ValueError(
                f"The Dask collection holds a missing value (NaN/None) at {where}, where a "
                "text is expected; drop or fill missing values first (X.dropna() or "
                "X.fillna(''))."
            )
        raise TypeError(
            f"The Dask collection must hold strings, got {type(value).__name__} {value!r} "
            f"at {where}."
        )


def _is_finite_number(value):
    return (
        isinstance(value, (numbers.Real, np.number))
        and not isinstance(value, (bool, np.bool_))
        and bool(np.isfinite(value))
    )


def _where(number, position, label, column):
    where = f"partition {number}, row {position} of the partition"
    if label is not None:
        where += f" (index label {label!r})"
    if column is not None:
        where += f", column {column!r}"
    return where


def _in_partition(exc, number):
    message = f"In partition {number} of the Dask collection: {exc}"
    try:
        return type(exc)(message)
    except Exception:
        return ValueError(message) if isinstance(exc, ValueError) else TypeError(message)
