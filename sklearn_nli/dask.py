"""Score Dask collections with the sklearn_nli estimators, one partition at a time.

The result is lazy and its partitions line up with those of ``X`` (same number,
same index), so it joins back onto the input; it runs on whatever scheduler is
active, a ``dask.distributed`` cluster included. What travels to the workers is
the pickled estimator (parameters and fitted attributes, a few kilobytes, never
the weights), one key of the task graph shared by all partitions; each worker
loads the model on its first partition and keeps it. ``device`` and
``batch_size`` are the estimator's own and apply in each worker. Each partition
goes to the estimator as it is, so a bad cell is reported as the estimator
reports it, after the partition's number.

Install with ``pip install "sklearn-nli[dask]"``.
"""

from __future__ import annotations

import copy

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

from ._errors import InputError, InvalidTypeError
from ._inputs import in_place, pair_columns, reject_non_collections, select_columns
from ._pairs import NLIPairScorer

__all__ = ["predict", "predict_proba"]


def predict_proba(estimator, X):
    """Class probabilities of every row of a Dask collection.

    Parameters
    ----------
    estimator : ZeroShotNLIClassifier or NLIPairScorer
        A fitted estimator, copied when this function is called.
    X : dask.dataframe.Series, dask.dataframe.DataFrame or dask.bag.Bag
        What the estimator's own ``predict_proba`` takes, in partitions: texts
        (a Series, a DataFrame of text columns, a Bag of strings) or pairs (a
        DataFrame with two columns or the estimator's ``premise_column`` and
        ``hypothesis_column``, a Bag of ``(premise, hypothesis)`` tuples).

    Returns
    -------
    proba : dask.dataframe.DataFrame
        Lazy; one float64 column per class, named by
        ``estimator.get_feature_names_out()``, with the index and divisions of
        ``X`` (a Bag's partitions are indexed from 0).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        When ``estimator`` is not fitted (raised here, before any work).
    TypeError, ValueError
        When computed, for a bad cell: the estimator's message, after the
        partition's number.

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
        Lazy; a Series named ``"prediction"``, or for a multi-label
        classifier a DataFrame of 0/1 columns named by the classes, lined up
        with ``X`` as in :func:`predict_proba`.

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


def _score(estimator, X, method):
    check_is_fitted(estimator)
    reject_non_collections(X)
    pairs = isinstance(estimator, NLIPairScorer)
    if isinstance(X, dd.DataFrame) and pairs:
        X = select_columns(
            X, pair_columns(X.columns, estimator.premise_column, estimator.hypothesis_column)
        )
    elif isinstance(X, dd.Series) and pairs:
        raise InvalidTypeError(
            "NLIPairScorer needs pairs: pass a Dask DataFrame with a premise and a "
            "hypothesis column, or a Bag of (premise, hypothesis) tuples, not a Series."
        )
    elif not isinstance(X, (dd.DataFrame, dd.Series, db.Bag)):
        raise InvalidTypeError(
            f"X must be a Dask Series, DataFrame or Bag, got {type(X).__module__}."
            f"{type(X).__name__}. For data in memory, call estimator.{method}(X) directly."
        )
    # One copy, one graph key: serialised once per compute, sent once to each worker.
    shipped = dask.delayed(copy.deepcopy(estimator), pure=True)
    meta = _output_meta(estimator, method)
    if isinstance(X, db.Bag):
        parts = X.to_delayed()
        scored = [dask.delayed(_run)(p, shipped, method, i, True) for i, p in enumerate(parts)]
        return dd.from_delayed(scored, meta=meta, verify_meta=False)
    return X.map_partitions(
        _run, shipped, method, meta=meta, transform_divisions=False, align_dataframes=False
    )


def _output_meta(estimator, method):
    names = [str(name) for name in estimator.get_feature_names_out()]
    if method == "predict_proba":
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in names})
    if getattr(estimator, "multi_label", False):
        return pd.DataFrame({name: pd.Series(dtype="int64") for name in names})
    classes = np.asarray(estimator.classes_)
    return pd.Series(
        dtype=classes.dtype if classes.dtype.kind in "biuf" else object, name="prediction"
    )


def _run(data, estimator, method, number=None, bag=False, partition_info=None):
    """Score one partition (a pandas object, or a Bag's list of items) with the estimator."""
    if partition_info is not None:
        number = partition_info["number"]
    if bag:
        data = list(data)
        if isinstance(estimator, NLIPairScorer) and estimator.premise_column is not None:
            estimator = copy.copy(estimator)  # a Bag's pairs are tuples, not named columns
            estimator.premise_column = estimator.hypothesis_column = None
    index = pd.RangeIndex(len(data)) if bag else data.index
    meta = _output_meta(estimator, method)
    if len(data) == 0:
        return meta.set_axis(index)
    try:
        result = getattr(estimator, method)(data)
    except InputError as exc:
        raise in_place(exc, f"partition {number} of the Dask collection") from None
    if isinstance(meta, pd.Series):
        return pd.Series(result, index=index, name=meta.name, dtype=meta.dtype)
    return pd.DataFrame(np.asarray(result), index=index, columns=meta.columns)
