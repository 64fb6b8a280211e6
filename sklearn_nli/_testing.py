"""Test utilities: build tiny random BERT NLI models on disk, offline.

``build_tiny_model`` writes a 2-layer BERT sequence classifier with random
weights and a small word-piece vocabulary, built in memory (no download, no
network), in the layout that ``save_pretrained`` gives. The tests, the doctests
and the benchmarks use it wherever a real NLI model would be too slow; its
predictions mean nothing, but they go through exactly the code that a real
model's do. The label tuples give the label orders of the common NLI models.
"""

from __future__ import annotations

import os
import string

__all__ = ["CONTRADICTION_FIRST", "ENTAILMENT_FIRST", "GENERIC_LABELS", "build_tiny_model"]

ENTAILMENT_FIRST = ("entailment", "neutral", "contradiction")  # MiniLM-L6-mnli
CONTRADICTION_FIRST = ("contradiction", "entailment", "neutral")  # cross-encoder/nli-*
GENERIC_LABELS = ("LABEL_0", "LABEL_1", "LABEL_2")

_WORDS = (
    "this example is about sports business world science technology politics the a "
    "an of and to in on news game team market stock man woman person plays music "
    "guitar dog cat runs park"
).split()


def _tiny_bert_config(**settings):
    """The tiny BERT every test model shares: 2 layers of width 16, plus ``settings``.

    The initializer range is 0.2 (BERT's is 0.02) so that the random networks
    give outputs that differ between pairs.
    """
    from transformers import BertConfig

    return BertConfig(
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        initializer_range=0.2,
        **settings,
    )


def build_tiny_model(directory, labels=ENTAILMENT_FIRST, seed=0, max_length=128):
    """Save a 2-layer random BERT sequence classifier and its tokenizer in ``directory``."""
    import torch
    from transformers import BertForSequenceClassification, BertTokenizerFast

    directory = str(directory)
    os.makedirs(directory, exist_ok=True)
    characters = string.ascii_lowercase + string.digits
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += list(characters + string.punctuation) + ["##" + c for c in characters] + _WORDS
    tokenizer = BertTokenizerFast(
        vocab={token: i for i, token in enumerate(vocab)},
        do_lower_case=True,
        model_max_length=max_length,
    )
    torch.manual_seed(seed)
    config = _tiny_bert_config(
        vocab_size=len(vocab),
        max_position_embeddings=max_length,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    model = BertForSequenceClassification(config).eval()
    with torch.no_grad():
        # A random head gives near-uniform outputs; widen it so that parity tests
        # compare probabilities that really differ between classes and pairs.
        model.classifier.weight.mul_(4.0)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def shared_tiny_model(name):
    """A tiny model at a fixed path under the temporary folder, built once.

    For tests that need a model at collection time (``parametrize_with_checks``):
    the path is part of the test ids, so parallel workers (pytest-xdist) must
    all see the same one. Built in a private folder and renamed into place, so
    workers that start at once never read a half-written model.
    """
    import hashlib
    import inspect
    import shutil
    import tempfile

    # The builder's source in the name: a changed builder never reuses an old model.
    version = hashlib.blake2b(inspect.getsource(build_tiny_model).encode(), digest_size=6)
    target = os.path.join(tempfile.gettempdir(), f"{name}-{version.hexdigest()}")
    if not os.path.isdir(target):
        staging = build_tiny_model(tempfile.mkdtemp(prefix=name + "-"))
        try:
            os.replace(staging, target)
        except OSError:  # another worker was first: its model is the same
            shutil.rmtree(staging, ignore_errors=True)
    return target


def build_tiny_encoder(directory, model, dropout=0.1):
    """Save a tiny BERT encoder with no classification head, and ``model``'s tokenizer.

    ``model`` is a tiny NLI model directory (:func:`build_tiny_model`); the
    encoder takes its vocabulary size from the model's config (the tokenizer's
    length can be smaller: its word list repeats some tokens).
    """
    import torch
    from transformers import AutoConfig, AutoTokenizer, BertModel

    directory = str(directory)
    torch.manual_seed(0)
    config = _tiny_bert_config(
        vocab_size=AutoConfig.from_pretrained(model).vocab_size,
        max_position_embeddings=128,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    BertModel(config).save_pretrained(directory)
    AutoTokenizer.from_pretrained(model).save_pretrained(directory)
    return directory
