"""Fast modes against fp32: speed, agreement and accuracy on SICK pairs and AG News.

    python benchmarks/agreement.py --model PATH [--modes bf16,int8] [--ag-texts 500]

With a model fine-tuned on SICK (../shared/tools/make_standin_model.py
--epochs 2), prints for each precision mode, measured side by side with fp32
in one process: pairs/s and its ratio to fp32 on the 1,982 held-out SICK
pairs, argmax agreement with fp32 and accuracy on them, and argmax agreement
with fp32 on zero-shot AG News predictions.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import AG_NEWS_LABELS, ag_news, best_time, sick_test  # noqa: E402

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--modes", default="bf16,int8")
    parser.add_argument("--ag-texts", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    pairs, gold = sick_test()
    texts, _ = ag_news(args.ag_texts, offset=2000)

    results = {}
    for mode in ["fp32", *filter(None, args.modes.split(","))]:
        scorer = NLIPairScorer(args.model, device="cpu", precision=mode, cache=False)
        scorer.fit(None, gold)  # classes_: SICK's ENTAILMENT / NEUTRAL / CONTRADICTION
        scorer.predict(pairs[:4])  # load and warm up
        seconds, predicted = best_time(lambda s=scorer: s.predict(pairs), args.repeats)
        clf = ZeroShotNLIClassifier(
            args.model, candidate_labels=AG_NEWS_LABELS, device="cpu", precision=mode, cache=False
        ).fit()
        topics = clf.predict(texts)
        results[mode] = (len(pairs) / seconds, predicted, topics)

    fp32_rate, fp32_pred, fp32_topics = results["fp32"]
    print(f"SICK held-out: {len(pairs)} pairs; AG News zero-shot: {len(texts)} texts x 4 labels\n")
    header = (
        f"{'mode':6s} {'pairs/s':>8s} {'x fp32':>7s} {'SICK agree':>10s} {'SICK acc':>8s} "
        f"{'AG agree':>8s}"
    )
    print(header)
    print("-" * len(header))
    gold = np.asarray(gold)
    for mode, (rate, predicted, topics) in results.items():
        print(
            f"{mode:6s} {rate:8.1f} {rate / fp32_rate:7.2f} "
            f"{np.mean(predicted == fp32_pred):10.2%} {np.mean(predicted == gold):8.2%} "
            f"{np.mean(topics == fp32_topics):8.2%}"
        )


if __name__ == "__main__":
    main()
