"""The pair encoder: a model's tokenizer and labels, pairs of strings in, padded arrays out.

Training and prediction see a pair the same way because both go through this
object: the estimators' fine-tuning asks it for padded batches and for a
trainable copy of the network, the engine asks it for the token ids it sorts,
batches and pads for its runner. Loading an encoder reads the tokenizer and the
config only, never the weights.
"""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np

from .._errors import InvalidValueError, ModelDirectoryNotFoundError, ModelLoadError
from .._params import DEFAULT_MODEL
from ._hub import is_local_directory

__all__ = ["PairEncoder", "Tokenized", "model_key", "quiet_loading"]


def _looks_like_path(model):
    return (
        os.path.isabs(model)
        or model.startswith((".", "~"))
        or os.sep in model.replace("/", "", 1)
        or model.count("/") > 1
    )


def model_key(model):
    """What identifies ``model``: the real path of a local directory, else the Hub id."""
    if is_local_directory(model):
        return os.path.realpath(os.path.expanduser(model))
    if _looks_like_path(model):
        raise ModelDirectoryNotFoundError(
            f"model={model!r} looks like a local path, but no such directory exists. "
            "Give the directory that holds config.json and the weights, or a Hugging "
            f"Face Hub model id such as {DEFAULT_MODEL!r}."
        )
    return model


@contextlib.contextmanager
def quiet_loading(progress=False):
    """Hide transformers' own progress bars (weight loading) unless ``progress``."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    if not progress:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled and not progress:
            hf_logging.enable_progress_bar()


class Tokenized:
    """Token ids of a list of pairs, not padded, and the length of each."""

    def __init__(self, encoding):
        self.encoding = encoding
        ids = encoding["input_ids"]
        self.lengths = np.fromiter(map(len, ids), dtype=np.intp, count=len(ids))

    def __len__(self):
        return len(self.lengths)


class PairEncoder:
    """A model's tokenizer and labels: ``(premise, hypothesis)`` pairs to padded int64 arrays.

    Parameters
    ----------
    tokenizer : transformers tokenizer
        The model's tokenizer; the encoder owns it (a fast tokenizer is not to
        be used from two threads at once: the encoder takes a lock).
    config : transformers.PretrainedConfig
        The model's config: its labels and limits.
    name : str
        What messages call the model.
    source : str, default=None
        Where :meth:`load_network` reads the weights from (a local directory
        or a Hub id); None for a network that lives in memory only.

    Attributes
    ----------
    labels : list of str
        The model's output labels, in the order of its logits.
    default_max_length : int
        The token limit of a pair when ``max_length`` is None.
    has_classification_head : bool
        Whether the checkpoint holds a sequence-classification head (its
        config names a ``...ForSequenceClassification`` architecture, or none).
    """

    def __init__(self, tokenizer, config, name, source=None):
        self.tokenizer = tokenizer
        self.config = config
        self.name = name
        self.source = source
        self.labels = [str(config.id2label[i]) for i in range(config.num_labels)]
        self.default_max_length = _default_max_length(tokenizer, config)
        architectures = getattr(config, "architectures", None) or []
        self.has_classification_head = not architectures or any(
            name.endswith("ForSequenceClassification") for name in architectures
        )
        self._input_names = [n for n in tokenizer.model_input_names if n != "attention_mask"]
        self._pad_values = {
            "input_ids": tokenizer.pad_token_id or 0,
            "token_type_ids": tokenizer.pad_token_type_id,
        }
        self.lock = threading.Lock()

    @classmethod
    def from_pretrained(cls, model):
        """The encoder of ``model`` (a local directory or a Hub id): tokenizer and config."""
        from transformers import AutoConfig, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(model)
        except Exception as exc:
            raise ModelLoadError(f"Could not load the tokenizer of model {model!r}: {exc}") from exc
        if len(tokenizer) <= len(tokenizer.all_special_tokens) + 1:
            # transformers builds an empty tokenizer when the files are missing,
            # which would silently turn every text into [UNK].
            raise ModelLoadError(
                f"Could not load the tokenizer of model {model!r}: it has no vocabulary "
                f"({len(tokenizer)} tokens). Is the directory missing tokenizer.json / "
                "vocab.txt? Save the tokenizer with save_pretrained next to the model."
            )
        try:
            config = AutoConfig.from_pretrained(model)
        except Exception as exc:
            raise ModelLoadError(f"Could not load model {model!r}: {exc}") from exc
        if config.num_labels < 2:
            raise InvalidValueError(
                f"Model {model!r} has {config.num_labels} output label(s); an NLI model "
                "needs at least 2 (entailment and the others)."
            )
        return cls(tokenizer, config, model, source=model)

    # -------------------------------------------------------------- encoding

    def tokenize(self, premises, hypotheses, max_length=None):
        """Token ids of the pairs ``(premises[i], hypotheses[i])``; the premise is truncated."""
        max_length = int(max_length or self.default_max_length)
        try:
            with self.lock:
                encoding = self.tokenizer(
                    premises,
                    hypotheses,
                    truncation="only_first",
                    max_length=max_length,
                    return_attention_mask=False,
                )
        except Exception as exc:
            raise self._tokenization_error(hypotheses, max_length, exc) from exc
        return Tokenized(encoding)

    def pad(self, tokenized, rows):
        """The pairs ``rows`` of ``tokenized``, padded together: int64 arrays by input name."""
        lengths = tokenized.lengths[rows]
        width = int(lengths.max())
        mask = np.arange(width)[None, :] < lengths[:, None]
        if self.tokenizer.padding_side == "left":
            mask = mask[:, ::-1]
        batch = {"attention_mask": mask.astype(np.int64)}
        for name in self._input_names:
            values = tokenized.encoding[name]
            array = np.full((len(rows), width), self._pad_values.get(name, 0), dtype=np.int64)
            array[mask] = np.concatenate([values[i] for i in rows])
            batch[name] = array
        return batch

    def encode(self, premises, hypotheses, max_length=None):
        """Tokenize and pad the pairs in one batch: int64 arrays by input name."""
        tokenized = self.tokenize(premises, hypotheses, max_length)
        return self.pad(tokenized, np.arange(len(tokenized)))

    def premise_rooms(self, hypotheses, max_length=None):
        """The most premise tokens that fit beside each hypothesis within ``max_length``.

        Raises an error naming the first hypothesis that leaves no room for
        any premise token.
        """
        max_length = int(max_length or self.default_max_length)
        special = self.tokenizer.num_special_tokens_to_add(pair=True)
        with self.lock:
            ids = self.tokenizer(list(hypotheses), add_special_tokens=False, verbose=False)
        lengths = np.fromiter(map(len, ids["input_ids"]), dtype=np.int64, count=len(hypotheses))
        rooms = max_length - special - lengths
        if len(rooms) and rooms.min() < 1:
            worst = int(np.flatnonzero(rooms < 1)[0])
            raise InvalidValueError(
                f"The hypothesis {hypotheses[worst][:100]!r} takes {lengths[worst]} tokens, "
                f"which with {special} special tokens leaves no room for the text within "
                f"max_length={max_length}. Only the text is truncated, never the "
                "hypothesis: shorten the hypothesis (template or label) or raise max_length."
            )
        return rooms

    def _tokenization_error(self, hypotheses, max_length, exc):
        """Say which hypothesis leaves no room for the text, if that is the cause."""
        try:
            self.premise_rooms(list(dict.fromkeys(hypotheses)), max_length)
        except InvalidValueError as no_room:
            return no_room
        return InvalidValueError(f"Could not tokenize the pairs (max_length={max_length}): {exc}")

    # --------------------------------------------------------------- weights

    def load_network(self, labels=None, progress=False):
        """The network, loaded from ``source`` onto the CPU, in eval mode.

        With ``labels``, its classification head is a new one (random weights,
        drawn from torch's global generator) with these labels, whatever head
        the checkpoint has.
        """
        from transformers import AutoModelForSequenceClassification

        if self.source is None:
            raise AssertionError("an in-memory network has no source to load from")
        options = {}
        if labels is not None:
            labels = [str(label) for label in labels]
            options = {
                "num_labels": len(labels),
                "id2label": dict(enumerate(labels)),
                "label2id": {label: i for i, label in enumerate(labels)},
                "ignore_mismatched_sizes": True,
            }
        try:
            with quiet_loading(progress):
                network = AutoModelForSequenceClassification.from_pretrained(self.source, **options)
        except Exception as exc:
            raise ModelLoadError(f"Could not load model {self.source!r}: {exc}") from exc
        return network.eval()

    def trainable_network(self, labels=None):
        """A fresh copy of the network to train (see :meth:`load_network`): fp32, train mode."""
        return self.load_network(labels).float().train()


def _default_max_length(tokenizer, config):
    limit = getattr(tokenizer, "model_max_length", None)
    if limit is None or limit > 1_000_000:
        limit = getattr(config, "max_position_embeddings", 512)
    return int(limit)
