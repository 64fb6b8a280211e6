"""NLIPairScorer: entailment / neutral / contradiction for premise-hypothesis pairs."""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ._base import _FittingMixin, _NLIEngineMixin, _ProbaFeaturesMixin, softmax
from ._docstrings import fill_doc
from ._errors import warn
from ._inputs import as_pairs, check_learnable, check_training_data, check_y
from ._labels import (
    class_columns,
    class_counts,
    class_indices,
    entailment_column,
    fresh_head_labels,
    pair_label_mapping,
)
from ._long_texts import evidence_of_pairs, premises_to_train_on, read_pairs
from ._params import DEFAULT_MODEL, READING_PARAMETERS, check_params


@fill_doc
class NLIPairScorer(
    ClassifierMixin, _ProbaFeaturesMixin, _FittingMixin, _NLIEngineMixin, BaseEstimator
):
    """Score premise / hypothesis pairs with a natural language inference model.

    ``predict_proba`` is the softmax over the model's labels (entailment,
    neutral, contradiction for the default model), mapped onto ``classes_``.
    With ``n_epochs > 0``, ``fit(X, y)`` fine-tunes the model on the labelled
    pairs first, also from a plain encoder with no NLI head.

    Parameters
    ----------
    %(model)s
    premise_column, hypothesis_column : str, default=None
        Columns to read from a DataFrame ``X``. By default a DataFrame must
        have exactly two columns: premise, then hypothesis.
    label_map : dict, default=None
        ``{class: model label or list of model labels}``: which of the model's
        labels make up each class of ``y``; the probabilities of the listed
        labels are added. Every model label must be listed exactly once, e.g.
        ``{"yes": "entailment", "no": ["neutral", "contradiction"]}``. By
        default the classes of ``y`` are matched to the model's labels by
        name, ignoring case, and a binary ``y`` made of the entailment label and
        one other label gets ``P(other) = 1 - P(entailment)``.
    %(long_texts)s
        A pair's row is that of the premise chunk with the highest
        entailment probability: a hypothesis supported anywhere in a long
        premise is found there.
    split_hypothesis : bool, default=False
        Split each hypothesis into its sentences (a summary, an answer) and
        score each sentence against the premise's chunks on its own.
    hypothesis_aggregation : {"mean", "min"}, default="mean"
        With ``split_hypothesis``: a pair's probabilities are the mean of its
        sentences' rows (``"mean"``, as SummaC and AlignScore), or the row of
        its least supported sentence (``"min"``: one unsupported sentence
        makes the pair unsupported).
    %(n_epochs)s
    %(learning_rate)s
    train_batch_size : int, default=32
        Labelled pairs per fine-tuning step.
    %(warmup_fraction)s
    %(weight_decay)s
    %(train_precision)s
    %(random_state)s
    %(engine_parameters)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Sorted class labels: those of ``y``, or the model's labels when ``fit``
        gets no ``y``. The columns of ``predict_proba``.
    model_labels_ : list of str
        The model's labels, in the order of its logits (after fine-tuning from
        a plain encoder: the classes of ``y``, as strings).
    label_mapping_ : dict
        ``{class: tuple of model labels}`` as used by ``predict_proba``.
    %(fine_tuned_attributes)s

    See Also
    --------
    ZeroShotNLIClassifier : Zero-shot text classification with the same models.

    Notes
    -----
    Fine-tuning minimizes the cross-entropy of ``predict_proba`` itself: the
    softmax over the classes, a class that gathers several model labels
    scoring the ``logsumexp`` of their logits. ``model`` may also be a plain
    encoder (a BERT-family directory whose config names no
    ``...ForSequenceClassification`` architecture, as sentence-transformers'
    ``CrossEncoder`` can start from): fitting then creates a new
    classification head whose labels are the classes of ``y``, with a
    warning that says so, and trains it with the rest (``label_map`` must
    then be None).

    A labelled pair whose premise is longer than ``chunk_size`` is trained
    on as predict reads it (``long_texts="chunk"``): on the premise chunk
    that the model, before fine-tuning, finds most entailing, whose row
    predict returns; a premise that fits is trained on whole. A fresh head
    has no entailment label to choose a chunk by: it trains on the
    truncated premise.

    %(fine_tuning_notes)s

    Examples
    --------
    >>> from sklearn_nli import NLIPairScorer
    >>> scorer = NLIPairScorer(model_path).fit()
    >>> scorer.classes_.tolist()
    ['contradiction', 'entailment', 'neutral']
    >>> proba = scorer.predict_proba([("A man plays a guitar.", "A person makes music.")])
    >>> proba.shape, bool(abs(proba.sum() - 1) < 1e-9)
    ((1, 3), True)

    Fine-tuning on labelled pairs:

    >>> pairs = [("A man plays a guitar.", "A person makes music."),
    ...          ("A dog runs in the park.", "A cat sleeps.")] * 4
    >>> scorer = NLIPairScorer(model_path, n_epochs=1, random_state=0)
    >>> scorer.fit(pairs, ["entailment", "contradiction"] * 4).classes_.tolist()
    ['contradiction', 'entailment']
    >>> len(scorer.loss_curve_)
    1
    """

    def __init__(
        self,
        model=DEFAULT_MODEL,
        *,
        premise_column=None,
        hypothesis_column=None,
        label_map=None,
        long_texts="chunk",
        chunk_size=None,
        split_hypothesis=False,
        hypothesis_aggregation="mean",
        n_epochs=0,
        learning_rate=5e-5,
        train_batch_size=32,
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
        self.premise_column = premise_column
        self.hypothesis_column = hypothesis_column
        self.label_map = label_map
        self.long_texts = long_texts
        self.chunk_size = chunk_size
        self.split_hypothesis = split_hypothesis
        self.hypothesis_aggregation = hypothesis_aggregation
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.train_batch_size = train_batch_size
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
        # Honest: X is a 2-column table of strings, which scikit-learn's tags
        # cannot say; numeric 2-D arrays are not accepted.
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = False
        tags.classifier_tags.poor_score = True
        return tags

    def fit(self, X=None, y=None):
        """Match the classes to the model's labels; with ``n_epochs > 0``, fine-tune.

        Zero-shot (``n_epochs=0``) the model is not run. A fit that raises or
        is interrupted leaves the estimator as it was before the call.

        Parameters
        ----------
        X : array-like of shape (n_samples, 2), default=None
            Pairs: only checked when zero-shot, the training pairs when
            fine-tuning.
        y : array-like of shape (n_samples,), default=None
            Gold labels, e.g. SICK's ``ENTAILMENT`` / ``NEUTRAL`` /
            ``CONTRADICTION``. Without ``y``, the classes are the model's labels.
            Fine-tuning needs a label for every pair, of at least 2 classes.

        Returns
        -------
        self : NLIPairScorer
            The fitted estimator.
        """
        return self._fit_in_context(X, y)

    def _fit(self, X, y, params):
        fine_tuning = params["n_epochs"] > 0
        pairs = None if X is None else self._pairs(X)
        n_pairs = None if pairs is None else len(pairs[0])
        if fine_tuning:
            check_training_data(n_pairs, y, params["n_epochs"], "pairs")
        if y is not None:
            y = check_y(y, n_pairs, "pairs")
        if fine_tuning:
            check_learnable(y, "pairs")
        encoder = self._encoder()
        fresh_head = fine_tuning and not encoder.has_classification_head
        if fresh_head:
            classes, model_labels, mapping = fresh_head_labels(y, params["label_map"], self.model)
        else:
            model_labels = list(encoder.labels)
            classes, mapping = pair_label_mapping(y, model_labels, params["label_map"])
        fitted = {
            "classes_": classes,
            "label_mapping_": mapping,
            "model_labels_": model_labels,
            "_class_columns": class_columns(classes, mapping, model_labels),
        }
        if fine_tuning:
            fitted.update(self._fine_tune_pairs(encoder, pairs, y, fitted, fresh_head, params))
        self._set_fitted(fitted)
        return self

    def _fine_tune_pairs(self, encoder, pairs, y, fitted, fresh_head, params):
        from ._learning._training import ClassObjective, make_pair_sampler

        head_labels = None
        if fresh_head:
            head_labels = fitted["model_labels_"]
            warn(
                f"model={self.model!r} is an encoder without a sequence-classification head: "
                f"fitting creates a new head with the labels {head_labels!r} (the classes of "
                "y), initialized at random and trained with the encoder.",
            )
        premises, hypotheses = pairs
        if params["long_texts"] == "chunk" and not fresh_head:
            premises = premises_to_train_on(
                encoder,
                lambda: self._engine(self.model),
                premises,
                hypotheses,
                entailment=lambda: entailment_column(
                    fitted["model_labels_"], "fine-tuning with long_texts='chunk'"
                ),
                chunk_size=params["chunk_size"],
                options={**self._run_options(), "progress": False},
            )
        examples = make_pair_sampler(premises, hypotheses, class_indices(y, fitted["classes_"]))
        objective = ClassObjective(fitted["_class_columns"])
        counts = class_counts(y, fitted["classes_"])
        return self._fine_tune(encoder, examples, objective, params, counts, head_labels)

    def _pairs(self, X):
        return as_pairs(X, self.premise_column, self.hypothesis_column)

    def _reading(self, X, always_chunks=False):
        """The pairs read: a :class:`~sklearn_nli._long_texts.PairReading`, or truncated logits."""
        check_is_fitted(self)
        check_params(self, READING_PARAMETERS[type(self).__name__])
        premises, hypotheses = self._pairs(X)
        engine, options = self._engine(), self._run_options()
        if self.long_texts == "truncate" and not (self.split_hypothesis or always_chunks):
            return engine.logits(premises, hypotheses, **options).astype(np.float64)
        setting = f"long_texts={self.long_texts!r}, split_hypothesis={self.split_hypothesis!r}"
        return read_pairs(
            engine,
            premises,
            hypotheses,
            entailment=lambda: entailment_column(self.model_labels_, setting),
            chunk_size=self.chunk_size,
            split=self.split_hypothesis,
            aggregation=self.hypothesis_aggregation,
            long_texts=self.long_texts,
            options=options,
        )

    def _model_logits(self, X):
        reading = self._reading(X)
        return reading if isinstance(reading, np.ndarray) else reading.rows

    def _class_scores(self, X):
        """Unnormalised log-probability of each class, shape (n_samples, n_classes)."""
        logits = self._model_logits(X)
        return np.stack([logsumexp(logits[:, c], axis=1) for c in self._class_columns], axis=1)

    def evidence(self, X):
        """Say which part of each premise decided each pair: the chunk of highest entailment.

        Parameters
        ----------
        %(X_pairs)s

        Returns
        -------
        evidence : pandas.DataFrame
            One row per pair (with ``split_hypothesis``, per pair and
            hypothesis sentence), in pair order: ``row`` (the pair's position
            in ``X``), ``sentence`` (the hypothesis, or its sentence),
            ``start`` and ``end`` (the chunk's character span in the premise,
            ``premise[start:end] == chunk``), ``chunk`` and ``score`` (the
            chunk's entailment probability; NaN for a model with no label named
            entailment).
        """
        return evidence_of_pairs(self._reading(X, always_chunks=True))

    def decision_function(self, X):
        """Compute the log-scores behind the probabilities.

        Parameters
        ----------
        %(X_pairs)s

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            Per class, the model's logit (``logsumexp`` of the logits when a
            class gathers several model labels); ``predict_proba`` is their
            softmax. With 2 classes, as in scikit-learn, the difference of the
            two (second minus first).
        """
        scores = self._class_scores(X)
        if scores.shape[1] == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict_proba(self, X):
        """Probability of each class, columns in ``classes_`` order.

        Parameters
        ----------
        %(X_pairs)s

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1.
        """
        return softmax(self._class_scores(X))

    def predict(self, X):
        """Most probable class of each pair.

        Parameters
        ----------
        %(X_pairs)s

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The class of highest probability, one of ``classes_``.
        """
        scores = self._class_scores(X)
        return self.classes_[np.argmax(scores, axis=1)]
