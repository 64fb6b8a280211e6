"""Sphinx configuration of the sklearn-nli documentation.

Build (warnings are errors)::

    python -m sphinx -W -b html docs docs/_build/html

Cross-references to scikit-learn, NumPy, pandas and transformers go through
intersphinx, whose inventories are downloaded. Builds run offline by default
(CI has no network, and a failed download is an unsuppressible warning, which
``-W`` would turn into an error), so the inventories are only fetched when
``SKLEARN_NLI_DOCS_INTERSPHINX=1`` is set; without it the same pages build,
with those names as plain text instead of links.
"""

import os
import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import sklearn_nli  # noqa: E402

# -- project -----------------------------------------------------------------

project = "sklearn-nli"
author = "the sklearn-nli developers"
copyright = "the sklearn-nli developers"  # noqa: A001
version = release = sklearn_nli.__version__

# -- extensions --------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_nb",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "jupyter_execute", "executed"]

# autodoc + numpydoc: the API reference comes from the docstrings.
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# myst-nb: notebooks are rendered as committed, never executed by the build.
nb_execution_mode = "off"
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# intersphinx (see the module docstring).
_INVENTORIES = {
    "python": ("https://docs.python.org/3", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "pandas": ("https://pandas.pydata.org/docs", None),
    "transformers": ("https://huggingface.co/docs/transformers/main/en", None),
}
if os.environ.get("SKLEARN_NLI_DOCS_INTERSPHINX", "") not in ("", "0"):
    intersphinx_mapping = _INVENTORIES
    intersphinx_timeout = 10
else:
    intersphinx_mapping = {}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-nli {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    # Notebook pages give the "On this page" column's width to their code cells
    # (page names, not a pattern: the theme warns when two patterns match a page).
    "secondary_sidebar_items": {
        "**": ["page-toc", "edit-this-page", "sourcelink"],
        **{f"notebooks/{path.stem}": [] for path in (ROOT / "notebooks").glob("*.ipynb")},
    },
}
html_static_path = ["_static"]
# Notebook cells wrap their long lines (no horizontal scroll bar per cell).
html_css_files = ["notebook-cells.css"]

# -- notebooks ---------------------------------------------------------------
# The notebooks live in ../notebooks (where they are run, without outputs);
# docs/executed/ holds copies executed on a real model by
# docs/execute_notebooks.py, with their outputs and figures, which the site
# shows. Sphinx only reads files under docs/, so the build copies each page's
# notebook (the executed copy when there is one) into docs/notebooks/ (ignored
# by git). Only changed files are copied, so incremental builds stay incremental.


def _copy_notebooks():
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    wanted = set()
    for source in sorted((ROOT / "notebooks").glob("*.ipynb")):
        wanted.add(source.name)
        executed = DOCS / "executed" / source.name
        source = executed if executed.exists() else source
        destination = target / source.name
        if not destination.exists() or destination.read_bytes() != source.read_bytes():
            shutil.copyfile(source, destination)
    for stale in target.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()


_copy_notebooks()


# -- docstring fix-ups ---------------------------------------------------------
# numpydoc leaves the type of a parameter or attribute as written, and in
# "ndarray of shape (n_features_in_,)" reStructuredText reads ``n_features_in_``
# as a link target. Quote such names inside "shape (...)" before rendering.

_SHAPE = re.compile(r"shape \(([^()]*)\)")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?![`\w])")


def _quote_shape_names(app, what, name, obj, options, lines):
    def quote(match):
        inner = _TRAILING_UNDERSCORE.sub(r"``\1``", match.group(1))
        return f"shape ({inner})"

    lines[:] = [_SHAPE.sub(quote, line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _quote_shape_names, priority=400)
