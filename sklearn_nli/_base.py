"""What both estimators share: their engine parameters and the label lookup."""

from __future__ import annotations

import os

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._engine import get_engine, resolve_device
from ._errors import InvalidTypeError, InvalidValueError
from ._params import ENGINE_PARAMETERS, FINE_TUNING_PARAMETERS, check_params


class _NLIEngineMixin:
    """Turns the ``model``, ``device``, ``precision``, ``backend``, ``batch_size``,
    ``max_length``, ``cache`` and ``show_progress_bar`` parameters into logits
    through the shared engine.

    The engine is looked up in the process-wide cache on every call and never
    stored on the estimator, so clones, pickles and ``__dict__`` stay free of
    weights. A fine-tuned estimator's engine is that of its own weights
    (``fine_tuned_model_``), keyed in the cache by their fingerprint.
    """

    def _check_engine_params(self):
        check_params(self, ENGINE_PARAMETERS)

    def _engine(self):
        """The engine predictions run on: the fine-tuned weights', if any."""
        fine_tuned = getattr(self, "fine_tuned_model_", None)
        if fine_tuned is None:
            return self._base_engine()
        self._check_engine_params()
        return fine_tuned.engine(
            self.device, self.precision, self.backend, self.show_progress_bar, self.model
        )

    def _base_engine(self):
        """The engine of ``model`` as it is (``fit`` starts from it)."""
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


class _FineTuningMixin:
    """``fit(X, y)`` with ``n_epochs > 0``: checks, the training call, the fitted state.

    The training itself is :mod:`sklearn_nli._training`'s. ``fit`` runs
    through :meth:`_fit_atomically`, so that a fit that fails or is interrupted
    (KeyboardInterrupt) leaves the estimator as it was before the call.
    """

    _FINE_TUNED_ATTRIBUTES = ("fine_tuned_model_", "loss_curve_")

    def _fit_atomically(self, fit, *args):
        before = dict(self.__dict__)
        try:
            return fit(*args)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _check_fine_tuning_params(self, extra=()):
        return check_params(self, FINE_TUNING_PARAMETERS + tuple(extra))

    def _check_training_data(self, n_samples, y, what):
        """Before any training: X and y given, of the same length, no label missing."""
        from ._inputs import is_missing

        singular = what[:-1]
        if n_samples is None or y is None:
            given = (
                "neither X nor y"
                if n_samples is None and y is None
                else ("no X" if n_samples is None else "no y")
            )
            raise InvalidValueError(
                f"n_epochs={self.n_epochs} fine-tunes the model on labelled {what}, but fit "
                f"got {given}: pass the {what} as X and their labels as y, or set "
                "n_epochs=0 for zero-shot use."
            )
        labels = np.asarray(y, dtype=object)
        if labels.ndim == 0:
            raise InvalidTypeError(
                f"y must be array-like, one label per {singular}, got {type(y).__name__}."
            )
        if len(labels) != n_samples:
            raise InvalidValueError(
                f"X and y have inconsistent numbers of samples: X has {n_samples} {what} "
                f"and y has {len(labels)} labels; fine-tuning needs one label per {singular}."
            )
        if n_samples == 0:
            raise InvalidValueError(f"n_epochs={self.n_epochs} needs training {what}; X is empty.")
        for position, value in np.ndenumerate(labels):
            if is_missing(value):
                where = f"row {position[0]}" + (
                    f", column {position[1]}" if len(position) > 1 else ""
                )
                raise InvalidValueError(
                    f"y has a missing value ({value!r}) at {where}: fine-tuning needs a label "
                    f"for every {singular}. Drop the unlabelled {what} or label them."
                )

    def _fine_tune(self, engine, make_network, examples, objective, params):
        """Train; return the fitted state ``{attribute: value}`` (nothing assigned yet)."""
        from ._training import FineTunedModel, fine_tune

        network, loss_curve = fine_tune(
            engine,
            make_network,
            examples,
            objective,
            n_epochs=params["n_epochs"],
            learning_rate=params["learning_rate"],
            batch_size=params["train_batch_size"],
            warmup_fraction=params["warmup_fraction"],
            weight_decay=params["weight_decay"],
            random_state=params["random_state"],
            device=resolve_device(self.device),
            max_length=self.max_length,
            progress=self.show_progress_bar,
        )
        return {
            "fine_tuned_model_": FineTunedModel.from_network(network, engine.tokenizer),
            "loss_curve_": loss_curve,
        }

    def _set_fitted(self, fitted):
        """Assign the fitted attributes; drop the fine-tuned ones a zero-shot fit lacks."""
        for attribute in self._FINE_TUNED_ATTRIBUTES:
            self.__dict__.pop(attribute, None)
        for attribute, value in fitted.items():
            setattr(self, attribute, value)

    def save_pretrained(self, path):
        """Save the fine-tuned model as a Hugging Face model directory.

        The directory holds ``config.json`` (with the model's label names),
        ``model.safetensors`` and the tokenizer's files: ``from_pretrained``,
        the transformers pipelines, both estimators and ``sklearn-nli
        --model`` load it as it is. It is the safe way to share a fine-tuned
        model: loading a pickle from someone else runs their code.

        Parameters
        ----------
        path : str or os.PathLike
            The directory to write (created if needed; files of the same names
            are replaced).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If it was fitted without fine-tuning (``n_epochs=0``): its model is
            ``model`` as it is.
        """
        check_is_fitted(self)
        fine_tuned = getattr(self, "fine_tuned_model_", None)
        if fine_tuned is None:
            raise InvalidValueError(
                f"This {type(self).__name__} was fitted without fine-tuning (n_epochs=0): "
                f"its model is {self.model!r} as it is, and there is nothing to save. Fit "
                "it with n_epochs > 0 first."
            )
        fine_tuned.save_pretrained(os.fspath(path))


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
