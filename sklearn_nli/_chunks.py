"""The chunker: long texts to sentence-aligned chunks, as character spans.

NLI models are trained on one-sentence premises and read a long premise badly,
even when it fits their window (design notes, section 8). :func:`split_sentences`
finds the sentences of a text with one regular expression (no sentence model, no
download); :func:`chunk_spans` packs whole consecutive sentences into chunks of
at most ``chunk_size`` tokens, counted with the model's own tokenizer, and cuts
a sentence only when it alone overflows the premise's ``window``. Both return
``(start, end)`` character spans into the text as given, so that
``text[start:end]`` is the chunk and the spans can be shown as evidence.
"""

from __future__ import annotations

import bisect
import re

import numpy as np

__all__ = ["chunk_spans", "split_sentences"]

# Words that end with a period without ending the sentence ("Dr. Smith", "U.S. troops").
_ABBREVIATIONS = frozenset(
    "Mr Mrs Ms Dr Prof St vs Vs etc e.g E.g i.e I.e U.S U.K U.N Inc Ltd Jr Sr No".split()
)
# A word before a period that fills this many characters is no abbreviation.
_LOOKBACK = max(map(len, _ABBREVIATIONS)) + 1
_WORD_BEFORE = re.compile(r"[\w.]*$")

# One pass over the text finds every place where a sentence may end: terminal
# punctuation before whitespace (kept only if _ends_sentence agrees), CJK
# terminators, line breaks. The lookbehind starts a run of terminal punctuation
# only at its first character and the lookahead scans the whitespace after it
# once, so each character is read a bounded number of times: linear even on a
# 10,000-word line or a long run of dots. The line breaks are those that
# tokenizers read as whitespace: BERT's normalizer deletes the control
# characters \v, \f, U+001C-U+001E and U+0085, so that a cut at one of them
# could fall inside one of its words.
_BOUNDARY = re.compile(
    r"""
      (?P<latin>(?<![.!?…])[.!?…]+["'”’)\]]*)(?=\s+(?P<next>\S)?)
    | (?P<cjk>[。！？]+[」』”’)）\]]*)
    | [\n\r\u2028\u2029]
    """,
    re.VERBOSE,
)
_CJK = _BOUNDARY.groupindex["cjk"]
_WORD = re.compile(r"\S+")
# From the first to the last non-whitespace character of a stretch of text.
_STRIPPED = re.compile(r"\S(?:[\s\S]*\S)?")


def split_sentences(text):
    """Character spans of the sentences of ``text``, in order.

    A sentence ends after ``.``, ``!``, ``?`` or ``…`` (and any closing quotes
    or brackets after them) followed by whitespace, after the CJK terminators
    ``。！？``, and at every line break (paragraphs, headlines and list items
    are often one a line). A period does not end a sentence after a common
    abbreviation (``Dr.``, ``U.S.``, ``e.g.``) or an initial (``J. K.
    Rowling``), and no terminator does when the next word starts with a
    lowercase letter or a digit.

    Parameters
    ----------
    text : str
        The text.

    Returns
    -------
    spans : list of tuple of (int, int)
        ``(start, end)`` of each sentence: ``text[start:end]`` is the sentence,
        without the whitespace around it. Every character of ``text`` that is
        not whitespace lies in exactly one span; an empty or whitespace-only
        text has none.
    """
    cuts = [0]
    for match in _BOUNDARY.finditer(text):
        branch = match.lastindex  # the last group that matched: None for a line break
        if branch is None:
            cuts.append(match.start())
        elif branch == _CJK or _ends_sentence(text, match):
            cuts.append(match.end())
    cuts.append(len(text))
    spans = []
    for start, end in zip(cuts, cuts[1:]):
        span = _strip(text, start, end)
        if span is not None:
            spans.append(span)
    return spans


def _ends_sentence(text, match):
    """Whether the terminal punctuation of ``match`` ends a sentence."""
    position = match.start()
    if position > 0 and text[position - 1].isspace():
        return True  # punctuation standing alone (" . " in tokenized, lower-cased text)
    next_character = match.group("next")
    if next_character is not None and (next_character.islower() or next_character.isdigit()):
        return False
    if not match.group("latin").startswith("."):
        return True
    before = text[max(0, position - _LOOKBACK) : position]
    word = _WORD_BEFORE.search(before).group().lstrip(".")
    if len(word) >= _LOOKBACK:
        return True
    return not (word in _ABBREVIATIONS or (len(word) == 1 and word.isupper()))


def _strip(text, start, end):
    """``(start, end)`` without the whitespace at its ends, or None if nothing is left."""
    match = _STRIPPED.search(text, start, end)
    return None if match is None else match.span()


def chunk_spans(text, tokenizer, chunk_size, window):
    """Character spans of the chunks of ``text``: whole sentences, packed by token count.

    A text of at most ``chunk_size`` tokens is one chunk: the text exactly as
    given. A longer text is split into sentences (:func:`split_sentences`),
    and whole consecutive sentences are packed greedily, in order, into chunks
    of at most ``chunk_size`` tokens. A sentence longer than ``chunk_size`` is
    a chunk of its own; one longer than ``window`` is cut into consecutive
    pieces of at most ``window`` tokens, between words where a word boundary
    falls within the window. Only such a sentence is cut.

    A fast tokenizer reads the text once, and the character offsets of its
    tokens tell which sentence each token belongs to (a token in the
    whitespace between two sentences belongs to the next one). A slow
    tokenizer, which gives no offsets, reads the text once for the fit check,
    then each sentence on its own, and cuts an overlong sentence between
    whitespace-separated words, counting each word's tokens on its own.

    Parameters
    ----------
    text : str
        The text, a premise.
    tokenizer : transformers tokenizer
        The model's tokenizer; its tokens are what ``chunk_size`` and
        ``window`` count.
    chunk_size : int
        Most tokens in a chunk of several sentences; at most ``window``.
    window : int
        Most tokens in any chunk: the room for the premise beside the
        hypothesis and the special tokens within the model's maximum length.

    Returns
    -------
    spans : list of tuple of (int, int)
        ``(start, end)`` of each chunk, in order: ``text[start:end]`` is the
        chunk. A chunk of several sentences keeps the whitespace between them.
        Every character of ``text`` that is not whitespace lies in exactly one
        chunk.

    Raises
    ------
    ValueError
        If ``chunk_size`` or ``window`` is less than 1.

    Notes
    -----
    Token counts are those of the tokens within the whole text. A tokenizer
    that splits words at whitespace and punctuation (BERT's word pieces) gives
    a chunk the same tokens on its own; a byte-level or SentencePiece one may
    give a chunk read on its own a token more or less at its edges, which the
    truncation to the model's length absorbs.
    """
    _check_positive(chunk_size, "chunk_size")
    _check_positive(window, "window")
    if getattr(tokenizer, "is_fast", False):
        return _chunk_with_offsets(text, tokenizer, chunk_size, window)
    return _chunk_sentence_by_sentence(text, tokenizer, chunk_size, window)


def _check_positive(value, name):
    if value < 1:
        raise ValueError(f"{name} must be at least 1; got {value!r}.")


def _tokenize(tokenizer, texts, **options):
    # verbose=False: a long text is meant to exceed the model's length here.
    return tokenizer(
        texts,
        add_special_tokens=False,
        return_attention_mask=False,
        return_token_type_ids=False,
        verbose=False,
        **options,
    )


def _chunk_with_offsets(text, tokenizer, chunk_size, window):
    """:func:`chunk_spans` with a fast tokenizer: the text is tokenized once."""
    offsets = _tokenize(tokenizer, text, return_offsets_mapping=True)["offset_mapping"]
    if len(offsets) <= chunk_size:
        return [(0, len(text))]
    sentences = split_sentences(text)
    if not sentences:  # whitespace that the tokenizer kept as tokens
        return [(0, len(text))]
    token_starts = np.fromiter((start for start, _ in offsets), dtype=np.int64, count=len(offsets))
    sentence_ends = np.fromiter((end for _, end in sentences), dtype=np.int64)
    # A token belongs to the first sentence that ends after the token starts; tokens
    # after the last sentence (trailing whitespace) belong to the last one.
    owners = np.searchsorted(sentence_ends, token_starts, side="right")
    owners = np.minimum(owners, len(sentences) - 1)
    counts = np.bincount(owners, minlength=len(sentences))
    order = np.argsort(owners, kind="stable")
    firsts = np.cumsum(counts) - counts

    def cut(index):
        tokens = order[firsts[index] : firsts[index] + counts[index]]
        start, end = sentences[index]
        return _token_windows(text, start, end, np.sort(token_starts[tokens]).tolist(), window)

    return _pack(sentences, counts.tolist(), chunk_size, window, cut)


def _token_windows(text, start, end, token_starts, window):
    """Cut ``text[start:end]`` into pieces of at most ``window`` of its tokens.

    ``token_starts`` are the sorted character starts of the sentence's tokens.
    Each piece ends at the last word boundary within ``window`` tokens, or
    after ``window`` tokens when a single word fills the window. The pieces
    run from one cut to the next, so that characters the tokenizer dropped
    still lie in a piece.
    """
    word_starts = [
        index
        for index, offset in enumerate(token_starts)
        if index > 0 and _starts_word(text, offset)
    ]
    cuts = []
    first = 0
    while len(token_starts) - first > window:
        limit = first + window
        position = bisect.bisect_right(word_starts, limit) - 1
        first = word_starts[position] if position >= 0 and word_starts[position] > first else limit
        cuts.append(token_starts[first])
    boundaries = [start] + [min(max(cut, start), end) for cut in cuts] + [end]
    pieces = (_strip(text, a, b) for a, b in zip(boundaries, boundaries[1:]))
    return [piece for piece in pieces if piece is not None]


def _starts_word(text, offset):
    """Whether a token at ``offset`` starts a whitespace-separated word (or is the space before)."""
    return offset > 0 and (text[offset - 1].isspace() or text[offset : offset + 1].isspace())


def _chunk_sentence_by_sentence(text, tokenizer, chunk_size, window):
    """:func:`chunk_spans` with a slow tokenizer, which gives no character offsets."""
    if len(_tokenize(tokenizer, text)["input_ids"]) <= chunk_size:
        return [(0, len(text))]
    sentences = split_sentences(text)
    if not sentences:
        return [(0, len(text))]
    counts = token_counts(tokenizer, [text[start:end] for start, end in sentences])

    def cut(index):
        start, end = sentences[index]
        return _word_windows(text, start, end, tokenizer, window)

    return _pack(sentences, counts, chunk_size, window, cut)


def token_counts(tokenizer, texts):
    """How many tokens each text takes, without special tokens: one batched call."""
    return [len(ids) for ids in _tokenize(tokenizer, texts)["input_ids"]]


def _word_windows(text, start, end, tokenizer, window):
    """Cut ``text[start:end]`` into runs of whole words of at most ``window`` tokens.

    For a slow tokenizer. A word of more than ``window`` tokens on its own is
    first cut into pieces of characters that fit.
    """
    words = [match.span() for match in _WORD.finditer(text, start, end)]
    counts = token_counts(tokenizer, [text[a:b] for a, b in words])
    pieces = []
    for (word_start, word_end), count in zip(words, counts):
        if count > window:
            pieces.extend(_character_pieces(text, word_start, word_end, count, tokenizer, window))
        else:
            pieces.append((word_start, word_end, count))
    windows = []
    total = 0
    for piece_start, piece_end, count in pieces:
        if windows and total + count <= window:
            windows[-1] = (windows[-1][0], piece_end)
            total += count
        else:
            windows.append((piece_start, piece_end))
            total = count
    return windows


def _character_pieces(text, start, end, n_tokens, tokenizer, window):
    """Cut one word into consecutive pieces of at most ``window`` tokens each."""
    characters_per_token = (end - start) / n_tokens
    pieces = []
    while start < end:
        length = min(end - start, max(1, int(window * characters_per_token)))
        while True:
            (count,) = token_counts(tokenizer, [text[start : start + length]])
            if count <= window or length == 1:
                break
            length = max(1, min(length - 1, length * window // count))
        pieces.append((start, start + length, count))
        start += length
    return pieces


def _pack(sentences, counts, chunk_size, window, cut):
    """Pack whole consecutive sentences into chunks of at most ``chunk_size`` tokens.

    ``cut(index)`` gives the pieces of a sentence of more than ``window`` tokens.
    """
    chunks = []
    chunk = None  # [start, end, tokens] of the chunk being filled
    for index, ((start, end), count) in enumerate(zip(sentences, counts)):
        if count > chunk_size:
            if chunk is not None:
                chunks.append((chunk[0], chunk[1]))
                chunk = None
            chunks.extend(cut(index) if count > window else [(start, end)])
        elif chunk is not None and chunk[2] + count <= chunk_size:
            chunk[1] = end
            chunk[2] += count
        else:
            if chunk is not None:
                chunks.append((chunk[0], chunk[1]))
            chunk = [start, end, count]
    if chunk is not None:
        chunks.append((chunk[0], chunk[1]))
    return chunks
