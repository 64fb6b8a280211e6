"""The pair encoder: tokenizer and labels, no weights, one encoding for training and prediction."""

import numpy as np
import pytest
import transformers

from sklearn_nli import clear_model_cache
from sklearn_nli._runtime._encoder import PairEncoder
from sklearn_nli._runtime._engine import get_encoder, get_engine

PREMISES = ["a man plays guitar in the park " * 3, "a dog", "the team plays"]
HYPOTHESES = ["a person plays music", "a cat", "the team plays a game"]


@pytest.fixture
def encoder(tiny_model):
    clear_model_cache()
    yield get_encoder(tiny_model)
    clear_model_cache()


def test_encode_pads_like_the_tokenizer(encoder, tiny_model):
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_model)
    expected = tokenizer(PREMISES, HYPOTHESES, truncation="only_first", padding=True)
    arrays = encoder.encode(PREMISES, HYPOTHESES)
    assert set(arrays) == {"input_ids", "token_type_ids", "attention_mask"}
    for name, array in arrays.items():
        assert array.dtype == np.int64
        np.testing.assert_array_equal(array, np.asarray(expected[name]), err_msg=name)


def test_only_the_premise_is_truncated(encoder):
    arrays = encoder.encode(PREMISES, HYPOTHESES, max_length=10)
    assert arrays["input_ids"].shape[1] == 10
    tokens = encoder.tokenizer.convert_ids_to_tokens(arrays["input_ids"][0])
    n_hypothesis = len(encoder.tokenizer.tokenize(HYPOTHESES[0]))
    assert tokens[-1] == "[SEP]" and arrays["token_type_ids"][0].sum() == n_hypothesis + 1


def test_a_hypothesis_too_long_for_max_length_is_named(encoder):
    with pytest.raises(ValueError, match=r"hypothesis 'the team plays a game'.*leaves no room"):
        encoder.encode(PREMISES, HYPOTHESES, max_length=8)


def test_loading_an_encoder_reads_no_weights(tiny_model, monkeypatch):
    clear_model_cache()

    def refuse(*args, **kwargs):
        raise AssertionError("the weights were loaded")

    monkeypatch.setattr(transformers.AutoModelForSequenceClassification, "from_pretrained", refuse)
    encoder = get_encoder(tiny_model)
    assert encoder.labels == ["entailment", "neutral", "contradiction"]
    assert encoder.has_classification_head
    assert get_encoder(tiny_model + "/") is encoder  # one per model directory
    clear_model_cache()


def test_the_engine_predicts_with_the_shared_encoder(encoder, tiny_model):
    engine = get_engine(tiny_model, "cpu", backend="torch")
    assert engine.encoder is encoder and engine.labels == encoder.labels
    network = encoder.load_network()
    import torch

    with torch.inference_mode():
        tensors = {k: torch.from_numpy(v) for k, v in encoder.encode(PREMISES, HYPOTHESES).items()}
        expected = network(**tensors).logits.numpy()
    np.testing.assert_allclose(engine.logits(PREMISES, HYPOTHESES), expected, atol=1e-5)


def test_trainable_network_is_a_fresh_fp32_copy_in_train_mode(encoder):
    first, second = encoder.trainable_network(), encoder.trainable_network()
    assert first is not second and first.training
    assert all(p.dtype.is_floating_point and p.dtype.itemsize == 4 for p in first.parameters())
    fresh = encoder.trainable_network(["yes", "no"])
    assert fresh.config.id2label == {0: "yes", 1: "no"}


def test_an_in_memory_encoder_has_no_weights_to_load(encoder):
    in_memory = PairEncoder(encoder.tokenizer, encoder.config, "in memory")
    with pytest.raises(AssertionError, match="no source"):
        in_memory.load_network()
