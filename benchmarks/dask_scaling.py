"""Zero-shot throughput on a local Dask cluster: 1 process x 2 threads vs 2 processes x 1 thread.

Scores the same AG News texts against the four AG News topics (every text x every
label is one pair) with ``sklearn_nli.dask.predict_proba`` on two LocalClusters
that are both up for the whole run, and prints pairs/s for each layout. Runs
alternate between the layouts (A, B, A, B, ...) so that load from other programs
on the machine hits both alike; each layout's best run is reported with all runs.
Model loading is excluded: every worker loads the model and runs one forward pass
before the clock starts. The engine's result cache is switched off (``cache=False``)
so every run computes every pair. An in-process run without Dask is printed as a
reference.

Note that Dask's nanny starts every worker process with ``OMP_NUM_THREADS=1``, so
torch runs one thread per worker process; in the "1 process x 2 threads" layout two
partitions run at once in one process, each forward pass on one torch thread.

Usage::

    python benchmarks/dask_scaling.py --model /work/models/standin-random

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORKER_ENV = {
    name: os.environ[name]
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TRANSFORMERS_VERBOSITY")
}
WORKER_ENV["TOKENIZERS_PARALLELISM"] = "false"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "ag_news_test.csv"
AG_NEWS_TOPICS = ["world", "sports", "business", "science and technology"]
LAYOUTS = {
    "1 process x 2 threads": {"n_workers": 1, "threads_per_worker": 2},
    "2 processes x 1 thread": {"n_workers": 2, "threads_per_worker": 1},
}


def load_texts(path, n_texts):
    path = Path(path)
    if not path.exists():
        raise SystemExit(f"{path} not found; pass --data with the AG News test CSV.")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    texts = [f"{title}. {body}".replace("\\", " ") for _, title, body in rows[:n_texts]]
    if len(texts) < n_texts:
        raise SystemExit(f"{path} holds {len(texts)} rows; asked for {n_texts}.")
    return texts


def warm_up(estimator):
    """Run in each worker: load the model and run one forward pass."""
    estimator.predict_proba(["Warm-up text, not part of the timed set."])
    import torch

    return torch.get_num_threads()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="model id or local directory")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="AG News test CSV")
    parser.add_argument("--n-texts", type=int, default=400)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per layout")
    args = parser.parse_args(argv)

    import dask.dataframe as dd
    import numpy as np
    import pandas as pd
    import torch
    from distributed import Client, LocalCluster

    from sklearn_nli import ZeroShotNLIClassifier
    from sklearn_nli.dask import predict_proba

    texts = pd.Series(load_texts(args.data, args.n_texts), name="text")
    clf = ZeroShotNLIClassifier(
        args.model,
        candidate_labels=AG_NEWS_TOPICS,
        batch_size=args.batch_size,
        device="cpu",
        cache=False,
    ).fit()
    n_pairs = len(texts) * len(AG_NEWS_TOPICS)
    print(
        f"{len(texts)} AG News texts x {len(AG_NEWS_TOPICS)} labels = {n_pairs} pairs, "
        f"{args.partitions} partitions, batch_size={args.batch_size}, model {args.model}"
    )
    print(f"CPU cores: {os.cpu_count()}, load average at start: {os.getloadavg()}")

    clients = {}
    try:
        for name, layout in LAYOUTS.items():
            cluster = LocalCluster(processes=True, dashboard_address=":0", env=WORKER_ENV, **layout)
            client = Client(cluster)
            client.wait_for_workers(layout["n_workers"])
            threads = client.run(warm_up, clf)
            clients[name] = client
            print(f"{name}: torch threads per worker process {sorted(threads.values())}")

        series = dd.from_pandas(texts, npartitions=args.partitions)
        timings = {name: [] for name in LAYOUTS}
        results = {}
        for _ in range(args.repeats):
            for name, client in clients.items():
                start = time.perf_counter()
                results[name] = client.compute(predict_proba(clf, series)).result()
                timings[name].append(time.perf_counter() - start)

        clf.predict_proba(texts[:2])  # load in this process too, outside the clock
        start = time.perf_counter()
        in_process = clf.predict_proba(texts)
        in_process_s = time.perf_counter() - start
    finally:
        for client in clients.values():
            cluster = client.cluster
            client.close()
            cluster.close()

    print()
    print(f"{'layout':<36}{'best pairs/s':>14}   all runs (pairs/s)")
    for name, seconds in timings.items():
        rates = [n_pairs / s for s in seconds]
        runs = ", ".join(f"{rate:.1f}" for rate in rates)
        print(f"{'Dask ' + name:<36}{max(rates):>14.1f}   {runs}")
    in_process_rate = n_pairs / in_process_s
    print(
        f"{f'in process, no Dask ({torch.get_num_threads()} torch threads)':<36}"
        f"{in_process_rate:>14.1f}   {in_process_rate:.1f}"
    )
    worst = max(float(np.abs(result.to_numpy() - in_process).max()) for result in results.values())
    print(f"\nmax |Dask - in-process| probability difference: {worst:.2e}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
