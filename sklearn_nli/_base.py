"""What both estimators share: their engine parameters and the label lookup."""

from __future__ import annotations

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._engine import get_engine
from ._errors import InvalidValueError
from ._params import ENGINE_PARAMETERS, check_params


class _NLIEngineMixin:
    """Turns the ``model``, ``device``, ``precision``, ``backend``, ``batch_size``,
    ``max_length``, ``cache`` and ``show_progress_bar`` parameters into logits
    through the shared engine.

    The engine is looked up in the process-wide cache on every call and never
    stored on the estimator, so clones, pickles and ``__dict__`` stay free of
    weights.
    """

    def _check_engine_params(self):
        check_params(self, ENGINE_PARAMETERS)

    def _engine(self):
        self._check_engine_params()
        return get_engine(
            self.model, self.device, self.precision, self.backend, self.show_progress_bar
        )

    def _run_options(self):
        return {
            "batch_size": self.batch_size,
            "max_length": self.max_length,
            "progress": self.show_progress_bar,
            "cache": self.cache,
        }


class _ProbaFeaturesMixin(TransformerMixin):
    """``transform``: the class probabilities as features, one named column per class.

    A TransformerMixin itself: scikit-learn wraps ``transform`` for
    ``set_output`` only in the class that defines it.
    """

    def transform(self, X):
        """Return the class probabilities as features (same as ``predict_proba``).

        Parameters
        ----------
        X : array-like
            Texts or pairs, as ``predict_proba`` takes them.

        Returns
        -------
        features : ndarray of shape (n_samples, n_classes)
            ``predict_proba(X)``: one column per class, named by
            ``get_feature_names_out``.

        See Also
        --------
        predict_proba : What the columns hold.
        get_feature_names_out : The names of the columns.
        """
        return self.predict_proba(X)

    def get_feature_names_out(self, input_features=None):
        """Get the names of the ``transform`` columns: the classes, as strings.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Ignored; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The classes as strings, in ``classes_`` order.
        """
        check_is_fitted(self)
        return np.asarray([str(c) for c in self.classes_], dtype=object)


def find_label_column(labels, prefix, override, parameter):
    """Index of the model label that starts with ``prefix`` (case-insensitive).

    ``override`` (a label name or an index), when given, wins; it is the way out
    for models whose config names its labels ``LABEL_0``, ``LABEL_1``, ...
    """
    if override is not None:
        if isinstance(override, int):
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
    matches = [i for i, label in enumerate(labels) if label.lower().startswith(prefix)]
    if not matches:
        raise InvalidValueError(
            f"The model's config names no label starting with {prefix!r} (its labels are "
            f"{labels!r}), so the {prefix}... column cannot be found. Set {parameter} to the "
            "label name or column index that means it, e.g. "
            f"{parameter}={labels[0]!r} or {parameter}=0."
        )
    return matches[0]


def softmax(scores):
    """Row-wise softmax in float64, computed in place on a float64 copy."""
    proba = np.array(scores, dtype=np.float64)
    proba -= proba.max(axis=-1, keepdims=True)
    np.exp(proba, out=proba)
    proba /= proba.sum(axis=-1, keepdims=True)
    return proba
