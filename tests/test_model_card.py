"""The model card that ``save_pretrained`` writes: Hub metadata, what the fit did, how to load.

The card's own loading examples are run here: its Python blocks (our estimator
and transformers' pipeline) and its command line give the saved estimator's
probabilities.
"""

import csv
import os
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier, __version__
from sklearn_nli._testing import build_tiny_model
from sklearn_nli.cli import main

TEXTS = [
    "the team won the game",
    "the stock market fell",
    "a man plays guitar music",
    "the dog runs in the park",
    "the team plays in the park",
    "news of the market and the stock",
] * 2
LABELS = ["sports", "business", "music", "animals", "sports", "business"] * 2
PAIRS = [
    ("a man plays guitar", "a person plays music"),
    ("a dog runs in the park", "a cat sleeps"),
    ("the team won the game", "the game was played"),
] * 3
FAST = {"learning_rate": 1e-2, "random_state": 0, "device": "cpu", "backend": "torch"}


def _card(path):
    """The card's YAML metadata (parsed) and its Markdown body."""
    text = (Path(path) / "README.md").read_text(encoding="utf-8")
    match = re.fullmatch(r"---\n(.*?)\n---\n(.*)", text, re.S)
    assert match, text[:200]
    return yaml.safe_load(match.group(1)), match.group(2)


def _blocks(body, language):
    return re.findall(rf"```{language}\n(.*?)```", body, re.S)


def _run(code, folder, monkeypatch):
    """Run a card's Python block in ``folder``, which holds the saved model's folder.

    The working directory stays there for the rest of the test, where the
    loaded estimators load their model.
    """
    monkeypatch.chdir(folder)
    namespace = {}
    exec(compile(code, "model card", "exec"), namespace)
    return namespace


def _table_rows(body, header):
    """The rows of the Markdown table whose header row is ``header``."""
    lines = body.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


@pytest.fixture
def zero_shot(tiny_model):
    clf = ZeroShotNLIClassifier(
        tiny_model,
        n_epochs=3,
        hypothesis_template="This text is about {}.",
        label_descriptions={"music": "songs and music"},
        **FAST,
    )
    return clf.fit(TEXTS, LABELS)


def test_card_is_hub_metadata_and_says_what_the_fit_did(zero_shot, tiny_model, tmp_path):
    from huggingface_hub import ModelCard

    zero_shot.save_pretrained(tmp_path)
    metadata, body = _card(tmp_path)
    assert metadata == {
        "library_name": "transformers",
        "pipeline_tag": "zero-shot-classification",
        "tags": [
            "sklearn-nli",
            "natural-language-inference",
            "cross-encoder",
            "zero-shot-classification",
        ],
    }  # no base_model: the base is a local directory, not a Hub id
    assert ModelCard.load(tmp_path / "README.md").data.to_dict() == metadata
    assert f"fine-tuned from `{Path(tiny_model).name}` (a local model directory)" in body
    assert str(tmp_path) not in body and tiny_model not in body  # no path of this machine
    assert f"sklearn-nli {__version__}" in body
    assert "Hypothesis template: `This text is about {}.`" in body
    assert '{"music": "songs and music"}' in body
    rows = _table_rows(body, "| class | hypothesis | training texts |")
    assert rows == [
        ["animals", "This text is about animals.", "2"],
        ["business", "This text is about business.", "4"],
        ["music", "This text is about songs and music.", "2"],
        ["sports", "This text is about sports.", "4"],
    ]
    settings = dict(_table_rows(body, "| setting | value |"))
    assert settings["epochs"] == "3"
    assert settings["learning rate"] == "0.01"
    assert settings["random_state"] == "0"
    assert "self-training rounds" not in settings
    curve = _table_rows(body, "| epoch | loss |")
    assert curve == [[str(i), f"{v:.4f}"] for i, v in enumerate(zero_shot.loss_curve_, 1)]


def test_card_loading_examples_give_the_estimators_probabilities(zero_shot, tmp_path, monkeypatch):
    path = tmp_path / "model"
    zero_shot.save_pretrained(path)
    _, body = _card(path)
    ours, with_pipeline = _blocks(body, "python")
    expected = zero_shot.predict_proba(["A text to classify."])[0]

    loaded = _run(ours, tmp_path, monkeypatch)["clf"]
    np.testing.assert_allclose(
        loaded.predict_proba(TEXTS), zero_shot.predict_proba(TEXTS), atol=1e-5
    )

    result = _run(with_pipeline, tmp_path, monkeypatch)["result"]
    phrases = dict(zip(["animals", "business", "songs and music", "sports"], zero_shot.classes_))
    got = {phrases[label]: score for label, score in zip(result["labels"], result["scores"])}
    np.testing.assert_allclose([got[c] for c in zero_shot.classes_], expected, atol=1e-5)


def test_card_command_line_gives_the_estimators_probabilities(
    zero_shot, tmp_path, monkeypatch, capsys
):
    zero_shot.save_pretrained(tmp_path / "model")
    _, body = _card(tmp_path / "model")
    (command,) = _blocks(body, "bash")
    argv = shlex.split(command)
    assert argv[:3] == ["sklearn-nli", "classify", "texts.csv"]
    monkeypatch.chdir(tmp_path)  # the card names the model's folder
    with open("texts.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([["text"]] + [[t] for t in TEXTS])
    assert main(argv[1:] + ["-o", "out.csv", "--device", "cpu", "--backend", "torch"]) == 0
    with open("out.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    got = [[float(row[f"proba_{c}"]) for c in zero_shot.classes_] for row in rows]
    np.testing.assert_allclose(got, zero_shot.predict_proba(TEXTS), atol=1e-5)


def test_multi_label_card(tiny_model, tmp_path, monkeypatch):
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 3)
    clf = ZeroShotNLIClassifier(
        tiny_model, candidate_labels=["sports", "news"], multi_label=True, n_epochs=1, **FAST
    ).fit(TEXTS, y)
    clf.save_pretrained(tmp_path / "tagger")
    _, body = _card(tmp_path / "tagger")
    assert "any number of the classes" in body
    rows = _table_rows(body, "| class | hypothesis | training texts |")
    assert [row[2] for row in rows] == ["6", "6"]  # texts with the label, per class
    ours, with_pipeline = _blocks(body, "python")
    assert "multi_label=True" in ours and "multi_label=True" in with_pipeline
    result = _run(with_pipeline, tmp_path, monkeypatch)["result"]
    got = dict(zip(result["labels"], result["scores"]))
    expected = clf.predict_proba(["A text to classify."])[0]
    np.testing.assert_allclose([got[c] for c in clf.classes_], expected, atol=1e-5)


@pytest.mark.parametrize(
    "y",
    [
        ["ENTAILMENT", "CONTRADICTION", "NEUTRAL"] * 3,
        ["entailment", "not_entailment"] * 4 + ["entailment"],
    ],
)
def test_pair_scorer_card(tiny_model, tmp_path, y, monkeypatch):
    scorer = NLIPairScorer(tiny_model, n_epochs=1, **FAST).fit(PAIRS, y)
    scorer.save_pretrained(tmp_path / "pairs")
    metadata, body = _card(tmp_path / "pairs")
    assert metadata["pipeline_tag"] == "text-classification"
    assert metadata["library_name"] == "transformers"
    rows = _table_rows(body, "| class | model labels | training pairs |")
    assert [row[0] for row in rows] == scorer.classes_.tolist()
    assert [int(row[2]) for row in rows] == [y.count(c) for c in scorer.classes_]
    assert [row[1] for row in rows] == [
        ", ".join(scorer.label_mapping_[c]) for c in scorer.classes_
    ]
    ours, with_pipeline = _blocks(body, "python")
    loaded = _run(ours, tmp_path, monkeypatch)["scorer"]
    assert loaded.classes_.tolist() == scorer.classes_.tolist()
    np.testing.assert_allclose(loaded.predict_proba(PAIRS), scorer.predict_proba(PAIRS), atol=1e-5)
    code = with_pipeline.replace("classifier({", "out = classifier({")
    scores = _run(code, tmp_path, monkeypatch)["out"]
    model_proba = {d["label"]: d["score"] for d in scores}
    expected = scorer.predict_proba([("A man plays a guitar.", "A person makes music.")])[0]
    got = [sum(model_proba[label] for label in scorer.label_mapping_[c]) for c in scorer.classes_]
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_self_training_card_counts_labelled_and_pseudo_labelled_texts(tiny_model, tmp_path):
    y = np.array(LABELS[:4] + [-1] * 8, dtype=object)
    clf = ZeroShotNLIClassifier(
        tiny_model,
        candidate_labels=["animals", "business", "music", "sports"],
        class_prior="uniform",
        self_training_rounds=2,
        pseudo_labels_per_class=1,
        n_epochs=1,
        **FAST,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a round where a class gets no text
        clf.fit(TEXTS, y)
    clf.save_pretrained(tmp_path)
    metadata, body = _card(tmp_path)
    assert "self-training" in metadata["tags"]
    header = "| class | hypothesis | training texts (labelled + pseudo-labelled) | class offset |"
    rows = _table_rows(body, header)
    pseudo = clf.self_training_history_[-1]["pseudo_labels"]
    for row, cls, offset in zip(rows, clf.classes_, clf.class_offsets_):
        labelled = LABELS[:4].count(cls)
        assert row[2] == f"{labelled + pseudo[cls]} ({labelled} + {pseudo[cls]})"
        assert row[3] == f"{offset:+.4f}"
    assert "`class_offsets.json`, which transformers' pipeline and a new estimator do not" in body
    settings = dict(_table_rows(body, "| setting | value |"))
    assert settings["self-training rounds"] == "2"
    assert settings["class_prior"] == "uniform"
    assert "Self-training: 2 rounds" in body


def test_a_hub_base_model_is_named_in_the_metadata(tmp_path):
    # A Hub id in the local cache, loaded offline: the card names it as base_model.
    cache = tmp_path / "hub"
    snapshot = cache / "models--sklearn-nli--tiny-nli" / "snapshots" / ("0" * 40)
    build_tiny_model(snapshot)
    (cache / "models--sklearn-nli--tiny-nli" / "refs").mkdir()
    (cache / "models--sklearn-nli--tiny-nli" / "refs" / "main").write_text("0" * 40)
    script = (
        "from sklearn_nli import ZeroShotNLIClassifier\n"
        "clf = ZeroShotNLIClassifier('sklearn-nli/tiny-nli', n_epochs=1, device='cpu', "
        "backend='torch', random_state=0)\n"
        f"clf.fit({TEXTS!r}, {LABELS!r}).save_pretrained({str(tmp_path / 'saved')!r})\n"
    )
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=300)
    metadata, body = _card(tmp_path / "saved")
    assert metadata["base_model"] == "sklearn-nli/tiny-nli"
    assert body.startswith("\n# ZeroShotNLIClassifier fine-tuned from sklearn-nli/tiny-nli\n")
    assert "[`sklearn-nli/tiny-nli`](https://huggingface.co/sklearn-nli/tiny-nli)" in body


def test_a_refit_forgets_the_card_of_the_last_fine_tuning(zero_shot, tmp_path):
    zero_shot.set_params(n_epochs=0).fit(TEXTS, LABELS)
    assert not hasattr(zero_shot, "_training_record")
    with pytest.raises(ValueError, match="nothing to save"):
        zero_shot.save_pretrained(tmp_path)
    assert not (tmp_path / "README.md").exists()


def test_card_text_is_written_safely(tiny_model, tmp_path, monkeypatch):
    # Quotes, colons, a pipe and non-ASCII in classes and template stay readable YAML / Markdown.
    y = ['a "quoted": class', "pipe | class", "arts, café"] * 4
    clf = ZeroShotNLIClassifier(
        tiny_model, hypothesis_template="Thème : {}.", n_epochs=1, **FAST
    ).fit(TEXTS, y)
    clf.save_pretrained(tmp_path / "safe")
    metadata, body = _card(tmp_path / "safe")
    assert metadata["pipeline_tag"] == "zero-shot-classification"
    rows = _table_rows(body, "| class | hypothesis | training texts |")
    assert [row[0] for row in rows] == ['a "quoted": class', "arts, café", "pipe \\| class"]
    assert "sklearn-nli classify" not in body  # its --labels would split 'arts, café' in two
    loaded = _run(_blocks(body, "python")[0], tmp_path, monkeypatch)["clf"]
    assert loaded.classes_.tolist() == clf.classes_.tolist()
    assert loaded.hypotheses_ == clf.hypotheses_


def test_a_local_base_is_never_taken_for_a_hub_id(tiny_model, tmp_path):
    # Decided at fit: the base directory may be gone by the time the model is saved.
    import shutil

    base = shutil.copytree(tiny_model, tmp_path / "base")
    clf = ZeroShotNLIClassifier(str(base), n_epochs=1, **FAST).fit(TEXTS, LABELS)
    shutil.rmtree(base)
    clf.save_pretrained(tmp_path / "saved")
    metadata, body = _card(tmp_path / "saved")
    assert "base_model" not in metadata
    assert "`base` (a local model directory)" in body


def test_integer_classes_self_training_card_and_its_random_state(tiny_model, tmp_path, monkeypatch):
    y = np.array([1, 2, 3, 4] + [-1] * 8)
    clf = ZeroShotNLIClassifier(
        tiny_model,
        candidate_labels=[1, 2, 3, 4],
        class_prior={np.int64(k): np.float32(0.25) for k in (1, 2, 3, 4)},
        self_training_rounds=1,
        pseudo_labels_per_class=1,
        n_epochs=1,
        max_length=64,
        **{**FAST, "random_state": 7},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf.fit(TEXTS, y)
    clf.save_pretrained(tmp_path / "ints")
    _, body = _card(tmp_path / "ints")
    header = "| class | hypothesis | training texts (labelled + pseudo-labelled) | class offset |"
    pseudo = clf.self_training_history_[-1]["pseudo_labels"]
    for row, cls in zip(_table_rows(body, header), clf.classes_.tolist()):
        assert row[2] == f"{1 + pseudo[cls]} (1 + {pseudo[cls]})"
    settings = dict(_table_rows(body, "| setting | value |"))
    assert settings["random_state"] == "7"  # the estimator's, not a round's derived seed
    assert settings["class_prior"] == '{"1": 0.25, "2": 0.25, "3": 0.25, "4": 0.25}'
    assert settings["max length (tokens)"] == "64"
    ours = _blocks(body, "python")[0]
    assert "max_length=64" in ours
    assert "sklearn-nli classify" not in body  # its --labels would make the classes strings
    loaded = _run(ours, tmp_path, monkeypatch)["clf"]
    assert loaded.classes_.tolist() == [1, 2, 3, 4]


def test_an_estimator_fitted_without_a_record_saves_its_model_and_warns(zero_shot, tmp_path):
    del zero_shot._training_record  # as unpickled from before fits kept one
    with pytest.warns(UserWarning, match="no README.md model card is written"):
        zero_shot.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists()
    assert not (tmp_path / "README.md").exists()
