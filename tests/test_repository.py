"""The repository itself: no large files tracked by git (data, model weights, profiler dumps).

Data sets live outside the repository (``../shared/data/``) and models are
downloaded or built at test time (``sklearn_nli._testing``), so nothing tracked
should come near a megabyte. Skipped only where the tree is not a git checkout
(an unpacked sdist, for instance).
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 1_000_000


def _tracked_files():
    """Paths of the files that git tracks, relative to the repository root."""
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout (no .git): no tracked files to check")
    assert shutil.which("git"), f"{ROOT} is a git checkout but git is not installed"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    assert listed.returncode == 0, f"git ls-files failed: {listed.stderr.decode(errors='replace')}"
    return [name.decode("utf-8", "surrogateescape") for name in listed.stdout.split(b"\0") if name]


def test_no_large_tracked_files():
    tracked = _tracked_files()
    assert tracked, "git ls-files listed nothing"
    # A path deleted in the work tree but still in the index goes with the next commit;
    # a symbolic link is stored as the path it points to.
    paths = {name: ROOT / name for name in tracked}
    sizes = {
        name: path.stat().st_size
        for name, path in paths.items()
        if path.is_file() and not path.is_symlink()
    }
    too_large = {name: size for name, size in sorted(sizes.items()) if size > MAX_BYTES}
    assert not too_large, f"tracked files over {MAX_BYTES:,} bytes:\n" + "\n".join(
        f"  {name}: {size:,} bytes" for name, size in too_large.items()
    )
