"""The engine: pairs of strings in, logits out, and the registry that keeps engines loaded.

An engine is a network on one device, at one precision, run by one backend,
with the :class:`~sklearn_nli._runtime._encoder.PairEncoder` that turns its pairs into
arrays and a cache of the logits it computed. It sorts pairs by length,
batches them, runs each distinct pair once and backs off on out-of-memory; it
knows nothing of labels, templates or estimators. The estimators resolve
their ``device`` and ``backend`` parameters through :func:`get_engine`, the
one lookup of the process-wide registry, which loads a model (by name, or the
fitted weights of a :class:`FineTunedModel`) once however many estimators,
clones, CV folds and grid points use it. Fine-tuning asks the registry for the
encoder only (:func:`get_encoder`): it never builds an engine of the base
model.
"""

from __future__ import annotations

import copy
import os
import tempfile
import threading
from hashlib import blake2b

import numpy as np
import torch

from .._errors import InvalidValueError
from ._backends import build_runner, resolve_backend
from ._cache import ResultCache, pair_key
from ._config import config_context, get_config
from ._devices import OUT_OF_MEMORY, resolve_device
from ._encoder import PairEncoder, model_key, quiet_loading
from ._hub import check_available

__all__ = [
    "CHUNK_PAIRS",
    "CPU_BATCH_SIZE",
    "GPU_BATCH_SIZE",
    "MAX_FINE_TUNED_ENGINES",
    "FineTunedModel",
    "NLIEngine",
    "clear_model_cache",
    "get_encoder",
    "get_engine",
    "loaded_engines",
    "unique_inverse",
]

# Pairs tokenized at a time: bounds memory whatever the number of pairs, and is
# large enough that sorting by length inside a chunk removes most padding.
CHUNK_PAIRS = 4096

# Default pairs per forward pass (docs/performance.md has the measurements behind
# them); what users read about it is _docstrings.DEFAULT_BATCH_SIZE.
CPU_BATCH_SIZE = 8
GPU_BATCH_SIZE = 64

# Engines of fine-tuned weights kept at once, oldest dropped first: each holds a
# whole model, and a grid search fine-tunes one per fold and point.
MAX_FINE_TUNED_ENGINES = 4

# The registry: encoders by model key; engines of models by name by
# (model key, device, precision, backend); engines of fine-tuned weights by
# (("fine-tuned", fingerprint), device, precision, backend), oldest first.
_ENCODERS: dict = {}
_ENGINES: dict = {}
_FINE_TUNED_ENGINES: dict = {}
# Reentrant: building an engine looks its encoder up in the same registry.
_LOCK = threading.RLock()


def _registered(table, key, build):
    """``table[key]``, built by ``build()`` the first time (once, under the lock)."""
    entry = table.get(key)
    if entry is None:
        with _LOCK:
            entry = table.get(key)
            if entry is None:
                entry = table[key] = build()
                if table is _FINE_TUNED_ENGINES:
                    for old in list(table)[:-MAX_FINE_TUNED_ENGINES]:
                        del table[old]
    return entry


def get_encoder(model, progress=False):
    """The process-wide :class:`PairEncoder` of ``model`` (tokenizer and config, no weights)."""
    key = model_key(model)

    def load():
        check_available(key)  # fails fast, and helpfully, offline
        with quiet_loading(progress):
            return PairEncoder.from_pretrained(key)

    return _registered(_ENCODERS, key, load)


def get_engine(source, device, precision="fp32", backend="auto", progress=False, *, keep=True):
    """The process-wide engine of ``source`` on ``device``, built once.

    Parameters
    ----------
    source : str or FineTunedModel
        A Hub model id or local directory, or fine-tuned weights (keyed by
        their fingerprint, so that their cached results never mix with those
        of the model they were fine-tuned from; at most
        ``MAX_FINE_TUNED_ENGINES`` of them are kept, and their exported graphs
        are not written to the disk cache).
    device : str
        A ``device`` parameter (``"auto"``, ``"cpu"``, ``"cuda:1"``, ...).
    precision, backend : str
        The estimators' parameters of the same names.
    progress : bool, default=False
        Let transformers show its weight-loading bar.
    keep : bool, default=True
        Fine-tuned weights only: False builds an engine that the registry
        does not keep (an intermediate model, scored once and dropped),
        unless one is registered already.
    """
    device = resolve_device(device)
    tuned = isinstance(source, FineTunedModel)
    name = ("fine-tuned", source.fingerprint) if tuned else model_key(source)
    key = (name, device, precision, resolve_backend(backend, device, precision))
    if tuned:

        def build():
            return source.build_engine(*key[1:], progress)

        if keep:
            return _registered(_FINE_TUNED_ENGINES, key, build)
        return _FINE_TUNED_ENGINES.get(key) or build()

    def load():
        encoder = get_encoder(key[0], progress)
        return NLIEngine(encoder, encoder.load_network(progress=progress), *key[1:])

    return _registered(_ENGINES, key, load)


def loaded_engines():
    """``{registry key: engine}`` of the engines loaded in this process: models by name
    first, then fine-tuned weights, each oldest first."""
    return {**_ENGINES, **_FINE_TUNED_ENGINES}


def clear_model_cache():
    """Forget every loaded model and its cached results, as a new process would start.

    Models are loaded once per process and shared by every estimator, clone,
    CV fold and grid point that uses them, with the logits of the pairs they
    scored. After this call the next prediction loads its model again (from
    disk or the Hugging Face cache) and computes every pair afresh: useful to
    free memory, and in tests and benchmarks that time a first load.

    See Also
    --------
    set_config : The size of the result cache (``result_cache_size``).

    Examples
    --------
    >>> from sklearn_nli import ZeroShotNLIClassifier, clear_model_cache
    >>> clf = ZeroShotNLIClassifier(model_path, candidate_labels=["sports", "politics"])
    >>> _ = clf.fit().predict(["The match went to extra time."])  # loads the model
    >>> clear_model_cache()  # the next prediction loads it again
    """
    with _LOCK:
        for table in (_ENCODERS, _ENGINES, _FINE_TUNED_ENGINES):
            table.clear()


class NLIEngine:
    """A network on one device, its encoder, its backend's runner and its result cache.

    Parameters
    ----------
    encoder : PairEncoder
        Tokenizes and pads the pairs; its labels are the logits' columns.
    network : torch.nn.Module
        The sequence-classification network, on the CPU; the engine owns it
        from then on (a backend may move or convert it).
    device : str
        A resolved torch device string.
    precision : {"fp32", "bf16", "fp16", "int8"}
        Numeric mode of the forward passes.
    backend : str
        A registered backend's name, or ``"auto"`` to try the candidates in
        order, as resolved by :func:`sklearn_nli._runtime._backends.resolve_backend`.

    Attributes
    ----------
    backend : str
        The backend that runs the network.
    backend_reason : str
        Why that backend runs it.
    result_cache : ResultCache
        The logits of the pairs scored so far.
    """

    def __init__(self, encoder, network, device, precision="fp32", backend="torch"):
        self.encoder = encoder
        self.model_name = encoder.name
        self.device = device
        self.precision = precision
        self.result_cache = ResultCache(len(encoder.labels), get_config()["result_cache_size"])
        self._runner, self.backend, self.backend_reason = build_runner(
            backend, network.eval(), device, precision, self._probe(), self.model_name
        )

    @property
    def labels(self):
        """The model's output labels, in the order of the logits' columns."""
        return self.encoder.labels

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
        max_length = int(max_length or self.encoder.default_max_length)
        batch_size = batch_size or (CPU_BATCH_SIZE if self.device == "cpu" else GPU_BATCH_SIZE)
        columns = list(range(len(self.labels))) if columns is None else list(columns)
        out = np.empty((len(table), len(columns)), dtype=np.float32)
        use_cache = cache and self._sync_cache_size() > 0
        bar = _progress_bar(len(table)) if progress else None
        try:
            for start in range(0, len(table), CHUNK_PAIRS):
                stop = min(start + CHUNK_PAIRS, len(table))
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
        tokenized = self.encoder.tokenize(
            [premises[i] for i in rows], [hypotheses[i] for i in rows], max_length
        )
        order = np.argsort(tokenized.lengths, kind="stable")
        start = 0
        while start < len(order):
            batch = order[start : start + batch_size]
            values, batch_size = self._forward_adaptive(tokenized, batch, batch_size)
            logits[rows[batch]] = values
            if keys is not None:
                self.result_cache.put([keys[rows[i]] for i in batch], values)
            if bar is not None:
                bar.update(len(batch))
            start += len(batch)

    def _forward_adaptive(self, tokenized, batch, batch_size):
        """Forward one batch; on CUDA out-of-memory, halve the batch and retry.

        Returns the logits of ``batch`` and the batch size to go on with.
        """
        try:
            return self.forward(tokenized, batch), batch_size
        except OUT_OF_MEMORY as exc:
            if len(batch) == 1:
                raise RuntimeError(
                    f"Out of memory on {self.device} even with a batch of 1 pair of "
                    f"{int(tokenized.lengths[batch].max())} tokens; lower max_length or use "
                    "another device."
                ) from exc
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()
        half = max(1, len(batch) // 2)
        first, size = self._forward_adaptive(tokenized, batch[:half], half)
        second, size = self._forward_adaptive(tokenized, batch[half:], size)
        return np.concatenate([first, second]), size

    def forward(self, tokenized, rows):
        """One forward pass: the logits of the pairs ``rows`` of ``tokenized``, padded together."""
        return self._runner(self.encoder.pad(tokenized, rows))

    def _sync_cache_size(self):
        """Give the result cache the size in force (``set_config``); return it."""
        size = get_config()["result_cache_size"]
        if size != self.result_cache.capacity:
            self.result_cache.resize(size)
        return size

    def _probe(self):
        """Two small padded batches a backend may export with and check its logits on."""
        tokenized = self.encoder.tokenize(
            ["a short text", "a somewhat longer text, with a comma in it", "one"],
            ["a hypothesis", "another one", "and a third, longer hypothesis here"],
        )
        return {
            "export": self.encoder.pad(tokenized, np.array([0, 1])),
            "check": self.encoder.pad(tokenized, np.array([2, 1, 0])),
        }


class FineTunedModel:
    """Fine-tuned weights held as the files of a Hugging Face model directory.

    ``files`` maps file names to their bytes: ``config.json`` (with the label
    names), ``model.safetensors`` and the tokenizer's files, as
    ``save_pretrained`` writes them, so that the fitted state pickles as plain
    bytes and :meth:`save_pretrained` writes a directory that
    ``from_pretrained``, the transformers pipelines and the estimators load.
    ``fingerprint``, a digest of the files, is its key in the engine registry;
    ``base_model`` names the model it was fine-tuned from, for messages.
    """

    def __init__(self, files, base_model="a model"):
        self.files = dict(files)
        self.base_model = base_model
        digest = blake2b(digest_size=20)
        for name in sorted(self.files):
            digest.update(f"{name}:{len(self.files[name])}:".encode())
            digest.update(self.files[name])
        self.fingerprint = digest.hexdigest()
        self._loaded = None

    @classmethod
    def from_network(cls, network, encoder):
        """Serialize ``network`` with ``encoder``'s tokenizer; keep both for the first engine."""
        with (
            tempfile.TemporaryDirectory(prefix="sklearn-nli-fine-tuned-") as folder,
            quiet_loading(),
        ):
            network.save_pretrained(folder)
            encoder.tokenizer.save_pretrained(folder)
            files = {}
            for name in sorted(os.listdir(folder)):
                with open(os.path.join(folder, name), "rb") as handle:
                    files[name] = handle.read()
        model = cls(files, encoder.name)
        # A tokenizer of its own: the base model's encoder may be in use in another thread.
        model._loaded = (network, copy.deepcopy(encoder.tokenizer))
        return model

    @property
    def name(self):
        """What messages call these weights."""
        return f"{self.base_model} fine-tuned ({self.fingerprint[:12]})"

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
            quiet_loading(),
        ):
            self.save_pretrained(folder)
            tokenizer = AutoTokenizer.from_pretrained(folder)
            network = AutoModelForSequenceClassification.from_pretrained(folder)
        return network.eval(), tokenizer

    def build_engine(self, device, precision, backend, progress=False):
        """A new engine of these weights (the registry's :func:`get_engine` keeps it)."""
        # Its graph is not kept on disk: a grid search would write one (90 MB for
        # MiniLM) per fold and grid point.
        with quiet_loading(progress), config_context(export_cache_dir=False):
            network, tokenizer = self.load()
            encoder = PairEncoder(tokenizer, network.config, self.name)
            return NLIEngine(encoder, network, device, precision, backend)


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


def _progress_bar(total):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="pair", desc="NLI pairs")
