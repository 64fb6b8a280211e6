"""Every README example that uses the default model runs, with a tiny local model."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
DEFAULT_MODEL = 'model = "MoritzLaurer/MiniLM-L6-mnli"'


def _examples():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return [block for block in blocks if DEFAULT_MODEL in block]


def test_readme_has_examples():
    assert len(_examples()) >= 3


@pytest.mark.parametrize("block", _examples(), ids=lambda b: b.splitlines()[0][:40])
def test_readme_example_runs(block, tiny_model, capsys):
    code = block.replace(DEFAULT_MODEL, f"model = {tiny_model!r}")
    exec(compile(code, str(README), "exec"), {})
    assert capsys.readouterr().out.strip()
