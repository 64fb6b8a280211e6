"""Shared test fixtures: tiny random NLI models built on disk, no network.

Lives at the repository root so that both ``tests/`` and the doctests in
``sklearn_nli/`` see the fixtures.
"""

import os
import string

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# Property tests: 100 examples each in CI; `--hypothesis-profile=thorough` for 1,000.
_PROFILE = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
settings.register_profile("default", max_examples=100, **_PROFILE)
settings.register_profile("thorough", max_examples=1000, **_PROFILE)
settings.load_profile("default")

try:  # sklearn_nli.dask needs the dask extra; without it, skip its doctests.
    import dask.dataframe  # noqa: F401
except ImportError:
    collect_ignore = ["sklearn_nli/dask.py"]

ENTAILMENT_FIRST = ("entailment", "neutral", "contradiction")  # MiniLM-L6-mnli
CONTRADICTION_FIRST = ("contradiction", "entailment", "neutral")  # cross-encoder/nli-*
GENERIC_LABELS = ("LABEL_0", "LABEL_1", "LABEL_2")

_WORDS = (
    "this example is about sports business world science technology politics the a "
    "an of and to in on news game team market stock man woman person plays music "
    "guitar dog cat runs park"
).split()


def build_tiny_model(directory, labels=ENTAILMENT_FIRST, seed=0, max_length=128):
    """Save a 2-layer random BERT sequence classifier and its tokenizer in ``directory``."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

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
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=max_length,
        initializer_range=0.2,
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


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """Tiny model with MiniLM-L6-mnli's label order."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-entailment-first"))


@pytest.fixture(scope="session")
def tiny_model_contradiction_first(tmp_path_factory):
    """Tiny model with cross-encoder/nli-*'s label order."""
    return build_tiny_model(
        tmp_path_factory.mktemp("tiny-contradiction-first"), CONTRADICTION_FIRST, seed=1
    )


@pytest.fixture(scope="session")
def tiny_model_generic_labels(tmp_path_factory):
    """Tiny model whose config names its labels LABEL_0, LABEL_1, LABEL_2."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-generic"), GENERIC_LABELS, seed=2)


@pytest.fixture(autouse=True)
def _doctest_model(request, doctest_namespace):
    if isinstance(request.node, pytest.DoctestItem):
        doctest_namespace["model_path"] = request.getfixturevalue("tiny_model")
