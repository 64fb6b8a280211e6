"""What both estimators share: fit's context, fine-tuning, the engine, transform."""

from __future__ import annotations

import json
import os

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._errors import InvalidValueError, warn
from ._learning._model_card import model_card, training_record, write_model_card
from ._params import ENGINE_PARAMETERS, check_params
from ._runtime._devices import resolve_device, warn_if_bf16_is_emulated
from ._runtime._engine import FineTunedModel, get_encoder, get_engine

# Where save_pretrained writes class_offsets_, beside the network.
CLASS_OFFSETS_FILE = "class_offsets.json"


class _NLIEngineMixin:
    """Turns the ``model``, ``device``, ``precision``, ``backend``, ``batch_size``,
    ``max_length``, ``cache`` and ``show_progress_bar`` parameters into logits
    through the shared engine.

    The engine is looked up in the process-wide registry on every call and
    never stored on the estimator, so clones, pickles and ``__dict__`` stay
    free of weights. A fine-tuned estimator's engine is that of its own
    weights (``fine_tuned_model_``), keyed in the registry by their
    fingerprint.
    """

    def _engine(self, source=None, keep=True):
        """The engine of ``source``; by default the one predictions run on.

        That is the fine-tuned weights' (``fine_tuned_model_``), if any, else
        ``model``'s. The engine parameters are checked here, not only in
        ``fit``: they may be set between fit and predict (another device,
        batch size, backend). ``keep=False``: fine-tuned weights that are not
        the fit's result (a self-training round's) get an engine that the
        registry does not keep.
        """
        check_params(self, ENGINE_PARAMETERS)
        if source is None:
            source = getattr(self, "fine_tuned_model_", None) or self.model
        options = (self.precision, self.backend, self.show_progress_bar)
        return get_engine(source, self.device, *options, keep=keep)

    def _encoder(self):
        """The tokenizer and labels of ``model`` (no weights are loaded)."""
        return get_encoder(self.model, self.show_progress_bar)

    def _run_options(self):
        return {
            "batch_size": self.batch_size,
            "max_length": self.max_length,
            "progress": self.show_progress_bar,
            "cache": self.cache,
        }

    def get_backend_info(self):
        """Say which backend runs this estimator's model, and why.

        Loads the model if no estimator of the process has used it yet, as a
        prediction would.

        Returns
        -------
        info : dict
            ``model`` (what messages call it: the model id or directory, or
            the fine-tuned weights), ``device``, ``precision``, ``backend``
            (the backend that runs the forward passes) and ``reason`` (why
            that one: asked for by name, or ``backend="auto"``'s order of
            preference and the backends it skipped).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        """
        check_is_fitted(self)
        engine = self._engine()
        return {
            "model": engine.model_name,
            "device": engine.device,
            "precision": engine.precision,
            "backend": engine.backend,
            "reason": engine.backend_reason,
        }


class _FittingMixin:
    """``fit``'s context: every parameter checked once, the fit atomic, fine-tuning.

    Each estimator's ``fit`` calls :meth:`_fit_in_context`, which checks all
    the constructor's parameters against the table of
    :mod:`sklearn_nli._params` (as scikit-learn's ``_fit_context`` does with
    ``_parameter_constraints``) and runs ``_fit(X, y, params)`` with the
    checked values, so that a fit that fails or is interrupted
    (KeyboardInterrupt) leaves the estimator as it was before the call.
    """

    # What a fit sets only in some modes: a new fit drops those it does not set again.
    _OPTIONAL_ATTRIBUTES = (
        "fine_tuned_model_",
        "loss_curve_",
        "class_offsets_",
        "transduction_",
        "labeled_iter_",
        "n_iter_",
        "self_training_history_",
        "_training_record",
    )

    def _fit_in_context(self, X, y):
        before = dict(self.__dict__)
        try:
            params = check_params(self, self.get_params(deep=False))
            resolve_device(params["device"])  # a device this machine lacks is a parameter error
            return self._fit(X, y, params)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fine_tune(
        self,
        encoder,
        examples,
        objective,
        params,
        counts,
        head_labels=None,
        description="Fine-tuning",
    ):
        """Train; return the fitted state ``{attribute: value}`` (nothing assigned yet).

        ``counts`` (``{class: training texts or pairs}``) goes, with ``params``,
        into the model card that :meth:`save_pretrained` writes.
        """
        from ._learning._training import Recipe, fine_tune

        recipe = Recipe(
            n_epochs=params["n_epochs"],
            learning_rate=params["learning_rate"],
            batch_size=params["train_batch_size"],
            warmup_fraction=params["warmup_fraction"],
            weight_decay=params["weight_decay"],
            random_state=params["random_state"],
            device=resolve_device(params["device"]),
            max_length=params["max_length"],
            precision=params["train_precision"],
            progress=params["show_progress_bar"],
            description=description,
        )
        if recipe.precision == "bf16" and recipe.device == "cpu":
            warn_if_bf16_is_emulated("train_precision='bf16'")
        network, loss_curve = fine_tune(encoder, examples, objective, recipe, head_labels)
        return {
            "fine_tuned_model_": FineTunedModel.from_network(network, encoder),
            "loss_curve_": loss_curve,
            "_training_record": training_record(params, counts, head_labels is not None),
        }

    def _set_fitted(self, fitted):
        """Assign the fitted attributes; drop those of an earlier fit that this one lacks."""
        for attribute in self._OPTIONAL_ATTRIBUTES:
            self.__dict__.pop(attribute, None)
        for attribute, value in fitted.items():
            setattr(self, attribute, value)

    def save_pretrained(self, path):
        """Save the fine-tuned model as a Hugging Face model directory.

        The directory holds ``config.json`` (with the model's label names),
        ``model.safetensors`` and the tokenizer's files: ``from_pretrained``,
        the transformers pipelines, both estimators and ``sklearn-nli
        --model`` load it as it is. It is the safe way to share a fine-tuned
        model: loading a pickle from someone else runs their code. It also
        holds a model card, ``README.md``: metadata that the Hugging Face Hub
        reads (``library_name``, ``pipeline_tag``, ``base_model`` when the
        base model is a Hub id, tags) and what the fit did (the base model,
        each class with its hypothesis or model labels and its number of
        training texts or pairs, the training settings, the loss curve) and
        how to load the directory, written from the fitted state. The
        per-class offsets of ``class_prior`` (``class_offsets_``) are the
        estimator's, not the network's: they are written beside it as
        ``class_offsets.json`` (``{class: offset}``), which the transformers
        pipeline does not read.

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
        card = model_card(self, path)  # before any file: a card that fails writes nothing
        fine_tuned.save_pretrained(os.fspath(path))
        if card is None:
            warn(
                f"This {type(self).__name__} was fitted before sklearn-nli kept a record of "
                "the fit for model cards: no README.md model card is written (the model is). "
                "Fit it again to get one."
            )
        else:
            write_model_card(card, path)
        offsets = getattr(self, "class_offsets_", None)
        if offsets is not None:
            names = [str(c) for c in self.classes_.tolist()]
            with open(os.path.join(os.fspath(path), CLASS_OFFSETS_FILE), "w") as handle:
                json.dump(dict(zip(names, offsets.tolist())), handle, indent=2)


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


def softmax(scores):
    """Row-wise softmax in float64, computed in place on a float64 copy."""
    proba = np.array(scores, dtype=np.float64)
    proba -= proba.max(axis=-1, keepdims=True)
    np.exp(proba, out=proba)
    proba /= proba.sum(axis=-1, keepdims=True)
    return proba
