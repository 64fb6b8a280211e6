"""ZeroShotNLIClassifier: text classification with an NLI model, zero-shot or fine-tuned."""

from __future__ import annotations

import logging
import warnings
from typing import NamedTuple

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._base import _FittingMixin, _NLIEngineMixin, _ProbaFeaturesMixin, softmax
from ._docstrings import fill_doc
from ._errors import InvalidValueError
from ._inputs import (
    as_1d_texts,
    as_pandas,
    cells_as_text,
    check_learnable,
    check_partly_labelled_y,
    check_training_data,
    check_y,
    join_text_columns,
)
from ._labels import (
    build_hypotheses,
    class_counts,
    class_indices,
    entailment_columns,
    multi_label_classes,
    single_label_classes,
)
from ._learning._unlabelled import match_prior, prior_vector, select_confident
from ._params import DEFAULT_MODEL, DEFAULT_TEMPLATE

logger = logging.getLogger("sklearn_nli")

_FIT_INPUT_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


@fill_doc
class ZeroShotNLIClassifier(
    ClassifierMixin, _ProbaFeaturesMixin, _FittingMixin, _NLIEngineMixin, BaseEstimator
):
    """Zero-shot text classifier built on a natural language inference model.

    Each text is the premise; each class becomes a hypothesis
    (``hypothesis_template.format(label)``), and the model's entailment scores
    for the K hypotheses become the class probabilities. No training text is
    needed: by default ``fit`` only records the classes. With ``n_epochs > 0``,
    ``fit(X, y)`` fine-tunes the model on the labelled texts, in the same
    entailment format (few-shot learning); predictions then use the same
    formulas with the fine-tuned weights.

    Parameters
    ----------
    %(model)s
    candidate_labels : list of str, default=None
        The classes, when ``fit`` gets no ``y``. With ``y`` in single-label
        mode, the classes are ``np.unique(candidate_labels)`` and every value of
        ``y`` must be among them. In multi-label mode, it names the columns of
        the indicator matrix ``y`` and ``classes_`` keeps its order.
    hypothesis_template : str, default="This example is {}."
        Hypothesis sentence; ``{}`` (exactly once) is replaced by the label or
        its description.
    label_descriptions : dict, default=None
        ``{class: phrase}``: the phrase goes into the template instead of the
        class value, e.g. ``{"sci_tech": "science and technology"}``.
    multi_label : bool, default=False
        If False, probabilities are a softmax over the K entailment logits and
        sum to 1. If True, each label is scored on its own as
        ``sigmoid(entailment - contradiction)``; ``y`` and ``predict`` are
        binary indicator matrices.
    threshold : float, default=0.5
        Multi-label mode: a label is predicted when its probability is at least
        ``threshold``.
    entailment_label, contradiction_label : str or int, default=None
        Name or column index of the model's entailment / contradiction output.
        By default they are found in the model config by name (labels starting
        with ``entail`` / ``contradict``); set them for models whose config says
        ``LABEL_0``, ``LABEL_1``, ...
    missing_text : {"error", "skip"}, default="error"
        Missing cells (None, NaN, ``pd.NA``) of 2-D ``X``: "error" raises,
        naming the row and column; "skip" leaves them out of the row's text,
        which joins the cells that are present (a row with no text at all is
        still an error). 1-D input never allows missing texts.
    class_prior : {"uniform"}, array-like or dict, default=None
        The expected class distribution of the texts (a sequence in
        ``classes_`` order, or ``{class: probability}``). When set, ``fit``
        learns one offset per class (``class_offsets_``) from the texts it
        gets, labelled or not, so that the mean predicted distribution over
        them matches it (prior matching, see Notes), and every prediction
        adds them to the entailment logits. None (the default) keeps the
        formulas of transformers' zero-shot pipeline. Single-label mode only.
    self_training_rounds : int, default=0
        Rounds of self-training on the unlabelled texts of ``X`` (see
        Notes): each round pseudo-labels them with the current model
        (corrected by ``class_prior`` when set), keeps the most confident
        ones per class and fine-tunes the base model again on them and the
        labelled texts, for ``n_epochs`` epochs (which must then be above
        0). Single-label mode only.
    pseudo_labels_per_class : int or float, default=100
        Self-training: the most pseudo-labelled texts kept per class and
        round, as a count (int) or a fraction of the unlabelled texts
        (float in (0, 1]). A class predicted for fewer texts keeps them all;
        one predicted for none gets none that round, with a warning.
    %(n_epochs)s
    %(learning_rate)s
    train_batch_size : int, default=4
        Labelled texts per fine-tuning step, each with its group of
        hypotheses (up to ``1 + max_negatives`` pairs).
    max_negatives : int, default=15
        Fine-tuning: the most other classes' hypotheses a text is paired with
        in a step. With more classes, that many are drawn afresh each epoch,
        which bounds the pairs per text with many labels. Multi-label: the
        most negative labels per text (its positive ones are all kept).
    %(warmup_fraction)s
    %(weight_decay)s
    %(train_precision)s
    %(random_state)s
    %(engine_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted (single-label) or in ``candidate_labels`` order
        (multi-label); the columns of ``predict_proba``.
    hypotheses_ : list of str
        The hypothesis asked for each class, in ``classes_`` order.
    n_features_in_ : int
        Number of text columns seen in ``fit``; only set when ``fit`` got 2-D
        ``X``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a DataFrame passed to ``fit``.
    class_offsets_ : ndarray of shape (n_classes,)
        The offset added to each class's entailment logit; only set when
        ``class_prior`` is.
    transduction_ : ndarray of shape (n_samples,)
        Self-training: the label of each text of ``X`` in the last round's
        fine-tuning (its own label, its pseudo-label, or -1 for a text left
        out). Only set when ``self_training_rounds > 0``, as the next three.
    labeled_iter_ : ndarray of shape (n_samples,)
        The round from which each text has had that label: 0 for a labelled
        text, -1 for one left out.
    n_iter_ : int
        The number of self-training rounds run.
    self_training_history_ : list of dict
        One dict per round: ``pseudo_labels`` (``{class: count}``),
        ``mean_margin`` (of the kept texts) and ``loss_curve`` (of the
        round's fine-tuning).
    %(fine_tuned_attributes)s

    See Also
    --------
    NLIPairScorer : Entailment / neutral / contradiction for premise-hypothesis pairs.

    Notes
    -----
    Two-dimensional input ``(n_samples, n_columns)`` (an array or DataFrame,
    e.g. title and body) is read as text columns: each row's cells are joined
    with a space into one text. A column of numbers (a year) is written as
    text; a number in a column that otherwise holds text is an error, as are
    infinities, and so are missing cells unless ``missing_text="skip"``.

    Fine-tuning pairs each labelled text with the hypotheses of its class
    (entailment) and of up to ``max_negatives`` other classes, built with the
    same ``hypothesis_template`` and ``label_descriptions`` as predictions. The
    loss is the prediction formula itself: the cross-entropy of the softmax
    over the group's entailment logits (the listwise loss, one group per
    text), which needs no balancing of the K-1 negatives against the positive
    (the model-selection page compares the two). In multi-label mode each
    label is on its own: the binary cross-entropy of ``sigmoid(entailment -
    contradiction)``.

    %(fine_tuning_notes)s

    Unlabelled texts: with ``class_prior`` or ``self_training_rounds`` set, a
    ``-1`` in ``y`` marks an unlabelled text (as in scikit-learn's
    semi-supervised module), and ``fit(X)`` with ``candidate_labels`` takes
    every text as unlabelled. ``class_prior`` fits the offsets by prior
    matching (Liusie, Manakul and Gales 2023): the fixed point of
    ``b += log(prior) - log(mean predicted distribution)``, the label-shift EM
    of Saerens et al. (2002) in logit form; subtracting each class's mean
    logit (batch calibration, Zhou et al. 2024) is its first step. The texts
    are scored once (the result cache keeps the scores for their prediction);
    after fine-tuning, the fine-tuned model scores them. Self-training
    follows Gera et al. (2022): in each round a text counts for the class it
    is predicted as, and the ``pseudo_labels_per_class`` texts of each class
    with the largest margin between the best and the second-best class are
    kept; each round fine-tunes the base model again, not the last round's.
    An interrupted fit leaves the estimator as it was; an int
    ``random_state`` gives the same rounds and probabilities.

    Examples
    --------
    >>> from sklearn_nli import ZeroShotNLIClassifier
    >>> clf = ZeroShotNLIClassifier(model_path, candidate_labels=["sports", "politics"])
    >>> clf.fit().predict_proba(["The match went to extra time."]).shape
    (1, 2)
    >>> clf.classes_.tolist()
    ['politics', 'sports']
    >>> clf.hypotheses_
    ['This example is politics.', 'This example is sports.']

    Fine-tuning on labelled texts (few-shot):

    >>> texts = ["the team won the game", "the stock market fell"] * 4
    >>> labels = ["sports", "business"] * 4
    >>> clf = ZeroShotNLIClassifier(model_path, n_epochs=2, random_state=0)
    >>> clf.fit(texts, labels).predict_proba(texts).shape
    (8, 2)
    >>> len(clf.loss_curve_)
    2
    """

    def __init__(
        self,
        model=DEFAULT_MODEL,
        *,
        candidate_labels=None,
        hypothesis_template=DEFAULT_TEMPLATE,
        label_descriptions=None,
        multi_label=False,
        threshold=0.5,
        entailment_label=None,
        contradiction_label=None,
        missing_text="error",
        class_prior=None,
        self_training_rounds=0,
        pseudo_labels_per_class=100,
        n_epochs=0,
        learning_rate=5e-5,
        train_batch_size=4,
        max_negatives=15,
        warmup_fraction=0.1,
        weight_decay=0.01,
        train_precision="fp32",
        random_state=None,
        max_length=None,
        batch_size=None,
        device="auto",
        precision="fp32",
        backend="auto",
        cache=True,
        show_progress_bar=False,
    ):
        self.model = model
        self.candidate_labels = candidate_labels
        self.hypothesis_template = hypothesis_template
        self.label_descriptions = label_descriptions
        self.multi_label = multi_label
        self.threshold = threshold
        self.entailment_label = entailment_label
        self.contradiction_label = contradiction_label
        self.missing_text = missing_text
        self.class_prior = class_prior
        self.self_training_rounds = self_training_rounds
        self.pseudo_labels_per_class = pseudo_labels_per_class
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.train_batch_size = train_batch_size
        self.max_negatives = max_negatives
        self.warmup_fraction = warmup_fraction
        self.weight_decay = weight_decay
        self.train_precision = train_precision
        self.random_state = random_state
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = device
        self.precision = precision
        self.backend = backend
        self.cache = cache
        self.show_progress_bar = show_progress_bar

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.string = True
        tags.target_tags.required = False
        tags.classifier_tags.poor_score = True
        tags.classifier_tags.multi_label = bool(self.multi_label)
        return tags

    # ------------------------------------------------------------------ fit

    def fit(self, X=None, y=None):
        """Record the classes; with ``n_epochs > 0``, fine-tune the model on ``X`` and ``y``.

        Zero-shot (``n_epochs=0``) the model is not run. A fit that raises or
        is interrupted leaves the estimator as it was before the call.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, n_columns), default=None
            Texts: only checked when zero-shot, the training texts when
            fine-tuning.
        y : array-like of shape (n_samples,) or (n_samples, n_labels), default=None
            Class labels, or in multi-label mode a binary indicator matrix whose
            columns ``candidate_labels`` names. Optional when
            ``candidate_labels`` is set and ``n_epochs=0``; fine-tuning needs
            a label for every text, and at least 2 classes among them.

        Returns
        -------
        self : ZeroShotNLIClassifier
            The fitted estimator.
        """
        return self._fit_in_context(X, y)

    def _fit(self, X, y, params):
        for attribute in _FIT_INPUT_ATTRIBUTES:
            self.__dict__.pop(attribute, None)
        texts = None if X is None else self._texts(X, reset=True)
        n_texts = None if texts is None else len(texts)
        if _learns_from_unlabelled(params):
            return self._fit_with_unlabelled(texts, y, params)
        fine_tuning = params["n_epochs"] > 0
        if fine_tuning:
            check_training_data(n_texts, y, params["n_epochs"], "texts")
        candidates = params["candidate_labels"]
        if self.multi_label:
            classes = multi_label_classes(candidates)
            if y is not None:
                y = check_y(y, n_texts, "texts", n_columns=len(classes))
        else:
            if y is not None:
                y = check_y(y, n_texts, "texts")
            classes = single_label_classes(y, candidates)
        hypotheses = build_hypotheses(
            classes, params["hypothesis_template"], params["label_descriptions"]
        )
        fitted = {"classes_": classes, "hypotheses_": hypotheses, "_logit_columns": None}
        if fine_tuning:
            check_learnable(y, "texts")
            fitted.update(self._fine_tune_texts(texts, y, classes, hypotheses, params))
        self._set_fitted(fitted)
        return self

    def _fine_tune_texts(self, texts, y, classes, hypotheses, params, description="Fine-tuning"):
        from ._learning._training import (
            BinaryObjective,
            ListwiseObjective,
            label_examples,
            multi_label_examples,
        )

        encoder = self._encoder()
        columns = self._resolve_columns(encoder.labels, params)
        if self.multi_label:
            examples = multi_label_examples(texts, y, hypotheses, params["max_negatives"])
            objective = BinaryObjective(*columns)
        else:
            targets = class_indices(y, classes)
            examples = label_examples(texts, targets, hypotheses, params["max_negatives"])
            objective = ListwiseObjective(*columns)
        counts = class_counts(y, classes)
        fitted = self._fine_tune(
            encoder, examples, objective, params, counts, description=description
        )
        return {**fitted, "_logit_columns": columns}

    # ------------------------------------------------------ unlabelled texts

    def _fit_with_unlabelled(self, texts, y, params):
        """``fit`` with ``class_prior`` or ``self_training_rounds``: -1 marks unlabelled texts."""
        rounds = params["self_training_rounds"]
        _check_unlabelled_params(params, texts)
        if y is None:
            labels, unlabelled = None, np.ones(len(texts), dtype=bool)
        else:
            labels, unlabelled = check_partly_labelled_y(y, len(texts))
        if y is not None and labels is None and params["candidate_labels"] is None:
            raise InvalidValueError(
                "y marks every text as unlabelled (-1) and candidate_labels is not set, so "
                "there are no classes: set candidate_labels, or label some texts."
            )
        classes = single_label_classes(labels, params["candidate_labels"])
        prior = None
        if params["class_prior"] is not None:
            prior = prior_vector(params["class_prior"], classes)
        if rounds and not unlabelled.any():
            raise InvalidValueError(
                f"self_training_rounds={rounds} pseudo-labels unlabelled texts, but every "
                "text of X has a label: mark the unlabelled ones -1 in y (or pass them in X "
                "with no y and set candidate_labels)."
            )
        hypotheses = build_hypotheses(
            classes, params["hypothesis_template"], params["label_descriptions"]
        )
        encoder = self._encoder()
        columns = self._resolve_columns(encoder.labels, params)
        fitted = {"classes_": classes, "hypotheses_": hypotheses, "_logit_columns": columns}
        labelled = np.flatnonzero(~unlabelled)
        targets = [] if labels is None else class_indices(labels, classes)
        seeds = _round_seeds(params["random_state"], rounds)
        if params["n_epochs"] > 0 and len(labelled):
            check_learnable(labels, "texts")
            labelled_texts = [texts[i] for i in labelled]
            seeded = {**params, "random_state": seeds[0]}
            fitted.update(
                self._fine_tune_texts(labelled_texts, labels, classes, hypotheses, seeded)
            )
        elif params["n_epochs"] > 0 and not rounds:
            check_training_data(len(texts), None, params["n_epochs"], "texts")

        def scores_of(fine_tuned):
            """Entailment logits of every text: the base model's, or ``fine_tuned``'s."""
            engine = self._engine(fine_tuned or self.model)
            options = self._run_options()
            logits = engine.cross_logits(texts, hypotheses, columns=columns[:1], **options)
            return logits[:, :, 0].astype(np.float64)

        scores = scores_of(fitted.get("fine_tuned_model_"))
        offsets = np.zeros(len(classes)) if prior is None else match_prior(scores, prior)
        if rounds:
            data = _Texts(texts, labelled, targets, np.flatnonzero(unlabelled))
            start = (scores, offsets)
            rounds_fitted, offsets = self._self_train(
                data, start, prior, scores_of, fitted, params, seeds
            )
            fitted.update(rounds_fitted)
        if prior is not None:
            fitted["class_offsets_"] = offsets
        if "_training_record" in fitted:  # its fine-tunings ran on seeds drawn from this
            fitted["_training_record"]["params"]["random_state"] = params["random_state"]
        self._set_fitted(fitted)
        return self

    def _self_train(self, data, start, prior, scores_of, fitted, params, seeds):
        """The rounds: pseudo-label the unlabelled texts, fine-tune the base model again.

        ``data`` holds the texts, the rows and targets of the labelled ones and
        the rows of the unlabelled ones (``pool``); ``start``, the scores of
        every text before the first round and their offsets. Returns the
        fitted attributes of the rounds and the last model's offsets.
        """
        texts, labelled, targets, pool = data
        scores, offsets = start
        classes = fitted["classes_"]
        rounds = params["self_training_rounds"]
        history, chosen = [], []
        tuned = {}
        for number in range(1, rounds + 1):
            proba = softmax(scores[pool] + offsets)
            rows, picked, margins = select_confident(proba, params["pseudo_labels_per_class"])
            counts = np.bincount(picked, minlength=len(classes))
            empty = [c for c, n in zip(classes.tolist(), counts) if n == 0]
            if empty:
                warnings.warn(
                    f"Self-training round {number}: no unlabelled text is predicted as "
                    f"{empty!r}, so these classes get no pseudo-label this round (only "
                    "their labelled texts, if any, train them). class_prior corrects a "
                    "model that favours some classes.",
                    UserWarning,
                    stacklevel=6,  # the caller of fit
                )
            chosen.append(dict(zip(pool[rows].tolist(), picked.tolist())))
            logger.info(
                "Self-training round %d/%d: %d pseudo-labels %s",
                number,
                rounds,
                len(rows),
                dict(zip(classes.tolist(), counts.tolist())),
            )
            train_rows = np.concatenate([labelled, pool[rows]])
            train_targets = list(targets) + picked.tolist()
            tuned = self._fine_tune_texts(
                [texts[i] for i in train_rows],
                classes[np.asarray(train_targets, dtype=np.intp)],
                classes,
                fitted["hypotheses_"],
                {**params, "random_state": seeds[number]},
                f"Self-training round {number}/{rounds}",
            )
            if number < rounds or prior is not None:  # the last model's scores: offsets only
                scores = scores_of(tuned["fine_tuned_model_"])
            if prior is not None:
                offsets = match_prior(scores, prior)
            history.append(
                {
                    "round": number,
                    "pseudo_labels": dict(zip(classes.tolist(), counts.tolist())),
                    "mean_margin": float(margins.mean()) if len(margins) else float("nan"),
                    "loss_curve": tuned["loss_curve_"],
                }
            )
        transduction = np.full(len(texts), -1, dtype=object)
        labeled_iter = np.full(len(texts), -1, dtype=np.int64)
        transduction[labelled] = classes[np.asarray(targets, dtype=np.intp)]
        labeled_iter[labelled] = 0
        for row, label in chosen[-1].items():
            first = rounds
            while first > 1 and chosen[first - 2].get(row) == label:
                first -= 1
            transduction[row] = classes[label]
            labeled_iter[row] = first
        fitted_rounds = {
            **tuned,
            "transduction_": transduction,
            "labeled_iter_": labeled_iter,
            "n_iter_": rounds,
            "self_training_history_": history,
        }
        return fitted_rounds, offsets

    @staticmethod
    def _resolve_columns(model_labels, params):
        return entailment_columns(
            model_labels,
            params["entailment_label"],
            params["contradiction_label"],
            params["multi_label"],
        )

    # -------------------------------------------------------------- inputs

    def _texts(self, X, *, reset):
        """Validate ``X`` and return one text per sample."""
        X = as_pandas(X)
        texts = as_1d_texts(X)
        if texts is not None:
            if not reset and hasattr(self, "n_features_in_"):
                raise InvalidValueError(
                    f"X is 1-D, but {type(self).__name__} was fitted on 2-D input with "
                    f"{self.n_features_in_} text columns; pass the same columns."
                )
            return texts
        index = getattr(X, "index", None)
        columns = list(X.columns) if hasattr(X, "columns") else None
        kwargs = {"dtype": None, "ensure_all_finite": False}
        if reset or hasattr(self, "n_features_in_"):
            cells = validate_data(self, X, reset=reset, **kwargs)
        else:
            cells = check_array(X, **kwargs)
        cells = cells_as_text(cells, "X", index=index, columns=columns, missing=self.missing_text)
        return join_text_columns(cells, "X", index=index)

    # ---------------------------------------------------------- prediction

    def _entailment_logits(self, X):
        """Entailment (and contradiction) logits, each (n_samples, n_classes), float32."""
        check_is_fitted(self)
        texts = self._texts(X, reset=False)
        engine = self._engine()
        columns = getattr(self, "_logit_columns", None)  # None: resolved at predict
        if columns is None:
            # A zero-shot fit does not load the model: its labels are read here.
            columns = self._resolve_columns(engine.labels, self.get_params(deep=False))
        options = self._run_options()
        logits = engine.cross_logits(texts, self.hypotheses_, columns=columns, **options)
        if not self.multi_label:
            offsets = getattr(self, "class_offsets_", None)
            if offsets is not None:
                return logits[:, :, 0] + offsets, None
            return logits[:, :, 0], None
        return logits[:, :, 0], logits[:, :, 1]

    def decision_function(self, X):
        """Compute the scores behind the probabilities.

        Parameters
        ----------
        %(X_texts)s

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            Single-label: the entailment logit of each class's hypothesis
            (``predict_proba`` is their softmax); with 2 classes, as in
            scikit-learn, the difference of the two (second minus first).
            Multi-label: entailment minus contradiction logit per label
            (``predict_proba`` is its sigmoid).
        """
        entailment, contradiction = self._entailment_logits(X)
        entailment = entailment.astype(np.float64)
        if contradiction is not None:
            return entailment - contradiction
        if entailment.shape[1] == 2:
            return entailment[:, 1] - entailment[:, 0]
        return entailment

    def predict_proba(self, X):
        """Class probabilities, columns in ``classes_`` order.

        Parameters
        ----------
        %(X_texts)s

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Single-label: softmax over the classes' entailment logits (rows sum
            to 1). Multi-label: ``sigmoid(entailment - contradiction)`` per label.
        """
        entailment, contradiction = self._entailment_logits(X)
        if contradiction is not None:
            return expit(entailment.astype(np.float64) - contradiction)
        return softmax(entailment)

    def predict(self, X):
        """Predicted class (single-label) or indicator matrix (multi-label).

        Parameters
        ----------
        %(X_texts)s

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The most probable class; in multi-label mode, 1 where a label's
            probability is at least ``threshold``.
        """
        proba = self.predict_proba(X)
        if self.multi_label:
            return (proba >= self.threshold).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]


class _Texts(NamedTuple):
    """A fit's texts: all of them, the labelled rows and their targets, the unlabelled rows."""

    texts: list
    labelled: np.ndarray
    targets: list
    pool: np.ndarray


def _learns_from_unlabelled(params):
    return params["class_prior"] is not None or params["self_training_rounds"] > 0


def _check_unlabelled_params(params, texts):
    """What class_prior and self-training need before anything runs."""
    wanted = [
        f"{name}={params[name]!r}"
        for name in ("class_prior", "self_training_rounds")
        if params[name] not in (None, 0)
    ]
    if params["multi_label"]:
        raise InvalidValueError(
            f"{' and '.join(wanted)} work in single-label mode only; with multi_label=True "
            "set class_prior=None and self_training_rounds=0."
        )
    if texts is None:
        raise InvalidValueError(
            f"{' and '.join(wanted)} learn from the texts to classify, but fit got no X: "
            "pass them as X (unlabelled ones marked -1 in y, or no y at all)."
        )
    if params["self_training_rounds"] and params["n_epochs"] == 0:
        raise InvalidValueError(
            f"self_training_rounds={params['self_training_rounds']} fine-tunes the model on "
            "its pseudo-labels in each round, for n_epochs epochs, but n_epochs=0: set "
            "n_epochs (2 is a good start on unlabelled texts alone)."
        )


def _round_seeds(random_state, rounds):
    """One seed per fine-tuning (the labelled texts', then each round's) from random_state."""
    from sklearn.utils import check_random_state

    if rounds == 0:
        return [random_state]
    rng = check_random_state(random_state)
    return [int(seed) for seed in rng.randint(np.iinfo(np.int32).max, size=rounds + 1)]
