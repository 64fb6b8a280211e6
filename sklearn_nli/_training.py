"""Fine-tuning: labelled (premise, hypotheses, target) groups in, gradient steps out.

One job: the estimators turn their labelled data into *examples* (a premise,
the hypotheses it is paired with, and a target) and an *objective* (the loss of
a batch of examples, computed from the model's logits), and :func:`fine_tune`
trains a fresh copy of the network on them. Tokenizing and padding are the
engine's (``_tokenize``, ``_pad``), exactly as at prediction, so a pair is seen
the same way in training and in use.

The recipe (Laurer et al. 2023, "Less Annotating, More
Classifying"; Wang et al. 2021, "Entailment as Few-Shot Learner"):

* single-label texts: the *listwise* loss, the cross-entropy of the softmax
  over the entailment logits of one group of hypotheses per text (its own
  label's and up to ``max_negatives`` others). It is the prediction formula
  itself, so it has no imbalance of K-1 negatives per positive to correct; a
  one-seed prototype on AG News reached 0.855 at 32 texts per class with it,
  against 0.33-0.52 with K-1 contradiction negatives per text.
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

import copy
import logging
import math
import os
import tempfile
from hashlib import blake2b

import numpy as np
import torch
from sklearn.utils import check_random_state

from ._engine import _OUT_OF_MEMORY, _quiet_loading, get_engine_for_network

__all__ = [
    "BinaryObjective",
    "ClassObjective",
    "FineTunedModel",
    "ListwiseObjective",
    "fine_tune",
    "label_examples",
    "multi_label_examples",
    "pair_examples",
]

logger = logging.getLogger("sklearn_nli")

# Largest gradient norm; larger gradients are scaled down to it.
MAX_GRAD_NORM = 1.0

# ------------------------------------------------------------------ examples


def label_examples(texts, targets, hypotheses, max_negatives):
    """Single-label examples: each text with its label's hypothesis first, then negatives.

    Returns a function of a ``RandomState`` giving one epoch's examples: the
    negatives are all the other hypotheses, or, when there are more than
    ``max_negatives``, that many drawn afresh each epoch. Every group has the
    same size, and its target is 0, the position of the true hypothesis.
    """
    n_classes = len(hypotheses)
    n_negatives = min(max_negatives, n_classes - 1)

    def epoch(rng):
        examples = []
        for text, target in zip(texts, targets):
            others = [k for k in range(n_classes) if k != target]
            if n_negatives < len(others):
                others = sorted(rng.choice(others, n_negatives, replace=False).tolist())
            group = (hypotheses[target], *(hypotheses[k] for k in others))
            examples.append((text, group, 0))
        return examples

    return epoch


def multi_label_examples(texts, indicator, hypotheses, max_negatives):
    """Multi-label examples: each text with its labels' hypotheses (1) and others (0).

    All of a text's positive labels, and its negative ones, or ``max_negatives``
    of them drawn afresh each epoch when there are more.
    """

    def epoch(rng):
        examples = []
        for text, row in zip(texts, indicator):
            positives = np.flatnonzero(row == 1).tolist()
            negatives = np.flatnonzero(row != 1).tolist()
            if max_negatives < len(negatives):
                negatives = sorted(rng.choice(negatives, max_negatives, replace=False).tolist())
            group = tuple(hypotheses[k] for k in positives + negatives)
            examples.append((text, group, (1.0,) * len(positives) + (0.0,) * len(negatives)))
        return examples

    return epoch


def pair_examples(premises, hypotheses, targets):
    """Pair examples: each (premise, hypothesis) with the index of its class."""
    examples = [(p, (h,), int(t)) for p, h, t in zip(premises, hypotheses, targets)]
    return lambda rng: examples


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


def fine_tune(
    engine,
    make_network,
    examples,
    objective,
    *,
    n_epochs,
    learning_rate,
    batch_size,
    warmup_fraction,
    weight_decay,
    random_state,
    device,
    max_length=None,
    progress=False,
):
    """Train ``make_network()`` on ``examples``; return ``(network, loss_curve)``.

    Parameters
    ----------
    engine : NLIEngine
        Tokenizes and pads the pairs (its tokenizer is the network's).
    make_network : callable
        Returns the torch network to train, a fresh copy (called with the
        torch generator seeded, so a new head's weights are reproducible).
    examples : callable
        ``examples(rng)`` returns one epoch's examples, ``(premise,
        hypotheses, target)`` tuples.
    objective : ListwiseObjective, BinaryObjective or ClassObjective
        The loss of a batch of examples.
    n_epochs, learning_rate, batch_size, warmup_fraction, weight_decay : number
        The recipe (``batch_size`` examples per step).
    random_state : None, int or RandomState
        Seeds the order of the examples, the drawn negatives, dropout and any
        new weights.
    device : str
        A resolved torch device.
    max_length : int, default=None
        Token limit of a pair (the engine's default when None).
    progress : bool, default=False
        Show a progress bar over the steps.

    Returns
    -------
    network : torch.nn.Module
        The trained network, on the CPU, in eval mode.
    loss_curve : list of float
        The mean training loss of each epoch.
    """
    rng = check_random_state(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    max_length = int(max_length or engine.default_max_length)
    # The generators forked (restored afterwards): the CPU's, and the CUDA device's.
    devices = []
    if device.startswith("cuda"):
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=devices), torch.enable_grad():
        torch.manual_seed(seed)
        network = make_network().to(device).train()
        trainer = _Trainer(engine, network, objective, device, max_length)
        epochs = [examples(rng) for _ in range(n_epochs)]
        steps_per_epoch = [math.ceil(len(e) / batch_size) for e in epochs]
        total = sum(steps_per_epoch)
        trainer.configure(learning_rate, weight_decay, warmup_fraction, total, batch_size)
        bar = _progress_bar(total) if progress else None
        loss_curve = []
        try:
            for number, epoch in enumerate(epochs, 1):
                order = rng.permutation(len(epoch))
                loss_sum = count = 0.0
                for start in range(0, len(epoch), batch_size):
                    step = [epoch[i] for i in order[start : start + batch_size]]
                    step_sum, step_count = trainer.step(step)
                    loss_sum += step_sum
                    count += step_count
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{step_sum / step_count:.4f}", refresh=False)
                loss_curve.append(loss_sum / count)
                logger.info("Fine-tuning epoch %d/%d: loss %.4f", number, n_epochs, loss_curve[-1])
        finally:
            if bar is not None:
                bar.close()
    network.zero_grad(set_to_none=True)
    return network.to("cpu").eval(), loss_curve


class _Trainer:
    def __init__(self, engine, network, objective, device, max_length):
        self.engine = engine
        self.network = network
        self.objective = objective
        self.device = device
        self.max_length = max_length

    def configure(self, learning_rate, weight_decay, warmup_fraction, total_steps, batch_size):
        parameters = [p for p in self.network.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in parameters if p.ndim >= 2], "weight_decay": weight_decay},
            {"params": [p for p in parameters if p.ndim < 2], "weight_decay": 0.0},
        ]
        self.optimizer = _adamw(groups, learning_rate)
        warmup = int(round(warmup_fraction * total_steps))

        def factor(step):
            if step < warmup:
                return (step + 1) / (warmup + 1)
            return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, factor)
        self.micro_batch = batch_size

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
            except _OUT_OF_MEMORY as exc:
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
        encoded = self.engine._tokenize(premises, hypotheses, self.max_length)
        lengths = np.fromiter(map(len, encoded["input_ids"]), dtype=np.intp, count=len(premises))
        arrays = self.engine._pad(encoded, np.arange(len(premises)), lengths)
        tensors = {name: torch.from_numpy(a).to(self.device) for name, a in arrays.items()}
        return self.network(**tensors).logits.float()


def _adamw(groups, learning_rate):
    """AdamW, with the fused kernel where the weights' device has one.

    The fused kernel updates the weights in one pass instead of a dozen: for
    MiniLM-L6 on a 2-core CPU, 12 ms a step instead of 68
    (``benchmarks/optimizer_step.py``), about 8% of a SICK training step.
    Same update; only the rounding differs.
    """
    try:
        return torch.optim.AdamW(groups, lr=learning_rate, fused=True)
    except (RuntimeError, ValueError):  # a device without the fused kernel
        return torch.optim.AdamW(groups, lr=learning_rate)


def _progress_bar(total):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="step", desc="Fine-tuning")


# ------------------------------------------------------------- fitted state


class FineTunedModel:
    """A fine-tuned model held as the files of a Hugging Face model directory.

    ``files`` maps file names to their bytes: ``config.json`` (with the label
    names), ``model.safetensors`` and the tokenizer's files, as
    ``save_pretrained`` writes them, so that the fitted state pickles as plain
    bytes and :meth:`save_pretrained` writes a directory that
    ``from_pretrained``, the transformers pipelines and the estimators load.
    ``fingerprint`` is a digest of the files: the engine registry's key.
    """

    def __init__(self, files):
        self.files = dict(files)
        digest = blake2b(digest_size=20)
        for name in sorted(self.files):
            digest.update(f"{name}:{len(self.files[name])}:".encode())
            digest.update(self.files[name])
        self.fingerprint = digest.hexdigest()
        self._loaded = None

    @classmethod
    def from_network(cls, network, tokenizer):
        """Serialize ``network`` and ``tokenizer``; keep them for the first engine."""
        with (
            tempfile.TemporaryDirectory(prefix="sklearn-nli-fine-tuned-") as folder,
            _quiet_loading(False),
        ):
            network.save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            files = {}
            for name in sorted(os.listdir(folder)):
                with open(os.path.join(folder, name), "rb") as handle:
                    files[name] = handle.read()
        model = cls(files)
        # A copy: a fast tokenizer is not to be used from two engines' threads at once.
        model._loaded = (network, copy.deepcopy(tokenizer))
        return model

    @property
    def n_bytes(self):
        """Total size of the files."""
        return sum(map(len, self.files.values()))

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_loaded"] = None
        return state

    def save_pretrained(self, path):
        """Write the files into the directory ``path`` (created if needed)."""
        os.makedirs(path, exist_ok=True)
        for name, data in self.files.items():
            with open(os.path.join(path, name), "wb") as handle:
                handle.write(data)

    def load(self):
        """``(network, tokenizer)`` built from the files (or kept since training)."""
        loaded, self._loaded = self._loaded, None
        if loaded is not None:
            return loaded
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        with (
            tempfile.TemporaryDirectory(prefix="sklearn-nli-fine-tuned-") as folder,
            _quiet_loading(False),
        ):
            self.save_pretrained(folder)
            tokenizer = AutoTokenizer.from_pretrained(folder)
            network = AutoModelForSequenceClassification.from_pretrained(folder)
        return network.eval(), tokenizer

    def engine(self, device, precision, backend, progress, base_model):
        """The process-wide engine of these weights."""
        return get_engine_for_network(
            self.load,
            None,
            self.fingerprint,
            device,
            precision,
            backend,
            progress,
            name=f"{base_model} fine-tuned ({self.fingerprint[:12]})",
        )
