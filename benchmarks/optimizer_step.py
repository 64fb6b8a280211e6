"""One AdamW step over a model's weights: the plain kernel against the fused one.

    python benchmarks/optimizer_step.py --model PATH [--rounds 5] [--steps 20]

The fine-tuning loop (``sklearn_nli._learning._training``) takes the fused kernel where
the device has one. This measures what that saves on this machine: random
gradients on every weight of ``--model`` (an NLI model directory, such as the
SICK stand-in), then, in alternating rounds, ``--steps`` optimizer steps with
each kernel. Printed: the best milliseconds per step of each, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from _common import describe_machine  # noqa: E402


def milliseconds_per_step(optimizer, steps):
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    return (time.perf_counter() - start) / steps * 1000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    from transformers import AutoModelForSequenceClassification

    for line in describe_machine():
        print(line)
    weights = list(AutoModelForSequenceClassification.from_pretrained(args.model).parameters())
    for weight in weights:
        weight.grad = torch.randn_like(weight) * 1e-3
    optimizers = {
        "plain": torch.optim.AdamW(weights, lr=5e-5),
        "fused": torch.optim.AdamW(weights, lr=5e-5, fused=True),
    }
    for optimizer in optimizers.values():
        milliseconds_per_step(optimizer, 3)  # state allocated, kernels warm
    best = dict.fromkeys(optimizers, float("inf"))
    for _ in range(args.rounds):
        for name, optimizer in optimizers.items():
            best[name] = min(best[name], milliseconds_per_step(optimizer, args.steps))
    n_weights = sum(weight.numel() for weight in weights)
    print(f"{n_weights / 1e6:.1f}M weights, best of {args.rounds} rounds of {args.steps} steps")
    for name, ms in best.items():
        print(f"{name:>6}: {ms:6.1f} ms per step")
    print(f"fused is {best['plain'] / best['fused']:.1f}x faster")


if __name__ == "__main__":
    main()
