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


# --------------------------------------------------------------------------
# the import graph


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph():
    """``{module: {module it imports}}`` for every module of the package.

    Every import statement counts, at module level or inside a function;
    relative ones are resolved against the module's package. ``from p import
    x`` is an edge to the submodule ``p.x`` when there is one, else to ``p``.
    """
    paths = {_module_name(path): path for path in _sources("sklearn_nli")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = ".".join(filter(None, (base, node.module)))
                else:
                    base = node.module
                targets = [f"{base}.{alias.name}" for alias in node.names]
                targets = [t if t in paths else base for t in targets]
            else:
                continue
            for target in targets:
                while target and target not in paths:  # `import sklearn_nli.x.y` names a module
                    target = target.rpartition(".")[0]
                if target:
                    edges.add(target)
        graph[name] = edges
    return graph


def _find_cycle(graph):
    """A list of modules ``[a, b, ..., a]`` each importing the next, or None."""
    state, stack = {}, []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        state[module] = "done"
        stack.pop()
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_the_import_graph_resolves_relative_and_lazy_imports():
    graph = _import_graph()
    assert "sklearn_nli._errors" in graph["sklearn_nli._runtime._backends._torch"]
    # `from . import get_backend` inside a function: the package, not a submodule
    assert "sklearn_nli._runtime._backends" in graph["sklearn_nli._runtime._backends._torch"]
    assert "sklearn_nli" in graph["sklearn_nli.cli"]  # `from . import __version__`
    assert "sklearn_nli._inputs" in graph["sklearn_nli.cli"]  # inside a function


def test_no_import_cycle():
    cycle = _find_cycle(_import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_estimator_module_imports_a_backend():
    """Estimators reach the backends through the runtime (the engine, the devices)."""
    graph = _import_graph()
    estimators = ("_zero_shot", "_pairs", "_base", "cli", "dask")
    offenders = [
        f"{module} imports {target}"
        for module in (f"sklearn_nli.{name}" for name in estimators)
        for target in sorted(graph[module])
        if (target + ".").startswith("sklearn_nli._runtime._backends.")
    ]
    assert not offenders, "\n".join(offenders)
