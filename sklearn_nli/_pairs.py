"""NLIPairScorer: entailment / neutral / contradiction for premise-hypothesis pairs."""

from __future__ import annotations

import functools
import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_consistent_length, check_is_fitted

from ._base import _FineTuningMixin, _NLIEngineMixin, _ProbaFeaturesMixin, softmax
from ._docstrings import fill_doc
from ._engine import get_engine, has_classification_head
from ._errors import InvalidValueError
from ._inputs import as_pairs
from ._params import check_params


@fill_doc
class NLIPairScorer(
    ClassifierMixin, _ProbaFeaturesMixin, _FineTuningMixin, _NLIEngineMixin, BaseEstimator
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
    %(n_epochs)s
    %(learning_rate)s
    train_batch_size : int, default=32
        Labelled pairs per fine-tuning step.
    %(warmup_fraction)s
    %(weight_decay)s
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
        model="MoritzLaurer/MiniLM-L6-mnli",
        *,
        premise_column=None,
        hypothesis_column=None,
        label_map=None,
        n_epochs=0,
        learning_rate=5e-5,
        train_batch_size=32,
        warmup_fraction=0.1,
        weight_decay=0.01,
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
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.train_batch_size = train_batch_size
        self.warmup_fraction = warmup_fraction
        self.weight_decay = weight_decay
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
        return self._fit_atomically(self._fit, X, y)

    def _fit(self, X, y):
        self._check_engine_params()
        check_params(self, ("premise_column", "hypothesis_column", "label_map"))
        tuning = self._check_fine_tuning_params()
        fine_tuning = tuning["n_epochs"] > 0
        pairs = None if X is None else self._pairs(X)
        n_pairs = None if pairs is None else len(pairs[0])
        if fine_tuning:
            self._check_training_data(n_pairs, y, "pairs")
        fresh_head = fine_tuning and not has_classification_head(self.model)
        if fresh_head:
            # Only its tokenizer is used: the torch backend, which exports nothing.
            engine = get_engine(self.model, self.device, "fp32", "torch", self.show_progress_bar)
        else:
            engine = self._base_engine()
        model_labels = list(engine.labels)
        if y is not None:
            y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
            if y.ndim != 1:
                raise InvalidValueError(f"y must be 1-D (one label per pair), got shape {y.shape}.")
            check_classification_targets(y)
            if n_pairs is not None:
                check_consistent_length(np.empty(n_pairs), y)
            present = np.unique(y)
            if fine_tuning and len(present) < 2:
                raise InvalidValueError(
                    f"y holds a single class ({present.tolist()!r}): fine-tuning needs labelled "
                    "pairs of at least 2 classes, to learn what tells them apart."
                )
        if fresh_head:
            classes, model_labels, mapping = self._fresh_head_labels(y)
        elif self.label_map is not None:
            mapping = _explicit_mapping(self.label_map, model_labels)
            classes = np.unique(np.asarray(list(mapping)))
            if y is not None:
                unknown = [c for c in np.unique(y).tolist() if c not in mapping]
                if unknown:
                    raise InvalidValueError(
                        f"y contains labels {unknown!r} that label_map does not map."
                    )
        elif y is None:
            mapping = {label: (label,) for label in model_labels}
            classes = np.unique(np.asarray(model_labels, dtype=object))
        else:
            classes = np.unique(y)
            mapping = _mapping_by_name(classes, model_labels)
        fitted = {
            "classes_": classes,
            "label_mapping_": {c: mapping[c] for c in classes.tolist()},
            "model_labels_": model_labels,
        }
        if fine_tuning:
            fitted.update(self._fine_tune_pairs(engine, pairs, y, fitted, fresh_head, tuning))
        self._set_fitted(fitted)
        return self

    def _fresh_head_labels(self, y):
        """Classes, head labels and mapping of a new head whose labels are y's classes."""
        if self.label_map is not None:
            raise InvalidValueError(
                f"model={self.model!r} has no classification head, so fitting creates one "
                "whose labels are the classes of y; label_map, which maps classes to an "
                "existing head's labels, must be None."
            )
        classes = np.unique(y)
        model_labels = [str(c) for c in classes.tolist()]
        if len(set(model_labels)) != len(model_labels):
            raise InvalidValueError(
                f"The classes of y {classes.tolist()!r} do not have distinct names as strings, "
                "which the new head's labels need."
            )
        return classes, model_labels, {c: (m,) for c, m in zip(classes.tolist(), model_labels)}

    def _fine_tune_pairs(self, engine, pairs, y, fitted, fresh_head, tuning):
        from ._training import ClassObjective, pair_examples

        position = {label: i for i, label in enumerate(fitted["model_labels_"])}
        classes = fitted["classes_"].tolist()
        columns = [[position[m] for m in fitted["label_mapping_"][c]] for c in classes]
        index = {c: i for i, c in enumerate(classes)}
        targets = [index[label] for label in y.tolist()]
        make_network = engine.trainable_network
        if fresh_head:
            warnings.warn(
                f"model={self.model!r} is an encoder without a sequence-classification head: "
                f"fitting creates a new head with the labels {fitted['model_labels_']!r} (the "
                "classes of y), initialized at random and trained with the encoder.",
                UserWarning,
                stacklevel=5,  # the caller of fit
            )
            make_network = functools.partial(engine.trainable_network, fitted["model_labels_"])
        examples = pair_examples(*pairs, targets)
        return self._fine_tune(engine, make_network, examples, ClassObjective(columns), tuning)

    def _pairs(self, X):
        return as_pairs(X, self.premise_column, self.hypothesis_column)

    def _model_logits(self, X):
        check_is_fitted(self)
        premises, hypotheses = self._pairs(X)
        logits = self._engine().logits(premises, hypotheses, **self._run_options())
        return logits.astype(np.float64)

    def _class_scores(self, X):
        """Unnormalised log-probability of each class, shape (n_samples, n_classes)."""
        logits = self._model_logits(X)
        position = {label: i for i, label in enumerate(self.model_labels_)}
        columns = [
            logsumexp(logits[:, [position[label] for label in self.label_mapping_[c]]], axis=1)
            for c in self.classes_.tolist()
        ]
        return np.stack(columns, axis=1)

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


def _explicit_mapping(label_map, model_labels):
    by_lower = {label.lower(): label for label in model_labels}
    mapping, used = {}, {}
    for cls, targets in label_map.items():
        targets = [targets] if isinstance(targets, str) else list(targets)
        resolved = []
        for target in targets:
            label = by_lower.get(str(target).lower())
            if label is None:
                raise InvalidValueError(
                    f"label_map[{cls!r}] names {target!r}, which is not a label of the "
                    f"model; its labels are {model_labels!r}."
                )
            if label in used:
                raise InvalidValueError(
                    f"label_map maps the model label {label!r} to both {used[label]!r} "
                    f"and {cls!r}; each model label belongs to one class."
                )
            used[label] = cls
            resolved.append(label)
        if not resolved:
            raise InvalidValueError(f"label_map[{cls!r}] lists no model label.")
        mapping[cls] = tuple(resolved)
    missing = [label for label in model_labels if label not in used]
    if missing:
        raise InvalidValueError(
            f"label_map leaves the model labels {missing!r} unmapped; map every model "
            "label to a class so that probabilities sum to 1."
        )
    return mapping


def _mapping_by_name(classes, model_labels):
    by_lower = {label.lower(): label for label in model_labels}
    matched = {c: by_lower.get(str(c).lower()) for c in classes}
    if all(label is not None for label in matched.values()) and len(classes) == len(model_labels):
        return {c: (label,) for c, label in matched.items()}
    entail = [label for label in model_labels if label.lower().startswith("entail")]
    if len(classes) == 2 and entail:
        positive = [c for c, label in matched.items() if label == entail[0]]
        if positive:
            (other,) = [c for c in classes if c != positive[0]]
            rest = tuple(label for label in model_labels if label != entail[0])
            return {positive[0]: (entail[0],), other: rest}
    raise InvalidValueError(
        f"Cannot match the labels of y {list(classes)!r} to the model's labels "
        f"{model_labels!r}: they match by name (ignoring case), or a binary y holds the "
        "entailment label and one other. Set label_map, e.g. "
        "{'yes': 'entailment', 'no': ['neutral', 'contradiction']}."
    )
