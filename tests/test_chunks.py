"""Long texts to sentence-aligned chunks: sentence spans, packing by tokens, cutting."""

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sklearn_nli._chunks import chunk_spans, split_sentences

# A word-piece vocabulary in which real words take several tokens ("playing" is
# "play ##ing"), for the tests where word boundaries matter.
WORD_PIECES = (
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?"]
    + "the a man woman dog cat play walk talk park music guitar runs".split()
    + ["##ing", "##ed", "##s", "##er"]
)


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    """The tiny model's fast tokenizer.

    Its vocabulary has a few whole words ("the", "man", "dog"), the letters and
    digits, and the punctuation marks: other words are one token a letter.
    """
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.fixture(scope="module")
def word_piece_directory(tmp_path_factory):
    """A folder with the vocab.txt of WORD_PIECES, which fast and slow BERT tokenizers load."""
    directory = tmp_path_factory.mktemp("word-pieces")
    (directory / "vocab.txt").write_text("\n".join(WORD_PIECES) + "\n", encoding="utf-8")
    return str(directory)


@pytest.fixture(scope="module")
def word_piece_tokenizer(word_piece_directory):
    from transformers import BertTokenizerFast

    tokenizer = BertTokenizerFast.from_pretrained(word_piece_directory)
    assert tokenizer.tokenize("playing") == ["play", "##ing"]
    return tokenizer


@pytest.fixture(scope="module")
def slow_word_piece_tokenizer(word_piece_directory):
    import transformers

    # transformers 5 names the pure-Python BERT tokenizer BertTokenizerLegacy.
    slow_class = getattr(transformers, "BertTokenizerLegacy", transformers.BertTokenizer)
    tokenizer = slow_class.from_pretrained(word_piece_directory)
    assert not tokenizer.is_fast
    assert tokenizer.tokenize("playing") == ["play", "##ing"]
    return tokenizer


def count_tokens(tokenizer, text):
    return len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


def sentences_of(text):
    return [text[start:end] for start, end in split_sentences(text)]


def assert_partition(text, spans):
    """Spans in order, not overlapping, covering every non-whitespace character once."""
    covered = [0] * len(text)
    previous_end = 0
    for start, end in spans:
        assert type(start) is int and type(end) is int
        assert previous_end <= start < end <= len(text)
        previous_end = end
        for position in range(start, end):
            covered[position] += 1
    for position, character in enumerate(text):
        if not character.isspace():
            assert covered[position] == 1, (position, character)


def assert_chunk_sizes(text, spans, tokenizer, chunk_size, window):
    """At most ``window`` tokens a chunk, and at most ``chunk_size`` unless within one sentence."""
    sentences = split_sentences(text)
    for start, end in spans:
        n_tokens = count_tokens(tokenizer, text[start:end])
        assert n_tokens <= window
        if n_tokens > chunk_size:
            assert any(s <= start and end <= e for s, e in sentences), (start, end)


class CallCounter:
    """A tokenizer that counts how often it is called."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.tokenizer(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


# ------------------------------------------------------------------ sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four… Five", ["One.", "Two!", "Three?", "Four…", "Five"]),
        (
            "Dr. Smith met Mrs. Jones and Prof. Lee vs. St. Ives. Then they left.",
            ["Dr. Smith met Mrs. Jones and Prof. Lee vs. St. Ives.", "Then they left."],
        ),
        # An abbreviation never ends a sentence, even where a sentence does end.
        ("Pens, ink, etc. Then paper.", ["Pens, ink, etc. Then paper."]),
        (
            "Fruit, e.g. Apples, i.e. Food. U.S. Steel Inc. Ltd. Jr. Sr. No. 5 won.",
            ["Fruit, e.g. Apples, i.e. Food.", "U.S. Steel Inc. Ltd. Jr. Sr. No. 5 won."],
        ),
        ("J. K. Rowling wrote it. She is rich.", ["J. K. Rowling wrote it.", "She is rich."]),
        (
            "\"Stop!\" She ran. (It was late.) 'Why?' he said.",
            ['"Stop!"', "She ran.", "(It was late.)", "'Why?' he said."],
        ),
        ("“Go.” Then ‘Now.’ Done", ["“Go.”", "Then ‘Now.’", "Done"]),
        ("We met at 5 p.m. on Monday. It rained.", ["We met at 5 p.m. on Monday.", "It rained."]),
        ("It grew 3.5 million. Page 2. 3 left", ["It grew 3.5 million.", "Page 2. 3 left"]),
        ("Wait... what? Yes!", ["Wait... what?", "Yes!"]),
        ("我爱你。你好吗？好！」他说", ["我爱你。", "你好吗？", "好！」", "他说"]),
        (
            "Headline\nFirst paragraph. Still first.\n\nSecond paragraph\n- item one\n- item two",
            [
                "Headline",
                "First paragraph.",
                "Still first.",
                "Second paragraph",
                "- item one",
                "- item two",
            ],
        ),
        ("Windows line\r\nends here.", ["Windows line", "ends here."]),
        ("no punctuation at all in this text", ["no punctuation at all in this text"]),
        ("  padded sentence.   Another one.  ", ["padded sentence.", "Another one."]),
        ("Ends with a period.", ["Ends with a period."]),
    ],
)
def test_split_sentences(text, expected):
    assert sentences_of(text) == expected


@pytest.mark.parametrize("text", ["", " ", "  \n\t \n  ", "\u3000\u2028"])
def test_split_sentences_of_empty_and_whitespace_text(text):
    assert split_sentences(text) == []


def test_split_sentences_returns_spans_into_the_text():
    text = "  First one.\n\n  Second one!  "
    assert split_sentences(text) == [(2, 12), (16, 27)]


@pytest.mark.parametrize(
    "text",
    [
        " ".join(["word"] * 10_000),
        "." * 100_000 + "x",
        ". " * 50_000,
        ".!" * 50_000 + '"' * 50_000 + "x",
        " " * 100_000 + "x",
        "x" + "\t" * 100_000 + "\n",
        "a." * 50_000,
    ],
    ids=["10k-words", "dots", "dot-space", "marks-and-quotes", "spaces", "tabs", "dotted-word"],
)
def test_split_sentences_is_linear_time(text):
    # A quadratic scan of these 100,000-character texts would take minutes.
    started = time.perf_counter()
    spans = split_sentences(text)
    assert time.perf_counter() - started < 5
    assert_partition(text, spans)


def test_split_sentences_of_a_line_without_punctuation_is_one_span():
    text = " ".join(f"word{i}" for i in range(10_000))
    assert split_sentences(text) == [(0, len(text))]


SENTENCE_PARTS = st.sampled_from(
    [
        "Dr.",
        "J.",
        "e.g.",
        "U.S.",
        "the",
        "Man",
        "plays",
        "3.5",
        "2",
        ".",
        "!",
        "?",
        "…",
        "...",
        '."',
        "?)",
        "。",
        "！",
        "我",
        "爱",
        "」",
        "\n",
        "\n\n",
        "\r\n",
        "\t",
        "\u3000",
        "x" * 120,
        "ab-cd",
    ]
)
TEXTS = st.one_of(
    st.lists(st.tuples(SENTENCE_PARTS, st.sampled_from(["", " ", "  "])), max_size=40).map(
        lambda parts: "".join(part + separator for part, separator in parts)
    ),
    st.text(max_size=200),
)


@given(text=TEXTS)
def test_sentence_spans_partition_the_text(text):
    spans = split_sentences(text)
    assert_partition(text, spans)
    for start, end in spans:
        sentence = text[start:end]
        assert sentence == sentence.strip() and sentence


# --------------------------------------------------------------------- chunks


@pytest.mark.parametrize(
    "text", ["", "   ", "\n\n", "  The man plays.  The dog runs. ", "x" * 20_000]
)
def test_a_text_that_fits_is_one_chunk_exactly_as_given(tokenizer, text):
    # A 20,000-character word is one [UNK] token for BERT (words over 100 characters).
    assert chunk_spans(text, tokenizer, chunk_size=10, window=20) == [(0, len(text))]


def test_sentences_are_packed_whole_and_in_order(tokenizer):
    text = "The man plays. A dog runs! The cat plays?"
    assert [count_tokens(tokenizer, s) for s in sentences_of(text)] == [4, 4, 4]
    spans = chunk_spans(text, tokenizer, chunk_size=8, window=8)
    assert [text[start:end] for start, end in spans] == [
        "The man plays. A dog runs!",
        "The cat plays?",
    ]
    spans = chunk_spans(text, tokenizer, chunk_size=4, window=8)
    assert [text[start:end] for start, end in spans] == sentences_of(text)


def test_a_sentence_longer_than_the_chunk_size_is_a_chunk_of_its_own(tokenizer):
    text = "The dog runs. The man plays music and the woman plays guitar in the park. A cat runs."
    assert [count_tokens(tokenizer, s) for s in sentences_of(text)] == [4, 13, 4]
    spans = chunk_spans(text, tokenizer, chunk_size=6, window=16)
    assert [text[start:end] for start, end in spans] == sentences_of(text)


def test_a_sentence_longer_than_the_window_is_cut_between_words(word_piece_tokenizer):
    # Each word is two tokens: a window of 5 holds two words.
    sentence = " ".join(["playing walked talker"] * 6) + "."
    text = "The dog runs. " + sentence + " The cat runs."
    spans = chunk_spans(text, word_piece_tokenizer, chunk_size=4, window=5)
    chunks = [text[start:end] for start, end in spans]
    assert chunks[0] == "The dog runs."
    assert chunks[-1] == "The cat runs."
    pieces = chunks[1:-1]
    assert " ".join(pieces) == sentence
    assert all(count_tokens(word_piece_tokenizer, piece) <= 5 for piece in pieces)
    assert [len(piece.split()) for piece in pieces] == [2] * 9
    assert_partition(text, spans)


def test_a_word_longer_than_the_window_is_cut_between_tokens(tokenizer):
    # "ab" is "a ##b" and a hyphen a token of its own: 20,000 tokens, no whitespace.
    text = "ab-" * 6_666 + "ab"
    spans = chunk_spans(text, tokenizer, chunk_size=64, window=100)
    assert len(spans) == 200
    assert "".join(text[start:end] for start, end in spans) == text
    assert_chunk_sizes(text, spans, tokenizer, 64, 100)


def test_cjk_text(tokenizer):
    # BERT reads each CJK character as a token.
    unpunctuated = "我爱你你好吗好" * 300
    spans = chunk_spans(unpunctuated, tokenizer, chunk_size=50, window=60)
    assert [end - start for start, end in spans] == [60] * 35
    punctuated = "我爱你。你好吗？好！" * 300
    spans = chunk_spans(punctuated, tokenizer, chunk_size=50, window=60)
    assert_partition(punctuated, spans)
    assert_chunk_sizes(punctuated, spans, tokenizer, 50, 60)
    assert all(punctuated[end - 1] in "。？！" for _, end in spans)


def test_a_long_line_without_punctuation_is_cut_into_windows(tokenizer):
    text = " ".join(["the", "man", "dog", "park"] * 2_500)
    spans = chunk_spans(text, tokenizer, chunk_size=100, window=128)
    assert [count_tokens(tokenizer, text[start:end]) for start, end in spans] == [128] * 78 + [16]
    assert_partition(text, spans)


def test_the_text_is_tokenized_once(tokenizer):
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    counter = CallCounter(tokenizer)
    spans = chunk_spans(text, counter, chunk_size=20, window=30)
    assert counter.calls == 1
    assert len(spans) > 1


def test_a_slow_tokenizer_gives_the_same_chunks(word_piece_tokenizer, slow_word_piece_tokenizer):
    text = (
        "The man walked. The dog runs in the park!\n"
        "A woman playing music, guitar playing? "
        + " ".join(["playing walked talker the"] * 8)
        + ". The cat talked."
    )
    for chunk_size, window in [(4, 4), (6, 7), (9, 12), (30, 30), (500, 500)]:
        fast = chunk_spans(text, word_piece_tokenizer, chunk_size, window)
        slow = chunk_spans(text, slow_word_piece_tokenizer, chunk_size, window)
        assert slow == fast, (chunk_size, window)
        assert_partition(text, fast)


def test_a_slow_tokenizer_cuts_a_word_longer_than_the_window(slow_word_piece_tokenizer):
    # One whitespace-separated word of 61 tokens: "talk" and "-" ([UNK]) 30 times, "talk".
    text = "The dog runs. " + "talk-" * 30 + "talk The cat."
    spans = chunk_spans(text, slow_word_piece_tokenizer, chunk_size=8, window=10)
    assert_partition(text, spans)
    assert_chunk_sizes(text, spans, slow_word_piece_tokenizer, 8, 10)


class WhitespaceTokensTokenizer:
    """A fast-tokenizer stand-in with a token for every word and every run of whitespace."""

    is_fast = True

    def __call__(self, text, **kwargs):
        offsets = [match.span() for match in re.finditer(r"\s+|\S+", text)]
        return {"input_ids": list(range(len(offsets))), "offset_mapping": offsets}


def test_a_token_between_sentences_belongs_to_the_next_one():
    # With the space before them, "C d." and "E f." take 4 tokens each and "A b." 3;
    # spaces counted with the sentence before would make them 4, 4 and 3.
    text = "A b. C d. E f."
    spans = chunk_spans(text, WhitespaceTokensTokenizer(), chunk_size=7, window=7)
    assert [text[start:end] for start, end in spans] == ["A b. C d.", "E f."]
    spans = chunk_spans(text, WhitespaceTokensTokenizer(), chunk_size=6, window=7)
    assert [text[start:end] for start, end in spans] == ["A b.", "C d.", "E f."]


@pytest.mark.parametrize(("chunk_size", "window"), [(0, 10), (5, 0), (-1, 10)])
def test_chunk_size_and_window_must_be_positive(tokenizer, chunk_size, window):
    with pytest.raises(ValueError, match="at least 1"):
        chunk_spans("A text.", tokenizer, chunk_size, window)


@given(
    text=TEXTS,
    chunk_size=st.integers(min_value=1, max_value=12),
    extra_window=st.integers(min_value=0, max_value=8),
)
def test_chunks_partition_the_text_and_respect_the_sizes(tokenizer, text, chunk_size, extra_window):
    window = chunk_size + extra_window
    spans = chunk_spans(text, tokenizer, chunk_size, window)
    if count_tokens(tokenizer, text) <= chunk_size:
        assert spans == [(0, len(text))]
        return
    assert_partition(text, spans)
    assert_chunk_sizes(text, spans, tokenizer, chunk_size, window)


def test_punctuation_standing_alone_ends_a_sentence_before_a_lowercase_word():
    # SummEval's summaries are tokenized and lower-cased: "word . next".
    text = "the team won the game . the coach was happy . fans cheered"
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "the team won the game .",
        "the coach was happy .",
        "fans cheered",
    ]
