"""Repeated work avoided: duplicate texts, and predict / predict_proba / score on the same texts.

    python benchmarks/reuse.py --model PATH [--texts 100]

1. Dedup: the same texts, each 4 times, scored as they are, against the same
   list with the duplicates forced through (each copy made distinct by trailing
   spaces, which the tokenizer drops, so every copy costs a real forward pass).
2. Result cache: predict, then predict_proba, then score on the same texts,
   against one predict_proba; and a second predict_proba against the first.
All in one process, on AG News texts x 4 topic labels.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import AG_NEWS_LABELS, ag_news, best_time  # noqa: E402

from sklearn_nli import (
    ZeroShotNLIClassifier,  # noqa: E402
    clear_model_cache,  # noqa: E402
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--texts", type=int, default=100)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    texts, y = ag_news(args.texts, offset=1000)

    def classifier(cache):
        return ZeroShotNLIClassifier(
            args.model, candidate_labels=AG_NEWS_LABELS, device=args.device, cache=cache
        ).fit()

    clf = classifier(cache=False)
    clf.predict_proba(texts[:2])  # load and warm up
    repeated = [t for t in texts for _ in range(4)]
    forced = [t + " " * copy for t in texts for copy in range(4)]
    t_dedup, p_dedup = best_time(lambda: clf.predict_proba(repeated), 2)
    t_forced, p_forced = best_time(lambda: clf.predict_proba(forced), 1)
    print(f"{len(texts)} texts x 4 copies x {len(AG_NEWS_LABELS)} labels")
    print(f"  duplicates forced through : {t_forced:7.2f} s")
    print(f"  deduplicated              : {t_dedup:7.2f} s")
    print(f"  ratio                     : {t_dedup / t_forced:7.3f}   (target <= 0.3)")
    print(f"  max |p_dedup - p_forced|  : {np.abs(p_dedup - p_forced).max():.1e}\n")

    clear_model_cache()
    clf = classifier(cache=True)
    clf.predict_proba(["warm-up text"])
    start = time.perf_counter()
    first = clf.predict_proba(texts)
    t_first = time.perf_counter() - start
    start = time.perf_counter()
    second = clf.predict_proba(texts)
    t_second = time.perf_counter() - start
    assert np.array_equal(first, second)

    clear_model_cache()
    clf = classifier(cache=True)
    clf.predict_proba(["warm-up text"])
    start = time.perf_counter()
    clf.predict(texts)
    clf.predict_proba(texts)
    clf.score(texts, y)
    t_three = time.perf_counter() - start
    print(f"{len(texts)} texts x {len(AG_NEWS_LABELS)} labels, result cache on")
    print(f"  one predict_proba                     : {t_first:7.2f} s")
    print(f"  predict + predict_proba + score       : {t_three:7.2f} s")
    print(f"  ratio                                 : {t_three / t_first:7.3f}   (target <= 1.2)")
    print(f"  second predict_proba                  : {t_second:7.4f} s")
    print(f"  first / second                        : {t_first / t_second:7.1f}x  (target >= 20)")


if __name__ == "__main__":
    main()
