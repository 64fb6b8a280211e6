"""The model card (``README.md``) that ``save_pretrained`` writes beside a fine-tuned model.

Hugging Face's Hub reads a model directory's ``README.md``: YAML metadata
between ``---`` lines (the library that loads it, the pipeline it serves, the
model it was fine-tuned from, tags), then Markdown for people. The card says
what the fit did, from the estimator's fitted state only: the base model, the
classes and the hypotheses or model labels behind them, how many training
texts or pairs each class had, the training settings and loss curve, and how
to load the directory with this package, its command line and transformers.
"""

from __future__ import annotations

import json
import os
import shlex
from collections import Counter

import numpy as np

from .._runtime._hub import is_local_directory

MODEL_CARD_FILE = "README.md"

# The training settings the card lists, in this order: (parameter, what to call it).
_SETTINGS = (
    ("n_epochs", "epochs"),
    ("learning_rate", "learning rate"),
    ("train_batch_size", "batch size"),
    ("warmup_fraction", "warmup fraction"),
    ("weight_decay", "weight decay"),
    ("max_negatives", "negative hypotheses per text"),
    ("max_length", "max length (tokens)"),
    ("train_precision", "precision"),
    ("random_state", "random_state"),
    ("class_prior", "class_prior"),
)
_SELF_TRAINING_SETTINGS = (
    ("self_training_rounds", "self-training rounds"),
    ("pseudo_labels_per_class", "pseudo-labels per class and round"),
)


def training_record(params, counts, fresh_head=False):
    """What a fine-tuning fit keeps for its card: the parameters it used, its data's size.

    ``counts`` maps each class to its number of training texts or pairs;
    ``fresh_head``: the fit added a new classification head to an encoder.
    """
    return {
        "params": dict(params),
        "counts": dict(counts),
        "fresh_head": bool(fresh_head),
        # Decided now: the base model's directory may be gone by the time of saving.
        "hub_base": None if is_local_directory(params["model"]) else str(params["model"]),
    }


def write_model_card(text, path):
    """Write the card ``text`` (from :func:`model_card`) as ``README.md`` into ``path``."""
    with open(os.path.join(os.fspath(path), MODEL_CARD_FILE), "w", encoding="utf-8") as handle:
        handle.write(text)


def model_card(estimator, path):
    """The card's text, or None for an estimator fitted before fits kept their record.

    ``path`` is where the model is saved; the loading examples name its last
    component (``./folder``), never the full path of the user's machine.
    """
    from .. import __version__

    record = getattr(estimator, "_training_record", None)
    if record is None:
        return None
    # "./name": a folder beside the reader, never read as a Hub id.
    path = "./" + _folder(path)
    params = record["params"]
    zero_shot = hasattr(estimator, "hypotheses_")
    base = params["model"]
    metadata = {
        "library_name": "transformers",
        "pipeline_tag": "zero-shot-classification" if zero_shot else "text-classification",
    }
    hub_base = record["hub_base"]
    if hub_base is not None:
        metadata["base_model"] = hub_base
    tags = ["sklearn-nli", "natural-language-inference", "cross-encoder"]
    tags.append("zero-shot-classification" if zero_shot else "text-classification")
    if params.get("self_training_rounds"):
        tags.append("self-training")
    name = type(estimator).__name__
    sections = [
        _front_matter(metadata, tags),
        f"# {name} fine-tuned from {hub_base or _folder(base)}\n",
        _summary(estimator, record, name, zero_shot, __version__),
        _classes_section(estimator, record, zero_shot),
        _training_section(estimator, record),
        _loading_section(estimator, record, path, zero_shot),
    ]
    return "\n".join(section for section in sections if section)


def _folder(path):
    """The last component of a directory's path: what the card may say of it."""
    return os.path.basename(os.path.normpath(os.fspath(path)))


def _front_matter(metadata, tags):
    # JSON strings are YAML's double-quoted scalars: any text is written safely.
    lines = ["---"]
    lines += [f"{key}: {json.dumps(value)}" for key, value in metadata.items()]
    lines.append("tags:")
    lines += [f"- {json.dumps(tag)}" for tag in tags]
    lines.append("---\n")
    return "\n".join(lines)


def _summary(estimator, record, name, zero_shot, version):
    base, hub_base = record["params"]["model"], record["hub_base"]
    where = (
        f"[`{hub_base}`](https://huggingface.co/{hub_base})"
        if hub_base
        else f"`{_folder(base)}` (a local model directory)"
    )
    if record["fresh_head"]:
        where += ", an encoder to which the fit added a new classification head"
    text = (
        f"An NLI cross-encoder fine-tuned from {where} with the `{name}` estimator of "
        f"sklearn-nli {version} (scikit-learn estimators for NLI models)."
    )
    if zero_shot and estimator.multi_label:
        text += (
            " It tags a text with any number of the classes below: each class's "
            "hypothesis is scored against the text (the premise) on its own, and its "
            "probability is the sigmoid of entailment minus contradiction."
        )
    elif zero_shot:
        text += (
            " It classifies a text into one of the classes below: each class's "
            "hypothesis is scored against the text (the premise), and the class "
            "probabilities are the softmax of the entailment logits over the classes. "
            "Other classes can be given at prediction time, as with any NLI model."
        )
    else:
        text += (
            " It scores premise / hypothesis pairs: each class's probability is the "
            "softmax over the model's labels, summed over the labels of the class."
        )
    return text + "\n"


def _classes_section(estimator, record, zero_shot):
    counts = record["counts"]
    history = getattr(estimator, "self_training_history_", None)
    what = "texts" if zero_shot else "pairs"
    lines = ["## Classes\n"]
    if zero_shot:
        params = record["params"]
        descriptions = params.get("label_descriptions") or {}
        described = f"; label descriptions: `{_json(descriptions)}`" if descriptions else ""
        lines.append(f"Hypothesis template: `{params['hypothesis_template']}`{described}.\n")
        header = ["class", "hypothesis", f"training {what}"]
        rows = [
            [c, h, counts[c]] for c, h in zip(estimator.classes_.tolist(), estimator.hypotheses_)
        ]
    else:
        header = ["class", "model labels", f"training {what}"]
        rows = [
            [c, ", ".join(estimator.label_mapping_[c]), counts[c]]
            for c in estimator.classes_.tolist()
        ]
    if history:
        labelled = _labelled_counts(estimator)
        last = history[-1]["pseudo_labels"]
        header[-1] = f"training {what} (labelled + pseudo-labelled)"
        for row in rows:
            row[-1] = f"{row[-1]} ({labelled.get(row[0], 0)} + {last.get(row[0], 0)})"
    offsets = getattr(estimator, "class_offsets_", None)
    if offsets is not None:
        header.append("class offset")
        for row, offset in zip(rows, offsets.tolist()):
            row.append(f"{offset:+.4f}")
    lines.append(_table(header, rows))
    if offsets is not None:
        lines.append(
            "\nThe class offsets (`class_prior`) are added to the entailment logits before "
            "the softmax. They belong to the estimator, not to the network: they are in "
            "`class_offsets.json`, which transformers' pipeline and a new estimator do not "
            "read, so both predict without them."
        )
    return "\n".join(lines) + "\n"


def _labelled_counts(estimator):
    """``{class: labelled texts}`` (``labeled_iter_`` 0), keyed as ``classes_`` is."""
    return Counter(estimator.transduction_[estimator.labeled_iter_ == 0].tolist())


def _training_section(estimator, record):
    params = record["params"]
    history = getattr(estimator, "self_training_history_", None)
    settings = _SETTINGS + (_SELF_TRAINING_SETTINGS if history else ())
    rows = [
        [label, _format(params[key])]
        for key, label in settings
        if key in params and (params[key] is not None or key == "random_state")
    ]
    lines = ["## Training\n", _table(["setting", "value"], rows), ""]
    if history:
        lines.append(
            f"Self-training: {len(history)} rounds; each fine-tuned the base model again on "
            "the labelled texts and the unlabelled texts it predicted most confidently. "
            "Pseudo-labels per round: "
            + "; ".join(f"round {h['round']}: {h['pseudo_labels']}" for h in history)
            + ". The loss curve is the last round's.\n"
        )
    curve = estimator.loss_curve_
    lines.append("Mean training loss per epoch (`loss_curve_`):\n")
    lines.append(_table(["epoch", "loss"], [[i, f"{v:.4f}"] for i, v in enumerate(curve, 1)]))
    return "\n".join(lines) + "\n"


def _loading_section(estimator, record, path, zero_shot):
    params = record["params"]
    lines = [
        "## How to load\n",
        f"`{path}` is a Hugging Face model directory: the examples load it from the "
        "folder that holds it; once uploaded, its Hub id works the same. With "
        "sklearn-nli, and the same classes:\n",
    ]
    if zero_shot:
        lines += _zero_shot_loading(estimator, params, path)
    else:
        lines += _pair_loading(estimator, params, path)
    return "\n".join(lines)


def _keywords(pairs):
    return "".join(f"    {key}={value!r},\n" for key, value in pairs if value is not None)


def _zero_shot_loading(estimator, params, path):
    classes = estimator.classes_.tolist()
    descriptions = params.get("label_descriptions") or None
    threshold = params.get("threshold")
    options = [
        ("candidate_labels", classes),
        ("hypothesis_template", params["hypothesis_template"]),
        ("label_descriptions", descriptions),
        ("multi_label", True if estimator.multi_label else None),
        ("threshold", threshold if estimator.multi_label and threshold != 0.5 else None),
        ("entailment_label", params.get("entailment_label")),
        ("contradiction_label", params.get("contradiction_label")),
        ("max_length", params.get("max_length")),
    ]
    phrases = [(descriptions or {}).get(c, str(c)) for c in classes]
    command = [
        "sklearn-nli", "classify", "texts.csv", "--model", path,
        "--labels", ",".join(map(str, classes)),
        "--template", params["hypothesis_template"],
    ]  # fmt: skip
    for c, phrase in (descriptions or {}).items():
        command += ["--label-description", f"{c}={phrase}"]
    if estimator.multi_label:
        command.append("--multi-label")
        if threshold != 0.5:
            command += ["--threshold", str(threshold)]
    if params.get("max_length") is not None:
        command += ["--max-length", str(params["max_length"])]
    mapping = "" if phrases == classes else f"  # the phrases of {classes!r}"
    multi = ", multi_label=True" if estimator.multi_label else ""
    # The command line splits --labels at commas and strips spaces, and names no
    # entailment label: it is shown only where it reproduces the classes.
    cli_classes = all(
        isinstance(c, str) and "," not in c and c == c.strip() and c for c in classes
    ) and not (params.get("entailment_label") or params.get("contradiction_label"))
    cli = [
        "On the command line, for the texts of a CSV file's `text` column:\n",
        "```bash",
        shlex.join(command),
        "```\n",
    ]
    return [
        "```python",
        "from sklearn_nli import ZeroShotNLIClassifier\n",
        f"clf = ZeroShotNLIClassifier(\n    {path!r},\n{_keywords(options)}).fit()",
        'print(clf.predict_proba(["A text to classify."]))',
        "```\n",
        *(cli if cli_classes else []),
        "With transformers' zero-shot pipeline (the same probabilities):\n",
        "```python",
        "from transformers import pipeline\n",
        f'classifier = pipeline("zero-shot-classification", model={path!r})',
        "result = classifier(",
        '    "A text to classify.",',
        f"    candidate_labels={phrases!r},{mapping}",
        f"    hypothesis_template={params['hypothesis_template']!r}{multi},",
        ")",
        "```\n",
    ]


def _pair_loading(estimator, params, path):
    mapping = {c: list(labels) for c, labels in estimator.label_mapping_.items()}
    identity = all(labels == [c] for c, labels in mapping.items())
    options = [
        ("label_map", None if identity else _plain(mapping)),
        ("max_length", params.get("max_length")),
    ]
    command = ["sklearn-nli", "pairs", "pairs.csv", "--model", path]
    command += ["--premise-column", "premise", "--hypothesis-column", "hypothesis"]
    if params.get("max_length") is not None:
        command += ["--max-length", str(params["max_length"])]
    return [
        "```python",
        "from sklearn_nli import NLIPairScorer\n",
        f"scorer = NLIPairScorer(\n    {path!r},\n{_keywords(options)}).fit()",
        'print(scorer.predict_proba([("A man plays a guitar.", "A person makes music.")]))',
        "```\n",
        "On the command line, for a CSV file's `premise` and `hypothesis` columns "
        "(one probability per model label):\n",
        "```bash",
        shlex.join(command),
        "```\n",
        "With transformers' text-classification pipeline (one score per model label):\n",
        "```python",
        "from transformers import pipeline\n",
        f'classifier = pipeline("text-classification", model={path!r}, top_k=None)',
        'classifier({"text": "A man plays a guitar.", "text_pair": "A person makes music."})',
        "```\n",
    ]


def _plain(value):
    """``value`` with numpy scalars, arrays and dict keys made plain Python, for JSON."""
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _json(value):
    return json.dumps(_plain(value), ensure_ascii=False)


def _format(value):
    value = _plain(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list)):
        return _json(value)
    return value


def _table(header, rows):
    def cell(value):
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, header)) + " |"]
    lines.append("|" + "|".join(" --- " for _ in header) + "|")
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)
