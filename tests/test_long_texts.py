"""Long texts through the estimators: chunks read, their scores combined, the deciding chunk.

The tiny test models read at most 128 tokens, and their small vocabulary makes
texts long fast, so every long-text path runs in a fraction of a second. The
expected values are computed here from the chunks themselves: each chunk
scored on its own with ``long_texts="truncate"`` (a chunk fits, so that reads
it whole), then combined as the docs say.
"""

import pickle

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from transformers import AutoTokenizer

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier
from sklearn_nli._learning import _training
from sklearn_nli._runtime._engine import NLIEngine

FAST = {"device": "cpu", "backend": "torch"}
CLASSES = ["business", "music", "sports"]
TEMPLATE = "This example is {}."
WINDOW = 128 - 3 - 5  # max_length, special tokens, "this example is <label> ."

# Sentences of 5 to 8 tokens of the tiny vocabulary: with chunk_size=8 every
# sentence is a chunk of its own (two of them never fit together).
SENTENCE_CHUNK = 8
SENTENCES = [
    "The team plays the game.",
    "The stock market fell.",
    "The man plays the guitar.",
    "The dog runs in the park.",
    "A woman plays music.",
    "The cat and the dog.",
    "The news of the market.",
    "A person plays in the park.",
]
SHORT_TEXTS = ["the team won the game", "the stock market fell", "a man plays guitar music"]


def sentences(n, offset=0):
    return [SENTENCES[(i + offset) % len(SENTENCES)] for i in range(n)]


def text_of(parts):
    return " ".join(parts)


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    return AutoTokenizer.from_pretrained(tiny_model)


def n_tokens(tokenizer, text):
    return len(tokenizer.tokenize(text))


def packed(tokenizer, parts, size):
    """The chunks of ``text_of(parts)``: whole sentences packed greedily up to ``size`` tokens."""
    if n_tokens(tokenizer, text_of(parts)) <= size:
        return [text_of(parts)]
    chunks, current, total = [], [], 0
    for part in parts:
        count = n_tokens(tokenizer, part)
        if current and total + count <= size:
            current.append(part)
            total += count
        else:
            if current:
                chunks.append(text_of(current))
            current, total = [part], count
    chunks.append(text_of(current))
    return chunks


def zero_shot(model, **params):
    defaults = {"candidate_labels": CLASSES, "hypothesis_template": TEMPLATE, **FAST}
    return ZeroShotNLIClassifier(model, **{**defaults, **params})


def pair_scorer(model, **params):
    return NLIPairScorer(model, **{**FAST, **params})


def truncating(estimator):
    """A fitted copy of ``estimator`` that reads each text whole (as chunks are read alone)."""
    copy = pickle.loads(pickle.dumps(estimator))
    return copy.set_params(long_texts="truncate")


@pytest.fixture
def no_model_work(monkeypatch):
    """Fail any forward pass (and any scoring) from here on."""

    def never(*args, **kwargs):
        raise AssertionError("the model was run")

    monkeypatch.setattr(NLIEngine, "forward", never)
    monkeypatch.setattr(NLIEngine, "_score", never)
    monkeypatch.setattr(_training, "fine_tune", never)


# ----------------------------------------------------- texts within the window


@pytest.mark.parametrize("multi_label", [False, True])
@pytest.mark.parametrize("aggregation", ["mean", "max"])
def test_texts_that_fit_give_exactly_what_truncation_gives(tiny_model, multi_label, aggregation):
    texts = [*SHORT_TEXTS, text_of(sentences(12))]  # the longest: 80 tokens, one chunk
    chunked = zero_shot(
        tiny_model, multi_label=multi_label, chunk_aggregation=aggregation, cache=False
    ).fit()
    truncated = zero_shot(tiny_model, multi_label=multi_label, long_texts="truncate", cache=False)
    truncated.fit()
    np.testing.assert_array_equal(chunked.predict_proba(texts), truncated.predict_proba(texts))
    np.testing.assert_array_equal(
        chunked.decision_function(texts), truncated.decision_function(texts)
    )
    np.testing.assert_array_equal(chunked.predict(texts), truncated.predict(texts))


def test_texts_that_fit_give_exactly_what_truncation_gives_with_a_class_prior(tiny_model):
    texts = [*SHORT_TEXTS, text_of(sentences(12)), "a cat and a dog"]
    chunked = zero_shot(tiny_model, class_prior="uniform", cache=False).fit(texts)
    truncated = zero_shot(tiny_model, class_prior="uniform", long_texts="truncate", cache=False)
    truncated.fit(texts)
    np.testing.assert_array_equal(chunked.class_offsets_, truncated.class_offsets_)
    np.testing.assert_array_equal(chunked.predict_proba(texts), truncated.predict_proba(texts))


@pytest.mark.parametrize("split_hypothesis", [False, True])
def test_pairs_that_fit_give_exactly_what_truncation_gives(tiny_model, split_hypothesis):
    pairs = [
        ("A man plays a guitar.", "A person makes music."),
        ("A dog runs in the park.", "A cat sleeps."),
        (text_of(sentences(12)), "The team plays."),
    ]
    chunked = pair_scorer(tiny_model, split_hypothesis=split_hypothesis, cache=False).fit()
    truncated = pair_scorer(tiny_model, long_texts="truncate", cache=False).fit()
    np.testing.assert_array_equal(chunked.predict_proba(pairs), truncated.predict_proba(pairs))


# ------------------------------------------------------- texts that do not fit


def test_a_long_text_is_read_to_its_end(tiny_model, tokenizer):
    head = sentences(24)  # 160 tokens: the tail lies beyond the window
    assert n_tokens(tokenizer, text_of(head)) > 128
    texts = [text_of([*head, tail]) for tail in ("The stock market fell.", "A woman plays music.")]
    truncated = zero_shot(tiny_model, long_texts="truncate").fit().predict_proba(texts)
    np.testing.assert_array_equal(truncated[0], truncated[1])  # the tails are never read
    chunked = zero_shot(tiny_model).fit().predict_proba(texts)
    assert np.abs(chunked[0] - chunked[1]).max() > 1e-4
    assert np.abs(chunked - truncated).max() > 1e-4
    np.testing.assert_allclose(chunked.sum(axis=1), 1.0)


def test_a_long_premise_is_read_to_its_end(tiny_model):
    head = text_of(sentences(24))
    pairs = [(f"{head} {tail}", "The stock market fell.") for tail in SENTENCES]
    truncated = pair_scorer(tiny_model, long_texts="truncate").fit().predict_proba(pairs)
    np.testing.assert_array_equal(truncated, np.repeat(truncated[:1], len(pairs), axis=0))
    chunked = pair_scorer(tiny_model).fit().predict_proba(pairs)
    assert np.abs(chunked - chunked[0]).max() > 1e-4  # some tail decides


# ----------------------------------------------------------- chunk aggregation


def _chunk_scores(model, chunks, multi_label, **params):
    """Each chunk read on its own: probabilities and scores (logits or their difference)."""
    alone = zero_shot(model, multi_label=multi_label, long_texts="truncate", **params).fit()
    return alone.predict_proba(chunks), alone.decision_function(chunks)


# The label orders of the common NLI models, and a config that names no label.
MODELS = {
    "entailment-first": ("tiny_model", {}),
    "contradiction-first": ("tiny_model_contradiction_first", {}),
    "generic labels": (
        "tiny_model_generic_labels",
        {"entailment_label": "LABEL_1", "contradiction_label": 0},
    ),
}
AGGREGATED = [sentences(5), sentences(3, offset=5), sentences(1, offset=2)]


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("multi_label", [False, True])
def test_mean_aggregation_is_the_mean_of_the_chunks_probabilities(request, model, multi_label):
    fixture, params = MODELS[model]
    path = request.getfixturevalue(fixture)
    clf = zero_shot(path, multi_label=multi_label, chunk_size=SENTENCE_CHUNK, **params).fit()
    proba = clf.predict_proba([text_of(p) for p in AGGREGATED])
    for row, chunks in enumerate(AGGREGATED):
        chunk_proba, _ = _chunk_scores(path, chunks, multi_label, **params)
        np.testing.assert_allclose(proba[row], chunk_proba.mean(axis=0), atol=1e-6)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("multi_label", [False, True])
def test_max_aggregation_takes_each_class_best_chunk_score(request, model, multi_label):
    fixture, params = MODELS[model]
    path = request.getfixturevalue(fixture)
    clf = zero_shot(
        path,
        multi_label=multi_label,
        chunk_size=SENTENCE_CHUNK,
        chunk_aggregation="max",
        **params,
    ).fit()
    proba = clf.predict_proba([text_of(p) for p in AGGREGATED])
    for row, chunks in enumerate(AGGREGATED):
        _, scores = _chunk_scores(path, chunks, multi_label, **params)
        best = scores.max(axis=0)  # entailment logits, or entailment - contradiction
        expected = expit(best) if multi_label else softmax(best)
        np.testing.assert_allclose(proba[row], expected, atol=1e-6)


def test_the_aggregations_differ_on_a_long_text(tiny_model):
    text = text_of(sentences(8))
    mean = zero_shot(tiny_model, chunk_size=SENTENCE_CHUNK).fit().predict_proba([text])
    best = zero_shot(tiny_model, chunk_size=SENTENCE_CHUNK, chunk_aggregation="max").fit()
    assert np.abs(best.predict_proba([text]) - mean).max() > 1e-4


@pytest.mark.parametrize("multi_label", [False, True])
def test_a_one_chunk_text_is_read_alike_by_both_aggregations(tiny_model, multi_label):
    texts = [text_of(sentences(12)), *SHORT_TEXTS]
    alone, _ = _chunk_scores(tiny_model, texts, multi_label)
    for aggregation in ("mean", "max"):
        clf = zero_shot(tiny_model, multi_label=multi_label, chunk_aggregation=aggregation)
        np.testing.assert_allclose(clf.fit().predict_proba(texts), alone, atol=1e-6)


@pytest.mark.parametrize("aggregation", ["mean", "max"])
def test_default_chunks_pack_whole_sentences_up_to_the_window(tiny_model, tokenizer, aggregation):
    parts = sentences(40)  # about 270 tokens: three chunks of whole sentences
    chunks = packed(tokenizer, parts, WINDOW)
    assert len(chunks) == 3
    clf = zero_shot(tiny_model, chunk_aggregation=aggregation).fit()
    proba = clf.predict_proba([text_of(parts)])[0]
    chunk_proba, scores = _chunk_scores(tiny_model, chunks, False)
    expected = chunk_proba.mean(axis=0) if aggregation == "mean" else softmax(scores.max(axis=0))
    np.testing.assert_allclose(proba, expected, atol=1e-6)
    evidence = clf.evidence([text_of(parts)])
    assert set(evidence["chunk"]) <= set(chunks)


def test_the_default_chunk_size_is_the_room_beside_the_longest_hypothesis(tiny_model, tokenizer):
    descriptions = {"business": "the stock market and the news of the market in the world"}
    longest = TEMPLATE.format(descriptions["business"])
    room = 128 - 3 - n_tokens(tokenizer, longest)
    assert room < WINDOW
    parts = []
    while n_tokens(tokenizer, text_of([*parts, SENTENCES[len(parts) % 8]])) <= room:
        parts.append(SENTENCES[len(parts) % 8])
    fits, overflows = text_of(parts), text_of([*parts, SENTENCES[len(parts) % 8]])
    assert n_tokens(tokenizer, fits) <= room < n_tokens(tokenizer, overflows) <= WINDOW
    params = {"label_descriptions": descriptions, "cache": False}
    chunked = zero_shot(tiny_model, **params).fit()
    truncated = zero_shot(tiny_model, long_texts="truncate", **params).fit()
    np.testing.assert_array_equal(chunked.predict_proba([fits]), truncated.predict_proba([fits]))
    difference = chunked.predict_proba([overflows]) - truncated.predict_proba([overflows])
    assert np.abs(difference).max() > 1e-6
    chunks = packed(tokenizer, [*parts, SENTENCES[len(parts) % 8]], room)
    assert len(chunks) == 2
    alone, _ = _chunk_scores(tiny_model, chunks, False, label_descriptions=descriptions)
    np.testing.assert_allclose(chunked.predict_proba([overflows])[0], alone.mean(axis=0), atol=1e-6)


def test_max_length_sets_the_window(tiny_model, tokenizer, monkeypatch):
    parts = sentences(20)
    room = 64 - 3 - 5
    chunks = packed(tokenizer, parts, room)
    assert len(chunks) == 3
    clf = zero_shot(tiny_model, max_length=64).fit()
    alone, _ = _chunk_scores(tiny_model, chunks, False, max_length=64)
    np.testing.assert_allclose(
        clf.predict_proba([text_of(parts)])[0], alone.mean(axis=0), atol=1e-6
    )
    assert set(clf.evidence([text_of(parts)])["chunk"]) <= set(chunks)
    monkeypatch.setattr(NLIEngine, "forward", _never)
    with pytest.raises(ValueError, match=rf"chunk_size={room + 1} is larger.* at most {room} "):
        clf.set_params(chunk_size=room + 1).predict_proba(["the team"])


def test_repeated_long_texts_are_read_alike(tiny_model):
    texts = [text_of(sentences(30)), "the team won the game", text_of(sentences(30))]
    clf = zero_shot(tiny_model, chunk_size=16).fit()
    proba = clf.predict_proba(texts)
    np.testing.assert_array_equal(proba[0], proba[2])
    evidence = clf.evidence(texts)
    _check_spans(evidence, texts)
    first, third = (evidence[evidence["row"] == row].reset_index(drop=True) for row in (0, 2))
    assert first.drop(columns="row").equals(third.drop(columns="row"))


# ------------------------------------------------------------------ pair scorer


def _pair_rows(model, premises, hypothesis):
    """Each (premise, hypothesis) read on its own: the probability rows and the classes."""
    alone = pair_scorer(model, long_texts="truncate").fit()
    return alone.predict_proba([(p, hypothesis) for p in premises]), list(alone.classes_)


@pytest.mark.parametrize("chunk_size", [None, SENTENCE_CHUNK])
def test_a_long_premise_takes_the_row_of_its_most_entailing_chunk(
    tiny_model, tokenizer, chunk_size
):
    parts = sentences(30)
    hypothesis = "A man plays music."
    room = 128 - 3 - n_tokens(tokenizer, hypothesis)
    chunks = packed(tokenizer, parts, chunk_size or room)
    assert len(chunks) > 1
    rows, classes = _pair_rows(tiny_model, chunks, hypothesis)
    best = int(np.argmax(rows[:, classes.index("entailment")]))
    scorer = pair_scorer(tiny_model, chunk_size=chunk_size).fit()
    np.testing.assert_allclose(
        scorer.predict_proba([(text_of(parts), hypothesis)])[0], rows[best], atol=1e-6
    )
    evidence = scorer.evidence([(text_of(parts), hypothesis)])
    assert evidence["chunk"].tolist() == [chunks[best]]


def test_a_supporting_sentence_at_the_end_of_a_long_premise_decides(tiny_model):
    hypothesis = "A person plays music."
    filler = ["The cat and the dog."] * 30  # 180 tokens, each sentence a chunk of its own
    rows, classes = _pair_rows(tiny_model, [filler[0], *SENTENCES], hypothesis)
    entailment = rows[:, classes.index("entailment")]
    tail = SENTENCES[int(np.argmax(entailment[1:]))]  # what supports the hypothesis best
    assert entailment[1:].max() > entailment[0], "some sentence must beat the filler"
    premise = text_of([*filler, tail])
    scorer = pair_scorer(tiny_model, chunk_size=SENTENCE_CHUNK).fit()
    expected = rows[1 + SENTENCES.index(tail)]
    np.testing.assert_allclose(
        scorer.predict_proba([(premise, hypothesis)])[0], expected, atol=1e-6
    )
    evidence = scorer.evidence([(premise, hypothesis)])
    assert evidence[["start", "end"]].values.tolist() == [[len(premise) - len(tail), len(premise)]]
    truncated = truncating(scorer).predict_proba([(premise, hypothesis)])[0]
    assert np.abs(truncated - expected).max() > 1e-4  # truncation never reads the tail


@pytest.mark.parametrize("long_texts", ["chunk", "truncate"])
@pytest.mark.parametrize("long_premise", [False, True])
@pytest.mark.parametrize("aggregation", ["mean", "min"])
def test_split_hypothesis_combines_its_sentences_rows(
    tiny_model, long_texts, long_premise, aggregation
):
    premise = text_of(sentences(30 if long_premise else 3))
    claims = ["The man plays the guitar.", "The dog runs in the park.", "A woman plays music."]
    hypothesis = text_of(claims)
    # Each sentence read as the estimator reads it.
    one_by_one = pair_scorer(tiny_model, long_texts=long_texts).fit()
    rows = one_by_one.predict_proba([(premise, claim) for claim in claims])
    entailment = list(one_by_one.classes_).index("entailment")
    expected = rows.mean(axis=0) if aggregation == "mean" else rows[np.argmin(rows[:, entailment])]
    scorer = pair_scorer(
        tiny_model,
        long_texts=long_texts,
        split_hypothesis=True,
        hypothesis_aggregation=aggregation,
    )
    proba = scorer.fit().predict_proba([(premise, hypothesis), ("A dog runs.", claims[0])])
    np.testing.assert_allclose(proba[0], expected, atol=1e-6)
    alone = one_by_one.predict_proba([("A dog runs.", claims[0])])[0]
    np.testing.assert_allclose(proba[1], alone, atol=1e-6)  # one sentence: its own row
    unsplit = one_by_one.predict_proba([(premise, hypothesis)])[0]
    assert np.abs(unsplit - proba[0]).max() > 1e-4


def test_split_hypothesis_is_the_sentences_rows_on_short_premises_too(tiny_model):
    """The rows read one by one with ``long_texts="truncate"`` are the same as the chunked ones."""
    premise = "A man plays a guitar in the park."
    claims = ["The man plays the guitar.", "The dog runs in the park."]
    rows, classes = _pair_rows(tiny_model, [premise], claims[0])
    second, _ = _pair_rows(tiny_model, [premise], claims[1])
    entailment = classes.index("entailment")
    both = np.vstack([rows, second])
    scorer = pair_scorer(tiny_model, split_hypothesis=True, hypothesis_aggregation="min").fit()
    np.testing.assert_allclose(
        scorer.predict_proba([(premise, text_of(claims))])[0],
        both[np.argmin(both[:, entailment])],
        atol=1e-6,
    )


# --------------------------------------------------------------------- evidence


def _check_spans(evidence, texts):
    for row in evidence.itertuples(index=False):
        text = texts[row.row]
        assert 0 <= row.start <= row.end <= len(text)
        assert text[row.start : row.end] == row.chunk


@pytest.mark.parametrize("multi_label", [False, True])
@pytest.mark.parametrize("long_texts", ["chunk", "truncate"])
def test_zero_shot_evidence_names_the_deciding_chunk(tiny_model, multi_label, long_texts):
    parts = [sentences(30), sentences(2), sentences(4, offset=3), ["  中文文本 " * 50]]
    texts = [text_of(p) for p in parts]
    chunk_size = SENTENCE_CHUNK if long_texts == "chunk" else None
    clf = zero_shot(
        tiny_model, multi_label=multi_label, long_texts=long_texts, chunk_size=chunk_size
    ).fit()
    evidence = clf.evidence(texts)
    assert list(evidence.columns) == ["row", "class", "start", "end", "chunk", "score"]
    assert evidence["row"].tolist() == np.repeat(np.arange(len(texts)), len(CLASSES)).tolist()
    assert evidence["class"].tolist() == CLASSES * len(texts)
    _check_spans(evidence, texts)
    # Each score is the class's probability of its chunk read alone.
    alone = truncating(clf).predict_proba(evidence["chunk"].tolist())
    column = [CLASSES.index(c) for c in evidence["class"]]
    scores = alone[np.arange(len(evidence)), column]
    np.testing.assert_allclose(evidence["score"], scores, atol=1e-6)
    if long_texts == "truncate":
        assert (evidence["start"] == 0).all()
        proba = clf.predict_proba(texts).reshape(-1)
        np.testing.assert_allclose(evidence["score"], proba, atol=1e-6)
        assert (evidence["end"].to_numpy()[: len(CLASSES)] < len(texts[0])).all()  # cut
    else:
        # The deciding chunk of each class is its most probable sentence.
        for row, chunks in enumerate(parts[:3]):
            chunk_proba = truncating(clf).predict_proba(chunks)
            mine = evidence[evidence["row"] == row]
            np.testing.assert_allclose(mine["score"], chunk_proba.max(axis=0), atol=1e-6)
            best = [chunks[i] for i in chunk_proba.argmax(axis=0)]
            assert mine["chunk"].tolist() == best


@pytest.mark.parametrize("multi_label", [False, True])
def test_max_aggregation_evidence_names_the_chunk_whose_score_is_taken(tiny_model, multi_label):
    """With ``chunk_aggregation="max"`` the chunk of a class's largest score decides it.

    The docstring of ``chunk_aggregation`` says so ("the chunk that supports the
    class best decides"), and ``evidence`` is to say which chunk decided: the
    one whose score ``predict_proba`` took, not another one of higher softmax
    probability (the two differ in single-label mode, where a chunk's
    probability of a class also depends on its other classes' logits).
    """
    clf = zero_shot(
        tiny_model, multi_label=multi_label, chunk_size=SENTENCE_CHUNK, chunk_aggregation="max"
    ).fit()
    _, scores = _chunk_scores(tiny_model, SENTENCES, multi_label)
    evidence = clf.evidence([text_of(SENTENCES)])
    assert evidence["chunk"].tolist() == [SENTENCES[i] for i in scores.argmax(axis=0)]


def test_zero_shot_evidence_scores_carry_the_class_offsets(tiny_model):
    texts = [text_of(sentences(30)), *SHORT_TEXTS, text_of(sentences(20, offset=4))]
    clf = zero_shot(tiny_model, class_prior="uniform", chunk_size=16).fit(texts)
    evidence = clf.evidence(texts)
    _check_spans(evidence, texts)
    alone = truncating(clf).predict_proba(evidence["chunk"].tolist())
    column = [CLASSES.index(c) for c in evidence["class"]]
    np.testing.assert_allclose(
        evidence["score"], alone[np.arange(len(evidence)), column], atol=1e-6
    )
    short = evidence[evidence["row"].isin([1, 2, 3])]
    np.testing.assert_allclose(
        short["score"], clf.predict_proba(SHORT_TEXTS).reshape(-1), atol=1e-6
    )


@pytest.mark.parametrize("split_hypothesis", [False, True])
@pytest.mark.parametrize("long_texts", ["chunk", "truncate"])
def test_pair_evidence_names_the_deciding_premise_chunk(tiny_model, split_hypothesis, long_texts):
    claims = ["The man plays the guitar.", "The dog runs in the park."]
    pairs = [
        (text_of(sentences(30)), text_of(claims)),
        ("A man plays a guitar.", "A person makes music."),
        (text_of(sentences(25, offset=2)), claims[1]),
    ]
    scorer = pair_scorer(tiny_model, split_hypothesis=split_hypothesis, long_texts=long_texts)
    evidence = scorer.fit().evidence(pairs)
    assert list(evidence.columns) == ["row", "sentence", "start", "end", "chunk", "score"]
    if split_hypothesis:
        assert evidence["row"].tolist() == [0, 0, 1, 2]
        assert evidence["sentence"].tolist() == [*claims, pairs[1][1], pairs[2][1]]
    else:
        assert evidence["row"].tolist() == [0, 1, 2]
        assert evidence["sentence"].tolist() == [h for _, h in pairs]
    _check_spans(evidence, [p for p, _ in pairs])
    alone = pair_scorer(tiny_model, long_texts="truncate").fit()
    rows = alone.predict_proba(list(zip(evidence["chunk"], evidence["sentence"])))
    entailment = list(alone.classes_).index("entailment")
    np.testing.assert_allclose(evidence["score"], rows[:, entailment], atol=1e-6)
    if long_texts == "truncate":
        assert (evidence["start"] == 0).all()


def test_evidence_without_an_entailment_label_still_names_the_chunk(tiny_model_generic_labels):
    pairs = [("A man plays a guitar.", "A person makes music.")]
    evidence = pair_scorer(tiny_model_generic_labels).fit().evidence(pairs)
    assert evidence["chunk"].tolist() == [pairs[0][0]]
    assert evidence["score"].isna().all()


def test_a_pair_model_without_entailment_reads_long_premises_only_truncated(
    tiny_model_generic_labels, monkeypatch
):
    pairs = [(text_of(sentences(30)), "A man plays."), ("A man plays.", "A person plays.")]
    scorer = pair_scorer(tiny_model_generic_labels, cache=False).fit()
    truncated = truncating(scorer).predict_proba(pairs)
    monkeypatch.setattr(NLIEngine, "forward", _never)
    with pytest.raises(ValueError, match=r"long_texts='chunk'.*set long_texts='truncate'"):
        scorer.predict_proba(pairs)
    monkeypatch.undo()
    np.testing.assert_allclose(scorer.predict_proba(pairs[1:]), truncated[1:], atol=1e-6)


# -------------------------------------------------------------------- bad input


ZERO_SHOT_BAD = [
    ("chunk_size", 0, ValueError),
    ("chunk_size", -1, ValueError),
    ("chunk_size", 2.5, TypeError),
    ("chunk_size", "10", TypeError),
    ("chunk_size", True, TypeError),
    ("long_texts", "split", ValueError),
    ("long_texts", None, ValueError),
    ("chunk_aggregation", "median", ValueError),
]
PAIRS_BAD = [
    ("chunk_size", 0, ValueError),
    ("chunk_size", -1, ValueError),
    ("chunk_size", 2.5, TypeError),
    ("chunk_size", "10", TypeError),
    ("long_texts", "split", ValueError),
    ("hypothesis_aggregation", "max", ValueError),
    ("split_hypothesis", "yes", TypeError),
    ("split_hypothesis", 1, TypeError),
    ("split_hypothesis", None, TypeError),
]


def _bad_cases():
    for name, value, error in ZERO_SHOT_BAD:
        yield pytest.param(zero_shot, name, value, error, id=f"zero_shot-{name}={value!r}")
    for name, value, error in PAIRS_BAD:
        yield pytest.param(pair_scorer, name, value, error, id=f"pairs-{name}={value!r}")


@pytest.mark.parametrize(("make", "name", "value", "error"), list(_bad_cases()))
def test_bad_reading_parameters_fail_at_fit_naming_the_parameter(
    tiny_model, no_model_work, make, name, value, error
):
    with pytest.raises(error, match=f"^{name} must be"):
        make(tiny_model, **{name: value}).fit()


@pytest.mark.parametrize(("make", "name", "value", "error"), list(_bad_cases()))
def test_bad_reading_parameters_set_after_fit_fail_before_the_model_runs(
    tiny_model, monkeypatch, make, name, value, error
):
    estimator = make(tiny_model, cache=False).fit()
    X = [(text_of(sentences(30)), "A man plays.")] if make is pair_scorer else SHORT_TEXTS
    estimator.predict_proba(X)  # the engine is loaded: only a forward pass could follow
    monkeypatch.setattr(NLIEngine, "forward", _never)
    estimator.set_params(**{name: value})
    for method in ("predict_proba", "predict", "decision_function", "evidence"):
        with pytest.raises(error, match=f"^{name} must be"):
            getattr(estimator, method)(X)


def _never(*args, **kwargs):
    raise AssertionError("the model was run")


def test_bad_reading_parameters_fail_before_fine_tuning(tiny_model, no_model_work):
    for name, value, error in ZERO_SHOT_BAD:
        clf = zero_shot(tiny_model, n_epochs=1, **{name: value})
        with pytest.raises(error, match=f"^{name} must be"):
            clf.fit(SHORT_TEXTS, ["sports", "business", "music"])
    for name, value, error in PAIRS_BAD:
        scorer = pair_scorer(tiny_model, n_epochs=1, **{name: value})
        with pytest.raises(error, match=f"^{name} must be"):
            scorer.fit([("A man plays.", "A person plays.")] * 2, ["entailment", "neutral"])


def test_a_chunk_size_beyond_the_window_fails_naming_it_before_the_model_runs(
    tiny_model, monkeypatch
):
    clf = zero_shot(tiny_model, cache=False).fit()
    scorer = pair_scorer(tiny_model, cache=False).fit()
    clf.predict_proba(SHORT_TEXTS), scorer.predict_proba([("A man plays.", "A person plays.")])
    monkeypatch.setattr(NLIEngine, "forward", _never)
    clf.set_params(chunk_size=10_000)
    scorer.set_params(chunk_size=10_000)
    message = r"chunk_size=10000 is larger than the model's window: at most 120 text tokens"
    for method in ("predict_proba", "evidence"):
        with pytest.raises(ValueError, match=message):
            getattr(clf, method)(SHORT_TEXTS)
        with pytest.raises(ValueError, match=r"chunk_size=10000 is larger"):
            getattr(scorer, method)([("A man plays.", "A person plays.")])
    with pytest.raises(ValueError, match=r"chunk_size=10000 is larger"):
        clf.predict_proba([""])  # even a text that would fit
    # A chunk size of the window itself is fine.
    monkeypatch.undo()
    assert clf.set_params(chunk_size=WINDOW).predict_proba(SHORT_TEXTS).shape == (3, 3)


def test_a_chunk_size_beyond_the_window_fails_before_fine_tuning(tiny_model, no_model_work):
    clf = zero_shot(tiny_model, n_epochs=1, chunk_size=10_000)
    with pytest.raises(ValueError, match=r"chunk_size=10000 is larger"):
        clf.fit(SHORT_TEXTS, ["sports", "business", "music"])


@pytest.mark.parametrize("long_texts", ["chunk", "truncate"])
def test_a_template_that_leaves_no_room_fails_naming_the_hypothesis(
    tiny_model, monkeypatch, long_texts
):
    template = "This example is {}. " + "the team " * 70
    clf = zero_shot(tiny_model, hypothesis_template=template, long_texts=long_texts, cache=False)
    clf.fit()
    monkeypatch.setattr(NLIEngine, "forward", _never)
    for method in ("predict_proba", "evidence"):
        with pytest.raises(ValueError, match=r"The hypothesis 'This example is .*leaves no room"):
            getattr(clf, method)(SHORT_TEXTS)
    if long_texts == "chunk":  # (truncation's training finds it as it tokenizes, as before)
        monkeypatch.setattr(_training, "fine_tune", _never)
    clf.set_params(n_epochs=1)
    with pytest.raises(ValueError, match=r"The hypothesis 'This example is .*leaves no room"):
        clf.fit(SHORT_TEXTS, ["sports", "business", "music"])


@pytest.mark.parametrize("split_hypothesis", [False, True])
@pytest.mark.parametrize("long_texts", ["chunk", "truncate"])
def test_a_pair_hypothesis_that_leaves_no_room_fails_naming_it(
    tiny_model, monkeypatch, split_hypothesis, long_texts
):
    scorer = pair_scorer(
        tiny_model, split_hypothesis=split_hypothesis, long_texts=long_texts, cache=False
    ).fit()
    monkeypatch.setattr(NLIEngine, "forward", _never)
    pairs = [("A man plays.", "A person plays."), ("A dog runs.", "the game " * 70)]
    with pytest.raises(ValueError, match=r"The hypothesis 'the game the game.*leaves no room"):
        scorer.predict_proba(pairs)


# ---------------------------------------------------------- texts that give results

ODD_TEXTS = {
    "one 20,000-character word": "x" * 20_000,
    "one 20,000-character word of 20,000 tokens": "a-" * 10_000,
    "only whitespace": " \n\t  \n ",
    "CJK": "中文文本" * 2000,
    "CJK sentences": "中文文本。" * 600,
    "empty": "",
}


@pytest.mark.parametrize("text", list(ODD_TEXTS.values()), ids=list(ODD_TEXTS))
@pytest.mark.parametrize("multi_label", [False, True])
def test_odd_texts_give_a_result(tiny_model, text, multi_label):
    clf = zero_shot(tiny_model, multi_label=multi_label).fit()
    texts = [text, "the team won the game"]
    proba = clf.predict_proba(texts)
    assert proba.shape == (2, 3) and np.isfinite(proba).all()
    if not multi_label:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    evidence = clf.evidence(texts)
    assert len(evidence) == 2 * len(CLASSES)
    _check_spans(evidence, texts)


@pytest.mark.parametrize("text", list(ODD_TEXTS.values()), ids=list(ODD_TEXTS))
def test_odd_premises_give_a_result(tiny_model, text):
    pairs = [(text, "A man plays."), ("A man plays.", "A person plays.")]
    scorer = pair_scorer(tiny_model, split_hypothesis=True).fit()
    proba = scorer.predict_proba(pairs)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    _check_spans(scorer.evidence(pairs), [p for p, _ in pairs])


def test_odd_hypotheses_give_a_result_when_split(tiny_model):
    pairs = [("A man plays.", h) for h in ("", "   ", "中文文本。" * 10, "x" * 20_000)]
    proba = pair_scorer(tiny_model, split_hypothesis=True).fit().predict_proba(pairs)
    assert np.isfinite(proba).all()


def test_a_long_word_is_cut_into_windows_that_fit(tiny_model, tokenizer):
    text = "a-" * 10_000
    clf = zero_shot(tiny_model, chunk_aggregation="max").fit()
    evidence = clf.evidence([text])
    for chunk in evidence["chunk"]:
        assert 0 < n_tokens(tokenizer, chunk) <= WINDOW


# ----------------------------------------------------------------- fine-tuning


@pytest.fixture
def sampled(monkeypatch):
    """What the training samplers get: ``[(texts, targets)]``, one entry per fit."""
    calls = []
    single, multi = _training.make_label_sampler, _training.make_multi_label_sampler

    def recording_single(texts, targets, *args):
        calls.append((list(texts), np.asarray(targets)))
        return single(texts, targets, *args)

    def recording_multi(texts, indicator, *args):
        calls.append((list(texts), np.asarray(indicator)))
        return multi(texts, indicator, *args)

    monkeypatch.setattr(_training, "make_label_sampler", recording_single)
    monkeypatch.setattr(_training, "make_multi_label_sampler", recording_multi)
    return calls


def test_fine_tuning_trains_on_every_chunk_with_its_texts_label(tiny_model, sampled):
    parts = [sentences(4), ["the team won the game"], sentences(3, offset=4)]
    labels = ["sports", "music", "business"]
    clf = zero_shot(tiny_model, chunk_size=SENTENCE_CHUNK, n_epochs=1, random_state=0)
    clf.fit([text_of(p) for p in parts], labels)
    (texts, targets), *_ = sampled
    assert texts == [chunk for chunks in parts for chunk in chunks]
    expected = [CLASSES.index(label) for label, p in zip(labels, parts) for _ in p]
    assert targets.tolist() == expected


def test_multi_label_fine_tuning_trains_on_every_chunk_with_its_texts_labels(tiny_model, sampled):
    parts = [sentences(3), ["the team won the game"]]
    y = np.array([[1, 0, 1], [0, 1, 0]])
    clf = zero_shot(
        tiny_model, multi_label=True, chunk_size=SENTENCE_CHUNK, n_epochs=1, random_state=0
    )
    clf.fit([text_of(p) for p in parts], y)
    (texts, indicator), *_ = sampled
    assert texts == [*parts[0], *parts[1]]
    np.testing.assert_array_equal(indicator, y[[0, 0, 0, 1]])


@pytest.mark.parametrize("long_texts", ["chunk", "truncate"])
def test_fine_tuning_on_texts_that_fit_trains_on_them_as_they_are(tiny_model, sampled, long_texts):
    texts = [*SHORT_TEXTS, text_of(sentences(12))]
    labels = ["sports", "business", "music", "sports"]
    zero_shot(tiny_model, long_texts=long_texts, n_epochs=1, random_state=0).fit(texts, labels)
    assert sampled[0][0] == texts


def test_fine_tuning_with_truncation_trains_on_whole_texts(tiny_model, sampled):
    texts = [text_of(sentences(30)), "the team won the game"]
    zero_shot(tiny_model, long_texts="truncate", n_epochs=1, random_state=0).fit(
        texts, ["sports", "music"]
    )
    assert sampled[0][0] == texts


@pytest.fixture
def pair_training_premises(monkeypatch):
    """The premises each pair fine-tuning trains on, one list per fit."""
    calls = []
    original = _training.make_pair_sampler

    def recording(premises, hypotheses, *args):
        calls.append(list(premises))
        return original(premises, hypotheses, *args)

    monkeypatch.setattr(_training, "make_pair_sampler", recording)
    return calls


PAIR_LABELS = ["entailment", "contradiction", "neutral"]


def test_pair_fine_tuning_trains_on_the_chunk_predict_reads(tiny_model, pair_training_premises):
    long_premises = [text_of(sentences(6)), text_of(sentences(5, offset=3))]
    pairs = [
        (long_premises[0], "The dog runs."),
        ("the team won the game", "A team won."),
        (long_premises[1], "The market fell."),
    ]
    before = pair_scorer(tiny_model, chunk_size=SENTENCE_CHUNK).fit()
    deciding = before.evidence(pairs)["chunk"].tolist()
    assert deciding[0] in sentences(6) and deciding[2] in sentences(5, offset=3)
    pair_scorer(tiny_model, chunk_size=SENTENCE_CHUNK, n_epochs=1, random_state=0).fit(
        pairs, PAIR_LABELS
    )
    assert pair_training_premises == [[deciding[0], "the team won the game", deciding[2]]]


@pytest.mark.parametrize("long_texts", ["chunk", "truncate"])
def test_pair_fine_tuning_on_premises_that_fit_trains_on_them_whole(
    tiny_model, pair_training_premises, long_texts
):
    pairs = [(text_of(sentences(6)), "The dog runs."), ("the team won the game", "A team won.")]
    pair_scorer(tiny_model, long_texts=long_texts, n_epochs=1, random_state=0).fit(
        pairs, PAIR_LABELS[:2]
    )
    assert pair_training_premises == [[pair for pair, _ in pairs]]


def test_pair_fine_tuning_with_truncation_trains_on_whole_premises(
    tiny_model, pair_training_premises
):
    pairs = [(text_of(sentences(30)), "The dog runs."), ("the team won the game", "A team won.")]
    pair_scorer(tiny_model, long_texts="truncate", n_epochs=1, random_state=0).fit(
        pairs, PAIR_LABELS[:2]
    )
    assert pair_training_premises == [[pair for pair, _ in pairs]]


def test_pair_fine_tuning_from_a_fresh_head_trains_on_whole_premises(
    tiny_model, tmp_path, pair_training_premises
):
    from sklearn_nli._testing import build_tiny_encoder

    encoder = build_tiny_encoder(tmp_path / "encoder", tiny_model, dropout=0.0)
    pairs = [(text_of(sentences(30)), "The dog runs."), ("the team won the game", "A team won.")]
    with pytest.warns(UserWarning, match="without a sequence-classification head"):
        pair_scorer(encoder, chunk_size=SENTENCE_CHUNK, n_epochs=1, random_state=0).fit(
            pairs, ["yes", "no"]
        )
    assert pair_training_premises == [[pair for pair, _ in pairs]]


def test_a_fine_tuned_classifier_reads_long_texts_in_chunks(tiny_model):
    texts = [text_of(sentences(30)), text_of(sentences(30, offset=3)), *SHORT_TEXTS]
    labels = ["sports", "business", "sports", "business", "music"]
    clf = zero_shot(tiny_model, n_epochs=1, learning_rate=1e-2, random_state=0).fit(texts, labels)
    proba = clf.predict_proba(texts)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    truncated = truncating(clf).predict_proba(texts)
    np.testing.assert_allclose(proba[2:], truncated[2:], atol=1e-6)  # the texts that fit
    assert np.abs(proba[:2] - truncated[:2]).max() > 1e-4


# ----------------------------------------------- class_prior and self-training

PRIOR_TEXTS = [
    text_of(sentences(30)),
    text_of(sentences(25, offset=1)),
    text_of(sentences(40, offset=2)),
    *SHORT_TEXTS,
    "a cat and a dog",
    text_of(sentences(20, offset=5)),
]


@pytest.mark.parametrize("aggregation", ["mean", "max"])
@pytest.mark.parametrize("chunk_size", [None, 16])
def test_class_prior_on_long_texts_matches_the_mean_prediction(tiny_model, aggregation, chunk_size):
    clf = zero_shot(
        tiny_model, class_prior="uniform", chunk_aggregation=aggregation, chunk_size=chunk_size
    ).fit(PRIOR_TEXTS)
    proba = clf.predict_proba(PRIOR_TEXTS)
    np.testing.assert_allclose(proba.mean(axis=0), 1 / len(CLASSES), atol=1e-6)
    assert clf.predict(PRIOR_TEXTS).tolist() == clf.classes_[proba.argmax(axis=1)].tolist()
    raw = zero_shot(tiny_model, chunk_aggregation=aggregation, chunk_size=chunk_size).fit()
    np.testing.assert_allclose(
        softmax(raw.decision_function(PRIOR_TEXTS) + clf.class_offsets_, axis=1), proba, atol=1e-9
    )


def test_class_prior_fitted_with_truncation_differs_on_long_texts(tiny_model):
    chunked = zero_shot(tiny_model, class_prior=[0.2, 0.3, 0.5]).fit(PRIOR_TEXTS)
    truncated = zero_shot(tiny_model, class_prior=[0.2, 0.3, 0.5], long_texts="truncate")
    truncated.fit(PRIOR_TEXTS)
    for clf in (chunked, truncated):
        mean = clf.predict_proba(PRIOR_TEXTS).mean(axis=0)
        np.testing.assert_allclose(mean, [0.2, 0.3, 0.5], atol=1e-6)
    assert np.abs(chunked.class_offsets_ - truncated.class_offsets_).max() > 1e-6


@pytest.mark.filterwarnings("ignore::UserWarning")  # a round where a class gets no text
def test_self_training_on_long_texts(tiny_model, tokenizer, sampled):
    clf = zero_shot(
        tiny_model,
        class_prior="uniform",
        self_training_rounds=2,
        n_epochs=1,
        pseudo_labels_per_class=2,
        learning_rate=1e-2,
        random_state=0,
    ).fit(PRIOR_TEXTS)
    assert clf.n_iter_ == 2
    proba = clf.predict_proba(PRIOR_TEXTS)
    np.testing.assert_allclose(proba.mean(axis=0), 1 / len(CLASSES), atol=1e-6)
    assert clf.predict(PRIOR_TEXTS).tolist() == clf.classes_[proba.argmax(axis=1)].tolist()
    kept = clf.labeled_iter_ > 0
    assert set(clf.transduction_[kept].tolist()) <= set(CLASSES)
    # The rounds train on chunks of the fit's texts, each fitting the window.
    assert sampled, "self-training fine-tuned"
    for texts, _ in sampled:
        for text in texts:
            assert any(text in whole for whole in PRIOR_TEXTS)
            assert n_tokens(tokenizer, text) <= WINDOW


# ------------------------------------------------- pickling, cloning, searching


def test_clone_and_pickle_keep_the_reading_parameters(tiny_model):
    clf = zero_shot(tiny_model, long_texts="chunk", chunk_size=16, chunk_aggregation="max")
    scorer = pair_scorer(
        tiny_model, chunk_size=12, split_hypothesis=True, hypothesis_aggregation="min"
    )
    for estimator in (clf, scorer):
        params = estimator.get_params()
        assert clone(estimator).get_params() == params
        assert pickle.loads(pickle.dumps(estimator)).get_params() == params
    text = text_of(sentences(30))
    clf.fit()
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba([text]), clf.predict_proba([text]))
    pairs = [(text, "The man plays. The dog runs.")]
    scorer.fit()
    restored = pickle.loads(pickle.dumps(scorer))
    np.testing.assert_array_equal(restored.predict_proba(pairs), scorer.predict_proba(pairs))
    np.testing.assert_array_equal(
        clone(scorer).fit().evidence(pairs)["score"], scorer.evidence(pairs)["score"]
    )


def test_grid_search_over_chunk_size(tiny_model):
    texts = [text_of(sentences(20 + i, offset=i)) for i in range(6)]
    y = ["sports", "business", "music"] * 2
    grid = GridSearchCV(
        zero_shot(tiny_model),
        {"chunk_size": [None, 8, 32], "chunk_aggregation": ["mean", "max"]},
        cv=KFold(2),
        error_score="raise",
    ).fit(texts, y)
    assert len(grid.cv_results_["params"]) == 6
    assert grid.best_params_["chunk_size"] in (None, 8, 32)
    assert grid.best_estimator_.chunk_size == grid.best_params_["chunk_size"]
    by_size = [zero_shot(tiny_model, chunk_size=s).fit().predict_proba(texts) for s in (8, 32)]
    assert np.abs(by_size[0] - by_size[1]).max() > 1e-4  # the parameter is read
