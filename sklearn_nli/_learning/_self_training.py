"""Self-training rounds, and a zero-shot fit that learns from unlabelled texts.

The loop of Gera et al. (2022), apart from any estimator (as scikit-learn keeps
``SelfTrainingClassifier``'s loop apart from the estimator it wraps). It sees
texts only as row numbers and models only as opaque values: the caller gives
two callables, one that fine-tunes the base model on rows and class indices,
one that scores every text with a model. So the loop is tested with fakes, and
the caller decides where models live (an intermediate round's model is used
and dropped; only the last one is kept).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import warn
from .._labels import class_indices
from ._unlabelled import match_prior, prior_vector, select_confident, softmax

__all__ = ["SelfTrainingResult", "learn_from_unlabelled", "round_seeds", "self_train"]

logger = logging.getLogger("sklearn_nli")


@dataclass(frozen=True)
class SelfTrainingResult:
    """What the rounds did.

    Attributes
    ----------
    model : object
        The last round's model, as the ``fine_tune`` callable returned it.
    offsets : ndarray of shape (n_classes,)
        The last model's prior-matching offsets (zeros without a prior).
    targets : ndarray of shape (n_texts,)
        The class index each text had in the last round's fine-tuning: its
        own label, its pseudo-label, or -1 for a text left out.
    labeled_iter : ndarray of shape (n_texts,)
        The round from which each text has had that class: 0 for a labelled
        text, -1 for one left out.
    history : list of dict
        One dict per round: ``round``, ``pseudo_labels`` (``{class:
        count}``), ``mean_margin`` (of the kept texts) and ``loss_curve``.
    """

    model: Any
    offsets: np.ndarray
    targets: np.ndarray
    labeled_iter: np.ndarray
    history: list


def self_train(
    scores: np.ndarray,
    labelled: np.ndarray,
    targets,
    *,
    classes: np.ndarray,
    rounds: int,
    per_class,
    fine_tune: Callable[[np.ndarray, np.ndarray, int], tuple[Any, list]],
    score: Callable[[Any, bool], np.ndarray],
    prior: np.ndarray | None = None,
) -> SelfTrainingResult:
    """Run ``rounds`` rounds of self-training.

    Each round predicts the unlabelled texts (every row not in ``labelled``)
    from the current scores, corrected by prior matching when ``prior`` is
    given, keeps per class the ``per_class`` texts of largest margin
    (:func:`~._unlabelled.select_confident`), and fine-tunes the base model on
    the labelled texts and the kept ones.

    Parameters
    ----------
    scores : ndarray of shape (n_texts, n_classes)
        Entailment logits of every text from the starting model.
    labelled : ndarray of int
        The rows of the labelled texts, with class indices ``targets``.
    targets : sequence of int
        The class index of each labelled row.
    classes : ndarray of shape (n_classes,)
        The classes, for messages and the history's counts.
    rounds : int
        How many rounds (at least 1).
    per_class : int or float
        The most texts kept per class and round: a count, or a fraction of
        the unlabelled texts.
    fine_tune : callable
        ``fine_tune(rows, class_indices, round_number) -> (model, loss_curve)``:
        fine-tunes the base model on those texts.
    score : callable
        ``score(model, is_last) -> scores`` of every text under ``model``;
        ``is_last`` says the model is the one the rounds end with.
    prior : ndarray of shape (n_classes,), default=None
        The expected class distribution of the texts, for prior matching.

    Returns
    -------
    result : SelfTrainingResult
    """
    n_texts, n_classes = scores.shape
    labelled = np.asarray(labelled, dtype=np.intp)
    targets = np.asarray(targets, dtype=np.intp).reshape(-1)
    is_pool = np.ones(n_texts, dtype=bool)
    is_pool[labelled] = False
    pool = np.flatnonzero(is_pool)
    offsets = np.zeros(n_classes) if prior is None else match_prior(scores, prior)
    history, chosen, model = [], [], None
    for number in range(1, rounds + 1):
        proba = softmax(scores[pool] + offsets)
        rows, picked, margins = select_confident(proba, per_class)
        counts = np.bincount(picked, minlength=n_classes)
        empty = [c for c, n in zip(classes.tolist(), counts) if n == 0]
        if empty:
            warn(
                f"Self-training round {number}: no unlabelled text is predicted as "
                f"{empty!r}, so these classes get no pseudo-label this round (only "
                "their labelled texts, if any, train them). class_prior corrects a "
                "model that favours some classes."
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
        train_targets = np.concatenate([targets, picked]).astype(np.intp)
        model, loss_curve = fine_tune(train_rows, train_targets, number)
        last = number == rounds
        if not last or prior is not None:  # the last model's scores serve its offsets only
            scores = score(model, last)
        if prior is not None:
            offsets = match_prior(scores, prior)
        history.append(
            {
                "round": number,
                "pseudo_labels": dict(zip(classes.tolist(), counts.tolist())),
                "mean_margin": float(margins.mean()) if len(margins) else float("nan"),
                "loss_curve": loss_curve,
            }
        )
    final_targets, labeled_iter = _provenance(n_texts, labelled, targets, chosen)
    return SelfTrainingResult(model, offsets, final_targets, labeled_iter, history)


def _provenance(n_texts, labelled, targets, chosen):
    """Each text's class in the last round and the round since which it has had it."""
    final_targets = np.full(n_texts, -1, dtype=np.intp)
    labeled_iter = np.full(n_texts, -1, dtype=np.int64)
    final_targets[labelled] = targets
    labeled_iter[labelled] = 0
    rounds = len(chosen)
    for row, target in chosen[-1].items():
        first = rounds
        while first > 1 and chosen[first - 2].get(row) == target:
            first -= 1
        final_targets[row] = target
        labeled_iter[row] = first
    return final_targets, labeled_iter


def learn_from_unlabelled(task, params, *, fine_tune, score):
    """A zero-shot classifier's fit with unlabelled texts: the fitted state ``{attribute: value}``.

    Fine-tunes on the labelled texts first when ``n_epochs > 0`` (the model
    the rounds start from), then fits the ``class_prior`` offsets, or runs
    the self-training rounds (:func:`~._self_training.self_train`).

    Parameters
    ----------
    task : object
        The fit's prepared data: ``texts``, ``labels`` (of the labelled texts,
        or None), ``unlabelled`` (mask) and ``classes``.
    params : dict
        The estimator's checked parameters.
    fine_tune : callable
        ``fine_tune(texts, labels, seed, description) -> fitted state`` (with
        ``fine_tuned_model_`` and ``loss_curve_``): fine-tunes the base model.
    score : callable
        ``score(model, is_last) -> scores (n_texts, n_classes)``: every text's
        entailment scores under ``model`` (a ``fine_tuned_model_``, or None
        for the base model); ``is_last`` says whether it is the fit's result.
    """
    texts, classes, rounds = task.texts, task.classes, params["self_training_rounds"]
    labelled = np.flatnonzero(~task.unlabelled)
    targets = [] if task.labels is None else class_indices(task.labels, classes)
    prior = None
    if params["class_prior"] is not None:
        prior = prior_vector(params["class_prior"], classes)
    seeds = round_seeds(params["random_state"], rounds)
    fitted = {}
    if params["n_epochs"] > 0 and len(labelled):
        fitted = fine_tune([texts[i] for i in labelled], task.labels, seeds[0])
    scores = score(fitted.get("fine_tuned_model_"), not rounds)
    if rounds:

        def fine_tune_round(rows, class_indices, number):
            description = f"Self-training round {number}/{rounds}"
            chosen = [texts[i] for i in rows]
            tuned = fine_tune(chosen, classes[class_indices], seeds[number], description)
            return tuned, tuned["loss_curve_"]

        result = self_train(
            scores,
            labelled,
            targets,
            classes=classes,
            rounds=rounds,
            per_class=params["pseudo_labels_per_class"],
            fine_tune=fine_tune_round,
            score=lambda tuned, is_last: score(tuned["fine_tuned_model_"], is_last),
            prior=prior,
        )
        transduction = np.full(len(texts), -1, dtype=object)
        kept = result.targets >= 0
        transduction[kept] = classes[result.targets[kept]]
        fitted = {
            **result.model,
            "transduction_": transduction,
            "labeled_iter_": result.labeled_iter,
            "n_iter_": rounds,
            "self_training_history_": result.history,
        }
        offsets = result.offsets
    else:
        offsets = None if prior is None else match_prior(scores, prior)
    if prior is not None:
        fitted["class_offsets_"] = offsets
    if "_training_record" in fitted:  # its fine-tunings ran on seeds drawn from this
        fitted["_training_record"]["params"]["random_state"] = params["random_state"]
    return fitted


def round_seeds(random_state, rounds):
    """One seed per fine-tuning (the labelled texts', then each round's) from random_state."""
    from sklearn.utils import check_random_state

    if rounds == 0:
        return [random_state]
    rng = check_random_state(random_state)
    return [int(seed) for seed in rng.randint(np.iinfo(np.int32).max, size=rounds + 1)]
