"""Fine-tuning: labelled (premise, hypotheses, target) groups in, gradient steps out.

One job: the estimators turn their labelled data into an *epoch sampler* (a
function of a ``RandomState`` returning one epoch's *examples*: a premise, the
hypotheses it is paired with, and a target; ``make_*_sampler`` build them) and
an *objective* (the loss of a batch of examples, computed from the model's
logits), and :func:`fine_tune` trains a fresh copy of the network on them,
following a :class:`Recipe`.
Tokenizing and padding are the :class:`~sklearn_nli._runtime._encoder.PairEncoder`'s,
exactly as at prediction, so a pair is seen the same way in training and in
use; training never builds a prediction engine of the model.

The recipe (Laurer et al. 2023, "Less Annotating, More
Classifying"; Wang et al. 2021, "Entailment as Few-Shot Learner"):

* single-label texts: the *listwise* loss, the cross-entropy of the softmax
  over the entailment logits of one group of hypotheses per text (its own
  label's and up to ``max_negatives`` others). It is the prediction formula
  itself, so it has no imbalance of K-1 negatives per positive to correct
  (docs/model_selection.md compares it with K-1 contradiction negatives).
* multi-label texts: each label on its own, the binary cross-entropy of
  ``sigmoid(entailment - contradiction)``, the multi-label prediction formula;
* pairs: the cross-entropy over the classes, a class's logit being the
  ``logsumexp`` of the model logits it gathers (``predict_proba``'s formula).

AdamW (decoupled weight decay on the weight matrices, none on biases and
norms; the fused kernel where there is one), a linear warm-up over
``warmup_fraction`` of the steps then a linear decay to 0 (the schedule of
BERT's fine-tuning), and gradient clipping at norm 1. A CUDA out-of-memory
error halves the examples per forward pass and accumulates gradients over the
pieces, so the step itself is unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._runtime._devices import OUT_OF_MEMORY

__all__ = [
    "BinaryObjective",
    "entailment_training_set",
    "ClassObjective",
    "ListwiseObjective",
    "Recipe",
    "fine_tune",
    "make_label_sampler",
    "make_multi_label_sampler",
    "make_pair_sampler",
]

logger = logging.getLogger("sklearn_nli")

# Largest gradient norm; larger gradients are scaled down to it.
MAX_GRAD_NORM = 1.0

# ---------------------------------------------------------- epoch samplers


def make_label_sampler(texts, targets, hypotheses, max_negatives):
    """The epoch sampler of single-label texts: each with its label's hypothesis first.

    Returns ``sample_epoch(rng)``, a function of a ``RandomState`` giving one
    epoch's examples: each text with its label's hypothesis, then negatives, all
    the other hypotheses or, when there are more than ``max_negatives``, that
    many drawn afresh each epoch. Every group has the same size, and its target
    is 0, the position of the true hypothesis.
    """
    n_classes = len(hypotheses)
    n_negatives = min(max_negatives, n_classes - 1)

    def sample_epoch(rng):
        examples = []
        for text, target in zip(texts, targets):
            others = [k for k in range(n_classes) if k != target]
            if n_negatives < len(others):
                others = sorted(rng.choice(others, n_negatives, replace=False).tolist())
            group = (hypotheses[target], *(hypotheses[k] for k in others))
            examples.append((text, group, 0))
        return examples

    return sample_epoch


def make_multi_label_sampler(texts, indicator, hypotheses, max_negatives):
    """The epoch sampler of multi-label texts: each with its labels' hypotheses (1) and others (0).

    Returns ``sample_epoch(rng)``, giving one epoch's examples: all of a text's
    positive labels, and its negative ones, or ``max_negatives`` of them drawn
    afresh each epoch when there are more.
    """

    def sample_epoch(rng):
        examples = []
        for text, row in zip(texts, indicator):
            positives = np.flatnonzero(row == 1).tolist()
            negatives = np.flatnonzero(row != 1).tolist()
            if max_negatives < len(negatives):
                negatives = sorted(rng.choice(negatives, max_negatives, replace=False).tolist())
            group = tuple(hypotheses[k] for k in positives + negatives)
            examples.append((text, group, (1.0,) * len(positives) + (0.0,) * len(negatives)))
        return examples

    return sample_epoch


def make_pair_sampler(premises, hypotheses, targets):
    """The epoch sampler of pairs: each (premise, hypothesis) with its class, every epoch."""
    examples = [(p, (h,), int(t)) for p, h, t in zip(premises, hypotheses, targets)]

    def sample_epoch(rng):
        return examples

    return sample_epoch


# ---------------------------------------------------------------- objectives


class ListwiseObjective:
    """Cross-entropy of the softmax over each group's entailment logits (true one first)."""

    def __init__(self, entailment_column):
        self.column = entailment_column

    def count(self, examples):
        return len(examples)

    def loss_sum(self, logits, examples):
        scores = logits[:, self.column].reshape(len(examples), -1)
        target = torch.zeros(len(examples), dtype=torch.long, device=logits.device)
        return torch.nn.functional.cross_entropy(scores, target, reduction="sum")


class BinaryObjective:
    """Binary cross-entropy of ``sigmoid(entailment - contradiction)``, each pair alone."""

    def __init__(self, entailment_column, contradiction_column):
        self.columns = (entailment_column, contradiction_column)

    def count(self, examples):
        return sum(len(targets) for _, _, targets in examples)

    def loss_sum(self, logits, examples):
        margin = logits[:, self.columns[0]] - logits[:, self.columns[1]]
        target = torch.tensor(
            [t for _, _, targets in examples for t in targets], device=logits.device
        )
        return torch.nn.functional.binary_cross_entropy_with_logits(margin, target, reduction="sum")


class ClassObjective:
    """Cross-entropy over classes; a class's logit is the logsumexp of its model logits."""

    def __init__(self, columns):
        self.columns = [list(c) for c in columns]

    def count(self, examples):
        return len(examples)

    def loss_sum(self, logits, examples):
        scores = torch.stack([torch.logsumexp(logits[:, c], dim=1) for c in self.columns], dim=1)
        target = torch.tensor([t for _, _, t in examples], device=logits.device)
        return torch.nn.functional.cross_entropy(scores, target, reduction="sum")


# ------------------------------------------------------------------ training


def entailment_training_set(texts, labels, classes, hypotheses, columns, max_negatives):
    """A zero-shot classifier's training data: ``(sample_epoch, objective)``.

    ``columns`` are the model's entailment column (single-label: the listwise
    loss over each text's hypotheses) or its entailment and contradiction
    columns (multi-label: the binary loss of each label, ``labels`` an
    indicator matrix).
    """
    from .._labels import class_indices

    if len(columns) == 2:
        sampler = make_multi_label_sampler(texts, labels, hypotheses, max_negatives)
        return sampler, BinaryObjective(*columns)
    targets = class_indices(labels, classes)
    sampler = make_label_sampler(texts, targets, hypotheses, max_negatives)
    return sampler, ListwiseObjective(*columns)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How to fine-tune: the estimators' fine-tuning parameters, checked, in one object.

    Attributes
    ----------
    n_epochs : int
        Passes over the examples.
    learning_rate : float
        Peak learning rate of AdamW.
    batch_size : int
        Examples per optimizer step.
    warmup_fraction : float
        Fraction of the steps over which the learning rate rises to its peak.
    weight_decay : float
        AdamW's decoupled weight decay on the weight matrices.
    random_state : None, int or RandomState
        Seeds the order of the examples, the drawn negatives, dropout and any
        new weights.
    device : str
        A resolved torch device.
    max_length : int or None
        Token limit of a pair (the encoder's default when None).
    precision : {"fp32", "bf16"}
        Numeric mode of the forward and backward passes: "bf16" runs them
        under torch's bf16 autocast; the weights and AdamW stay fp32.
    progress : bool
        Show a progress bar over the steps.
    description : str
        The progress bar's label.
    """

    n_epochs: int
    learning_rate: float
    batch_size: int
    warmup_fraction: float
    weight_decay: float
    random_state: None | numbers.Integral | np.random.RandomState
    device: str
    max_length: int | None = None
    precision: str = "fp32"
    progress: bool = False
    description: str = "Fine-tuning"


def fine_tune(encoder, sample_epoch, objective, recipe, head_labels=None):
    """Train a fresh copy of ``encoder``'s network on sampled epochs; return ``(network, losses)``.

    Parameters
    ----------
    encoder : PairEncoder
        Tokenizes and pads the pairs, and loads the network to train.
    sample_epoch : callable
        The epoch sampler: ``sample_epoch(rng)`` returns one epoch's examples,
        ``(premise, hypotheses, target)`` tuples (``make_*_sampler`` build one).
    objective : ListwiseObjective, BinaryObjective or ClassObjective
        The loss of a batch of examples.
    recipe : Recipe
        The number of epochs, optimizer settings, seed and device.
    head_labels : list of str, default=None
        Train a new classification head with these labels (random weights,
        drawn from the seeded generator) instead of the checkpoint's.

    Returns
    -------
    network : torch.nn.Module
        The trained network, on the CPU, in eval mode.
    loss_curve : list of float
        The mean training loss of each epoch.
    """
    rng = check_random_state(recipe.random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    device = recipe.device
    # The generators forked (restored afterwards): the CPU's, and the CUDA device's.
    devices = []
    if device.startswith("cuda"):
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=devices), torch.enable_grad():
        torch.manual_seed(seed)
        network = encoder.trainable_network(head_labels).to(device)
        trainer = _Trainer(encoder, network, objective, recipe)
        epochs = [sample_epoch(rng) for _ in range(recipe.n_epochs)]
        steps_per_epoch = [math.ceil(len(e) / recipe.batch_size) for e in epochs]
        total = sum(steps_per_epoch)
        trainer.configure(total)
        bar = _progress_bar(total, recipe.description) if recipe.progress else None
        loss_curve = []
        try:
            for number, epoch in enumerate(epochs, 1):
                order = rng.permutation(len(epoch))
                loss_sum = count = 0.0
                for start in range(0, len(epoch), recipe.batch_size):
                    step = [epoch[i] for i in order[start : start + recipe.batch_size]]
                    step_sum, step_count = trainer.step(step)
                    loss_sum += step_sum
                    count += step_count
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{step_sum / step_count:.4f}", refresh=False)
                loss_curve.append(loss_sum / count)
                logger.info(
                    "Fine-tuning epoch %d/%d: loss %.4f", number, recipe.n_epochs, loss_curve[-1]
                )
        finally:
            if bar is not None:
                bar.close()
    network.zero_grad(set_to_none=True)
    return network.to("cpu").eval(), loss_curve


class _Trainer:
    def __init__(self, encoder, network, objective, recipe):
        self.encoder = encoder
        self.network = network
        self.objective = objective
        self.recipe = recipe
        self.device = recipe.device

    def configure(self, total_steps):
        recipe = self.recipe
        parameters = [p for p in self.network.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in parameters if p.ndim >= 2], "weight_decay": recipe.weight_decay},
            {"params": [p for p in parameters if p.ndim < 2], "weight_decay": 0.0},
        ]
        self.optimizer = _adamw(groups, recipe.learning_rate)
        warmup = int(round(recipe.warmup_fraction * total_steps))

        def factor(step):
            if step < warmup:
                return (step + 1) / (warmup + 1)
            return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, factor)
        self.micro_batch = recipe.batch_size

    def step(self, examples):
        """One optimizer step on ``examples``; returns (loss sum, count) before the update."""
        total = self.objective.count(examples)
        while True:
            self.optimizer.zero_grad(set_to_none=True)
            try:
                loss_sum = 0.0
                for start in range(0, len(examples), self.micro_batch):
                    piece = examples[start : start + self.micro_batch]
                    loss = self.objective.loss_sum(self._logits(piece), piece)
                    (loss / total).backward()
                    loss_sum += float(loss.detach())
                break
            except OUT_OF_MEMORY as exc:
                if self.micro_batch == 1:
                    raise RuntimeError(
                        f"Out of memory on {self.device} while fine-tuning, even with one "
                        "example per forward pass; lower max_length or max_negatives, or "
                        "use another device."
                    ) from exc
            self.optimizer.zero_grad(set_to_none=True)
            if self.device.startswith("cuda"):
                torch.cuda.empty_cache()
            self.micro_batch = max(1, self.micro_batch // 2)
            logger.info("Out of memory while fine-tuning: %d examples per pass.", self.micro_batch)
        torch.nn.utils.clip_grad_norm_(self.network.parameters(), MAX_GRAD_NORM)
        self.optimizer.step()
        self.scheduler.step()
        return loss_sum, total

    def _logits(self, examples):
        premises = [premise for premise, group, _ in examples for _ in group]
        hypotheses = [hypothesis for _, group, _ in examples for hypothesis in group]
        arrays = self.encoder.encode(premises, hypotheses, self.recipe.max_length)
        tensors = {name: torch.from_numpy(a).to(self.device) for name, a in arrays.items()}
        bf16 = self.recipe.precision == "bf16"
        with torch.autocast(self.device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            return self.network(**tensors).logits.float()


def _adamw(groups, learning_rate):
    """AdamW, with the fused kernel where the weights' device has one.

    The fused kernel updates the weights in one pass instead of a dozen
    (``benchmarks/optimizer_step.py`` measures both; docs/model_selection.md
    has the figures). Same update; only the rounding differs.
    """
    try:
        return torch.optim.AdamW(groups, lr=learning_rate, fused=True)
    except (RuntimeError, ValueError):  # a device without the fused kernel
        return torch.optim.AdamW(groups, lr=learning_rate)


def _progress_bar(total, description):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="step", desc=description)
