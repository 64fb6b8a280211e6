"""The engine: pairs of strings in, logits out.

Everything between text and numbers lives here and nowhere else: loading the
model and tokenizer (once per process, shared by all estimators, clones, CV
folds and grid points), choosing the device, tokenizing, batching by length and
running the forward passes. The estimators know nothing of models, devices or
batches; the engine knows nothing of labels or templates.
"""

from __future__ import annotations

import contextlib
import os
import threading

import numpy as np
import torch

from ._backends import build_runner, resolve_backend
from ._cache import ResultCache, pair_key
from ._config import config_context, get_config
from ._errors import InvalidValueError, ModelDirectoryNotFoundError, ModelLoadError
from ._hub import check_available

__all__ = [
    "NLIEngine",
    "clear_engine_cache",
    "get_engine",
    "get_engine_for_network",
    "has_classification_head",
    "resolve_device",
]

# Pairs tokenized at a time: bounds memory whatever the number of pairs, and is
# large enough that sorting by length inside a chunk removes most padding.
_CHUNK_PAIRS = 4096

# Default pairs per forward pass (measured: ONNX Runtime ran fastest at 8 on a
# 2-core CPU); what users read about it is _docstrings.DEFAULT_BATCH_SIZE.
_CPU_BATCH_SIZE = 8
_GPU_BATCH_SIZE = 64

_ENGINES: dict = {}
# Engines of in-memory networks (fine-tuned estimators) kept at once, oldest dropped
# first: each holds a whole model, and a grid search fine-tunes one per fold and point.
_MAX_NETWORK_ENGINES = 4
_ENGINES_LOCK = threading.Lock()
_OUT_OF_MEMORY = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)


def resolve_device(device):
    """Turn a ``device`` parameter into a concrete, available torch device string."""
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if _mps_available():
            return "mps"
        return "cpu"
    if device == "cpu":
        return "cpu"
    if device == "mps":
        if not _mps_available():
            raise InvalidValueError(
                "device='mps' was requested but Apple's MPS backend is not available "
                "in this torch build or on this machine; use device='cpu' or 'auto'."
            )
        return "mps"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InvalidValueError(
                f"device={device!r} was requested but CUDA is not available "
                "(torch.cuda.is_available() is False); use device='cpu' or 'auto'."
            )
        if ":" in device:
            index = int(device.split(":", 1)[1])
            count = torch.cuda.device_count()
            if index >= count:
                raise InvalidValueError(
                    f"device={device!r} was requested but this machine has {count} CUDA "
                    f"device(s), numbered 0 to {count - 1}."
                )
        return device
    raise AssertionError(f"unchecked device {device!r}")  # the parameter table checks it


def _mps_available():
    backend = getattr(torch.backends, "mps", None)
    return backend is not None and backend.is_available()


def _looks_like_path(model):
    return (
        os.path.isabs(model)
        or model.startswith((".", "~"))
        or os.sep in model.replace("/", "", 1)
        or model.count("/") > 1
    )


def _model_key(model):
    expanded = os.path.expanduser(model)
    if os.path.isdir(expanded):
        return os.path.realpath(expanded)
    if _looks_like_path(model):
        raise ModelDirectoryNotFoundError(
            f"model={model!r} looks like a local path, but no such directory exists. "
            "Give the directory that holds config.json and the weights, or a Hugging "
            "Face Hub model id such as 'MoritzLaurer/MiniLM-L6-mnli'."
        )
    return model


def get_engine(model, device, precision="fp32", backend="auto", progress=False):
    """Return the process-wide engine for ``model`` on ``device``, loading it once.

    Loading is quiet (no "Loading weights" bar from transformers) unless
    ``progress`` asks for bars.
    """
    device = resolve_device(device)
    key = (_model_key(model), device, precision, resolve_backend(backend, device, precision))
    engine = _ENGINES.get(key)
    if engine is None:
        with _ENGINES_LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                check_available(key[0])  # fails fast, and helpfully, offline
                with _quiet_loading(progress):
                    engine = NLIEngine(*key)
                _ENGINES[key] = engine
    return engine


def get_engine_for_network(
    network,
    tokenizer,
    fingerprint,
    device,
    precision="fp32",
    backend="auto",
    progress=False,
    name=None,
):
    """Return the process-wide engine of an in-memory network, building it once.

    The registry keys it by ``("network", fingerprint)``, where ``fingerprint``
    is a digest of its weights and tokenizer, so that its cached results never
    mix with those of the model it was fine-tuned from. ``network`` (a torch
    sequence-classification model, in fp32 on the CPU, that the engine then
    owns) and ``tokenizer`` may instead be given as ``network``, a function
    returning ``(network, tokenizer)``, and ``tokenizer=None``: it is called
    only when no engine of that fingerprint is loaded. The ONNX Runtime and
    OpenVINO backends export this network (in memory: fine-tuned graphs skip
    the disk cache). At most ``_MAX_NETWORK_ENGINES`` such engines are kept.
    """
    device = resolve_device(device)
    key = (("network", fingerprint), device, precision, resolve_backend(backend, device, precision))
    engine = _ENGINES.get(key)
    if engine is None:
        with _ENGINES_LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                # A fine-tuned network's graph is not kept on disk: a grid search would
                # write one (90 MB for MiniLM) per fold and grid point.
                with _quiet_loading(progress), config_context(export_cache_dir=False):
                    if tokenizer is None:
                        network, tokenizer = network()
                    label = name or f"fine-tuned model {fingerprint[:12]}"
                    engine = NLIEngine.from_network(network, tokenizer, label, *key[1:])
                _ENGINES[key] = engine
                network_keys = [k for k in _ENGINES if isinstance(k[0], tuple)]
                for old in network_keys[:-_MAX_NETWORK_ENGINES]:
                    del _ENGINES[old]
    return engine


def has_classification_head(model):
    """Whether ``model``'s checkpoint holds a sequence-classification head.

    Read from its config's ``architectures`` (``BertModel`` for a plain
    encoder): a config that names none, or cannot be read here, counts as
    having one (the engine then loads it, or says why it cannot).
    """
    from transformers import AutoConfig

    try:
        with _quiet_loading(False):
            config = AutoConfig.from_pretrained(_model_key(model))
    except Exception:
        return True
    architectures = getattr(config, "architectures", None) or []
    return not architectures or any(
        name.endswith("ForSequenceClassification") for name in architectures
    )


@contextlib.contextmanager
def _quiet_loading(progress):
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


def clear_engine_cache():
    """Forget every loaded model and its cached results (reloaded on next use)."""
    with _ENGINES_LOCK:
        _ENGINES.clear()


class NLIEngine:
    """A loaded sequence-classification model and its tokenizer on one device.

    Parameters
    ----------
    model : str
        Hub model id or local directory.
    device : str
        A resolved torch device string.
    precision : {"fp32", "bf16", "fp16", "int8"}
        Numeric mode of the forward passes.
    backend : str
        A registered backend's name, or ``"auto"`` to try the candidates in
        order, as resolved by :func:`sklearn_nli._backends.resolve_backend`.
        ``self.backend`` says which one runs.
    """

    def __init__(self, model, device, precision="fp32", backend="torch"):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.model_name = model
        self.device = device
        self.precision = precision
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model)
        except Exception as exc:
            raise ModelLoadError(f"Could not load the tokenizer of model {model!r}: {exc}") from exc
        if len(self.tokenizer) <= len(self.tokenizer.all_special_tokens) + 1:
            # transformers builds an empty tokenizer when the files are missing,
            # which would silently turn every text into [UNK].
            raise ModelLoadError(
                f"Could not load the tokenizer of model {model!r}: it has no vocabulary "
                f"({len(self.tokenizer)} tokens). Is the directory missing tokenizer.json / "
                "vocab.txt? Save the tokenizer with save_pretrained next to the model."
            )
        try:
            network = AutoModelForSequenceClassification.from_pretrained(model)
        except Exception as exc:
            raise ModelLoadError(f"Could not load model {model!r}: {exc}") from exc
        config = network.config
        if config.num_labels < 2:
            raise InvalidValueError(
                f"Model {model!r} has {config.num_labels} output label(s); an NLI model "
                "needs at least 2 (entailment and the others)."
            )
        self._attach(network, backend)

    @classmethod
    def from_network(cls, network, tokenizer, name, device, precision="fp32", backend="torch"):
        """The engine of an in-memory ``network`` and ``tokenizer`` (not loaded by name).

        ``name`` is what messages call the model. The engine owns ``network``
        from then on (a backend may move it to ``device``).
        """
        engine = cls.__new__(cls)
        engine.model_name = name
        engine.device = device
        engine.precision = precision
        engine.tokenizer = tokenizer
        engine._attach(network, backend)
        return engine

    def _attach(self, network, backend):
        """Everything after loading: labels, limits, result cache, the backend's runner."""
        config = network.config
        self.labels = [str(config.id2label[i]) for i in range(config.num_labels)]
        self.default_max_length = _default_max_length(self.tokenizer, config)
        self.result_cache = ResultCache(len(self.labels), get_config()["result_cache_size"])
        self._input_names = [
            name for name in self.tokenizer.model_input_names if name != "attention_mask"
        ]
        self._pad_values = {
            "input_ids": self.tokenizer.pad_token_id or 0,
            "token_type_ids": self.tokenizer.pad_token_type_id,
        }
        self._runner, self.backend, self.backend_reason = build_runner(
            backend, network.eval(), self.device, self.precision, self._probe(), self.model_name
        )

    def trainable_network(self, labels=None):
        """A fresh copy of the model to train: loaded again, fp32, on the CPU, in train mode.

        With ``labels``, its classification head is a new one (random weights,
        drawn from torch's global generator) with these labels, whatever head
        the checkpoint has. Only for an engine loaded by name.
        """
        from transformers import AutoModelForSequenceClassification

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
            with _quiet_loading(False):
                network = AutoModelForSequenceClassification.from_pretrained(
                    self.model_name, **options
                )
        except Exception as exc:
            raise ModelLoadError(f"Could not load model {self.model_name!r}: {exc}") from exc
        return network.float().train()

    # ---------------------------------------------------------------- public

    def logits(self, premises, hypotheses, **options):
        """Logits of the pairs ``(premises[i], hypotheses[i])``: shape ``(n, n_labels)``."""
        if len(premises) != len(hypotheses):
            raise InvalidValueError(
                f"Got {len(premises)} premises but {len(hypotheses)} hypotheses."
            )
        pairs = list(zip(premises, hypotheses))
        return self._score_each_once(pairs, _PairList, **options)[:, 0]

    def cross_logits(self, texts, hypotheses, *, columns=None, **options):
        """Logits of every text paired with every hypothesis.

        Returns an array of shape ``(len(texts), len(hypotheses), n_columns)``,
        with the logit columns ``columns`` (all by default). Duplicate texts are
        run once.
        """
        hypotheses = list(hypotheses)
        return self._score_each_once(
            texts,
            lambda distinct: _PairGrid(distinct, hypotheses),
            pairs_per_item=len(hypotheses),
            columns=columns,
            **options,
        )

    # ------------------------------------------------------------- internals

    def _score_each_once(self, items, make_table, pairs_per_item=1, **options):
        """Score ``make_table(distinct items)``, each distinct item once, in ``items`` order.

        The table holds ``pairs_per_item`` consecutive pairs per item; the result
        has shape ``(len(items), pairs_per_item, n_columns)``.
        """
        first, inverse = unique_inverse(items)
        if len(first) == len(items):  # no duplicates: keep the order, skip the copies
            return self._score(make_table(items), **options).reshape(len(items), pairs_per_item, -1)
        distinct = [items[i] for i in first]
        scores = self._score(make_table(distinct), **options)
        return scores.reshape(len(distinct), pairs_per_item, -1)[inverse]

    def _score(
        self,
        table,
        *,
        batch_size=None,
        max_length=None,
        progress=False,
        cache=True,
        columns=None,
    ):
        """Run every pair of ``table`` (its pairs are distinct) through the model."""
        max_length = int(max_length or self.default_max_length)
        batch_size = batch_size or (_CPU_BATCH_SIZE if self.device == "cpu" else _GPU_BATCH_SIZE)
        columns = list(range(len(self.labels))) if columns is None else list(columns)
        out = np.empty((len(table), len(columns)), dtype=np.float32)
        use_cache = cache and self._sync_cache_size() > 0
        bar = _progress_bar(len(table)) if progress else None
        try:
            for start in range(0, len(table), _CHUNK_PAIRS):
                stop = min(start + _CHUNK_PAIRS, len(table))
                premises, hypotheses = table.slice(start, stop)
                logits = np.empty((stop - start, len(self.labels)), dtype=np.float32)
                todo = np.arange(stop - start)
                keys = None
                if use_cache:
                    keys = [pair_key(p, h, max_length) for p, h in zip(premises, hypotheses)]
                    todo = np.flatnonzero(~self.result_cache.get(keys, logits))
                    if bar is not None:
                        bar.update(len(keys) - len(todo))
                if len(todo):
                    self._run(premises, hypotheses, todo, logits, keys, batch_size, max_length, bar)
                out[start:stop] = logits[:, columns]
        finally:
            if bar is not None:
                bar.close()
        return out

    def _run(self, premises, hypotheses, rows, logits, keys, batch_size, max_length, bar):
        """Forward passes for ``rows`` of a chunk, sorted by token length."""
        encoded = self._tokenize(
            [premises[i] for i in rows], [hypotheses[i] for i in rows], max_length
        )
        lengths = np.fromiter(map(len, encoded["input_ids"]), dtype=np.intp, count=len(rows))
        order = np.argsort(lengths, kind="stable")
        start = 0
        while start < len(order):
            batch = order[start : start + batch_size]
            values, batch_size = self._forward_adaptive(encoded, batch, lengths, batch_size)
            logits[rows[batch]] = values
            if keys is not None:
                self.result_cache.put([keys[rows[i]] for i in batch], values)
            if bar is not None:
                bar.update(len(batch))
            start += len(batch)

    def _forward_adaptive(self, encoded, batch, lengths, batch_size):
        """Forward one batch; on CUDA out-of-memory, halve the batch and retry.

        Returns the logits of ``batch`` and the batch size to go on with.
        """
        try:
            return self._forward(encoded, batch, lengths), batch_size
        except _OUT_OF_MEMORY as exc:
            if len(batch) == 1:
                raise RuntimeError(
                    f"Out of memory on {self.device} even with a batch of 1 pair of "
                    f"{int(lengths[batch].max())} tokens; lower max_length or use another "
                    "device."
                ) from exc
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()
        half = max(1, len(batch) // 2)
        first, size = self._forward_adaptive(encoded, batch[:half], lengths, half)
        second, size = self._forward_adaptive(encoded, batch[half:], lengths, size)
        return np.concatenate([first, second]), size

    def _forward(self, encoded, batch, lengths):
        return self._runner(self._pad(encoded, batch, lengths))

    def _sync_cache_size(self):
        """Give the result cache the size in force (``set_config``); return it."""
        size = get_config()["result_cache_size"]
        if size != self.result_cache.capacity:
            self.result_cache.resize(size)
        return size

    def _probe(self):
        """Two small padded batches a backend may export with and check its logits on."""
        encoded = self._tokenize(
            ["a short text", "a somewhat longer text, with a comma in it", "one"],
            ["a hypothesis", "another one", "and a third, longer hypothesis here"],
            self.default_max_length,
        )
        lengths = np.fromiter(map(len, encoded["input_ids"]), dtype=np.intp)
        return {
            "export": self._pad(encoded, np.array([0, 1]), lengths),
            "check": self._pad(encoded, np.array([2, 1, 0]), lengths),
        }

    def _tokenize(self, premises, hypotheses, max_length):
        try:
            return self.tokenizer(
                premises,
                hypotheses,
                truncation="only_first",
                max_length=max_length,
                return_attention_mask=False,
            )
        except Exception as exc:
            raise self._tokenization_error(hypotheses, max_length, exc) from exc

    def _tokenization_error(self, hypotheses, max_length, exc):
        """Say which hypothesis leaves no room for the text, if that is the cause."""
        special = self.tokenizer.num_special_tokens_to_add(pair=True)
        for hypothesis in dict.fromkeys(hypotheses):
            n_tokens = len(self.tokenizer.tokenize(hypothesis))
            if n_tokens + special >= max_length:
                return InvalidValueError(
                    f"The hypothesis {hypothesis[:100]!r} takes {n_tokens} tokens, which with "
                    f"{special} special tokens leaves no room for the text within "
                    f"max_length={max_length}. Only the text is truncated, never the "
                    "hypothesis: shorten the hypothesis (template or label) or raise max_length."
                )
        return InvalidValueError(f"Could not tokenize the pairs (max_length={max_length}): {exc}")

    def _pad(self, encoded, rows, lengths):
        width = int(lengths[rows].max())
        mask = np.arange(width)[None, :] < lengths[rows][:, None]
        if self.tokenizer.padding_side == "left":
            mask = mask[:, ::-1]
        batch = {"attention_mask": mask.astype(np.int64)}
        for name in self._input_names:
            values = encoded[name]
            array = np.full((len(rows), width), self._pad_values.get(name, 0), dtype=np.int64)
            array[mask] = np.concatenate([values[i] for i in rows])
            batch[name] = array
        return batch


class _PairList:
    """Distinct pairs held as a list of (premise, hypothesis) tuples."""

    def __init__(self, pairs):
        self.pairs = pairs

    def __len__(self):
        return len(self.pairs)

    def slice(self, start, stop):
        chunk = self.pairs[start:stop]
        return [p for p, _ in chunk], [h for _, h in chunk]


class _PairGrid:
    """Every text with every hypothesis, text-major, without materializing the grid."""

    def __init__(self, texts, hypotheses):
        self.texts = texts
        self.hypotheses = hypotheses

    def __len__(self):
        return len(self.texts) * len(self.hypotheses)

    def slice(self, start, stop):
        k = len(self.hypotheses)
        premises = [self.texts[i // k] for i in range(start, stop)]
        hypotheses = [self.hypotheses[i % k] for i in range(start, stop)]
        return premises, hypotheses


def unique_inverse(items):
    """Indices of the first occurrence of each distinct item, and the inverse map.

    ``items[first[inverse[i]]] == items[i]``. Hash-based with numpy, so memory is
    8 bytes per item; equality is checked, and a hash collision falls back to
    exact matching.
    """
    n = len(items)
    hashes = np.fromiter(map(hash, items), dtype=np.int64, count=n)
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    del hashes
    inverse = inverse.reshape(-1)
    duplicates = np.flatnonzero(first[inverse] != np.arange(n))
    if all(items[i] == items[first[inverse[i]]] for i in duplicates):
        return first, inverse
    index = {}
    inverse = np.fromiter(
        (index.setdefault(item, len(index)) for item in items), dtype=np.intp, count=n
    )
    _, first = np.unique(inverse, return_index=True)
    return first, inverse


def _default_max_length(tokenizer, config):
    limit = getattr(tokenizer, "model_max_length", None)
    if limit is None or limit > 1_000_000:
        limit = getattr(config, "max_position_embeddings", 512)
    return int(limit)


def _progress_bar(total):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="pair", desc="NLI pairs")
