"""Extract and run the code examples of Markdown pages (the docs and README.md).

- ```` ```python ```` blocks run in order, in one namespace per page, with every
  string literal naming the default model replaced by a tiny local model.
  ```` ```{code-block} python ```` blocks are shown, not run: the way to show
  code that cannot run in a test (a GPU cluster, a download).
- A block captioned with a file name (```` ```{code-block} text ```` with
  ``:caption: news.csv``) is written to that file first, so that the commands
  of a page find the files it shows.
- In ```` ```bash ```` blocks, every ``sklearn-nli ...`` command (alone, or fed
  by ``cat FILE |`` / ``printf ... |``) runs in-process through
  ``sklearn_nli.cli.main``; other commands (``pip install``, ...) are not run.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys

DEFAULT_MODEL = "MoritzLaurer/MiniLM-L6-mnli"

_FENCE = re.compile(
    r"^(?P<fence>`{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S
)
_DEFAULT_MODEL_LITERAL = re.compile(r"""(["'])MoritzLaurer/MiniLM-L6-mnli\1""")


def blocks(text):
    """``(language, options, body)`` of every fenced block of a Markdown text."""
    found = []
    for match in _FENCE.finditer(text):
        info = match.group("info").strip()
        body = match.group("body")
        options = {}
        directive = re.match(r"\{([\w-]+)\}\s*(\S*)", info)
        if directive:
            # A directive (```{code-block} python) is shown, never run.
            language = f"{{{directive.group(1)}}} {directive.group(2)}".strip()
            lines = body.split("\n")
            while lines and re.match(r":[\w-]+:", lines[0]):
                key, _, value = lines.pop(0)[1:].partition(":")
                options[key] = value.strip()
            body = "\n".join(lines).lstrip("\n")
        else:
            language = info.split()[0] if info else ""
        found.append((language, options, body))
    return found


def python_blocks(text):
    return [body for language, _, body in blocks(text) if language == "python"]


def files(text):
    """``{file name: content}`` of the blocks captioned with a file name."""
    out = {}
    for _, options, body in blocks(text):
        caption = options.get("caption", "")
        if re.fullmatch(r"[\w.-]+\.\w+", caption):
            out[caption] = body
    return out


def commands(text):
    """The ``sklearn-nli`` command lines of the bash blocks, continuations joined."""
    found = []
    for language, _, body in blocks(text):
        if language not in ("bash", "sh", "shell", "console"):
            continue
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.split("\n"):
            line = line.strip()
            if line.startswith("$ "):
                line = line[2:]
            if re.search(r"(^|\|\s*)sklearn-nli\s", line):
                found.append(line)
    return found


def with_tiny_model(code, model_path):
    """``code`` with every string literal naming the default model replaced."""
    return _DEFAULT_MODEL_LITERAL.sub(repr(str(model_path)).replace("\\", "\\\\"), code)


def run_python(code, namespace, name):
    """Run one block; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, name, "exec"), namespace)
    return out.getvalue()


def run_command(line, cwd, capsys, monkeypatch):
    """Run one ``[LEFT |] sklearn-nli ARGS`` line in-process; return (status, stdout, stderr)."""
    from sklearn_nli.cli import main

    stdin_text = None
    if "|" in line:
        left, _, right = line.rpartition("|")
        result = subprocess.run(
            ["bash", "-c", left], cwd=cwd, capture_output=True, text=True, check=True
        )
        stdin_text, line = result.stdout, right.strip()
    argv = shlex.split(line)
    assert argv[0] == "sklearn-nli", line
    monkeypatch.chdir(cwd)
    if stdin_text is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin_text))
    capsys.readouterr()
    status = main(argv[1:])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def output_of(argv):
    """The ``-o`` / ``--output`` file named by a command line, or None."""
    argv = shlex.split(argv.rpartition("|")[2])
    for flag in ("-o", "--output"):
        if flag in argv:
            return argv[argv.index(flag) + 1]
    return None
