"""How well each start model's encoder already separates AG News topics: a linear probe.

    python benchmarks/encoder_probe.py --model DIR [--model DIR ...] [--n 8] [--seeds 5]
        [--test-size N]
    python benchmarks/encoder_probe.py --smoke        # seconds, a tiny random model

Fine-tuning from a few labelled texts moves a network only a little, so what it
reaches depends on how far apart the start model's representations of the
classes already are, not only on its zero-shot accuracy. This measures that
directly: each model's transformer (its classification head left out) embeds
the texts, mean-pooled over tokens as sentence-transformers does, and a
LogisticRegression fitted on N labelled texts per class (the draws of
``few_shot.py``: same split, same seeds, same texts) is scored on the held-out
texts. Each ``--model`` is a directory or hub id of a sequence-classification or
plain encoder; by default the NLI-mix stand-in and, when installed, the
all-MiniLM-L6-v2 sentence encoder (SetFit's body). Prints accuracy, mean and
standard deviation over the seeds, and seconds to embed, per model, with the CPU flags.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import NLI_MIX, describe_machine, model_name  # noqa: E402
from few_shot import AG_NEWS_SIZE, ag_news_split, draw, minilm_encoder, score  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402


def embed(model, texts, batch_size=64):
    """Mean-pooled last hidden states of ``model``'s transformer, one row per text."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    encoder = AutoModel.from_pretrained(model).eval()
    max_length = min(256, encoder.config.max_position_embeddings)
    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                list(texts[start : start + batch_size]),
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            rows.append(((hidden * mask).sum(1) / mask.sum(1)).numpy())
    return np.concatenate(rows)


def probe(model, train_x, train_y, test_x, test_y, n, seeds):
    """Accuracies of the linear probe over ``seeds``, and the seconds spent embedding."""
    draws = [draw(train_x, train_y, n, seed) for seed in seeds]
    labelled = sorted({text for x, _ in draws for text in x})
    start = time.perf_counter()
    vectors = embed(model, labelled + list(test_x))
    seconds = time.perf_counter() - start
    row_of = {text: i for i, text in enumerate(labelled)}
    test_vectors = vectors[len(labelled) :]
    accuracies = []
    for x, y in draws:
        classifier = LogisticRegression(max_iter=2000).fit(vectors[[row_of[t] for t in x]], y)
        accuracies.append(score(test_y, classifier.predict(test_vectors))[0])
    return np.asarray(accuracies), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="repeat for several models")
    parser.add_argument("--n", type=int, default=8, help="labelled texts per class")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--test-size", type=int, default=None, help="score fewer test texts")
    parser.add_argument("--smoke", action="store_true", help="a tiny random model, 40 texts")
    args = parser.parse_args(argv)
    limit = AG_NEWS_SIZE
    if args.smoke:
        from sklearn_nli._testing import build_tiny_model

        args.model = [build_tiny_model(os.path.join(tempfile.mkdtemp(), "nli"))]
        args.n, args.seeds, args.test_size, limit = 2, 2, 40, 400
    if not args.model:
        args.model = [m for m in (str(NLI_MIX), minilm_encoder()) if m and os.path.isdir(m)]
        if not args.model:
            parser.error("no --model given and neither default model is here")
    print("\n".join(describe_machine()))
    train_x, train_y, test_x, test_y = ag_news_split(args.test_size, limit)
    print(
        f"\nAG News linear probe: {args.n} labelled texts per class, seeds 0-{args.seeds - 1} "
        f"(few_shot.py's draws), {len(test_x)} held-out texts; mean-pooled embeddings, "
        "LogisticRegression"
    )
    print(f"{'model':<60} {'accuracy':>16} {'embed s':>8}", flush=True)
    for model in args.model:
        accuracies, seconds = probe(
            model, train_x, train_y, test_x, test_y, args.n, range(args.seeds)
        )
        spread = f"{accuracies.mean():.3f} ± {accuracies.std():.3f}"
        print(f"{model_name(model)[:60]:<60} {spread:>16} {seconds:>8.1f}", flush=True)
        print("    per seed: " + ", ".join(f"{a:.3f}" for a in accuracies))


if __name__ == "__main__":
    main()
