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


def _bash_commands(section):
    """The command lines of the ``bash`` blocks of README's section ``section``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    blocks = re.findall(r"```bash\n(.*?)```", text[start : end if end > 0 else None], re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readme_commands_as_written():
    # What README says to install and run is what CI installs and runs, in order:
    # a dependency that only CI installed would hide a broken README set-up.
    install, cpu_torch = _bash_commands("Install")
    test, docs_install, docs_build = _bash_commands("Development")
    assert install == 'pip install -e ".[dev]"'
    assert "index-url" not in install  # PyPI only: other indexes may be out of reach
    assert cpu_torch.startswith("pip install torch --index-url ")  # the optional step
    assert docs_install == 'pip install -e ".[docs]"'
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    # A subshell around a command list lets `set -e` stop at any of its failures.
    lines = [re.sub(r"^\( (.*) \)$", r"\1", line) for line in ci if line and line[0] != "#"]
    positions = [lines.index(command) for command in (install, test, docs_install, docs_build)]
    assert positions == sorted(positions)
    installs = [line for line in lines if "pip install" in line]
    assert installs == [
        "python -m pip install --quiet --upgrade pip",
        "python -m pip install --quiet torch==2.13.0",  # the CPU build, before the README's
        install,
        docs_install,
    ]
