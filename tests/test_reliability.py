"""Reliability: any text either scores cleanly or fails with the documented error.

Property tests run 100 examples each by default (CI) and 1,000 with
``--hypothesis-profile=thorough``.
"""

import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier, clear_model_cache

LABELS = ["sports", "business", "world"]

_SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "\t\n \r",
        "\x00",
        "a\x00b",
        "\x07\x1b[31m",
        "😀🎉👍🏽",
        "مرحبا بالعالم",  # right-to-left
        "שלום עולם",
        "e\u0301\u0301\u0301",  # combining marks
        "\u200b\u200d\ufeff",  # zero-width characters
        "Z̷̢͈͓a̵l̶g̸o̴",
        "x" * 100_000,
        "word " * 20_000,
    ]
)
_UNICODE = st.characters(codec="utf-8")  # every code point but lone surrogates
_TEXT = st.one_of(_SPECIAL, st.text(_UNICODE, max_size=300), st.text(_UNICODE, max_size=40))
_TEXTS = st.lists(_TEXT, min_size=1, max_size=6)
_SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)


@pytest.fixture(scope="module")
def classifiers(tiny_model):
    single = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu").fit()
    multi = ZeroShotNLIClassifier(
        tiny_model, candidate_labels=LABELS, multi_label=True, device="cpu"
    ).fit()
    return single, multi


@pytest.fixture(scope="module")
def scorer(tiny_model):
    return NLIPairScorer(tiny_model, device="cpu").fit()


@given(texts=_TEXTS)
def test_zero_shot_any_text_gives_probabilities(classifiers, texts):
    single, multi = classifiers
    proba = single.predict_proba(texts)
    assert proba.shape == (len(texts), len(LABELS))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    independent = multi.predict_proba(texts)
    assert independent.shape == (len(texts), len(LABELS))
    assert np.isfinite(independent).all()
    assert ((independent >= 0) & (independent <= 1)).all()


@given(
    pairs=st.lists(st.tuples(_TEXT, _TEXT.filter(lambda h: len(h) < 200)), min_size=1, max_size=5)
)
def test_pairs_any_text_gives_probabilities(scorer, pairs):
    proba = scorer.predict_proba(pairs)
    assert proba.shape == (len(pairs), 3)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


@given(texts=_TEXTS, bad=_SURROGATES, position=st.integers(0, 5))
def test_invalid_unicode_is_a_value_error_naming_the_position(classifiers, texts, bad, position):
    position = min(position, len(texts))
    texts = texts[:position] + ["before " + bad] + texts[position:]
    with pytest.raises(ValueError, match=f"row {position} that is not valid Unicode"):
        classifiers[0].predict_proba(texts)


@given(
    texts=st.lists(
        st.one_of(st.none(), st.just(float("nan")), st.integers(), st.floats(), _TEXT),
        min_size=1,
        max_size=5,
    )
)
def test_mixed_elements_fail_with_the_documented_errors(classifiers, texts):
    try:
        proba = classifiers[0].predict_proba(texts)
    except ValueError as exc:
        assert "missing value" in str(exc) or "Reshape your data" in str(exc)
        return
    except TypeError as exc:
        assert "must hold strings" in str(exc)
        return
    assert all(isinstance(t, str) for t in texts)
    assert np.isfinite(proba).all()


# ------------------------------------------------------------------ truncation


def test_long_text_is_truncated_to_the_model_limit(tiny_model):
    clf = ZeroShotNLIClassifier(
        tiny_model, candidate_labels=LABELS, device="cpu", long_texts="truncate"
    ).fit()
    head = "a man plays guitar in the park " * 30  # past the 128-token limit
    long = head + "and then the market news " * 5000
    proba = clf.predict_proba([long])
    assert np.isfinite(proba).all()
    # only the text is cut: beyond the limit, what follows does not matter
    other = clf.predict_proba([head + "stock team game dog cat " * 5000])
    np.testing.assert_allclose(proba, other, atol=1e-6)


def test_max_length_truncates_the_text_not_the_hypothesis(tiny_model):
    clf = ZeroShotNLIClassifier(
        tiny_model, candidate_labels=LABELS, device="cpu", max_length=20, long_texts="truncate"
    ).fit()
    text = "a man plays guitar in the park on sunday with a dog and a cat"
    np.testing.assert_allclose(
        clf.predict_proba([text]), clf.predict_proba([text + " and more words"]), atol=1e-6
    )


def test_hypothesis_longer_than_max_length_is_a_clear_error(tiny_model):
    clf = ZeroShotNLIClassifier(
        tiny_model,
        candidate_labels=["sports", "business"],
        hypothesis_template="This very long hypothesis is about the topic of {} news.",
        max_length=10,
        device="cpu",
    ).fit()
    with pytest.raises(ValueError, match=r"hypothesis 'This very long.*leaves no room"):
        clf.predict_proba(["a text"])
    scorer = NLIPairScorer(tiny_model, device="cpu", max_length=8).fit()
    with pytest.raises(ValueError, match="takes .* tokens"):
        scorer.predict_proba([("premise", "a hypothesis far too long for eight tokens")])


# ------------------------------------------------------------------ invariance


def test_same_call_twice_gives_identical_output(tiny_model):
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu", cache=False)
    clf.fit()
    texts = ["a dog runs", "stock market", "", "😀"]
    np.testing.assert_array_equal(clf.predict_proba(texts), clf.predict_proba(texts))


# ----------------------------------------------------------------- concurrency


def _in_threads(functions):
    results = [None] * len(functions)
    errors = []

    def run(i):
        try:
            results[i] = functions[i]()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(functions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@pytest.mark.parametrize("share", ["one estimator", "clones"])
def test_four_threads_match_serial_calls(tiny_model, share):
    clear_model_cache()
    texts = [f"news item {i} about the market and a team game" for i in range(40)]
    chunks = [texts[i::4] for i in range(4)]
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS, device="cpu", batch_size=4)
    clf.fit()
    serial = [clf.set_params(cache=False).predict_proba(chunk) for chunk in chunks]
    clf.set_params(cache=True)
    clear_model_cache()
    estimators = [clf] * 4 if share == "one estimator" else [clone(clf).fit() for _ in range(4)]
    # overlapping work: every thread scores its own chunk and the whole list
    results = _in_threads(
        [
            lambda e=e, c=c: (e.predict_proba(c), e.predict_proba(texts))
            for e, c in zip(estimators, chunks)
        ]
    )
    whole = np.vstack(serial)[np.argsort(np.concatenate([np.arange(40)[i::4] for i in range(4)]))]
    for (own, everything), expected in zip(results, serial):
        np.testing.assert_allclose(own, expected, atol=1e-5)
        np.testing.assert_allclose(everything, whole, atol=1e-5)


# ----------------------------------------------------------- model problems


def test_tokenizer_that_cannot_be_loaded_is_a_clear_error(tmp_path, tiny_model):
    import shutil

    broken = tmp_path / "no-tokenizer"
    broken.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(f"{tiny_model}/{name}", broken / name)
    with pytest.raises(OSError, match="Could not load the tokenizer of model"):
        ZeroShotNLIClassifier(str(broken), candidate_labels=LABELS).fit().predict(["x"])


def test_dataframe_missing_value_names_index_label_and_column(tiny_model):
    frame = pd.DataFrame(
        {"title": ["a", "b", None], "body": ["x", "y", "z"]}, index=["n1", "n2", "n3"]
    )
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=LABELS).fit()
    with pytest.raises(ValueError, match=r"index label 'n3'.*column 'title'"):
        clf.predict_proba(frame)
