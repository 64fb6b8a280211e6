"""Every public docstring passes numpydoc's validation against its signature.

The public objects are found, not listed: the names of ``sklearn_nli.__all__``
(each class with every public method or property that the package defines), and
the ``__all__`` of the public modules ``sklearn_nli.dask`` and
``sklearn_nli.cli``. A new public method or function is validated without
touching this file.

Methods that the classes inherit from scikit-learn (``score``,
``fit_transform``, ``get_params``, ``set_params``, ``set_output``,
``get_metadata_routing``, ``set_score_request``) are not validated: their
docstrings are scikit-learn's, checked by scikit-learn's own numpydoc test and
not ours to change. ``test_inherited_methods_come_from_scikit_learn`` keeps
that exclusion honest: it fails if one of them is defined in this package.

Also checked here: the shared fragments of ``sklearn_nli._docstrings`` are
filled in everywhere (no ``%(name)s`` is left in a public docstring), and the
parameters that both estimators share read the same in both.
"""

import importlib
import importlib.util
import inspect
import re

import pytest
from numpydoc.validate import ERROR_MSGS, validate

import sklearn_nli
from sklearn_nli._docstrings import DOCSTRINGS, fill_doc

PACKAGE = "sklearn_nli"
# sklearn_nli.dask needs the dask extra; without it, its functions are not checked.
PUBLIC_MODULES = ("sklearn_nli", "sklearn_nli.cli") + (
    ("sklearn_nli.dask",) if importlib.util.find_spec("dask") is not None else ()
)

# numpydoc's codes that are not enforced, and why. Every other code of
# numpydoc.validate.ERROR_MSGS is (see ENFORCED), among them: GL08 (no
# docstring), SS01-SS06 (summary), PR01 (parameter not documented), PR02
# (unknown parameter documented), PR03 (wrong order), PR06 (type spelled
# "integer" or "string"), PR07 (parameter without description), PR09 (description
# not ending with a period), RT01 (no Returns section), RT03 (return value
# without description).
IGNORED = {
    "ES01": "an extended summary is optional; a method whose summary and sections say "
    "it all needs none",
    "SA01": "See Also sections are written where they help (classes, transform, the dask "
    "functions), not required on every method",
    "EX01": "enforced only for the names in the __all__ of EXAMPLES_REQUIRED (their "
    "Examples run as doctests); methods are shown in their class's Examples, and the "
    "command line's main and build_parser in its documentation page",
    "RT02": "scikit-learn's convention names the returned value ('self : object', "
    "'proba : ndarray of shape ...'), which RT02 forbids for a single value",
}
ENFORCED = frozenset(ERROR_MSGS) - set(IGNORED)
EXAMPLES_REQUIRED = ("sklearn_nli", "sklearn_nli.dask")

_UNKNOWN = sorted(set(IGNORED) - set(ERROR_MSGS))
assert not _UNKNOWN, f"IGNORED lists codes that numpydoc does not have: {_UNKNOWN}"


def _public_members(cls):
    """``(name, module that defines it)`` for each public method or property of ``cls``.

    Members are read as the class gives them (``getattr``), so that descriptors,
    such as scikit-learn's ``available_if`` methods and generated
    ``set_*_request`` methods, resolve to the function that they stand for.
    """
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        member = getattr(cls, name)
        if isinstance(member, property):
            member = member.fget
        elif not callable(member) or inspect.isclass(member):
            continue
        function = inspect.unwrap(getattr(member, "__func__", member))
        yield name, getattr(function, "__module__", None) or type(function).__module__


def _public_objects():
    """Public objects to validate, and the inherited methods left out, by dotted name."""
    validated, inherited = {}, {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            dotted = f"{module_name}.{name}"
            validated[dotted] = obj
            if inspect.isclass(obj):
                for member, defined_in in _public_members(obj):
                    if defined_in.split(".")[0] == PACKAGE:
                        validated[f"{dotted}.{member}"] = getattr(obj, member)
                    else:
                        inherited[f"{dotted}.{member}"] = defined_in
    return validated, inherited


VALIDATED, INHERITED = _public_objects()


def _needs_examples(name):
    module_name, _ = name.rsplit(".", 1)
    return module_name in EXAMPLES_REQUIRED and name.removeprefix(f"{module_name}.") in (
        importlib.import_module(module_name).__all__
    )


@pytest.mark.parametrize("name", sorted(VALIDATED))
def test_docstring_is_valid(name):
    result = validate(name)
    enforced = ENFORCED | {"EX01"} if _needs_examples(name) else ENFORCED
    errors = [f"{code}: {message}" for code, message in result["errors"] if code in enforced]
    assert not errors, f"{name} ({result['file']}:{result['file_line']}):\n" + "\n".join(errors)


def test_every_public_name_is_validated():
    expected = {
        f"sklearn_nli.{cls}.{method}"
        for cls in ("ZeroShotNLIClassifier", "NLIPairScorer")
        for method in (
            "fit",
            "predict",
            "predict_proba",
            "decision_function",
            "transform",
            "get_feature_names_out",
        )
    }
    expected |= {f"sklearn_nli.{name}" for name in sklearn_nli.__all__}
    expected |= {"sklearn_nli.cli.main", "sklearn_nli.cli.build_parser"}
    if "sklearn_nli.dask" in PUBLIC_MODULES:
        expected |= {"sklearn_nli.dask.predict", "sklearn_nli.dask.predict_proba"}
    assert expected <= set(VALIDATED)


def test_inherited_methods_come_from_scikit_learn():
    assert INHERITED, "expected the scikit-learn mixins' methods"
    for name, module in INHERITED.items():
        assert module.split(".")[0] == "sklearn", f"{name} is defined in {module}"


@pytest.mark.parametrize("name", sorted(VALIDATED))
def test_no_placeholder_is_left(name):
    doc = VALIDATED[name].__doc__ or ""
    assert not re.search(r"%\(\w+\)s", doc), f"{name} has an unfilled placeholder"


@pytest.mark.parametrize(
    "parameter",
    ["model", "max_length", "batch_size", "device", "precision", "backend", "cache"]
    + ["show_progress_bar"],
)
def test_shared_parameters_read_the_same(parameter):
    from numpydoc.docscrape import ClassDoc

    described = []
    for cls in (sklearn_nli.ZeroShotNLIClassifier, sklearn_nli.NLIPairScorer):
        (entry,) = [p for p in ClassDoc(cls)["Parameters"] if p.name == parameter]
        described.append((entry.type, entry.desc))
    assert described[0] == described[1]
    assert described[0][0] in DOCSTRINGS[parameter]


def test_fill_doc_indents_like_the_placeholder():
    def f():
        """Summary.

        Parameters
        ----------
        %(device)s
        """

    fill_doc(f)
    lines = f.__doc__.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("device :"))
    assert lines[start].startswith("        device : ")
    assert lines[start + 1].startswith("            Where the model runs")


def test_fill_doc_leaves_braces_and_percents():
    def f():
        """Literal {"fp32", "bf16"}, {class: phrase}, {} and 100% stay; %(cache)s."""

    fill_doc(f)
    assert f.__doc__.startswith('Literal {"fp32", "bf16"}, {class: phrase}, {} and 100% stay;')
    assert "cache : bool" in f.__doc__


def test_fill_doc_rejects_an_unknown_placeholder():
    class Estimator:
        """Summary.

        Parameters
        ----------
        %(no_such_fragment)s
        """

    with pytest.raises(ValueError, match=r"Estimator .*%\(no_such_fragment\)s"):
        fill_doc(Estimator)


def test_fill_doc_fills_the_methods_of_a_class():
    class Estimator:
        """Summary."""

        def method(self, X):
            """Summary.

            Parameters
            ----------
            %(X_texts)s
            """

    fill_doc(Estimator)
    assert "X : array-like of str" in Estimator.method.__doc__


def test_backend_parameter_lists_the_registered_backends():
    from sklearn_nli._runtime._backends import backend_names

    entry = DOCSTRINGS["backend"]
    choices = re.match(r"backend : \{(.*)\}, default=\"auto\"", entry).group(1)
    assert [c.strip().strip('"') for c in choices.split(",")] == ["auto", *backend_names()]
    order = re.search(r"in the order ([a-z, ]+), that", " ".join(entry.split())).group(1)
    assert order.split(", ") == list(backend_names())
    for name in backend_names():
        assert f'"{name}":' in entry


def test_default_model_and_template_are_documented_from_the_constants():
    from sklearn_nli._params import DEFAULT_MODEL, DEFAULT_TEMPLATE

    assert f'default="{DEFAULT_MODEL}"' in DOCSTRINGS["model"]
    doc = " ".join(sklearn_nli.ZeroShotNLIClassifier.__doc__.split())
    assert f'hypothesis_template : str, default="{DEFAULT_TEMPLATE}"' in doc
