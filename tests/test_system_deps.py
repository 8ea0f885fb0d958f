"""scripts/system-deps.sh, the system side of `make test`: what it does when a package is missing
and it may not install it. (The install path itself runs for real on every fresh machine.)"""

import subprocess
from pathlib import Path

from conftest import PROJECT_DIR

SCRIPT = PROJECT_DIR / "scripts" / "system-deps.sh"


def _bin_without_chromium(tmp_path: Path, uid: str) -> Path:
    """A PATH holding the commands the script uses, no chromium, and an `id` that says `uid`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("bash", "head", "ls", "seq", "sleep", "printf", "npm", "pg_isready"):
        found = subprocess.run(
            ["bash", "-c", f"command -v {name}"], capture_output=True, text=True, check=False
        )
        if found.stdout.strip():
            (bin_dir / name).symlink_to(found.stdout.strip())
    fake_id = bin_dir / "id"
    fake_id.write_text(f"#!/bin/sh\necho {uid}\n")
    fake_id.chmod(0o755)
    return bin_dir


def test_a_missing_browser_without_root_is_said_in_one_french_sentence(tmp_path):
    bin_dir = _bin_without_chromium(tmp_path, uid="1000")
    done = subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "il faut être root" in done.stderr
    assert "apt-get install -y chromium" in done.stderr


def test_a_missing_browser_without_apt_says_so(tmp_path):
    bin_dir = _bin_without_chromium(tmp_path, uid="0")
    done = subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "n'a pas apt-get" in done.stderr
