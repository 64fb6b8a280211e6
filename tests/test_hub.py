"""Loading a model: fast, helpful errors offline, and quiet unless bars are asked for."""

import time

import pytest

from sklearn_nli import ZeroShotNLIClassifier, clear_model_cache
from sklearn_nli._runtime import _hub
from sklearn_nli.cli import main

FIXES = ("save_pretrained", "--model", "$SKLEARN_NLI_MODEL", "HF_HUB_OFFLINE=1")


@pytest.fixture
def no_network(monkeypatch):
    """The Hub does not answer (simulated: no real network is used), and is not cached."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(_hub, "_hub_unreachable", lambda: "URLError: no network (simulated)")

    def never(*args, **kwargs):
        raise AssertionError("transformers was asked to download")

    monkeypatch.setattr("transformers.AutoTokenizer.from_pretrained", never)
    monkeypatch.setattr("transformers.AutoModelForSequenceClassification.from_pretrained", never)
    clear_model_cache()


def _error(model):
    clf = ZeroShotNLIClassifier(model, candidate_labels=["a", "b"], device="cpu").fit()
    start = time.perf_counter()
    with pytest.raises(OSError) as raised:
        clf.predict(["a text"])
    return str(raised.value), time.perf_counter() - start


def test_an_unreachable_hub_is_a_fast_clear_error(no_network):
    message, seconds = _error("someone/a-model-not-in-the-cache")
    assert seconds < 10
    assert "Could not load model 'someone/a-model-not-in-the-cache'" in message
    assert "Hugging Face Hub (https://huggingface.co) could not be reached" in message
    assert "no network (simulated)" in message
    assert all(fix in message for fix in FIXES), message


def test_a_relative_path_that_does_not_exist_is_named(no_network, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message, _ = _error("models/nope")
    assert f"no local directory {str(tmp_path / 'models' / 'nope')!r} exists" in message


def test_offline_mode_fails_without_trying_the_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def unreachable():
        raise AssertionError("the network was tried")

    monkeypatch.setattr(_hub, "_hub_unreachable", unreachable)
    clear_model_cache()
    message, seconds = _error("someone/another-model")
    assert "HF_HUB_OFFLINE is set" in message and seconds < 10


def test_the_command_line_exits_2_with_the_same_message(no_network, tmp_path, capsys):
    source = tmp_path / "x.csv"
    source.write_text("t\nsome text\n", encoding="utf-8")
    start = time.perf_counter()
    status = main(["classify", str(source), "--text-column", "t", "--labels", "a,b"])
    seconds = time.perf_counter() - start
    err = capsys.readouterr().err.strip()
    assert status == 2 and seconds < 10
    assert err.startswith("sklearn-nli: error: Could not load model 'MoritzLaurer/MiniLM-L6-mnli'")
    assert all(fix in err for fix in FIXES) and "Traceback" not in err


def test_local_directories_do_not_ask_the_hub(tiny_model, monkeypatch):
    monkeypatch.setattr(_hub, "_hub_unreachable", lambda: pytest.fail("the Hub was asked"))
    _hub.check_available(tiny_model)


def test_loading_is_quiet_without_progress_bars(tiny_model, capfd):
    # transformers draws a "Loading weights" bar on every from_pretrained by default.
    clear_model_cache()
    clf = ZeroShotNLIClassifier(tiny_model, candidate_labels=["a", "b"], show_progress_bar=False)
    clf.fit().predict(["a text"])
    captured = capfd.readouterr()
    assert "Loading weights" not in captured.err + captured.out
    clear_model_cache()
