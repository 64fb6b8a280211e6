"""Run the notebooks on a real model and keep the executed copies that the docs show.

    python docs/execute_notebooks.py --model PATH --label "the SICK stand-in ..."

Executes every notebook of ``notebooks/`` top to bottom on the full data (not
``SKLEARN_NLI_FAST``), with ``SKLEARN_NLI_MODEL=PATH``, and writes the result to
``docs/executed/`` with a first cell that says which model, machine and date the
outputs come from. The documentation build shows these copies (``docs/conf.py``);
the notebooks in ``notebooks/`` stay without outputs, and CI still runs them on a
tiny model. ``docs/executed/notes.json`` holds, per notebook, notes put after the
first code cell containing a given text: what a reader should know about the
model's answers there (``--notes-only`` rewrites them in the existing copies).
Warnings that only the kernel's environment causes (tqdm's missing ipywidgets,
the Hub client's retries where there is no network) are dropped from the outputs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def _machine():
    from sklearn_nli._runtime._backends._cpu import cpu_flags, cpu_model

    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")
    flags = ", ".join(flag for flag in wanted if flag in cpu_flags())
    return f"{os.cpu_count()}-core {cpu_model()} ({flags})"


def _environment_noise(output):
    """tqdm's missing ipywidgets, and the Hub client's retries on a machine with no network."""
    text = output.get("text", "")
    return "TqdmWarning" in text or (
        output.get("name") == "stderr"
        and ("thrown while requesting" in text or text.startswith("Retrying in"))
    )


def annotate(notebook, notes):
    """Drop the kernel's environment warnings; put each note after its code cell, once."""
    cells = [cell for cell in notebook.cells if "sklearn-nli-note" not in cell.metadata]
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs if not _environment_noise(out)]
    for anchor, text in notes:
        position = next(
            i for i, cell in enumerate(cells) if cell.cell_type == "code" and anchor in cell.source
        )
        note = nbformat.v4.new_markdown_cell(text)
        note.metadata["sklearn-nli-note"] = True
        cells.insert(position + 1, note)
    notebook.cells = cells
    return notebook


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--label", required=True, help="what the model is, for the readers")
    parser.add_argument("--note", default="", help="a sentence on how to read the results")
    parser.add_argument("--only", default=None, help="run only notebooks whose name contains this")
    parser.add_argument("--notes-only", action="store_true", help="only rewrite the notes")
    args = parser.parse_args()
    notes = json.loads((ROOT / "docs" / "executed" / "notes.json").read_text(encoding="utf-8"))
    if args.notes_only:
        for path in sorted((ROOT / "docs" / "executed").glob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            nbformat.write(annotate(notebook, notes.get(path.name, [])), path)
        return
    os.environ["SKLEARN_NLI_MODEL"] = args.model
    os.environ.pop("SKLEARN_NLI_FAST", None)
    target = ROOT / "docs" / "executed"
    target.mkdir(exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if args.only and args.only not in path.name:
            continue
        notebook = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(
            notebook,
            timeout=3600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        minutes = (time.perf_counter() - start) / 60
        stamp = (
            f"**Outputs from a real run**, {datetime.date.today():%Y-%m-%d}, with {args.label}, "
            f"on a {_machine()}, in {minutes:.1f} minutes. {args.note} To run it yourself, "
            "set `SKLEARN_NLI_MODEL` to your model (the default is `MoritzLaurer/MiniLM-L6-mnli`)."
        )
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell(stamp))
        nbformat.write(annotate(notebook, notes.get(path.name, [])), target / path.name)
        print(f"{path.name}: {minutes:.1f} min", flush=True)


if __name__ == "__main__":
    main()
