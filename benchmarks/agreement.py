"""Every backend and precision against the default fp32 engine, on SICK held-out pairs.

    python benchmarks/agreement.py --model PATH [--configs openvino:bf16,...] [--rounds 3]

With a model fine-tuned on SICK (``../shared/tools/make_standin_model.py OUT
--epochs 2``), loads every (backend, precision) this machine can run (or those
of ``--configs``), then times them in interleaved rounds on the 1,982 held-out
SICK pairs (result cache off; each keeps its best round). Prints, beside the
CPU flags and library versions: pairs/s, the ratio to the reference (the first
configuration, by default ONNX Runtime fp32, the engine that fp32 ran on
before OpenVINO), argmax agreement with it, SICK accuracy and the load time
(first call, including any export or quantization). ``--ag-texts N`` adds
argmax agreement on zero-shot AG News.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    AG_NEWS_LABELS,
    ag_news,
    describe_machine,
    installed_configurations,
    sick_test,
)

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier, set_config  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--configs", default=None, help="backend:precision,... (default: all)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ag-texts", type=int, default=0)
    parser.add_argument("--no-export-cache", action="store_true")
    args = parser.parse_args()
    if args.no_export_cache:
        set_config(export_cache_dir=False)
    pairs, gold = sick_test()
    gold = np.asarray(gold)
    if args.configs:
        configurations = [tuple(c.split(":")) for c in args.configs.split(",")]
    else:
        configurations = installed_configurations()
        configurations.sort(key=lambda c: c != ("onnxruntime", "fp32"))  # the reference first

    runs = {}
    for backend, precision in configurations:
        scorer = NLIPairScorer(
            args.model, device="cpu", backend=backend, precision=precision, cache=False
        )
        start = time.perf_counter()
        scorer.fit(None, gold)  # loads the model; classes_: SICK's labels
        scorer.predict(pairs[:8])
        runs[f"{backend}:{precision}"] = {"scorer": scorer, "load": time.perf_counter() - start}
    for round_ in range(args.rounds):
        for run in runs.values():
            start = time.perf_counter()
            predicted = run["scorer"].predict(pairs)
            seconds = time.perf_counter() - start
            run["seconds"] = min(run.get("seconds", np.inf), seconds)
            run.setdefault("predicted", predicted)
        print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    if args.ag_texts:
        texts, _ = ag_news(args.ag_texts, offset=2000)
        for name, run in runs.items():
            backend, precision = name.split(":")
            clf = ZeroShotNLIClassifier(
                args.model,
                candidate_labels=AG_NEWS_LABELS,
                device="cpu",
                backend=backend,
                precision=precision,
            )
            run["topics"] = clf.fit().predict(texts)

    print("\n".join(describe_machine()))
    print(f"model {args.model}; SICK held-out: {len(pairs)} pairs; best of {args.rounds} rounds\n")
    reference = next(iter(runs.values()))
    header = (
        f"{'backend:precision':20s} {'pairs/s':>8s} {'x ref':>6s} {'agree':>7s} "
        f"{'SICK acc':>8s} {'acc - ref':>9s} {'load s':>7s}"
        + (f" {'AG agree':>8s}" if args.ag_texts else "")
    )
    print(header)
    print("-" * len(header))
    for name, run in runs.items():
        rate = len(pairs) / run["seconds"]
        accuracy = np.mean(run["predicted"] == gold)
        line = (
            f"{name:20s} {rate:8.1f} {reference['seconds'] / run['seconds']:6.2f} "
            f"{np.mean(run['predicted'] == reference['predicted']):7.2%} {accuracy:8.2%} "
            f"{100 * (accuracy - np.mean(reference['predicted'] == gold)):+9.2f} "
            f"{run['load']:7.1f}"
        )
        if args.ag_texts:
            line += f" {np.mean(run['topics'] == reference['topics']):8.2%}"
        print(line)
    print(f"\n(reference: {next(iter(runs))}; 'acc - ref' in points)")


if __name__ == "__main__":
    main()
