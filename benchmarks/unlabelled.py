"""Learning from unlabelled texts: class_prior and self-training on AG News, side by side.

    python benchmarks/unlabelled.py [--model DIR] [--pool 2000] [--seeds 5]
        [--labelled 0,8] [--rounds 2] [--epochs-unlabelled 2] [--epochs 10]
        [--train-precision fp32]
        [--methods zero-shot,mean-subtraction,prior,self-training,self-training-raw,
                   fine-tuned,fine-tuned+pool,tfidf,setfit]
    python benchmarks/unlabelled.py --smoke       # a minute, tiny random model

AG News (``../shared/data/ag_news_test.csv``): the stratified 80/20 split with
``random_state=0`` of ``few_shot.py``; every method is scored on the 20 %.
For each seed, the unlabelled pool (``--pool`` texts) is drawn from the 80 %
(all of it with ``--pool all``), and with N labelled texts per class
(``--labelled``) those are drawn from the rest of the 80 %.

Methods, 0 labels: the zero-shot classifier as it is; ``mean-subtraction``
(each class's mean entailment logit over the pool subtracted, batch
calibration; computed here from ``decision_function``, not a package option);
``prior`` (``class_prior="uniform"``, prior matching, fitted on the pool);
``self-training`` (``self_training_rounds``, ``class_prior="uniform"``,
``n_epochs=--epochs-unlabelled``) and ``self-training-raw`` (the same without
``class_prior``). N labels per class: ``fine-tuned`` (``n_epochs=--epochs``
on the labelled texts), ``fine-tuned+pool`` (the same labelled texts, the pool
marked -1 in ``y``, ``class_prior="uniform"`` and ``--rounds-labelled``
rounds), TF-IDF + LogisticRegression and SetFit (when installed) on the
labelled texts. Printed: each run as it ends (``#seed`` rows), then mean and
standard deviation over the seeds, with fit and predict seconds, and, for
self-training, how many pseudo-labels each round kept and how many were right.

``--model``: by default the NLI-mix stand-in (``../shared/models/minilm-l6-nli-mix``)
when it is there; the table's header names the model it came from.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import AG_NEWS_LABELS, default_model, describe_machine, model_name  # noqa: E402
from few_shot import (  # noqa: E402
    TEMPLATE,
    ag_news_split,
    minilm_encoder,
    nli_classifier,
    run_setfit,
    run_tfidf,
    score,
    setfit_available,
    timed,
)

ZERO_SHOT_METHODS = ("zero-shot", "mean-subtraction", "prior", "self-training", "self-training-raw")
LABELLED_METHODS = ("fine-tuned", "fine-tuned+pool", "tfidf", "setfit")


def draw(train_y, n_labelled, pool_size, seed):
    """Row numbers of ``n_labelled`` texts per class and of a pool from the rest."""
    rng = np.random.RandomState(seed)
    labelled = np.concatenate(
        [
            rng.choice(np.flatnonzero(train_y == c), n_labelled, replace=False)
            for c in AG_NEWS_LABELS
        ]
    ).astype(np.intp)
    rest = np.setdiff1d(np.arange(len(train_y)), labelled)
    pool = rest if pool_size is None else rng.choice(rest, min(pool_size, len(rest)), False)
    return rng.permutation(labelled), np.sort(pool)


def pseudo_label_notes(clf, train_y, pool_rows, n_labelled):
    """How many pseudo-labels the last round kept and how many were right."""
    if not hasattr(clf, "transduction_"):
        return ""
    kept = clf.labeled_iter_[n_labelled:] > 0
    right = clf.transduction_[n_labelled:][kept] == train_y[pool_rows][kept]
    counts = [sum(h["pseudo_labels"].values()) for h in clf.self_training_history_]
    return f"  pseudo-labels per round {counts}, last round {right.mean():.0%} right"


def run(args, method, data, seed, n_labelled):
    train_x, train_y, test_x, test_y = data
    labelled, pool = draw(train_y, n_labelled, args.pool, seed)
    x_labelled = [train_x[i] for i in labelled]
    y_labelled = train_y[labelled]
    x_pool = [train_x[i] for i in pool]
    note = ""
    if method == "tfidf":
        predicted, fit_s, predict_s = run_tfidf(args, x_labelled, y_labelled, test_x, seed)
    elif method == "setfit":
        predicted, fit_s, predict_s = run_setfit(args, x_labelled, y_labelled, test_x, seed)
    elif method == "zero-shot":
        clf = nli_classifier(args, seed)
        _, fit_s = timed(clf.fit)
        predicted, predict_s = timed(clf.predict, test_x)
    elif method == "mean-subtraction":
        clf = nli_classifier(args, seed).fit()
        offsets, fit_s = timed(lambda: -clf.decision_function(x_pool).mean(axis=0))
        scores, predict_s = timed(clf.decision_function, test_x)
        predicted = clf.classes_[np.argmax(scores + offsets, axis=1)]
    elif method in ("prior", "self-training", "self-training-raw"):
        params = {"class_prior": None if method.endswith("raw") else "uniform"}
        if method != "prior":
            params.update(
                self_training_rounds=args.rounds,
                n_epochs=args.epochs_unlabelled,
                pseudo_labels_per_class=args.pseudo_labels,
            )
        clf = nli_classifier(args, seed, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # rounds with an empty class
            _, fit_s = timed(clf.fit, x_pool)
        predicted, predict_s = timed(clf.predict, test_x)
        note = pseudo_label_notes(clf, train_y, pool, 0)
    elif method == "fine-tuned":
        clf = nli_classifier(args, seed, n_epochs=args.epochs)
        _, fit_s = timed(clf.fit, x_labelled, y_labelled)
        predicted, predict_s = timed(clf.predict, test_x)
    elif method == "fine-tuned+pool":
        clf = nli_classifier(
            args,
            seed,
            n_epochs=args.epochs,
            class_prior="uniform",
            self_training_rounds=args.rounds_labelled,
            pseudo_labels_per_class=args.pseudo_labels,
        )
        y = np.concatenate([y_labelled.astype(object), np.full(len(x_pool), -1, dtype=object)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            _, fit_s = timed(clf.fit, x_labelled + x_pool, y)
        predicted, predict_s = timed(clf.predict, test_x)
        note = pseudo_label_notes(clf, train_y, np.concatenate([labelled, pool]), 0)
    else:
        raise SystemExit(f"unknown method {method!r}")
    accuracy, macro_f1 = score(test_y, predicted)
    return accuracy, macro_f1, fit_s, predict_s, note


def table(args, data):
    pool = "all" if args.pool is None else args.pool
    print(
        f"\nAG News, model: {model_name(args.model)}; {len(data[2])} held-out texts; "
        f"unlabelled pool of {pool} texts from the "
        f"80 %; template {TEMPLATE!r}; self-training: {args.rounds} rounds at 0 labels, "
        f"{args.rounds_labelled} with labels, at most {args.pseudo_labels} pseudo-labels per "
        f"class and round, {args.epochs_unlabelled} epochs (0 labels) / {args.epochs} epochs "
        f"(with labels), lr {args.learning_rate}, {args.texts_per_step} texts a step, "
        f"train_precision={args.train_precision!r}"
    )
    print(
        f"{'N':>4} {'method':<20} {'seed':>5} {'accuracy':>9} {'macro-F1':>9} {'fit s':>8} "
        f"{'predict s':>9}"
    )
    for n_labelled in args.labelled:
        methods = ZERO_SHOT_METHODS if n_labelled == 0 else LABELLED_METHODS
        for method in [m for m in methods if m in args.methods]:
            if method == "setfit" and setfit_available():
                print(setfit_available())
                continue
            rows = []
            seeds = [0] if method == "zero-shot" else range(args.seeds)
            for seed in seeds:
                *result, note = run(args, method, data, seed, n_labelled)
                rows.append(result)
                accuracy, macro_f1, fit_s, predict_s = result
                print(
                    f"{n_labelled:>4} {method:<20} {'#' + str(seed):>5} {accuracy:>9.3f} "
                    f"{macro_f1:>9.3f} {fit_s:>8.1f} {predict_s:>9.1f}{note}",
                    flush=True,
                )
            accuracy, macro_f1, fit_s, predict_s = np.asarray(rows).T
            print(
                f"{n_labelled:>4} {method:<20} {'mean':>5} {accuracy.mean():>9.3f} "
                f"{macro_f1.mean():>9.3f} {fit_s.mean():>8.1f} {predict_s.mean():>9.1f}"
                f"   (accuracy std {accuracy.std():.3f} over {len(rows)} seeds)",
                flush=True,
            )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="NLI model (default: the NLI-mix stand-in, when there)")
    parser.add_argument("--pool", default="2000", help="unlabelled texts, or 'all'")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--labelled", default="0,8", help="labelled texts per class")
    parser.add_argument("--rounds", type=int, default=2, help="self-training rounds, 0 labels")
    parser.add_argument("--rounds-labelled", type=int, default=1, help="rounds with labels")
    parser.add_argument("--pseudo-labels", type=int, default=100, help="per class and round")
    parser.add_argument("--epochs-unlabelled", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10, help="with labelled texts")
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--texts-per-step", type=int, default=4)
    parser.add_argument("--train-precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--test-size", type=int, default=None, help="score fewer test texts")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--methods", default=",".join(ZERO_SHOT_METHODS + LABELLED_METHODS))
    parser.add_argument("--setfit-body", default=None, help="default: the MiniLM encoder")
    parser.add_argument("--setfit-epochs", type=int, default=1)
    parser.add_argument("--setfit-batch-size", type=int, default=16)
    parser.add_argument("--setfit-iterations", type=int, default=None)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny random model, tiny data")
    args = parser.parse_args(argv)
    args.pool = None if args.pool == "all" else int(args.pool)
    args.labelled = [int(n) for n in args.labelled.split(",")]
    args.methods = args.methods.split(",")
    if not args.smoke:
        args.model = default_model(parser, args.model)
    return args


def main(argv=None):
    args = parse_args(argv)
    limit = None
    if args.smoke:
        from sklearn_nli._testing import build_tiny_model

        args.model = build_tiny_model(os.path.join(tempfile.mkdtemp(), "nli"))
        args.pool, args.seeds, args.labelled, args.test_size = 40, 1, [0, 2], 20
        args.rounds, args.rounds_labelled, args.pseudo_labels = 1, 1, 3
        args.epochs, args.epochs_unlabelled, limit = 1, 1, 400
        args.methods = [m for m in args.methods if m != "setfit"]
    args.setfit_body = args.setfit_body or minilm_encoder()
    print("\n".join(describe_machine()))
    data = ag_news_split(args.test_size, **({"limit": limit} if limit else {}))
    table(args, data)


if __name__ == "__main__":
    main()
