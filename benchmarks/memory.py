"""Peak memory of ZeroShotNLIClassifier.predict_proba on 20,000 and 200,000 short texts.

    python benchmarks/memory.py [--model PATH] [--sizes 20000,200000] [--labels 4]

Each size runs in a fresh process. The texts are built first; then the peak
resident set size (VmHWM, reset through /proc/self/clear_refs) is measured over
one predict_proba call, twice: "cold" includes loading the model on first use,
"warm" starts after a small call has loaded it. The growth over the RSS just
before the call is what memory costs as the input grows; the ratio between the
two sizes says whether it is bounded. Without --model, a tiny random model is
built (memory behaviour does not depend on the model's size, and 800,000 pairs
through MiniLM-L6 would take hours on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = ["World", "Sports", "Business", "Sci/Tech"]
WORDS = "market team game stock news world science man woman dog cat park plays runs".split()


def _rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def child(model, n_texts, n_labels, warm):
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sklearn_nli import ZeroShotNLIClassifier

    texts = [
        f"{WORDS[i % 14]} {WORDS[(i // 14) % 14]} {WORDS[(i // 196) % 14]} item {i}"
        for i in range(n_texts)
    ]
    clf = ZeroShotNLIClassifier(model, candidate_labels=LABELS[:n_labels], device="cpu").fit()
    if warm:
        clf.predict_proba(["warm-up text"])
    before = _rss_kib("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    proba = clf.predict_proba(texts)
    seconds = time.perf_counter() - start
    peak = _rss_kib("VmHWM")
    assert proba.shape == (n_texts, n_labels)
    print(f"{before} {peak} {seconds:.1f}")


def measure(model, n_texts, n_labels, warm):
    command = [sys.executable, __file__, "--child", str(n_texts), "--model", model]
    command += ["--labels", str(n_labels)] + (["--warm"] if warm else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    before, peak, seconds = output.split()
    return int(before) / 1024, int(peak) / 1024, float(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory (default: a tiny random model)")
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--labels", type=int, default=4)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.model, args.child, args.labels, args.warm)
        return
    model = args.model
    if model is None:
        sys.path.insert(0, ROOT)  # sklearn_nli from this checkout, installed or not
        from sklearn_nli._testing import build_tiny_model

        model = build_tiny_model(tempfile.mkdtemp(prefix="sklearn-nli-memory-"))
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"model {model}; {args.labels} labels; RSS in MiB\n")
    columns = ("texts", "state", "RSS before", "peak", "growth", "seconds")
    print("{:>8s} {:>5s} {:>10s} {:>8s} {:>8s} {:>8s}".format(*columns))
    growth = {}
    for warm in (False, True):
        for n in sizes:
            before, peak, seconds = measure(model, n, args.labels, warm)
            state = "warm" if warm else "cold"
            growth[state, n] = peak - before
            print(
                f"{n:8d} {state:>5s} {before:10.1f} {peak:8.1f} {peak - before:8.1f} {seconds:8.1f}"
            )
    small, large = sizes[0], sizes[-1]
    for state in ("cold", "warm"):
        ratio = growth[state, large] / growth[state, small]
        print(f"{state}: growth for {large} texts / growth for {small} texts = {ratio:.2f}")


if __name__ == "__main__":
    main()
