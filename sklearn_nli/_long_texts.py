"""Reading long texts: premises in sentence-aligned chunks, their scores combined, the deciding one.

A cross-encoder reads at most its window (512 tokens for MiniLM), and reads a
long premise badly even within it: NLI models learn from one-sentence
premises (design notes, section 8). With ``long_texts="chunk"`` the
estimators hand the engine each premise's chunks (:mod:`sklearn_nli._chunks`)
as ordinary premises, so length sorting, deduplication, the result cache and
every backend work on chunk pairs as on any pair, and combine the chunks'
scores here:

* zero-shot, per class over a text's chunks: the largest score (``"max"``)
  or the mean of the chunks' probabilities (``"mean"``);
* pairs: the row of the premise chunk with the highest entailment
  probability, and with a hypothesis split into sentences, the mean of the
  sentences' rows or the row of the least supported sentence (``"min"``).

A text read as one chunk is the text as given, with its scores unchanged: a
text that fits gives exactly what ``long_texts="truncate"`` gives.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import expit, logit, logsumexp

from ._chunks import chunk_spans, split_sentences, token_counts
from ._errors import InvalidValueError

__all__ = [
    "ChunkedTexts",
    "PairReading",
    "chunk_for_hypotheses",
    "chunk_texts",
    "combine_chunk_scores",
    "deciding_chunks",
    "effective_chunk_size",
    "evidence_of_pairs",
    "evidence_frame",
    "read_pairs",
    "read_texts",
    "split_hypotheses",
    "truncated_chunks",
]


class ChunkedTexts(NamedTuple):
    """The chunks of a list of texts, text by text, in order.

    ``owner[i]`` is the text of chunk ``i``; ``first[t]`` is the first chunk of
    text ``t`` and ``counts[t]`` how many it has; ``starts`` and ``ends`` are
    the chunks' character spans in their texts.
    """

    chunks: list
    owner: np.ndarray
    first: np.ndarray
    counts: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def effective_chunk_size(chunk_size, room, where):
    """``chunk_size``, or ``room`` when None; an error when it exceeds ``room``."""
    if chunk_size is None:
        return int(room)
    if chunk_size > room:
        raise InvalidValueError(
            f"chunk_size={chunk_size} is larger than the model's window: at most {int(room)} "
            f"text tokens fit beside {where}. Set chunk_size to at most {int(room)}, or None "
            "for the most that fit."
        )
    return int(chunk_size)


def chunk_texts(encoder, texts, chunk_size, window):
    """Chunk each text: :class:`ChunkedTexts`. Texts of at most ``chunk_size`` tokens stay whole.

    The texts' token counts come from one batched call of the tokenizer; only
    longer texts are chunked (their tokens' offsets tell the sentences' sizes).
    """
    tokenizer = encoder.tokenizer
    with encoder.lock:
        lengths = token_counts(tokenizer, list(texts))
        spans = [
            [(0, len(text))] if length <= chunk_size else None
            for text, length in zip(texts, lengths)
        ]
        for index, text in enumerate(texts):
            if spans[index] is None:
                spans[index] = chunk_spans(text, tokenizer, chunk_size, window)
    counts = np.fromiter(map(len, spans), dtype=np.intp, count=len(spans))
    flat = [span for text_spans in spans for span in text_spans]
    starts = np.array([s for s, _ in flat], dtype=np.intp)
    ends = np.array([e for _, e in flat], dtype=np.intp)
    owner = np.repeat(np.arange(len(texts)), counts)
    chunks = [texts[t][s:e] for t, s, e in zip(owner.tolist(), starts.tolist(), ends.tolist())]
    first = np.cumsum(counts) - counts
    return ChunkedTexts(chunks, owner, first, counts, starts, ends)


def chunk_for_hypotheses(encoder, texts, hypotheses, chunk_size, max_length):
    """Chunk ``texts`` for reading with every one of ``hypotheses`` (the longest sets the room)."""
    max_length = int(max_length or encoder.default_max_length)
    rooms = encoder.premise_rooms(hypotheses, max_length)
    longest = int(np.argmin(rooms))
    where = f"the longest hypothesis {hypotheses[longest][:80]!r} (max_length={max_length})"
    size = effective_chunk_size(chunk_size, rooms[longest], where)
    return chunk_texts(encoder, texts, size, int(rooms[longest]))


def truncated_chunks(encoder, texts, hypotheses, max_length):
    """Each text as ``long_texts="truncate"`` reads it: one chunk, to the last token that fits."""
    max_length = int(max_length or encoder.default_max_length)
    room = int(encoder.premise_rooms(hypotheses, max_length).min())
    with encoder.lock:
        offsets = encoder.tokenizer(
            list(texts), add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )["offset_mapping"]
    ends = [
        len(text) if len(spans) <= room else spans[room - 1][1]
        for text, spans in zip(texts, offsets)
    ]
    n = len(texts)
    return ChunkedTexts(
        [text[:end] for text, end in zip(texts, ends)],
        np.arange(n),
        np.arange(n),
        np.ones(n, dtype=np.intp),
        np.zeros(n, dtype=np.intp),
        np.asarray(ends, dtype=np.intp),
    )


def evidence_frame(chunked, chunk_proba, classes, column, chunk_scores=None):
    """The deciding chunk of each text and class: a DataFrame (see the estimators' ``evidence``).

    The chunk of highest probability, or of highest score when ``chunk_scores``
    is given (``chunk_aggregation="max"`` takes each class's highest score).
    """
    import pandas as pd

    best, proba = deciding_chunks(chunk_proba, chunked, chunk_scores)
    n_texts, n_classes = best.shape
    flat = best.reshape(-1)
    return pd.DataFrame(
        {
            "row": np.repeat(np.arange(n_texts), n_classes),
            column: np.tile(np.asarray(classes, dtype=object), n_texts),
            "start": chunked.starts[flat],
            "end": chunked.ends[flat],
            "chunk": [chunked.chunks[i] for i in flat],
            "score": proba.reshape(-1),
        }
    )


def read_texts(engine, texts, hypotheses, columns, options, *, chunk_size, aggregation):
    """Zero-shot scores of each text: ``(scores, chunked, chunk_scores)``.

    A score is the entailment logit (one column: single-label) or the
    entailment minus the contradiction logit (two columns: multi-label) of a
    class's hypothesis. ``chunk_size="truncate"`` reads each text whole (the
    engine truncates it): ``chunked`` is then None and the scores are the
    chunk scores. Otherwise each text is read in chunks of ``chunk_size``
    tokens (None: the most that fit beside the longest hypothesis) and its
    chunks' scores are combined with ``aggregation``.
    """
    chunked = None
    if chunk_size != "truncate":
        chunked = chunk_for_hypotheses(
            engine.encoder, texts, hypotheses, chunk_size, options["max_length"]
        )
    premises = texts if chunked is None else chunked.chunks
    logits = engine.cross_logits(premises, hypotheses, columns=columns, **options)
    logits = logits.astype(np.float64)
    multi_label = len(columns) == 2
    chunk_scores = logits[:, :, 0] - logits[:, :, 1] if multi_label else logits[:, :, 0]
    if chunked is None:
        return chunk_scores, None, chunk_scores
    scores = combine_chunk_scores(chunk_scores, chunked, aggregation, multi_label)
    return scores, chunked, chunk_scores


def combine_chunk_scores(scores, chunked, aggregation, multi_label):
    """Per text and class, the chunks' scores combined: shape ``(n_texts, n_classes)``.

    ``scores`` are the chunks' scores (single-label: entailment logits, whose
    softmax over the classes is the probability; multi-label: entailment
    minus contradiction, whose sigmoid is). ``"max"`` takes the largest score
    of each class; ``"mean"`` the log (single-label) or logit (multi-label) of
    the mean of the chunks' probabilities. A text of one chunk keeps its
    chunk's scores as they are.
    """
    first, counts = chunked.first, chunked.counts
    if len(counts) and counts.max() == 1:
        return scores
    if aggregation == "max":
        return np.maximum.reduceat(scores, first, axis=0)
    if multi_label:
        mean = np.add.reduceat(expit(scores), first, axis=0) / counts[:, None]
        combined = logit(np.clip(mean, 1e-300, 1 - 1e-16))
    else:
        log_proba = scores - logsumexp(scores, axis=1, keepdims=True)
        combined = np.log(np.add.reduceat(np.exp(log_proba), first, axis=0) / counts[:, None])
    single = counts == 1
    combined[single] = scores[first[single]]
    return combined


def deciding_chunks(chunk_proba, chunked, chunk_scores=None):
    """Per text and class, the chunk of highest probability (or score), and its probability."""
    ranking = chunk_proba if chunk_scores is None else chunk_scores
    n_texts, n_classes = len(chunked.counts), chunk_proba.shape[1]
    best = np.empty((n_texts, n_classes), dtype=np.intp)
    for text, (start, count) in enumerate(zip(chunked.first, chunked.counts)):
        best[text] = start + np.argmax(ranking[start : start + count], axis=0)
    return best, chunk_proba[best, np.arange(n_classes)]


def split_hypotheses(hypotheses):
    """Each hypothesis's sentences: ``(sentences, owner)``; one sentence stays whole."""
    sentences, owner = [], []
    for index, hypothesis in enumerate(hypotheses):
        spans = split_sentences(hypothesis)
        parts = [hypothesis] if len(spans) <= 1 else [hypothesis[s:e] for s, e in spans]
        sentences.extend(parts)
        owner.extend([index] * len(parts))
    return sentences, np.asarray(owner, dtype=np.intp)


class PairReading(NamedTuple):
    """What :func:`read_pairs` read: a logit row per pair, and per hypothesis sentence its chunk.

    ``rows`` has shape ``(n_pairs, n_labels)``; ``sentences`` and
    ``sentence_owner`` are the hypothesis sentences and their pairs;
    ``chunks``, ``starts``, ``ends`` and ``scores`` the deciding premise chunk
    of each sentence, its span in the premise and its entailment probability.
    """

    rows: np.ndarray
    sentences: list
    sentence_owner: np.ndarray
    chunks: list
    starts: np.ndarray
    ends: np.ndarray
    scores: np.ndarray


def read_pairs(
    engine,
    premises,
    hypotheses,
    *,
    entailment,
    chunk_size,
    split,
    aggregation,
    options,
    long_texts="chunk",
):
    """Score pairs whose premises may be long: :class:`PairReading`.

    Each premise is read in chunks of at most ``chunk_size`` tokens (None: the
    most that fit beside the hypothesis sentence); each hypothesis sentence
    takes the logit row of the premise chunk with the highest probability of
    the entailment column (``entailment()`` gives it, asked only when a choice
    needs it: a model without one reads short pairs all the same); a pair's
    row is its sentence's, or with several sentences the log of their rows'
    mean probabilities (``"mean"``) or the row of the sentence of lowest
    entailment (``"min"``).
    """
    encoder = engine.encoder
    max_length = int(options.get("max_length") or encoder.default_max_length)
    if split:
        sentences, owner = split_hypotheses(hypotheses)
    else:
        sentences, owner = list(hypotheses), np.arange(len(hypotheses))
    rooms = encoder.premise_rooms(sentences, max_length)
    if long_texts == "truncate":  # one chunk, the whole premise (the engine truncates it)
        chunk_size, rooms = None, np.full(len(sentences), np.iinfo(np.int32).max)
    sizes = [
        effective_chunk_size(chunk_size, room, f"the hypothesis {sentence[:80]!r}")
        for sentence, room in zip(sentences, rooms)
    ]
    # Chunk each premise once per chunk size its sentences need (usually one).
    pair_premises = [premises[i] for i in owner]
    groups = {}
    for index, (size, room) in enumerate(zip(sizes, rooms)):
        groups.setdefault((size, int(room)), []).append(index)
    chunk_of = [None] * len(sentences)
    for (size, room), members in groups.items():
        chunked = chunk_texts(encoder, [pair_premises[i] for i in members], size, room)
        for position, index in enumerate(members):
            start, count = chunked.first[position], chunked.counts[position]
            chunk_of[index] = (chunked, start, count)
    flat_premises, flat_hypotheses, flat_owner, flat_spans = [], [], [], []
    for index, (chunked, start, count) in enumerate(chunk_of):
        for c in range(start, start + count):
            flat_premises.append(chunked.chunks[c])
            flat_hypotheses.append(sentences[index])
            flat_owner.append(index)
            flat_spans.append((chunked.starts[c], chunked.ends[c]))
    flat_owner = np.asarray(flat_owner, dtype=np.intp)
    counts = np.bincount(flat_owner, minlength=len(sentences))
    first = np.cumsum(counts) - counts
    several = len(sentences) > len(premises) and aggregation == "min"
    choosing = counts.max(initial=1) > 1 or several
    column = entailment() if choosing else None  # before any model work
    logits = engine.logits(flat_premises, flat_hypotheses, **options).astype(np.float64)
    proba = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    if choosing:
        best = np.array(
            [f + int(np.argmax(proba[f : f + n, column])) for f, n in zip(first, counts)],
            dtype=np.intp,
        )
        sentence_scores = proba[best, column]
    else:
        best = first
        column = _entailment_or_none(entailment)
        sentence_scores = proba[best, column] if column is not None else np.full(len(best), np.nan)
    sentence_rows = logits[best]
    rows = _combine_sentences(sentence_rows, sentence_scores, owner, len(premises), aggregation)
    spans = np.asarray(flat_spans, dtype=np.intp).reshape(-1, 2)[best]
    return PairReading(
        rows,
        sentences,
        owner,
        [flat_premises[i] for i in best],
        spans[:, 0],
        spans[:, 1],
        sentence_scores,
    )


def premises_to_train_on(encoder, engine, premises, hypotheses, *, entailment, chunk_size, options):
    """The premise each labelled pair is fine-tuned on, as predict reads the pair.

    A premise that fits ``chunk_size`` beside its hypothesis stays whole; a
    longer one becomes the chunk whose row predict returns: the one the model
    before fine-tuning finds most entailing. ``engine`` is called, and the
    model built to predict, only when some premise is long; only the long
    premises' pairs are scored.
    """
    max_length = int(options.get("max_length") or encoder.default_max_length)
    rooms = encoder.premise_rooms(hypotheses, max_length)
    sizes = [
        effective_chunk_size(chunk_size, room, f"the hypothesis {hypothesis[:80]!r}")
        for hypothesis, room in zip(hypotheses, rooms)
    ]
    with encoder.lock:
        lengths = token_counts(encoder.tokenizer, list(premises))
    long = [i for i, (length, size) in enumerate(zip(lengths, sizes)) if length > size]
    chosen = list(premises)
    if long:
        reading = read_pairs(
            engine(),
            [premises[i] for i in long],
            [hypotheses[i] for i in long],
            entailment=entailment,
            chunk_size=chunk_size,
            split=False,
            aggregation="mean",
            options=options,
        )
        for index, chunk in zip(long, reading.chunks):
            chosen[index] = chunk
    return chosen


def _entailment_or_none(entailment):
    try:
        return entailment()
    except InvalidValueError:
        return None


def evidence_of_pairs(reading):
    """The deciding chunk of each pair or hypothesis sentence: a DataFrame."""
    import pandas as pd

    return pd.DataFrame(
        {
            "row": reading.sentence_owner,
            "sentence": reading.sentences,
            "start": reading.starts,
            "end": reading.ends,
            "chunk": reading.chunks,
            "score": reading.scores,
        }
    )


def _combine_sentences(rows, scores, owner, n_pairs, aggregation):
    """A pair's logit row from its sentences' rows (one sentence: its row as it is)."""
    counts = np.bincount(owner, minlength=n_pairs)
    if counts.max(initial=1) == 1:
        return rows
    first = np.cumsum(counts) - counts
    combined = np.empty((n_pairs, rows.shape[1]))
    for pair, (start, count) in enumerate(zip(first, counts)):
        own = rows[start : start + count]
        if count == 1:
            combined[pair] = own[0]
        elif aggregation == "min":
            combined[pair] = own[int(np.argmin(scores[start : start + count]))]
        else:
            log_proba = own - logsumexp(own, axis=1, keepdims=True)
            combined[pair] = logsumexp(log_proba, axis=0) - np.log(count)
    return combined
