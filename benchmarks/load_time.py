"""Time to first prediction in a fresh process, with the export cache empty and then warm.

    python benchmarks/load_time.py --model PATH [--backend auto] [--processes 3]

Starts ``--processes`` Python processes one after another, all with the same
new, empty export cache folder: the first exports the model to ONNX and stores
it, the others read it. Each process times, from before ``import sklearn_nli``
to the end of its first ``predict_proba`` on 8 AG News texts x 4 labels, and
reports the backend that ran. The gain of a warm cache is the first process's
time minus the best of the others, measured side by side in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import AG_NEWS_LABELS, ag_news, describe_machine  # noqa: E402

CHILD = """
import json, sys, time
start = time.perf_counter()
from sklearn_nli import ZeroShotNLIClassifier
from sklearn_nli._runtime._engine import get_engine
model, backend, texts, labels = json.loads(sys.argv[1])
clf = ZeroShotNLIClassifier(model, candidate_labels=labels, device="cpu", backend=backend).fit()
clf.predict_proba(texts)
seconds = time.perf_counter() - start
engine = get_engine(model, "cpu", backend=backend)
print(json.dumps({"seconds": seconds, "backend": engine.backend}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    texts, _ = ag_news(8)
    payload = json.dumps([args.model, args.backend, texts, AG_NEWS_LABELS])
    with tempfile.TemporaryDirectory(prefix="sklearn-nli-load-") as folder:
        env = {**os.environ, "SKLEARN_NLI_CACHE_DIR": folder, "TRANSFORMERS_VERBOSITY": "error"}
        results = []
        for _ in range(args.processes):
            run = subprocess.run(
                [sys.executable, "-c", CHILD, payload],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    print("\n".join(describe_machine()))
    print(f"model {args.model}; backend={args.backend!r}\n")
    for number, result in enumerate(results, start=1):
        cache = "empty (exports)" if number == 1 else "warm (reads)"
        print(
            f"process {number}: {result['seconds']:6.2f} s to first prediction, "
            f"cache {cache}, ran on {result['backend']}"
        )
    warm = min(r["seconds"] for r in results[1:])
    print(f"\nwarm cache saves {results[0]['seconds'] - warm:.2f} s per new process")


if __name__ == "__main__":
    main()
