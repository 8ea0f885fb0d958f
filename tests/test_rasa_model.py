"""The Rasa side, run by the Rasa runtime itself: data validation and test stories.

These tests call the `rasa` command of .venv-rasa (the only place Rasa lives) on the trained
model `make train` produced.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import PROJECT_DIR

RASA = PROJECT_DIR / ".venv-rasa" / "bin" / "rasa"
MODEL = PROJECT_DIR / "models" / "assistant.tar.gz"
ENV = {
    **os.environ,
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
}

pytestmark = pytest.mark.rasa


def rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    assert RASA.exists(), "Rasa n'est pas installé : lancez « make setup »."
    return subprocess.run(
        [str(RASA), *args],
        cwd=PROJECT_DIR,
        env=ENV,
        capture_output=True,
        check=False,
        text=True,
        timeout=timeout,
    )


def test_training_data_validate_without_any_warning():
    result = rasa("data", "validate", "--fail-on-warnings")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [line for line in output.splitlines() if "UserWarning" in line]
    assert warnings == []


def test_test_stories_pass_without_a_single_prediction_error(tmp_path):
    assert MODEL.exists(), "Modèle absent : lancez « make train »."
    result = rasa(
        "test",
        "core",
        "--model",
        str(MODEL),
        "--stories",
        "tests/test_stories.yml",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
        "--no-plot",
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
