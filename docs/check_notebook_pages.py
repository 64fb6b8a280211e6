"""Check the built site: every notebook page shows outputs, the plots their figures.

    python docs/check_notebook_pages.py docs/_build/html

Run by ``.ci/run`` after the Sphinx build; exits 1, naming the page, when a page
has no rendered output, no line saying where its outputs come from, (the
pages whose notebook draws one) no figure, or not the style sheet that wraps
long lines in its cells.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {"3_baselines_ag_news", "4_pairs_sick"}  # the notebooks that plot


def problems(html_root):
    found = []
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = Path(html_root) / "notebooks" / f"{notebook.stem}.html"
        if not page.exists():
            found.append(f"{page}: missing")
            continue
        html = page.read_text(encoding="utf-8")
        if html.count("cell_output") == 0:
            found.append(f"{page}: no rendered output")
        if "Outputs from a real run" not in html:
            found.append(f"{page}: does not say which run its outputs come from")
        if notebook.stem in FIGURES and "<img" not in html:
            found.append(f"{page}: no figure")
        if "_static/notebook-cells.css" not in html:
            found.append(f"{page}: does not load notebook-cells.css (long lines would scroll)")
    return found


if __name__ == "__main__":
    issues = problems(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "_build" / "html")
    for issue in issues:
        print(issue, file=sys.stderr)
    sys.exit(1 if issues else 0)
