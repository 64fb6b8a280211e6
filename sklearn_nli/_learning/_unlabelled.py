"""Learning from unlabelled texts: per-class offsets (prior matching) and self-training.

Two published ways of using the texts a zero-shot user holds without labels:

* **Prior matching** (Liusie, Manakul & Gales 2023; the label-shift EM of
  Saerens et al. 2002 belongs to the same family): one offset per class,
  added to the entailment logits, chosen so that the mean predicted
  distribution over the unlabelled texts equals the expected one. Batch
  calibration (Zhou et al. 2024), subtracting each class's mean logit, is its
  first step from zero offsets.
* **Self-training** (Gera et al. 2022): score the unlabelled texts, keep per
  class the most confident ones (the margin between the best and the second
  best class), fine-tune the base model on them (and on any labelled texts),
  and repeat with the new model.

The estimators call these functions; the scoring and the fine-tuning are
theirs (the engine and :mod:`sklearn_nli._learning._training`).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._errors import InvalidValueError
from .._labels import check_class_keys

__all__ = [
    "UNLABELLED",
    "learns_from_unlabelled",
    "match_prior",
    "prior_vector",
    "select_confident",
    "softmax",
]

# How scikit-learn's semi-supervised estimators mark an unlabelled sample in y.
UNLABELLED = -1


def learns_from_unlabelled(params):
    """Whether a zero-shot classifier's checked ``params`` learn from unlabelled texts."""
    return params["class_prior"] is not None or params["self_training_rounds"] > 0


def prior_vector(class_prior, classes):
    """``class_prior`` (``"uniform"``, a sequence in ``classes`` order or a dict) as an array."""
    n_classes = len(classes)
    if isinstance(class_prior, str):  # the parameter table allows "uniform" only
        return np.full(n_classes, 1.0 / n_classes)
    if isinstance(class_prior, dict):
        check_class_keys(class_prior, classes, "class_prior")
        missing = [c for c in classes.tolist() if c not in class_prior]
        if missing:
            raise InvalidValueError(
                f"class_prior gives no probability for the classes {missing!r}; give one "
                "for every class (0 for a class you do not expect)."
            )
        prior = np.array([class_prior[c] for c in classes.tolist()], dtype=np.float64)
    else:
        prior = np.asarray(class_prior, dtype=np.float64)
        if len(prior) != n_classes:
            raise InvalidValueError(
                f"class_prior has {len(prior)} entries but there are {n_classes} classes "
                f"{classes.tolist()!r}; give one probability per class, in classes_ order."
            )
    return prior


def match_prior(scores, prior, max_iter=200, tol=1e-7):
    """Offsets ``b`` such that ``mean_n softmax(scores[n] + b) == prior``.

    The fixed-point iteration ``b += log(prior) - log(mean_n p(b))``, which
    the mean posterior of every class reaches (Saerens et al. 2002's EM in
    logit form). A class of prior 0 gets an offset of ``-inf``. The offsets
    are centred on the classes of positive prior (softmax ignores a common
    shift).

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_classes)
        Entailment logits of unlabelled texts.
    prior : ndarray of shape (n_classes,)
        The expected class distribution (non-negative, sums to 1).

    Returns
    -------
    offsets : ndarray of shape (n_classes,)
    """
    scores = np.asarray(scores, dtype=np.float64)
    positive = prior > 0
    offsets = np.where(positive, 0.0, -np.inf)
    target = np.log(prior[positive])
    for _ in range(max_iter):
        mean = softmax(scores + offsets).mean(axis=0)[positive]
        step = target - np.log(np.maximum(mean, 1e-300))
        offsets[positive] += step
        if np.abs(step).max() < tol:
            break
    offsets[positive] -= offsets[positive].mean()
    return offsets


def select_confident(proba, bound):
    """The most confident texts of each class: ``(rows, classes, margins)``.

    A text counts for the class it is predicted as; of the texts of a class,
    those with the largest margin between the best and the second-best
    probability come first. ``bound`` is the most texts kept per class: a
    count (int), or a fraction (float) of the texts scored. A class predicted
    for fewer texts keeps all of them; a class predicted for none keeps none.
    """
    n_samples, n_classes = proba.shape
    if isinstance(bound, numbers.Integral):
        per_class = int(bound)
    else:
        per_class = max(1, int(round(bound * n_samples)))
    ordered = np.sort(proba, axis=1)
    margins = ordered[:, -1] - (ordered[:, -2] if n_classes > 1 else 0.0)
    predicted = np.argmax(proba, axis=1)
    rows = []
    for k in range(n_classes):
        members = np.flatnonzero(predicted == k)
        best = members[np.argsort(-margins[members], kind="stable")[:per_class]]
        rows.append(np.sort(best))
    rows = np.concatenate(rows).astype(np.intp)
    return rows, predicted[rows], margins[rows]


def softmax(scores):
    """Row-wise softmax of float64 ``scores`` (a new array)."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted
