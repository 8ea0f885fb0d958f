"""Shared fixtures. Every test uses its own catalogue database, never the developer's var/."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
_tmp = tempfile.mkdtemp(prefix="qp-tests-")
# Unless the developer chose a database, each test process gets its own SQLite file: under
# pytest-xdist every worker imports this module again and must not share the controller's.
if "DATABASE_URL" not in os.environ or os.environ.get("QP_TESTS_OWN_DATABASE") == "1":
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/catalog.sqlite"
    os.environ["QP_TESTS_OWN_DATABASE"] = "1"
os.environ["RASA_TELEMETRY_ENABLED"] = "false"
os.environ.setdefault("QP_CONSOLE_SECRET", "tests-only-console-secret")
# The tests talk plain HTTP to servers on 127.0.0.1: the console's cookie may not be Secure.
os.environ.setdefault("QP_CONSOLE_HTTP_LOCAL", "1")
# bot/keys.py derives the channel secrets from this one (never the developer's var/server-secret)
os.environ.setdefault("QP_SERVER_SECRET", "tests-only-server-secret")
# No test reaches the Base Adresse Nationale: tests that check addresses use tests/fake_ban.py.
os.environ.setdefault("QP_GEOCODER_URL", "off")
QPV_FIXTURE = PROJECT_DIR / "tests" / "fixtures" / "qpv_perimeters_laval_roubaix.geojson"
# Real points of the fixture's perimeters (checked in tests/test_qpv_address.py).
INSIDE_NOUVEAU_ROUBAIX = (3.18912, 50.67322)  # 132 m inside Nouveau Roubaix (QN05981M)
INSIDE_FOURCHES = (-0.78775, 48.06662)  # 74 m inside Les Fourches (QN05301M, Laval)

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
def fake_ban():
    """A local fake of the Base Adresse Nationale (real HTTP), shared by the session, and the
    fixture's QPV perimeters imported into the session's catalogue database."""
    from fake_ban import FakeBan

    from catalog.qpv_perimeters import _cache, read_perimeters, store_perimeters

    store_perimeters(store.make_engine(), read_perimeters(QPV_FIXTURE), QPV_FIXTURE.name)
    _cache.clear()
    with FakeBan() as fake:
        fake.add("12 rue X, 59100 Roubaix", "12 Rue X 59100 Roubaix", *INSIDE_NOUVEAU_ROUBAIX,
                 citycode="59512", postcode="59100", city="Roubaix")  # fmt: skip
        fake.add("3 rue des Fourches 53000 Laval", "3 Rue des Fourches 53000 Laval",
                 *INSIDE_FOURCHES, citycode="53130", postcode="53000", city="Laval")  # fmt: skip
        yield fake


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


ASSISTANT_SMTP = {
    "QP_SMTP_HOST": "127.0.0.1",
    "QP_SMTP_PORT": str(_free_port()),
    "QP_SMTP_SECURITY": "none",
    "QP_SMTP_FROM": "Assistant Quartiers productifs <ne-pas-repondre@exemple.fr>",
    "QP_SMTP_TIMEOUT": "5",
}


@pytest.fixture(scope="session")
def assistant(tmp_path_factory, fake_ban):
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
        QP_TRACKER_URL="",  # the erasure tests check this tracker store
        QP_LOG_DIR=str(tmp / "log"),
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("QP_GEOCODER_URL", fake_ban.base_url)  # the action server's geocoder: the fake
        # The advisors' e-mails are queued for a local SMTP server on this port, which
        # tests/test_operations_e2e.py starts (aiosmtpd) before sending the queue.
        for name, value in ASSISTANT_SMTP.items():
            env.setenv(name, value)
        with Stack(settings, with_web=True) as stack:
            yield stack


def own_catalogue(folder: Path) -> str:
    """A catalogue database of its own for a second assistant a module starts, loaded before
    its processes read it. Each assistant's observatory consumer writes the rows of its own
    event broker into its catalogue, and a replay rebuilds a catalogue's observatory from one
    broker: two assistants sharing a catalogue would mix rows no single broker can rebuild."""
    from catalog.files import read_files

    url = f"sqlite:///{folder / 'catalog.sqlite'}"
    engine = store.make_engine(url)
    store.load(read_files(), engine)
    engine.dispose()
    return url


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
