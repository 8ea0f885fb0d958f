"""Running a probe inside the Rasa runtime (.venv-rasa, Python 3.10), from the tests: the probe
prints one JSON line last, which is returned."""

from __future__ import annotations

import json
import os
import subprocess

from settings import PROJECT_DIR


def in_rasa_runtime(code: str, *args: str) -> object:
    python = PROJECT_DIR / ".venv-rasa" / "bin" / "python"
    assert python.exists(), "Rasa n'est pas installé : lancez « make setup »."
    result = subprocess.run(
        [str(python), "-c", code, *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
