"""How the code is laid out: one source per fact, private names kept private.

These read the source, not the behaviour: what they guard is that the next
change keeps one place for a fact (the default model, each message), and that
nothing outside ``_engine.py`` reaches into the engine's private names.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sklearn_nli"


def _sources(*folders):
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _string_constants(path):
    """The string literals of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                yield node.value


def test_no_private_engine_name_is_used_outside_the_engine():
    private = re.compile(
        r"_engine\._\w|from (sklearn_nli)?\._engine import[^\n]*\b_\w"
        r"|\.(_tokenize|_pad|_forward|_ENGINES)\b"
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources("sklearn_nli", "tests", "benchmarks")
        if path.name != "_engine.py" and path.name != "test_layout.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line)
    ]
    assert not offenders, "\n".join(offenders)


def test_the_default_model_id_is_written_once_as_code():
    from sklearn_nli._params import DEFAULT_MODEL

    places = [
        path.relative_to(ROOT).as_posix()
        for path in _sources("sklearn_nli")
        for value in _string_constants(path)
        if DEFAULT_MODEL in value
    ]
    assert places == ["sklearn_nli/_params.py"]


def test_each_target_message_is_written_once():
    messages = ("fine-tuning needs labelled", "has a missing value", "inconsistent numbers")
    for message in messages:
        places = [
            path.name
            for path in _sources("sklearn_nli")
            for value in _string_constants(path)
            if message in value
        ]
        assert places == ["_inputs.py"], (message, places)
