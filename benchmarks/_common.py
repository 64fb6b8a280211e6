"""Shared pieces of the benchmarks: data loading, timing, the GEMM-bound limit."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import numpy as np
import torch

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data"
NLI_MIX = SHARED / "models" / "minilm-l6-nli-mix"
SICK_STANDIN_RECIPE = "python ../shared/tools/make_standin_model.py OUT --epochs 2"
AG_NEWS_LABELS = ["World", "Sports", "Business", "Sci/Tech"]


def default_model(parser, model):
    """``model`` (``--model``), or the NLI-mix stand-in when it is there; a parser error else."""
    if model:
        return model
    if NLI_MIX.is_dir():
        return str(NLI_MIX)
    parser.error(
        f"no --model, and the NLI-mix stand-in is not at {NLI_MIX}: pass --model DIR, an NLI "
        f"model directory (e.g. the SICK stand-in: {SICK_STANDIN_RECIPE}), or --smoke"
    )


def model_name(model):
    """How a table names its model: NLI-mix by name, any other model by its path."""
    if Path(model).resolve() == NLI_MIX.resolve():
        return "the NLI-mix stand-in (../shared/models/minilm-l6-nli-mix)"
    return os.path.normpath(model)


def ag_news(n, offset=0):
    """``n`` AG News test texts (title + description) and their topic names."""
    path = DATA / "ag_news_test.csv"
    if not path.exists():
        raise SystemExit(f"{path} not found: the benchmarks read ../shared/data/")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[offset : offset + n]
    texts = [f"{title} {body}".replace("\\", " ") for _, title, body in rows]
    labels = [AG_NEWS_LABELS[int(c) - 1] for c, _, _ in rows]
    return texts, labels


def sick_test():
    """SICK held-out pairs (pair_ID % 5 == 0) and their labels."""
    path = DATA / "sick.tsv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if int(r["pair_ID"]) % 5 == 0]
    pairs = [(r["sentence_A"], r["sentence_B"]) for r in rows]
    return pairs, [r["entailment_judgment"] for r in rows]


def best_time(function, repeats):
    """Best wall time of ``repeats`` calls (the least disturbed by other load)."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def gemm_rate(hidden, intermediate, rows, seconds=2.0, dtype="fp32"):
    """Sustained FLOP/s of one encoder layer's linear layers at ``rows`` tokens.

    The four attention projections (hidden x hidden) and the two feed-forward
    layers (hidden x intermediate and back), with bias, as the model runs them.
    ``dtype="int8"`` times torch's dynamically quantized Linear (per-channel
    weights) at the same shapes instead: the ceiling of any int8 mode.
    """
    linears = [torch.nn.Linear(hidden, hidden) for _ in range(4)]
    linears += [torch.nn.Linear(hidden, intermediate), torch.nn.Linear(intermediate, hidden)]
    if dtype == "int8":
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        wrapped = quantize_dynamic(
            torch.nn.Sequential(*linears), {torch.nn.Linear: per_channel_dynamic_qconfig}
        )
        linears = list(wrapped)
    x, h = torch.randn(rows, hidden), torch.randn(rows, intermediate)
    inputs = [x, x, x, x, x, h]
    flops = 2 * rows * (4 * hidden * hidden + 2 * hidden * intermediate)

    def layer():
        for linear, value in zip(linears, inputs):
            linear(value)

    with torch.inference_mode():
        for _ in range(3):
            layer()
        best = float("inf")
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            for _ in range(5):
                layer()
            best = min(best, (time.perf_counter() - start) / 5)
    return flops / best


def linear_flops_per_token(config):
    hidden, intermediate = config.hidden_size, config.intermediate_size
    return config.num_hidden_layers * 2 * (4 * hidden * hidden + 2 * hidden * intermediate)


def mean_tokens(tokenizer, premises, hypotheses):
    encoded = tokenizer(premises, hypotheses, truncation="only_first")
    return float(np.mean([len(ids) for ids in encoded["input_ids"]]))


CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def describe_machine():
    """The lines every table is printed with: CPU, the flags that matter, library versions."""
    import importlib.metadata

    from sklearn_nli._runtime._backends._cpu import cpu_flags, cpu_model

    flags, model = cpu_flags(), cpu_model()
    present = [flag for flag in CPU_FLAGS if flag in flags]
    absent = [flag for flag in CPU_FLAGS if flag not in flags]
    versions = []
    for package in ("torch", "transformers", "onnxruntime", "openvino", "sklearn-nli"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    return [
        f"CPU: {model}, {torch.get_num_threads()} threads",
        f"CPU flags: {', '.join(present) or 'none'} (absent: {', '.join(absent) or 'none'})",
        "versions: " + "; ".join(versions),
    ]


def installed_configurations(device="cpu"):
    """Every (backend, precision) that this machine can run, in the registry's order."""
    from sklearn_nli._params import PRECISIONS
    from sklearn_nli._runtime._backends import backend_names, get_backend

    configurations = []
    for name in backend_names():
        backend = get_backend(name)
        if not backend.is_available():
            continue
        for precision in PRECISIONS:
            if backend.unsupported_reason(device, precision) is None:
                configurations.append((name, precision))
    return configurations
