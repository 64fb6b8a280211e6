"""The engine: pairs of strings in, logits out.

Everything between text and numbers lives here and nowhere else: loading the
model and tokenizer (once per process, shared by all estimators, clones, CV
folds and grid points), choosing the device, tokenizing, batching by length and
running the forward passes. The estimators know nothing of models, devices or
batches; the engine knows nothing of labels or templates.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import torch

__all__ = ["NLIEngine", "get_engine", "resolve_device", "clear_engine_cache"]

# Pairs tokenized at a time: bounds memory whatever the number of pairs, and is
# large enough that sorting by length inside a chunk removes most padding.
_CHUNK_PAIRS = 4096

_ENGINES: dict = {}
_ENGINES_LOCK = threading.Lock()


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
            raise ValueError(
                "device='mps' was requested but Apple's MPS backend is not available "
                "in this torch build or on this machine; use device='cpu' or 'auto'."
            )
        return "mps"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available "
                "(torch.cuda.is_available() is False); use device='cpu' or 'auto'."
            )
        if ":" in device:
            index = int(device.split(":", 1)[1])
            count = torch.cuda.device_count()
            if index >= count:
                raise ValueError(
                    f"device={device!r} was requested but this machine has {count} CUDA "
                    f"device(s), numbered 0 to {count - 1}."
                )
        return device
    raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}.")


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
        raise FileNotFoundError(
            f"model={model!r} looks like a local path, but no such directory exists. "
            "Give the directory that holds config.json and the weights, or a Hugging "
            "Face Hub model id such as 'MoritzLaurer/MiniLM-L6-mnli'."
        )
    return model


def get_engine(model, device):
    """Return the process-wide engine for ``model`` on ``device``, loading it once."""
    key = (_model_key(model), resolve_device(device))
    engine = _ENGINES.get(key)
    if engine is None:
        with _ENGINES_LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                engine = NLIEngine(*key)
                _ENGINES[key] = engine
    return engine


def clear_engine_cache():
    """Forget every loaded model (they are reloaded on next use)."""
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
    """

    def __init__(self, model, device):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.model_name = model
        self.device = device
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model)
        except Exception as exc:
            raise OSError(f"Could not load the tokenizer of model {model!r}: {exc}") from exc
        try:
            network = AutoModelForSequenceClassification.from_pretrained(model)
        except Exception as exc:
            raise OSError(f"Could not load model {model!r}: {exc}") from exc
        self.network = network.to(device).eval()
        config = network.config
        if config.num_labels < 2:
            raise ValueError(
                f"Model {model!r} has {config.num_labels} output label(s); an NLI model "
                "needs at least 2 (entailment and the others)."
            )
        self.labels = [str(config.id2label[i]) for i in range(config.num_labels)]
        self.default_max_length = _default_max_length(self.tokenizer, config)
        self._input_names = [
            name for name in self.tokenizer.model_input_names if name != "attention_mask"
        ]
        self._pad_values = {
            "input_ids": self.tokenizer.pad_token_id or 0,
            "token_type_ids": self.tokenizer.pad_token_type_id,
        }

    def logits(self, premises, hypotheses, *, batch_size=32, max_length=None, progress=False):
        """Logits of every ``(premises[i], hypotheses[i])`` pair, shape ``(n, n_labels)``.

        Identical pairs are run once; pairs are tokenized in bounded chunks,
        sorted by token length and batched, so padding is minimal and memory
        does not grow with the number of pairs.
        """
        index = {}
        inverse = np.fromiter(
            (index.setdefault(pair, len(index)) for pair in zip(premises, hypotheses)),
            dtype=np.intp,
            count=len(premises),
        )
        unique = list(index)
        result = np.empty((len(unique), len(self.labels)), dtype=np.float32)
        max_length = max_length or self.default_max_length
        bar = _progress_bar(len(unique)) if progress else None
        try:
            for start in range(0, len(unique), _CHUNK_PAIRS):
                chunk = unique[start : start + _CHUNK_PAIRS]
                self._run_chunk(
                    chunk, result[start : start + len(chunk)], batch_size, max_length, bar
                )
        finally:
            if bar is not None:
                bar.close()
        return result[inverse]

    def _run_chunk(self, pairs, out, batch_size, max_length, bar):
        encoded = self._tokenize(pairs, max_length)
        lengths = np.fromiter(map(len, encoded["input_ids"]), dtype=np.intp, count=len(pairs))
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = self._pad(encoded, rows, lengths)
            with torch.inference_mode():
                logits = self.network(**batch).logits
            out[rows] = logits.float().cpu().numpy()
            if bar is not None:
                bar.update(len(rows))

    def _tokenize(self, pairs, max_length):
        premises = [premise for premise, _ in pairs]
        hypotheses = [hypothesis for _, hypothesis in pairs]
        try:
            return self.tokenizer(
                premises,
                hypotheses,
                truncation="only_first",
                max_length=max_length,
                return_attention_mask=False,
            )
        except Exception as exc:
            longest = max(hypotheses, key=len)
            raise ValueError(
                f"Could not tokenize the pairs with max_length={max_length}: {exc}. "
                "Only the text (premise) is truncated, never the hypothesis: a hypothesis "
                f"that alone fills max_length cannot be scored (longest: {longest[:80]!r})."
            ) from exc

    def _pad(self, encoded, rows, lengths):
        width = int(lengths[rows].max())
        mask = np.arange(width)[None, :] < lengths[rows][:, None]
        if self.tokenizer.padding_side == "left":
            mask = mask[:, ::-1]
        batch = {"attention_mask": torch.from_numpy(mask.astype(np.int64))}
        for name in self._input_names:
            values = encoded[name]
            array = np.full((len(rows), width), self._pad_values.get(name, 0), dtype=np.int64)
            array[mask] = np.concatenate([values[i] for i in rows])
            batch[name] = torch.from_numpy(array)
        return {name: tensor.to(self.device) for name, tensor in batch.items()}


def _default_max_length(tokenizer, config):
    limit = getattr(tokenizer, "model_max_length", None)
    if limit is None or limit > 1_000_000:
        limit = getattr(config, "max_position_embeddings", 512)
    return int(limit)


def _progress_bar(total):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="pair", desc="NLI pairs")
