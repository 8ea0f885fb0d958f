"""Shared fixtures. Every test uses its own catalogue database, never the developer's var/."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
_tmp = tempfile.mkdtemp(prefix="qp-tests-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/catalog.sqlite")
os.environ["RASA_TELEMETRY_ENABLED"] = "false"
os.environ.setdefault("QP_CONSOLE_SECRET", "tests-only-console-secret")
# The tests talk plain HTTP to servers on 127.0.0.1: the console's cookie may not be Secure.
os.environ.setdefault("QP_CONSOLE_HTTP_LOCAL", "1")

from catalog import store  # noqa: E402  (after DATABASE_URL is set)
from catalog.engine import Catalog  # noqa: E402
from catalog.files import read_files  # noqa: E402
from catalog.profile import parse_profile  # noqa: E402

# The machine's PostgreSQL (trust authentication); each test session gets its own database.
POSTGRES_ADMIN_URL = os.environ.get(
    "QP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _sqlite(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/catalog.sqlite"


def _postgresql(tmp_path_factory) -> str:
    from sqlalchemy import create_engine, text

    name = f"qp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    _created_databases.append((admin, name))
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


_created_databases: list = []
DATABASES = [pytest.param(_sqlite, id="sqlite"), pytest.param(_postgresql, id="postgresql")]


def pytest_sessionfinish(session, exitstatus):
    from sqlalchemy import text

    for admin, name in _created_databases:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test reads the environment as it sets it: the process's settings (cached by
    `get_settings`) are read again after any change a test makes with monkeypatch."""
    from settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory):
    """The running assistant (action server, Rasa server, web server, as `make run` starts
    them), shared by every end-to-end module: each Rasa start loads TensorFlow, spaCy and the
    model, about a minute on two cores. Modules keep apart by their own sender ids; the
    conversations share one SQLite tracker store, the catalogue is the session's DATABASE_URL."""
    from bot.runner import Stack, free_port
    from catalog.engine import open_catalog
    from settings import settings_with

    open_catalog()  # loads the catalogue database before three processes read it
    tmp = tmp_path_factory.mktemp("assistant")
    settings = settings_with(
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        TRACKER_DB=str(tmp / "tracker.sqlite"),
        QP_TRACKER_URL="",  # the console and the erasure read this tracker store
        QP_LOG_DIR=str(tmp / "log"),
    )
    with Stack(settings, with_web=True) as stack:
        yield stack


@pytest.fixture(scope="session")
def app_catalog():
    """The catalogue as the running assistant sees it (DATABASE_URL), for end-to-end tests."""
    from catalog.engine import open_catalog

    return open_catalog()


@pytest.fixture(scope="session", params=DATABASES)
def catalog(request, tmp_path_factory):
    """The shipped catalogue, loaded into SQLite and into PostgreSQL, read back from each."""
    engine = store.make_engine(request.param(tmp_path_factory))
    store.load(read_files(), engine)
    loaded = Catalog(store.read(engine))
    engine.dispose()
    return loaded


@pytest.fixture
def profile():
    return lambda **values: parse_profile(values)
