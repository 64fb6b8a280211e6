"""ZeroShotNLIClassifier: text classification with an NLI model, zero-shot or fine-tuned."""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ._base import _FittingMixin, _NLIEngineMixin, _ProbaFeaturesMixin, softmax
from ._docstrings import fill_doc
from ._inputs import text_per_sample
from ._labels import class_counts, prepare_zero_shot_fit
from ._learning._self_training import learn_from_unlabelled
from ._learning._unlabelled import learns_from_unlabelled
from ._long_texts import chunk_for_hypotheses, evidence_frame, read_texts, truncated_chunks
from ._params import DEFAULT_MODEL, DEFAULT_TEMPLATE, READING_PARAMETERS, check_params

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
    %(long_texts)s
    chunk_aggregation : {"mean", "max"}, default="mean"
        How a text read in several chunks gets its class probabilities:
        ``"mean"``, the mean of its chunks' probabilities; ``"max"``, per
        class the largest score over its chunks (the chunk that supports the
        class best decides). A one-chunk text is read as it is either way.
    %(unlabelled_parameters)s
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
    %(unlabelled_attributes)s
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

    %(unlabelled_notes)s

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
        long_texts="chunk",
        chunk_size=None,
        chunk_aggregation="mean",
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
        self.long_texts = long_texts
        self.chunk_size = chunk_size
        self.chunk_aggregation = chunk_aggregation
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
        task = prepare_zero_shot_fit(texts, y, params, learns_from_unlabelled(params))
        fitted = {
            "classes_": task.classes,
            "hypotheses_": task.hypotheses,
            "_label_choice": task.label_choice,
        }
        if learns_from_unlabelled(params):
            fitted.update(self._learn_from_unlabelled(task, params))
        elif params["n_epochs"] > 0:
            fitted.update(self._fine_tune_texts(task.texts, task.labels, task, params))
        self._set_fitted(fitted)
        return self

    def _fine_tune_texts(self, texts, labels, task, params, description="Fine-tuning"):
        """Fine-tune the base model on ``texts`` and their ``labels``: the fitted state."""
        from ._learning._training import entailment_training_set

        encoder = self._encoder()
        columns = task.label_choice.resolve(encoder.labels)
        counts = class_counts(labels, task.classes)
        if params["long_texts"] == "chunk":  # every chunk of a text with the text's label
            chunked = chunk_for_hypotheses(
                encoder, texts, task.hypotheses, params["chunk_size"], params["max_length"]
            )
            texts, labels = chunked.chunks, np.asarray(labels)[chunked.owner]
        examples, objective = entailment_training_set(
            texts, labels, task.classes, task.hypotheses, columns, params["max_negatives"]
        )
        fitted = self._fine_tune(
            encoder, examples, objective, params, counts, description=description
        )
        return {**fitted, "_logit_columns": columns}

    def _learn_from_unlabelled(self, task, params):
        """``class_prior`` offsets and self-training rounds: the fitted state."""
        columns = task.label_choice.resolve(self._encoder().labels)

        def fine_tune(texts, labels, seed, description="Fine-tuning"):
            seeded = {**params, "random_state": seed}
            return self._fine_tune_texts(texts, labels, task, seeded, description)

        def score(model, is_last):
            engine = self._engine(model, keep=is_last)  # a round's model is not kept
            return self._read(task.texts, engine, columns[:1], task.hypotheses)[0]

        fitted = learn_from_unlabelled(task, params, fine_tune=fine_tune, score=score)
        return {**fitted, "_logit_columns": columns}

    def _texts(self, X, *, reset):
        """Validate ``X`` and return one text per sample."""
        return text_per_sample(self, X, reset=reset, missing=self.missing_text)

    # ---------------------------------------------------------- prediction

    def _columns(self, engine):
        columns = getattr(self, "_logit_columns", None)
        if columns is None:  # a zero-shot fit does not load the model: resolved from its choice
            columns = self._label_choice.resolve(engine.labels)
        return columns

    def _read(self, texts, engine, columns, hypotheses):
        """Each text's scores without class offsets, its chunks (None: truncated) and theirs."""
        return read_texts(
            engine,
            texts,
            hypotheses,
            columns,
            self._run_options(),
            chunk_size=self.chunk_size if self.long_texts == "chunk" else "truncate",
            aggregation=self.chunk_aggregation,
        )

    def _scores(self, X, *, evidence=False):
        """Each text's scores with the class offsets: ``predict_proba``'s softmax or sigmoid."""
        check_is_fitted(self)
        check_params(self, READING_PARAMETERS[type(self).__name__])
        texts = self._texts(X, reset=False)
        engine = self._engine()
        scores, chunked, chunk_scores = self._read(
            texts, engine, self._columns(engine), self.hypotheses_
        )
        offsets = getattr(self, "class_offsets_", None)
        if evidence:
            if chunked is None:
                chunked = truncated_chunks(engine.encoder, texts, self.hypotheses_, self.max_length)
            return texts, chunked, chunk_scores if offsets is None else chunk_scores + offsets
        return scores if offsets is None else scores + offsets

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
            (``predict_proba`` is its sigmoid). A text read in several chunks
            gets its chunks' scores combined (``chunk_aggregation``).
        """
        scores = self._scores(X)
        if not self.multi_label and scores.shape[1] == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

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
        scores = self._scores(X)
        return expit(scores) if self.multi_label else softmax(scores)

    def evidence(self, X):
        """Say which part of each text decided each class: the chunk of highest probability.

        Parameters
        ----------
        %(X_texts)s

        Returns
        -------
        evidence : pandas.DataFrame
            One row per text and class, in text order: ``row`` (the text's
            position in ``X``), ``class``, ``start`` and ``end`` (the chunk's
            character span in the text, ``text[start:end] == chunk``),
            ``chunk`` and ``score`` (the chunk's probability of the class, as
            ``predict_proba`` computes it for a one-chunk text). With
            ``long_texts="truncate"`` the chunk is the part of the text the
            model reads.
        """
        texts, chunked, chunk_scores = self._scores(X, evidence=True)
        proba = expit(chunk_scores) if self.multi_label else softmax(chunk_scores)
        by_score = chunk_scores if self.chunk_aggregation == "max" else None
        return evidence_frame(chunked, proba, self.classes_, "class", by_score)

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
