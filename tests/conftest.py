"""Shared fixtures. Every test uses its own catalogue database, never the developer's var/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
_tmp = tempfile.mkdtemp(prefix="qp-tests-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/catalog.sqlite")
os.environ["RASA_TELEMETRY_ENABLED"] = "false"

from catalog.engine import open_catalog  # noqa: E402  (after DATABASE_URL is set)
from catalog.profile import parse_profile  # noqa: E402


@pytest.fixture(scope="session")
def catalog():
    return open_catalog()


@pytest.fixture
def profile():
    return lambda **values: parse_profile(values)
