"""The engine: loading, devices, batching, dedup, the result cache, faults, precision."""

import re
import warnings

import numpy as np
import pytest
import torch
from _requirements import require_module

from sklearn_nli import (
    NLIPairScorer,
    ZeroShotNLIClassifier,
    clear_model_cache,
    config_context,
)
from sklearn_nli._runtime import _devices, _engine
from sklearn_nli._runtime._backends import resolve_backend
from sklearn_nli._runtime._cache import ResultCache, pair_key
from sklearn_nli._runtime._devices import resolve_device
from sklearn_nli._runtime._encoder import PairEncoder
from sklearn_nli._runtime._engine import CPU_BATCH_SIZE, NLIEngine, get_engine, unique_inverse

TEXTS = [
    "the team plays a game in the park",
    "stock market news",
    "a man plays guitar " * 20,
    "a dog",
    "science and technology news about the world of business",
    "politics and the market",
    "a cat runs in the park on sunday",
]
LABELS = ["sports", "business", "world"]


@pytest.fixture
def engine(tiny_model):
    clear_model_cache()
    yield get_engine(tiny_model, "cpu")
    clear_model_cache()


@pytest.fixture
def forwarded(monkeypatch):
    """Count the pairs that really go through the network."""
    rows = []
    original = NLIEngine.forward

    def counting(self, tokenized, batch):
        rows.append(len(batch))
        return original(self, tokenized, batch)

    monkeypatch.setattr(NLIEngine, "forward", counting)
    return rows


def _fit(model, **params):
    return ZeroShotNLIClassifier(model, candidate_labels=LABELS, device="cpu", **params).fit()


# ----------------------------------------------------------------- loading


def test_engine_is_shared_by_estimators_and_clones(tiny_model, engine):
    assert get_engine(tiny_model, "cpu") is engine
    assert get_engine(tiny_model + "/", "cpu") is engine  # same directory, same engine
    assert get_engine(tiny_model, "cpu", "int8") is not engine


def test_resolve_device_auto_is_cpu_without_accelerators(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(_devices, "mps_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    monkeypatch.setattr(_devices, "mps_available", lambda: True)
    assert resolve_device("auto") == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"


def test_resolve_device_checks_cuda_index(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("cuda:0") == "cuda:0"
    with pytest.raises(ValueError, match=r"'cuda:1'.*1 CUDA device"):
        resolve_device("cuda:1")


def test_unavailable_mps_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_devices, "mps_available", lambda: False)
    with pytest.raises(ValueError, match="MPS backend is not available"):
        resolve_device("mps")


def test_model_with_one_label_is_rejected(tmp_path):
    from sklearn_nli._testing import build_tiny_model

    path = build_tiny_model(tmp_path / "one-label", labels=("entailment",))
    with pytest.raises(ValueError, match="1 output label"):
        get_engine(path, "cpu")


def test_directory_without_model_is_a_clear_error(tmp_path):
    with pytest.raises(OSError, match="Could not load the tokenizer"):
        get_engine(str(tmp_path), "cpu")


# --------------------------------------------------- batching and ordering


def test_results_do_not_depend_on_batch_size_or_order(tiny_model):
    reference = _fit(tiny_model, batch_size=1, cache=False).predict_proba(TEXTS)
    for batch_size in (2, 3, 64):
        proba = _fit(tiny_model, batch_size=batch_size, cache=False).predict_proba(TEXTS)
        np.testing.assert_allclose(proba, reference, atol=1e-5, rtol=0)
    order = np.random.default_rng(0).permutation(len(TEXTS))
    shuffled = _fit(tiny_model, batch_size=3, cache=False).predict_proba([TEXTS[i] for i in order])
    np.testing.assert_allclose(shuffled, reference[order], atol=1e-5, rtol=0)


def test_results_do_not_depend_on_how_input_is_split(tiny_model):
    clf = _fit(tiny_model, cache=False)
    whole = clf.predict_proba(TEXTS)
    parts = np.vstack([clf.predict_proba(TEXTS[:3]), clf.predict_proba(TEXTS[3:])])
    np.testing.assert_allclose(parts, whole, atol=1e-5, rtol=0)


def test_pairs_are_sorted_by_length_before_batching(engine, monkeypatch):
    widths = []
    original = PairEncoder.pad

    def recording(self, tokenized, rows):
        widths.append(int(tokenized.lengths[rows].max()))
        return original(self, tokenized, rows)

    monkeypatch.setattr(PairEncoder, "pad", recording)
    engine.logits(TEXTS, ["a hypothesis"] * len(TEXTS), batch_size=2, cache=False)
    assert widths == sorted(widths)
    assert len(widths) == 4


def test_chunks_bound_the_pairs_tokenized_at_once(engine, monkeypatch, forwarded):
    monkeypatch.setattr(_engine, "CHUNK_PAIRS", 4)
    sizes = []
    original = PairEncoder.tokenize

    def recording(self, premises, hypotheses, max_length=None):
        sizes.append(len(premises))
        return original(self, premises, hypotheses, max_length)

    monkeypatch.setattr(PairEncoder, "tokenize", recording)
    texts = [f"text number {i}" for i in range(10)]
    chunked = engine.cross_logits(texts, ["a", "b"], cache=False)
    assert max(sizes) <= 4 and sum(sizes) == 20
    monkeypatch.setattr(_engine, "CHUNK_PAIRS", 4096)
    np.testing.assert_allclose(
        chunked, engine.cross_logits(texts, ["a", "b"], cache=False), atol=1e-6
    )


# -------------------------------------------------------------------- dedup


def test_duplicate_texts_are_scored_once(tiny_model, engine, forwarded):
    clf = _fit(tiny_model, cache=False)
    texts = TEXTS * 4
    proba = clf.predict_proba(texts)
    assert sum(forwarded) == len(TEXTS) * len(LABELS)
    np.testing.assert_array_equal(proba[: len(TEXTS)], proba[len(TEXTS) : 2 * len(TEXTS)])


def test_duplicate_pairs_are_scored_once(tiny_model, engine, forwarded):
    pairs = [("a man plays", "a person plays"), ("a dog", "a cat")] * 3
    proba = NLIPairScorer(tiny_model, device="cpu", cache=False).fit().predict_proba(pairs)
    assert sum(forwarded) == 2
    np.testing.assert_array_equal(proba[0], proba[2])


def test_unique_inverse_round_trip():
    items = ["b", "a", "b", "c", "a", "b"]
    first, inverse = unique_inverse(items)
    assert len(first) == 3
    assert [items[first[i]] for i in inverse] == items


class _Colliding:
    def __init__(self, value):
        self.value = value

    def __hash__(self):
        return 7

    def __eq__(self, other):
        return self.value == other.value


def test_unique_inverse_survives_hash_collisions():
    items = [_Colliding(v) for v in "abcab"]
    first, inverse = unique_inverse(items)
    assert len(first) == 3
    assert [items[first[i]].value for i in inverse] == list("abcab")


# -------------------------------------------------------------- result cache


def test_second_call_is_served_from_the_cache(tiny_model, engine, forwarded):
    clf = _fit(tiny_model)
    first = clf.predict_proba(TEXTS)
    n_pairs = sum(forwarded)
    second = clf.predict_proba(TEXTS)
    clf.predict(TEXTS)
    clf.score(TEXTS, clf.predict(TEXTS))
    assert sum(forwarded) == n_pairs
    np.testing.assert_array_equal(first, second)


def test_cache_false_always_recomputes(tiny_model, engine, forwarded):
    clf = _fit(tiny_model, cache=False)
    clf.predict_proba(TEXTS)
    clf.predict_proba(TEXTS)
    assert sum(forwarded) == 2 * len(TEXTS) * len(LABELS)


@pytest.mark.parametrize(
    "change",
    [
        {"hypothesis_template": "The topic is {}."},
        {"max_length": 12},
        {"label_descriptions": {"world": "world news"}},
    ],
)
def test_changing_what_shapes_the_pairs_gives_fresh_scores(tiny_model, engine, forwarded, change):
    _fit(tiny_model).predict_proba(TEXTS)
    before = sum(forwarded)
    _fit(tiny_model, **change).predict_proba(TEXTS)
    assert sum(forwarded) > before


def test_max_length_is_part_of_the_cache_key(tiny_model, engine):
    long_text = ["a man plays guitar in the park " * 10]
    full = _fit(tiny_model).predict_proba(long_text)
    short = _fit(tiny_model, max_length=16).predict_proba(long_text)
    fresh = _fit(tiny_model, max_length=16, cache=False).predict_proba(long_text)
    np.testing.assert_array_equal(short, fresh)
    assert not np.allclose(full, short)


def test_precision_and_model_have_their_own_caches(tiny_model, tiny_model_contradiction_first):
    clear_model_cache()
    _fit(tiny_model).predict_proba(TEXTS)
    assert len(get_engine(tiny_model, "cpu", "int8").result_cache) == 0
    assert len(get_engine(tiny_model_contradiction_first, "cpu").result_cache) == 0
    assert len(get_engine(tiny_model, "cpu").result_cache) == len(TEXTS) * len(LABELS)
    clear_model_cache()


def test_cache_is_bounded(tiny_model, engine):
    with config_context(result_cache_size=5):
        engine = get_engine(tiny_model, "cpu")
        _fit(tiny_model).predict_proba(TEXTS)
        assert len(engine.result_cache) == 5


def test_result_cache_evicts_oldest_first():
    cache = ResultCache(width=2, capacity=2)
    cache.put([b"a", b"b"], np.array([[1, 1], [2, 2]], dtype=np.float32))
    cache.put([b"c"], np.array([[3, 3]], dtype=np.float32))
    out = np.zeros((3, 2), dtype=np.float32)
    hits = cache.get([b"a", b"b", b"c"], out)
    assert hits.tolist() == [False, True, True]
    assert out[1:].tolist() == [[2, 2], [3, 3]]


def test_pair_key_is_unambiguous():
    assert pair_key("ab", "c", 10) != pair_key("a", "bc", 10)
    assert pair_key("a\x00", "b", 10) != pair_key("a", "\x00b", 10)
    assert pair_key("a", "b", 10) != pair_key("a", "b", 11)
    assert pair_key("a", "b", 10) == pair_key("a", "b", 10)


# ------------------------------------------------------------------ faults


def test_exception_mid_call_leaves_no_partial_cache_entries(tiny_model, engine, monkeypatch):
    reference = _fit(tiny_model, cache=False).predict_proba(TEXTS)
    original = NLIEngine.forward
    calls = []

    def failing(self, tokenized, batch):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, tokenized, batch)

    monkeypatch.setattr(NLIEngine, "forward", failing)
    with pytest.raises(KeyboardInterrupt):
        _fit(tiny_model, batch_size=2).predict_proba(TEXTS)
    assert len(engine.result_cache) == 4  # the two completed batches only
    monkeypatch.setattr(NLIEngine, "forward", original)
    np.testing.assert_allclose(_fit(tiny_model).predict_proba(TEXTS), reference, atol=1e-6)


def test_out_of_memory_halves_the_batch_and_retries(tiny_model, engine, monkeypatch):
    reference = _fit(tiny_model, cache=False).predict_proba(TEXTS)
    original = NLIEngine.forward
    sizes = []

    def small_memory(self, tokenized, batch):
        sizes.append(len(batch))
        if len(batch) > 3:
            raise torch.OutOfMemoryError("CUDA out of memory (injected)")
        return original(self, tokenized, batch)

    monkeypatch.setattr(NLIEngine, "forward", small_memory)
    proba = _fit(tiny_model, batch_size=16, cache=False).predict_proba(TEXTS)
    np.testing.assert_allclose(proba, reference, atol=1e-5)
    assert sizes[0] == 16 and max(sizes[1:]) <= 16 and sizes[-1] <= 3


def test_out_of_memory_at_batch_of_one_is_a_clear_error(tiny_model, engine, monkeypatch):
    def no_memory(self, tokenized, batch):
        raise torch.OutOfMemoryError("CUDA out of memory (injected)")

    monkeypatch.setattr(NLIEngine, "forward", no_memory)
    with pytest.raises(RuntimeError, match="even with a batch of 1 pair"):
        _fit(tiny_model, batch_size=4, cache=False).predict_proba(TEXTS)
    assert len(engine.result_cache) == 0


# ------------------------------------------------------------ progress bar


def test_progress_bar_counts_every_pair_once(tiny_model, engine, capsys):
    _fit(tiny_model, show_progress_bar=True, cache=False).predict_proba(TEXTS * 2)
    err = capsys.readouterr().err
    total = len(TEXTS) * len(LABELS)
    assert "NLI pairs" in err and f"{total}/{total}" in err
    # one bar: every refresh reports the same total
    assert {int(t) for t in re.findall(r"\d+/(\d+) \[", err)} == {total}


def test_progress_bar_counts_cached_pairs(tiny_model, engine, capsys):
    clf = _fit(tiny_model, show_progress_bar=True)
    clf.predict_proba(TEXTS)
    capsys.readouterr()
    clf.predict_proba(TEXTS)
    total = len(TEXTS) * len(LABELS)
    assert f"{total}/{total}" in capsys.readouterr().err


def test_no_progress_bar_by_default(tiny_model, engine, capsys):
    _fit(tiny_model).predict_proba(TEXTS)
    assert "NLI pairs" not in capsys.readouterr().err


# --------------------------------------------------------------- precision


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_fast_precisions_run_and_stay_close(tiny_model, precision):
    reference = _fit(tiny_model, cache=False).predict_proba(TEXTS)
    proba = _fit(tiny_model, precision=precision, cache=False).predict_proba(TEXTS)
    assert proba.shape == reference.shape and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-6)
    assert np.abs(proba - reference).max() < 0.05


def test_fp16_on_cpu_is_a_clear_error(tiny_model):
    with pytest.raises(ValueError, match="precision='fp16' is for GPUs"):
        _fit(tiny_model, precision="fp16").predict_proba(TEXTS)


def test_int8_off_cpu_is_a_clear_error():
    with pytest.raises(ValueError, match="precision='int8' runs on the CPU only"):
        resolve_backend("torch", "cuda", "int8")


def test_unknown_precision_is_a_clear_error(tiny_model):
    with pytest.raises(ValueError, match="precision must be one of"):
        _fit(tiny_model, precision="int4")


def test_default_batch_size_is_eight_pairs_on_the_cpu(engine, forwarded):
    engine.logits(TEXTS * 3, [f"hypothesis {i}" for i in range(len(TEXTS) * 3)], cache=False)
    assert max(forwarded) == CPU_BATCH_SIZE == 8
    assert sum(forwarded) == len(TEXTS) * 3


def test_int8_is_onnxruntime_quantization_without_deprecation_warnings(tiny_model):
    require_module("onnxruntime")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proba = _fit(tiny_model, precision="int8", cache=False).predict_proba(TEXTS)
    assert np.isfinite(proba).all()
    assert get_engine(tiny_model, "cpu", "int8").backend == "onnxruntime"
    deprecations = [w for w in caught if "deprecat" in str(w.message).lower()]
    assert deprecations == [], [str(w.message) for w in deprecations]


# ------------------------------------------------------------- public API


def test_clear_model_cache_forgets_models_and_results(tiny_model, forwarded):
    import sklearn_nli
    from sklearn_nli._runtime._engine import loaded_engines

    assert sklearn_nli.clear_model_cache is clear_model_cache
    clf = _fit(tiny_model)
    clf.predict_proba(TEXTS)
    engine = get_engine(tiny_model, "cpu")
    assert engine in loaded_engines().values() and len(engine.result_cache) > 0
    before = sum(forwarded)
    clear_model_cache()
    assert loaded_engines() == {}
    clf.predict_proba(TEXTS)  # loaded again, every pair computed again
    assert get_engine(tiny_model, "cpu") is not engine
    assert sum(forwarded) == 2 * before


def test_get_backend_info_says_which_backend_runs_and_why(tiny_model):
    from sklearn.exceptions import NotFittedError

    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu")
    with pytest.raises(NotFittedError):
        clf.get_backend_info()
    info = clf.fit().get_backend_info()
    engine = get_engine(tiny_model, "cpu")
    assert info == {
        "model": engine.model_name,
        "device": "cpu",
        "precision": "fp32",
        "backend": engine.backend,
        "reason": engine.backend_reason,
    }
    assert info["reason"].startswith("backend='auto' takes the first installed backend")
    scorer = NLIPairScorer(tiny_model, device="cpu", backend="torch").fit()
    assert scorer.get_backend_info()["backend"] == "torch"
    assert scorer.get_backend_info()["reason"] == "backend='torch' was asked for"
