"""Long texts: truncation against sentence-aligned chunks, side by side in one run (issue 26).

    python benchmarks/long_texts.py [--model DIR[,DIR...]]
        [--sections bbc,fewshot,consistency,needle,cost] [--bbc-sample 500]
        [--sizes default,256,128] [--bbc-sizes ...] [--fewshot-sizes default,128]
        [--consistency-sizes default,128,40] [--needle-sizes default,128,64,40]
        [--seeds 5] [--per-class 8] [--fewshot-test 300] [--epochs 10]
        [--learning-rate 5e-5] [--consistency-sample 0] [--needle-pairs 300]
        [--cost-texts 800] [--repeats 3] [--sample N]
        [--device auto] [--precision fp32] [--backend auto] [--batch-size N]
    python benchmarks/long_texts.py --smoke      # every section, tiny random model, seconds

``--model``: by default the NLI-mix stand-in, ``../shared/models/minilm-l6-nli-mix``; a
comma-separated list runs every section for each model (e.g. NLI-mix and the SICK stand-in
of ``../shared/tools/make_standin_model.py``). Every table names its model.

Sections (``--sections``), each a table with the seconds and the pairs scored of each row:

* ``bbc``: BBC News zero-shot (``../shared/data/bbc_news.csv``; the text is the article's
  ``body``, without its title), the 5 topics as classes, template "This text is about {}.";
  a stratified sample of ``--bbc-sample`` articles (``random_state=0``; 0 = all 2,225).
  ``long_texts="truncate"`` against ``"chunk"`` at each ``--bbc-sizes`` (``default`` is
  ``chunk_size=None``), each with ``chunk_aggregation`` mean and max: accuracy, macro-F1,
  chunks per text, and the pairs: Σ chunks x labels (from ``chunk_for_hypotheses``), the
  distinct ones (the engine scores identical chunks once: BBC holds duplicate articles), and
  those counted going through the model (``NLIEngine._run`` wrapped with a counter, with
  ``cache=False`` on the estimator); the last two must be equal.
* ``fewshot``: BBC few-shot: ``--fewshot-test`` articles held out (stratified,
  ``random_state=0``); per seed, ``--per-class`` labelled articles per topic drawn from the
  rest; fine-tuned (``--epochs``, ``--learning-rate`` as few_shot.py's AG News, 4 texts per
  step) with ``long_texts="truncate"`` and ``"chunk"`` at ``--fewshot-sizes`` (a chunked
  fit trains on every chunk with its article's topic), scored on the held-out articles;
  each seed's row, then mean ± std over the seeds; the zero-shot rows for reference.
* ``consistency``: SummEval and FRANK-val (``../shared/data/consistency/``): the document
  (``grounding``) is the premise, the summary (``generated_text``) the hypothesis,
  ``label`` 1 = consistent. ``NLIPairScorer``'s P(entailment) as the score: truncated;
  chunked at ``--consistency-sizes``; chunked with ``split_hypothesis=True`` and
  ``hypothesis_aggregation`` mean and min. ROC AUC, and balanced accuracy at the threshold
  that maximises it on one random half (``RandomState(0)``), reported on the other half.
  Published figures are printed beside, labelled as such (not measured here).
* ``needle``: ``--needle-pairs`` held-out SICK pairs (``pair_ID % 5 == 0``, drawn with
  ``RandomState(0)``; entailment against neutral + contradiction); each premise placed after
  at least 600 tokens (the model's tokenizer) of AG News test texts (title + description,
  joined by blank lines, a different stretch of texts per pair, shuffled with
  ``RandomState(0)``), hypothesis unchanged. ROC AUC of P(entailment) for the short pairs
  (premise alone), truncated and chunked at ``--needle-sizes``, the ratio to the short AUC,
  and for the entailed pairs how often ``evidence()``'s deciding chunk holds the premise:
  its span covers the whole premise, and (looser) the premise's first 20 characters.
* ``cost``: AG News, ``--cost-texts`` short texts, 4 labels (few_shot.py's template and
  label descriptions), and as many SICK held-out pairs: ``long_texts="truncate"`` against
  the defaults (``"chunk"``), ``cache=False``, ``--repeats`` interleaved runs each, best of;
  the ratio (acceptance: at most 1.1x) and the largest difference of the probabilities.

Each section starts from ``clear_model_cache()`` and loads its model with a throwaway
prediction first, so no row pays the load. ``--sample N`` caps every section's data at N
items (a quick look; not for figures).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    AG_NEWS_LABELS,
    DATA,
    ag_news,
    default_model,
    describe_machine,
    model_name,
    sick_test,
)
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier, clear_model_cache  # noqa: E402
from sklearn_nli._errors import InvalidValueError  # noqa: E402
from sklearn_nli._long_texts import (  # noqa: E402
    chunk_for_hypotheses,
    chunk_texts,
    effective_chunk_size,
    split_hypotheses,
)
from sklearn_nli._runtime._engine import NLIEngine  # noqa: E402

SECTIONS = ("bbc", "fewshot", "consistency", "needle", "cost")
BBC_TEMPLATE = "This text is about {}."
AG_TEMPLATE = "This text is about {}."  # few_shot.py's AG News settings
AG_DESCRIPTIONS = {"World": "world news", "Sci/Tech": "science and technology"}
NEEDLE_FILLER_TOKENS = 600
NEEDLE_HEAD = 20  # the looser "holds the premise": the chunk covers its first 20 characters
SECTION_SIZES = {
    "bbc": "default,256,128",
    "fewshot": "default,128",
    "consistency": "default,128,40",
    "needle": "default,128,64,40",
}
PUBLISHED = """\
Published figures (NOT measured here; other models, other data; from issue 26 and design.md §8):
  SummaC benchmark, ROC AUC: a document-level MNLI model 47.9; chunked NLI scorers 79-88
    (AlignScore's leaderboard).
  SummaC's granularity table, balanced accuracy: roberta-large-mnli 56.4 with whole documents
    as premises, 70.3-73.0 with sentences as premises."""


# ------------------------------------------------------------------ plumbing


class PairCounter:
    """Counts the pairs that go through the model: ``NLIEngine._run``, wrapped, class-wide."""

    def __init__(self):
        self.pairs = 0
        original = NLIEngine._run
        counter = self

        def counting_run(engine, premises, hypotheses, rows, *rest):
            counter.pairs += len(rows)
            return original(engine, premises, hypotheses, rows, *rest)

        NLIEngine._run = counting_run

    def reset(self):
        self.pairs = 0


COUNTER = PairCounter()


def timed(function, *args):
    """``(result, seconds, pairs through the model)`` of one call."""
    COUNTER.reset()
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start, COUNTER.pairs


def size_name(size):
    return "default" if size is None else str(size)


def parse_sizes(text):
    sizes = []
    for part in text.split(","):
        part = part.strip()
        sizes.append(None if part in ("default", "none", "None") else int(part))
    return sizes


class Table:
    """Fixed-width columns; rows printed as they end, so a long run stopped early keeps them."""

    def __init__(self, columns):
        self.columns = columns  # (title, width, format or None for text)

    def header(self):
        print(" ".join(f"{t:<{w}}" if f is None else f"{t:>{w}}" for t, w, f in self.columns))

    def row(self, *values):
        cells = []
        for (_, width, fmt), value in zip(self.columns, values):
            if fmt is None or isinstance(value, str):
                text = str(value)
                cells.append(f"{text:<{width}}" if fmt is None else f"{text:>{width}}")
            else:
                cells.append(f"{value:>{width}{fmt}}")
        print(" ".join(cells), flush=True)


def error_row(label, exc):
    """A row that could not be measured: the setting and the package's message."""
    print(f"{label}  not measured: {str(exc)[:300]}", flush=True)


def engine_params(args):
    return {
        "device": args.device,
        "precision": args.precision,
        "backend": args.backend,
        "batch_size": args.batch_size,
        "cache": False,
    }


def start_section(args, model, title, note):
    """Forget loaded models, load ``model`` with a throwaway prediction, print the title."""
    clear_model_cache()
    probe = ZeroShotNLIClassifier(model, candidate_labels=["a", "b"], **engine_params(args))
    probe.fit().predict_proba(["A warm-up text."])
    info = probe.get_backend_info()
    print(f"\n## {title}\nmodel: {model_name(model)}")
    print(f"backend: {info['backend']}, device {info['device']}, precision {info['precision']}")
    for line in note:
        print(line)


def entailment_index(estimator):
    labels = [str(c).lower() for c in estimator.classes_]
    for index, label in enumerate(labels):
        if label.startswith("entail"):
            return index
    raise SystemExit(f"the model has no entailment label: {estimator.classes_}")


def pairs_frame(premises, hypotheses):
    return pd.DataFrame({"premise": list(premises), "hypothesis": list(hypotheses)})


def zero_shot_chunk_counts(clf, texts):
    """``(Σ chunks, distinct chunks, chunks per text)`` as ``clf`` reads ``texts``."""
    if clf.long_texts == "truncate":
        return len(texts), len(set(texts)), np.ones(len(texts))
    chunked = chunk_for_hypotheses(
        clf._encoder(), texts, clf.hypotheses_, clf.chunk_size, clf.max_length
    )
    return int(chunked.counts.sum()), len(set(chunked.chunks)), chunked.counts


def pair_chunk_counts(scorer, premises, hypotheses):
    """``(Σ chunks x hypothesis sentences, distinct pairs)`` as ``scorer`` reads the pairs.

    Mirrors ``_long_texts.read_pairs``: each hypothesis (or sentence) reads its premise in
    chunks of its own size; the engine scores each distinct (chunk, sentence) pair once.
    """
    if scorer.split_hypothesis:
        sentences, owner = split_hypotheses(list(hypotheses))
    else:
        sentences, owner = list(hypotheses), np.arange(len(hypotheses))
    if scorer.long_texts == "truncate":
        pairs = [(premises[i], s) for i, s in zip(owner, sentences)]
        return len(pairs), len(set(pairs))
    encoder = scorer._encoder()
    max_length = int(scorer.max_length or encoder.default_max_length)
    rooms = encoder.premise_rooms(sentences, max_length)
    groups = {}
    for index, (sentence, room) in enumerate(zip(sentences, rooms)):
        size = effective_chunk_size(scorer.chunk_size, room, sentence[:40])
        groups.setdefault((size, int(room)), []).append(index)
    total, distinct = 0, set()
    for (size, room), members in groups.items():
        chunked = chunk_texts(encoder, [premises[owner[i]] for i in members], size, room)
        total += int(chunked.counts.sum())
        for position, index in enumerate(members):
            first, count = chunked.first[position], chunked.counts[position]
            distinct.update((c, sentences[index]) for c in chunked.chunks[first : first + count])
    return total, len(distinct)


# ---------------------------------------------------------------------- data


def bbc(sample=0, seed=0, max_chars=None):
    """BBC articles' bodies and topics; a stratified sample of ``sample`` (0: all).

    ``max_chars`` cuts each body (the smoke run only: its character-level tiny vocabulary
    makes every article thousands of tokens).
    """
    frame = pd.read_csv(DATA / "bbc_news.csv")
    if sample and sample < len(frame):
        frame, _ = train_test_split(
            frame, train_size=sample, stratify=frame["topic"], random_state=seed
        )
        frame = frame.sort_index()
    return [body[:max_chars] for body in frame["body"]], frame["topic"].to_numpy()


def consistency(name, sample=0, max_chars=None):
    frame = pd.read_csv(DATA / "consistency" / f"{name}.csv")
    if sample and sample < len(frame):
        frame = frame.sample(n=sample, random_state=0).sort_index()
    documents = [document[:max_chars] for document in frame["grounding"]]
    return documents, list(frame["generated_text"]), frame["label"].to_numpy()


def needle_pairs(tokenizer, n_pairs, seed=0, filler_tokens=NEEDLE_FILLER_TOKENS):
    """SICK held-out pairs, and their premises placed after ``filler_tokens`` of AG News.

    Returns premises, long premises, hypotheses, entailed (bool), the premises' character
    spans in the long texts, and the filler's token counts.
    """
    pairs, labels = sick_test()
    rng = np.random.RandomState(seed)
    chosen = np.sort(rng.choice(len(pairs), min(n_pairs, len(pairs)), replace=False))
    news, _ = ag_news(7600)
    lengths = [
        len(ids) for ids in tokenizer(news, add_special_tokens=False, verbose=False)["input_ids"]
    ]
    order = rng.permutation(len(news))
    cursor = 0
    premises, long_premises, hypotheses, spans, filler_sizes = [], [], [], [], []
    for index in chosen:
        premise, hypothesis = pairs[index]
        parts, tokens = [], 0
        while True:
            if cursor == len(order):  # every text used once: go round in a new order
                order, cursor = rng.permutation(len(news)), 0
            parts.append(news[order[cursor]])
            tokens += lengths[order[cursor]]
            cursor += 1
            if tokens >= filler_tokens:
                filler = "\n\n".join(parts)
                tokens = len(tokenizer(filler, add_special_tokens=False)["input_ids"])
                if tokens >= filler_tokens:
                    break
        start = len(filler) + 2
        premises.append(premise)
        long_premises.append(filler + "\n\n" + premise)
        hypotheses.append(hypothesis)
        spans.append((start, start + len(premise)))
        filler_sizes.append(tokens)
    entailed = np.array([labels[i] == "ENTAILMENT" for i in chosen])
    return premises, long_premises, hypotheses, entailed, np.array(spans), np.array(filler_sizes)


# ------------------------------------------------------------------ sections


def section_bbc(args, model):
    texts, topics = bbc(args.bbc_sample, max_chars=args.max_chars)
    classes = sorted(set(topics))
    sample = "all" if len(texts) == 2225 else "a stratified sample (random_state=0) of"
    start_section(
        args,
        model,
        "BBC News zero-shot: long_texts truncate vs chunk",
        [
            f"data: {sample} {len(texts)} articles of ../shared/data/bbc_news.csv; text = the "
            "body (title not included)",
            f"classes: {classes}; template {BBC_TEMPLATE!r}; cache=False",
            "pairs: Σ = Σ chunks x labels; distinct = distinct chunks x labels (identical "
            "chunks, e.g. duplicate articles, are scored once); model = counted at "
            "NLIEngine._run (must equal distinct)",
        ],
    )
    table = Table(
        [
            ("reading", 10, None),
            ("size", 7, ""),
            ("agg", 4, None),
            ("accuracy", 8, ".3f"),
            ("macro-F1", 8, ".3f"),
            ("chunks/text", 11, ".2f"),
            ("pairs Σ", 8, "d"),
            ("distinct", 8, "d"),
            ("model", 8, "d"),
            ("check", 5, None),
            ("seconds", 8, ".1f"),
            ("pairs/s", 8, ".0f"),
        ]
    )
    table.header()
    settings = [("truncate", None, "mean")]
    settings += [("chunk", s, a) for s in args.bbc_sizes for a in ("mean", "max")]
    for long_texts, size, aggregation in settings:
        clf = ZeroShotNLIClassifier(
            model,
            candidate_labels=classes,
            hypothesis_template=BBC_TEMPLATE,
            long_texts=long_texts,
            chunk_size=size,
            chunk_aggregation=aggregation,
            **engine_params(args),
        ).fit()
        try:
            n_chunks, n_distinct, per_text = zero_shot_chunk_counts(clf, texts)
            proba, seconds, counted = timed(clf.predict_proba, texts)
        except InvalidValueError as exc:
            error_row(f"{long_texts:<10} {size_name(size):>7} {aggregation}", exc)
            continue
        predicted = clf.classes_[np.argmax(proba, axis=1)]
        expected = n_distinct * len(classes)
        table.row(
            long_texts,
            "—" if long_texts == "truncate" else size_name(size),
            "—" if long_texts == "truncate" else aggregation,
            accuracy_score(topics, predicted),
            f1_score(topics, predicted, average="macro"),
            float(np.mean(per_text)),
            n_chunks * len(classes),
            expected,
            counted,
            "ok" if counted == expected else "DIFF",
            seconds,
            counted / seconds,
        )


def section_fewshot(args, model):
    texts, topics = bbc(0, max_chars=args.max_chars)
    classes = sorted(set(topics))
    rows = np.arange(len(texts))
    train_rows, test_rows = train_test_split(
        rows, test_size=args.fewshot_test, stratify=topics, random_state=0
    )
    test_rows = np.sort(test_rows)
    test_x, test_y = [texts[i] for i in test_rows], topics[test_rows]
    start_section(
        args,
        model,
        "BBC News few-shot: fine-tuned, long_texts truncate vs chunk",
        [
            f"data: ../shared/data/bbc_news.csv bodies; {len(test_x)} held out (stratified, "
            f"random_state=0); per seed {args.per_class} labelled articles per topic drawn "
            f"from the other {len(train_rows)}",
            f"fine-tuning: {args.epochs} epochs, lr {args.learning_rate}, 4 texts per step, "
            f"train_precision={args.train_precision!r}, random_state=seed; template "
            f"{BBC_TEMPLATE!r}; a chunked fit trains on every chunk with its article's topic",
            "trunc→chunk: the truncated fit (trained on each article's first window only) "
            "read in chunks at predict; train chunks: the labelled articles' chunks (each "
            "paired with all "
            f"{len(classes)} hypotheses per epoch); pairs: scored in predict, counted at "
            "NLIEngine._run",
        ],
    )
    table = Table(
        [
            ("reading", 11, None),
            ("size", 7, ""),
            ("seed", 5, None),
            ("accuracy", 15, ".3f"),
            ("macro-F1", 15, ".3f"),
            ("train chunks", 12, "d"),
            ("fit s", 8, ".1f"),
            ("pairs", 7, "d"),
            ("predict s", 9, ".1f"),
        ]
    )
    table.header()
    settings = [("truncate", None)] + [("chunk", s) for s in args.fewshot_sizes]

    def classifier(long_texts, size, seed, n_epochs):
        return ZeroShotNLIClassifier(
            model,
            candidate_labels=classes,
            hypothesis_template=BBC_TEMPLATE,
            long_texts=long_texts,
            chunk_size=size,
            n_epochs=n_epochs,
            learning_rate=args.learning_rate,
            train_batch_size=4,
            train_precision=args.train_precision,
            random_state=seed,
            **engine_params(args),
        )

    for long_texts, size in settings:  # reference: the same settings, zero-shot
        clf = classifier(long_texts, size, 0, 0).fit()
        predicted, seconds, counted = timed(clf.predict, test_x)
        table.row(
            long_texts,
            "—" if long_texts == "truncate" else size_name(size),
            "0-shot",
            accuracy_score(test_y, predicted),
            f1_score(test_y, predicted, average="macro"),
            "—",
            "—",
            counted,
            seconds,
        )
    results = {setting: [] for setting in settings}
    for seed in range(args.seeds):
        rng = np.random.RandomState(seed)
        chosen = np.concatenate(
            [
                rng.choice(train_rows[topics[train_rows] == c], args.per_class, replace=False)
                for c in classes
            ]
        )
        rng.shuffle(chosen)
        x, y = [texts[i] for i in chosen], topics[chosen]
        for long_texts, size in settings:
            clear_model_cache()  # drop the last fine-tuned engine: memory stays modest
            clf = classifier(long_texts, size, seed, args.epochs)
            train_chunks = zero_shot_chunk_counts(clf.set_params(n_epochs=0).fit(), x)[0]
            clf.set_params(n_epochs=args.epochs)
            _, fit_s, _ = timed(clf.fit, x, y)
            predicted, predict_s, counted = timed(clf.predict, test_x)
            accuracy = accuracy_score(test_y, predicted)
            macro_f1 = f1_score(test_y, predicted, average="macro")
            results[(long_texts, size)].append((accuracy, macro_f1, fit_s, predict_s))
            table.row(
                long_texts,
                "—" if long_texts == "truncate" else size_name(size),
                f"#{seed}",
                accuracy,
                macro_f1,
                train_chunks,
                fit_s,
                counted,
                predict_s,
            )
            if long_texts == "truncate":  # what the first window alone teaches, read chunked
                for chunk_size in args.fewshot_sizes:
                    clf.set_params(long_texts="chunk", chunk_size=chunk_size)
                    predicted, predict_s, counted = timed(clf.predict, test_x)
                    accuracy = accuracy_score(test_y, predicted)
                    macro_f1 = f1_score(test_y, predicted, average="macro")
                    key = ("trunc→chunk", chunk_size)
                    results.setdefault(key, []).append((accuracy, macro_f1, fit_s, predict_s))
                    table.row(
                        key[0],
                        size_name(chunk_size),
                        f"#{seed}",
                        accuracy,
                        macro_f1,
                        train_chunks,
                        fit_s,
                        counted,
                        predict_s,
                    )
            del clf
    clear_model_cache()
    for (long_texts, size), runs in results.items():
        accuracy, macro_f1, fit_s, predict_s = np.asarray(runs).T
        table.row(
            long_texts,
            "—" if long_texts == "truncate" else size_name(size),
            "mean",
            f"{accuracy.mean():.3f} ± {accuracy.std():.3f}",
            f"{macro_f1.mean():.3f} ± {macro_f1.std():.3f}",
            "",
            fit_s.mean(),
            "",
            predict_s.mean(),
        )


def half_split_balanced_accuracy(labels, scores, seed=0):
    """Threshold maximising balanced accuracy on one random half; its value on the other."""
    order = np.random.RandomState(seed).permutation(len(labels))
    choose, report = order[: len(order) // 2], order[len(order) // 2 :]
    candidates = np.unique(scores[choose])
    candidates = np.concatenate([[-np.inf], (candidates[1:] + candidates[:-1]) / 2, [np.inf]])
    best, threshold = -1.0, 0.5
    for candidate in candidates:
        value = balanced_accuracy_score(labels[choose], scores[choose] >= candidate)
        if value > best:
            best, threshold = value, candidate
    return balanced_accuracy_score(labels[report], scores[report] >= threshold), threshold


def section_consistency(args, model):
    start_section(
        args,
        model,
        "Factual consistency: document (premise) vs summary (hypothesis), NLIPairScorer",
        [
            "score: P(entailment) from predict_proba; label 1 = consistent; cache=False",
            "bal. acc.: threshold maximising balanced accuracy on a random half "
            "(RandomState(0)), reported on the other half",
            "pairs: Σ = Σ premise chunks x hypothesis sentences; model = counted at "
            "NLIEngine._run (identical pairs scored once)",
        ],
    )
    for name in ("summeval", "frank_val"):
        premises, hypotheses, labels = consistency(
            name, args.consistency_sample, max_chars=args.max_chars
        )
        sentences, _ = split_hypotheses(hypotheses)
        periods = np.mean([h.count(" . ") + 1 for h in hypotheses])
        print(
            f"\n{name}: {len(labels)} summaries ({int(labels.sum())} consistent), "
            f"../shared/data/consistency/{name}.csv; split_hypothesis finds "
            f"{len(sentences) / len(labels):.2f} sentences per summary (' . ' separators "
            f"suggest {periods:.2f}: lower-cased text is not cut before a lowercase word)"
        )
        table = Table(
            [
                ("reading", 8, None),
                ("size", 7, ""),
                ("split", 5, None),
                ("agg", 4, None),
                ("ROC AUC", 7, ".3f"),
                ("bal.acc", 7, ".3f"),
                ("thr", 6, ".3f"),
                ("pairs Σ", 8, "d"),
                ("model", 8, "d"),
                ("seconds", 8, ".1f"),
                ("pairs/s", 8, ".0f"),
            ]
        )
        table.header()
        settings = [("truncate", None, False, "mean")]
        for size in args.consistency_sizes:
            settings += [("chunk", size, False, "mean")]
            settings += [("chunk", size, True, a) for a in ("mean", "min")]
        X = pairs_frame(premises, hypotheses)
        for long_texts, size, split, aggregation in settings:
            scorer = NLIPairScorer(
                model,
                long_texts=long_texts,
                chunk_size=size,
                split_hypothesis=split,
                hypothesis_aggregation=aggregation,
                **engine_params(args),
            ).fit()
            try:
                total, _ = pair_chunk_counts(scorer, premises, hypotheses)
                proba, seconds, counted = timed(scorer.predict_proba, X)
            except InvalidValueError as exc:  # e.g. a summary too long for chunk_size
                error_row(f"{long_texts:<8} {size_name(size):>7} split={split}", exc)
                continue
            score = proba[:, entailment_index(scorer)]
            balanced, threshold = half_split_balanced_accuracy(labels, score)
            table.row(
                long_texts,
                "—" if long_texts == "truncate" else size_name(size),
                "yes" if split else "no",
                aggregation if split else "—",
                roc_auc_score(labels, score),
                balanced,
                threshold,
                total,
                counted,
                seconds,
                counted / seconds,
            )
    print()
    print(PUBLISHED)


def section_needle(args, model):
    encoder = NLIPairScorer(model).fit()._encoder()
    premises, long_premises, hypotheses, entailed, spans, filler = needle_pairs(
        encoder.tokenizer, args.needle_pairs
    )
    start_section(
        args,
        model,
        "Needle: a held-out SICK premise after ≥ 600 tokens of unrelated news, NLIPairScorer",
        [
            f"data: {len(premises)} SICK held-out pairs (pair_ID % 5 == 0, drawn with "
            f"RandomState(0)): {int(entailed.sum())} entailment vs {int((~entailed).sum())} "
            "neutral/contradiction",
            "long premise: AG News test texts (title + description) joined by blank lines "
            f"until ≥ {NEEDLE_FILLER_TOKENS} tokens (this model's tokenizer; filler tokens "
            f"min {filler.min()}, median {int(np.median(filler))}, max {filler.max()}), "
            "different texts per pair (RandomState(0)), a blank line, then the premise; "
            "hypothesis unchanged",
            "score: P(entailment) of evidence()'s deciding chunk (the row's entailment "
            "probability); holds: for the entailed pairs, the deciding chunk's span covers "
            f"the whole premise / its first {NEEDLE_HEAD} characters; truncate: the share "
            "of pairs whose premise starts within what the model reads",
        ],
    )
    table = Table(
        [
            ("reading", 8, None),
            ("size", 7, ""),
            ("ROC AUC", 7, ".3f"),
            ("÷ short", 7, ".3f"),
            ("holds", 6, None),
            (f"first {NEEDLE_HEAD}", 8, None),
            ("pairs Σ", 8, "d"),
            ("model", 7, "d"),
            ("seconds", 8, ".1f"),
            ("pairs/s", 8, ".0f"),
        ]
    )
    table.header()
    settings = [("short", None, premises), ("truncate", None, long_premises)]
    settings += [("chunk", s, long_premises) for s in args.needle_sizes]
    short_auc = None
    for reading, size, premise_texts in settings:
        scorer = NLIPairScorer(
            model,
            long_texts="truncate" if reading == "truncate" else "chunk",
            chunk_size=size,
            **engine_params(args),
        ).fit()
        X = pairs_frame(premise_texts, hypotheses)
        try:
            total, _ = pair_chunk_counts(scorer, premise_texts, hypotheses)
            evidence, seconds, counted = timed(scorer.evidence, X)
        except InvalidValueError as exc:
            error_row(f"{reading:<8} {size_name(size):>7}", exc)
            continue
        score = evidence["score"].to_numpy()
        if args.smoke:  # evidence's score is the row's P(entailment): check it once here
            proba = scorer.predict_proba(X)[:, entailment_index(scorer)]
            assert np.allclose(proba, score, atol=1e-6), np.abs(proba - score).max()
        auc = roc_auc_score(entailed, score)
        if reading == "short":
            short_auc = auc
            holds = head = "—"
        elif reading == "truncate":
            read = truncation_reaches(encoder, scorer, long_premises, hypotheses, spans)
            holds, head = f"{read.mean():.0%}", "read"
        else:
            starts, ends = evidence["start"].to_numpy(), evidence["end"].to_numpy()
            p_start, p_end = spans[:, 0], spans[:, 1]
            whole = (starts <= p_start) & (ends >= p_end)
            first = (starts <= p_start) & (ends >= np.minimum(p_end, p_start + NEEDLE_HEAD))
            holds, head = f"{whole[entailed].mean():.0%}", f"{first[entailed].mean():.0%}"
        table.row(
            reading,
            "—" if reading != "chunk" else size_name(size),
            auc,
            auc / short_auc,
            holds,
            head,
            total,
            counted,
            seconds,
            counted / seconds,
        )


def truncation_reaches(encoder, scorer, texts, hypotheses, spans):
    """Whether the premise starts within the tokens that truncation keeps, pair by pair."""
    max_length = int(scorer.max_length or encoder.default_max_length)
    rooms = encoder.premise_rooms(hypotheses, max_length)
    offsets = encoder.tokenizer(
        texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False
    )["offset_mapping"]
    ends = np.array(
        [
            len(text) if len(o) <= room else o[room - 1][1]
            for text, o, room in zip(texts, offsets, rooms)
        ]
    )
    return ends > spans[:, 0]


def section_cost(args, model):
    texts, _ = ag_news(args.cost_texts)
    pairs, _ = sick_test()
    pairs = pairs[: args.cost_texts]
    start_section(
        args,
        model,
        "Cost on short texts: long_texts='truncate' vs the defaults ('chunk')",
        [
            f"ZeroShotNLIClassifier: {len(texts)} AG News test texts, {len(AG_NEWS_LABELS)} "
            f"labels, template {AG_TEMPLATE!r}, descriptions {AG_DESCRIPTIONS}; "
            f"NLIPairScorer: {len(pairs)} SICK held-out pairs",
            f"cache=False; {args.repeats} interleaved runs of each, best of (a warm-up call "
            "first); acceptance: chunk at most 1.1x truncate",
        ],
    )
    table = Table(
        [
            ("estimator", 22, None),
            ("reading", 8, None),
            ("texts in 1 chunk", 16, None),
            ("pairs", 6, "d"),
            ("best s", 8, ".2f"),
            ("all s", 24, None),
            ("ratio", 6, None),
            ("max |Δp|", 9, ".1e"),
        ]
    )
    table.header()
    X_pairs = pairs_frame(*zip(*pairs))
    cases = [
        (
            "ZeroShotNLIClassifier",
            texts,
            lambda long_texts: ZeroShotNLIClassifier(
                model,
                candidate_labels=AG_NEWS_LABELS,
                hypothesis_template=AG_TEMPLATE,
                label_descriptions=AG_DESCRIPTIONS,
                long_texts=long_texts,
                **engine_params(args),
            ).fit(),
        ),
        (
            "NLIPairScorer",
            X_pairs,
            lambda long_texts: NLIPairScorer(
                model, long_texts=long_texts, **engine_params(args)
            ).fit(),
        ),
    ]
    for name, X, build in cases:
        estimators = {reading: build(reading) for reading in ("truncate", "chunk")}
        one_chunk = "—"
        if name == "ZeroShotNLIClassifier":
            _, _, per_text = zero_shot_chunk_counts(estimators["chunk"], X)
            one_chunk = f"{int(np.sum(per_text == 1))}/{len(X)}"
        for estimator in estimators.values():
            estimator.predict_proba(X[:8] if isinstance(X, list) else X.iloc[:8])
        times = {reading: [] for reading in estimators}
        outputs, counts = {}, {}
        for repeat in range(args.repeats):
            readings = list(estimators) if repeat % 2 == 0 else list(estimators)[::-1]
            for reading in readings:
                proba, seconds, counted = timed(estimators[reading].predict_proba, X)
                times[reading].append(seconds)
                outputs[reading], counts[reading] = proba, counted
        difference = float(np.abs(outputs["chunk"] - outputs["truncate"]).max())
        best = {reading: min(values) for reading, values in times.items()}
        for reading in estimators:
            table.row(
                name,
                reading,
                one_chunk if reading == "chunk" else "—",
                counts[reading],
                best[reading],
                " ".join(f"{s:.2f}" for s in times[reading]),
                "1.00x" if reading == "truncate" else f"{best['chunk'] / best['truncate']:.2f}x",
                difference if reading == "chunk" else "",
            )


SECTION_FUNCTIONS = {
    "bbc": section_bbc,
    "fewshot": section_fewshot,
    "consistency": section_consistency,
    "needle": section_needle,
    "cost": section_cost,
}


# ---------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        default=None,
        help="NLI model directory, or several comma-separated (default: the NLI-mix stand-in, "
        "../shared/models/minilm-l6-nli-mix)",
    )
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
    parser.add_argument("--bbc-sample", type=int, default=500, help="0 = all 2,225 articles")
    parser.add_argument("--sizes", default=None, help="chunk sizes of every section")
    for section, default in SECTION_SIZES.items():
        parser.add_argument(f"--{section}-sizes", default=None, help=f"default: {default}")
    parser.add_argument("--seeds", type=int, default=5, help="few-shot seeds")
    parser.add_argument("--per-class", type=int, default=8, help="few-shot articles per topic")
    parser.add_argument("--fewshot-test", type=int, default=300, help="held-out articles")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--train-precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--consistency-sample", type=int, default=0, help="0 = all summaries")
    parser.add_argument("--needle-pairs", type=int, default=300)
    parser.add_argument("--cost-texts", type=int, default=800)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=None, help="cap every section's data")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--smoke", action="store_true", help="tiny random model, tiny data")
    args = parser.parse_args(argv)
    args.max_chars = None
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"--sections: unknown {sorted(unknown)}; choose from {list(SECTIONS)}")
    for section, default in SECTION_SIZES.items():
        chosen = getattr(args, f"{section}_sizes") or args.sizes or default
        setattr(args, f"{section}_sizes", parse_sizes(chosen))
    if args.smoke:
        from sklearn_nli._testing import build_tiny_model

        folder = tempfile.mkdtemp(prefix="long-texts-smoke-")
        args.model = build_tiny_model(os.path.join(folder, "nli"), max_length=512)
        args.sample = args.sample or 12
        args.seeds, args.per_class, args.epochs, args.learning_rate = 2, 1, 1, 1e-3
        args.repeats, args.max_chars = 2, 1200
    if args.sample:
        args.bbc_sample = min(args.bbc_sample or args.sample, args.sample)
        args.fewshot_test = min(args.fewshot_test, args.sample)
        args.consistency_sample = min(args.consistency_sample or args.sample, args.sample)
        args.needle_pairs = min(args.needle_pairs, args.sample)
        args.cost_texts = min(args.cost_texts, args.sample)
    args.model = default_model(parser, args.model)
    args.models = [m.strip() for m in args.model.split(",") if m.strip()]
    return args


def main(argv=None):
    args = parse_args(argv)
    started = time.perf_counter()
    for line in describe_machine():
        print(line)
    print(
        f"date: {time.strftime('%Y-%m-%d')}; models: {[model_name(m) for m in args.models]}; "
        f"sections: {args.sections}; device {args.device}, precision {args.precision}, "
        f"backend {args.backend}, batch_size {args.batch_size or 'default'}"
        + ("; SMOKE RUN: tiny random model, figures mean nothing" if args.smoke else "")
    )
    if args.sample and not args.smoke:
        print(f"--sample {args.sample}: every section's data capped; not for figures")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for model in args.models:
            for section in args.sections:
                section_start = time.perf_counter()
                SECTION_FUNCTIONS[section](args, model)
                print(f"[{section}: {time.perf_counter() - section_start:.1f} s]", flush=True)
    print(f"\ntotal run time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
