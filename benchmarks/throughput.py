"""Zero-shot throughput: transformers' pipeline versus sklearn_nli, side by side, one process.

    python benchmarks/throughput.py --model PATH [--texts 200] [--device cpu]

On the same AG News texts x 4 topic labels and the same model, times the
transformers zero-shot pipeline at batch size 1 (its default) and at its best
of {8, 32, 64}, then ZeroShotNLIClassifier with every (backend, precision) this
machine can run, or those of ``--configs`` (result cache off, so every call
really runs the model). Prints pairs/s, ratios against
the pipeline, max |p - p_pipeline|, agreement of the fast modes with fp32, and
the share of the GEMM-bound limit: a sustained fp32 matmul rate measured at the
model's layer shapes in this run, divided by the model's linear-layer FLOPs per
pair. Machines are noisy: every figure is the best of a few repeats, and only
ratios measured in the same run mean anything.
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
    best_time,
    describe_machine,
    gemm_rate,
    installed_configurations,
    linear_flops_per_token,
    mean_tokens,
)
from transformers import AutoConfig, AutoTokenizer, pipeline  # noqa: E402

from sklearn_nli import ZeroShotNLIClassifier  # noqa: E402
from sklearn_nli._runtime._engine import get_engine  # noqa: E402

TEMPLATE = "This example is {}."


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="model directory or Hub id")
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=None, help="ours (default: default)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default=None, help="backend:precision,... (default: all)")
    parser.add_argument("--skip-pipeline-bs1", action="store_true")
    args = parser.parse_args()

    texts, _ = ag_news(args.texts)
    labels = sorted(AG_NEWS_LABELS)  # classes_ order
    n_pairs = len(texts) * len(labels)
    device = args.device
    print(
        f"model {args.model}; {len(texts)} AG News texts x {len(labels)} labels = {n_pairs} pairs"
    )
    print("\n".join(describe_machine()) + f"\ndevice {device}\n")

    def pipeline_runner(batch_size):
        classifier = pipeline(
            "zero-shot-classification", model=args.model, device=device, batch_size=batch_size
        )
        classifier(texts[:2], candidate_labels=labels)  # warm-up

        def call():
            results = classifier(texts, candidate_labels=labels, hypothesis_template=TEMPLATE)
            return np.array(
                [[dict(zip(r["labels"], r["scores"]))[x] for x in labels] for r in results]
            )

        return call

    def our_runner(**params):
        if args.batch_size:
            params["batch_size"] = args.batch_size
        clf = ZeroShotNLIClassifier(
            args.model, candidate_labels=labels, device=device, cache=False, **params
        ).fit()
        start = time.perf_counter()
        clf.predict_proba(texts[:2])  # load and warm up
        load = time.perf_counter() - start
        return lambda: clf.predict_proba(texts), load

    runs = {}  # name -> [call, best seconds, proba, load seconds]
    pipeline_names = []
    for batch_size in (8, 32, 64):
        name = f"pipeline, batch_size={batch_size}"
        runs[name] = [pipeline_runner(batch_size), np.inf, None, None]
        pipeline_names.append(name)
    call, load = our_runner()
    runs["sklearn_nli fp32 (auto)"] = [call, np.inf, None, load]
    backend = get_engine(args.model, device).backend
    if args.configs:
        configurations = [tuple(c.split(":")) for c in args.configs.split(",")]
    else:
        configurations = installed_configurations(device)
    for name, precision in configurations:
        call, load = our_runner(backend=name, precision=precision)
        runs[f"sklearn_nli {name}:{precision}"] = [call, np.inf, None, load]

    if not args.skip_pipeline_bs1:  # slow: one round only, timed first
        seconds, proba = best_time(pipeline_runner(1), 1)
        default = "pipeline, batch_size=1 (default)"
        runs = {default: [None, seconds, proba, None], **runs}
    for round_ in range(args.rounds):
        for entry in runs.values():
            if entry[0] is not None:
                seconds, entry[2] = best_time(entry[0], 1)
                entry[1] = min(entry[1], seconds)
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)

    config = AutoConfig.from_pretrained(args.model)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    premises = [t for t in texts for _ in labels]
    hypotheses = [TEMPLATE.format(label) for _ in texts for label in labels]
    tokens = mean_tokens(tokenizer, premises, hypotheses)
    shapes = config.hidden_size, config.intermediate_size
    batch_rows = [int(pairs * tokens) for pairs in (8, 16, 32, 64)]
    rate = max(gemm_rate(*shapes, rows=rows) for rows in batch_rows)
    rate_int8 = max(gemm_rate(*shapes, rows=rows, dtype="int8") for rows in batch_rows)
    flops_per_pair = linear_flops_per_token(config) * tokens
    limit = rate / flops_per_pair
    print(
        f"\nGEMM-bound limit: {rate / 1e9:.1f} GFLOP/s sustained fp32 at the model's layer "
        f"shapes / {flops_per_pair / 1e6:.0f} MFLOP per pair ({tokens:.1f} tokens) "
        f"= {limit:.1f} pairs/s"
    )
    print(
        f"int8 dynamic Linear at the same shapes: {rate_int8 / 1e9:.1f} GFLOP/s, "
        f"{rate_int8 / rate:.2f}x fp32 (the most any int8 mode can gain on this CPU)"
    )
    print(f"default backend at fp32 here: {backend}\n")

    names = list(runs)
    reference = runs[names[0]][2]
    fp32 = runs["sklearn_nli fp32 (auto)"][2]
    default_seconds = runs[names[0]][1] if not args.skip_pipeline_bs1 else None
    best_name = min(pipeline_names, key=lambda name: runs[name][1])
    best_seconds = runs[best_name][1]
    header = (
        f"{'run':36s} {'pairs/s':>8s} {'x pipe bs1':>10s} {'x pipe best':>11s} "
        f"{'of limit':>8s} {'max|p-p_pipe|':>13s} {'argmax=fp32':>11s} {'load s':>7s}"
    )
    print(header)
    print("-" * len(header))
    for name, (_, seconds, proba, load) in runs.items():
        rate_pairs = n_pairs / seconds
        vs_default = f"{default_seconds / seconds:10.2f}" if default_seconds else f"{'-':>10s}"
        agreement = np.mean(proba.argmax(1) == fp32.argmax(1))
        load = f"{load:7.1f}" if load is not None else f"{'-':>7s}"
        print(
            f"{name:36s} {rate_pairs:8.1f} {vs_default} {best_seconds / seconds:11.2f} "
            f"{rate_pairs / limit:8.1%} {np.abs(proba - reference).max():13.2e} "
            f"{agreement:11.1%} {load}"
        )
    print(f"\n(pipeline best batch size: {best_name.split('=')[1]}; 'load s': first call,")
    print(" including loading the model and any export or quantization; 'argmax=fp32':")
    print(" agreement with sklearn_nli fp32 on the default backend)")


if __name__ == "__main__":
    main()
