"""Score Dask collections with the estimators, one partition at a time (lazily).

Workers get the pickled estimator (never the weights) as one graph key and load
the model once each. Partitions go to the estimator as they are, so a bad cell
is reported as the estimator reports it, after the partition's number.
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
    raise ImportError('sklearn_nli.dask needs Dask: pip install "sklearn-nli[dask]"') from exc

from sklearn.utils.validation import check_is_fitted

from ._docstrings import fill_doc
from ._errors import InputError, InvalidTypeError
from ._inputs import error_with_place, pair_columns, reject_non_collections, select_columns
from ._pairs import NLIPairScorer

__all__ = ["predict", "predict_proba"]


@fill_doc
def predict_proba(estimator, X):
    """Class probabilities of every row of a Dask collection.

    Parameters
    ----------
    %(dask_parameters)s

    Returns
    -------
    proba : dask.dataframe.DataFrame
        Lazy; one float64 column per class, named by
        ``estimator.get_feature_names_out()``, with the index and divisions of
        ``X`` (a Bag's partitions are indexed from 0).

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
    >>> texts = pd.Series(["Extra time decided it.", "Parliament passed the budget."])
    >>> proba = predict_proba(clf, dd.from_pandas(texts, npartitions=2))
    >>> proba.columns.tolist(), proba.npartitions
    (['politics', 'sports'], 2)
    >>> bool(abs(proba.compute().to_numpy() - clf.predict_proba(texts)).max() < 1e-6)
    True
    """
    return _score(estimator, X, "predict_proba")


@fill_doc
def predict(estimator, X):
    """Predicted class of every row of a Dask collection.

    Parameters
    ----------
    %(dask_parameters)s

    Returns
    -------
    y_pred : dask.dataframe.Series or dask.dataframe.DataFrame
        Lazy, lined up with ``X``: a Series named ``"prediction"``, or a
        DataFrame of 0/1 columns named by the classes for a multi-label one.

    See Also
    --------
    predict_proba : The class probabilities, the same way.

    Examples
    --------
    >>> from sklearn_nli import NLIPairScorer  # dd, pd as in predict_proba's example
    >>> pairs = pd.DataFrame({"premise": ["A man plays a guitar."], "hypothesis": ["A cat."]})
    >>> scorer = NLIPairScorer(model_path).fit()
    >>> labels = predict(scorer, dd.from_pandas(pairs, npartitions=1)).compute()
    >>> labels.name, labels.iloc[0] in scorer.classes_
    ('prediction', True)
    """
    return _score(estimator, X, "predict")


def _score(estimator, X, method):
    check_is_fitted(estimator)
    reject_non_collections(X)
    pairs = isinstance(estimator, NLIPairScorer)
    if pairs and isinstance(X, dd.Series):
        raise InvalidTypeError("NLIPairScorer needs pairs (a DataFrame or a Bag), not a Series.")
    if not isinstance(X, (dd.DataFrame, dd.Series, db.Bag)):
        raise InvalidTypeError(
            f"X must be a Dask Series, DataFrame or Bag, got {type(X).__module__}."
            f"{type(X).__name__}. For data in memory, call estimator.{method}(X) directly."
        )
    if pairs and isinstance(X, dd.DataFrame):
        columns = pair_columns(X.columns, estimator.premise_column, estimator.hypothesis_column)
        X = select_columns(X, columns)
    copied = copy.deepcopy(estimator)
    if pairs and isinstance(X, db.Bag):  # a Bag's pairs are tuples, not named columns
        copied.set_params(premise_column=None, hypothesis_column=None)
    # One copy, one graph key: serialised once per compute, sent once to each worker.
    shipped = dask.delayed(copied, pure=True)
    meta = _output_meta(estimator, method)
    if isinstance(X, db.Bag):
        parts = enumerate(X.to_delayed())
        scored = [dask.delayed(_run)(p, shipped, method, i, True) for i, p in parts]
        return dd.from_delayed(scored, meta=meta, verify_meta=False)
    return X.map_partitions(
        _run, shipped, method, meta=meta, transform_divisions=False, align_dataframes=False
    )


def _output_meta(estimator, method):
    if method == "predict" and not getattr(estimator, "multi_label", False):
        dtype = np.asarray(estimator.classes_).dtype
        return pd.Series(dtype=dtype if dtype.kind in "biuf" else object, name="prediction")
    names = [str(name) for name in estimator.get_feature_names_out()]
    return pd.DataFrame(columns=names, dtype="float64" if method == "predict_proba" else "int64")


def _run(data, estimator, method, number=None, bag=False, partition_info=None):
    """Score one partition (a pandas object, or a Bag's list of items) with the estimator."""
    number = number if partition_info is None else partition_info["number"]
    data = list(data) if bag else data
    index = pd.RangeIndex(len(data)) if bag else data.index
    meta = _output_meta(estimator, method)
    if len(data) == 0:  # an empty partition (e.g. after a filter)
        return meta.set_axis(index)
    try:
        result = getattr(estimator, method)(data)
    except InputError as exc:
        raise error_with_place(exc, f"partition {number} of the Dask collection") from None
    if isinstance(meta, pd.Series):
        return pd.Series(result, index=index, name=meta.name, dtype=meta.dtype)
    return pd.DataFrame(np.asarray(result), index=index, columns=meta.columns)
