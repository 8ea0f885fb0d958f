"""The one settings object: every documented variable read, wrong values told in French, the
README's table written from it, and no other module reading the environment."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_DIR

from settings import PROJECT_DIR as SETTINGS_PROJECT_DIR
from settings import Settings, SettingsError, get_settings, settings_with
from settings.root import env_name, sections
from settings.table import README, configuration_table, effective_values, with_table

# Packages of ours whose modules may not read the environment. rasa_extensions/ runs inside
# Rasa (Python 3.10, without pydantic-settings): it gets its values from credentials.yml,
# which Rasa fills from the environment the runner builds, and reads no variable itself.
PACKAGES = ("bot", "catalog", "actions", "adapters", "scripts", "rasa_extensions")
ENVIRONMENT = {"environ", "environb", "getenv", "getenvb"}
# Writing a variable that a third-party library reads is not reading our settings; each such
# write is listed here, by file and method, and nothing else is allowed.
ALLOWED_WRITES = {
    ("bot/telegram/__main__.py", "setdefault"),  # PTB_TIMEDELTA, python-telegram-bot's switch
}


def environment_reads(source: str, relative: str) -> list[str]:
    """Each place of the module `relative` (its text: `source`) that touches os.environ or
    os.getenv, except the allowed writes."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if ENVIRONMENT & {alias.name for alias in node.names}:
                found.append((node.lineno, "importe os.environ ou os.getenv"))
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            parent = parents.get(node)
            method = parent.attr if isinstance(parent, ast.Attribute) else None
            if (relative, method) not in ALLOWED_WRITES:
                found.append((node.lineno, f"lit os.{node.attr}"))
    return [f"{relative}:{line} {what}" for line, what in sorted(found)]


def test_no_module_outside_the_settings_reads_the_environment():
    found = [
        place
        for package in PACKAGES
        for path in sorted((PROJECT_DIR / package).rglob("*.py"))
        if "node_modules" not in path.parts
        for place in environment_reads(
            path.read_text(encoding="utf-8"), str(path.relative_to(PROJECT_DIR))
        )
    ]
    assert found == [], "lire les réglages par settings.get_settings() :\n" + "\n".join(found)


def test_the_checker_sees_every_way_of_reading_the_environment():
    source = (
        "import os\nfrom os import getenv\n"
        "a = os.environ.get('X')\nb = os.getenv('Y')\nc = dict(os.environ)\n"
        "os.environ.setdefault('Z', '1')\n"
    )
    found = environment_reads(source, "bot/sample.py")
    assert [place.split(" ", 1)[0] for place in found] == [
        f"bot/sample.py:{line}" for line in (2, 3, 4, 5, 6)
    ]
    assert len(environment_reads(source, "bot/telegram/__main__.py")) == 4  # its one write


def test_the_readme_table_is_written_from_the_settings():
    text = README.read_text(encoding="utf-8")
    assert with_table(text) == text, "lancez « qp settings readme » pour récrire le tableau"


def test_every_variable_is_in_the_table_once_with_a_french_description():
    table = configuration_table()
    names = [
        env_name(field)
        for section in sections(Settings).values()
        for field in section.model_fields.values()
        if env_name(field)
    ]
    assert len(names) == len(set(names))
    for name in names:
        rows = [line for line in table.splitlines() if line.startswith(f"| `{name}` |")]
        assert len(rows) == 1, name
    for section in sections(Settings).values():
        for field in section.model_fields.values():
            if env_name(field):
                assert field.description, env_name(field)
                assert " " in field.description, env_name(field)


def test_the_defaults_are_the_documented_ones():
    settings = Settings.from_env({})
    root = SETTINGS_PROJECT_DIR
    assert root == PROJECT_DIR
    assert settings.catalog.database_url == f"sqlite:///{root / 'var' / 'catalog.sqlite'}"
    assert settings.catalog.data_dir == root / "catalog" / "data"
    assert (settings.servers.host, settings.servers.rasa_port) == ("127.0.0.1", 5005)
    assert (settings.servers.action_port, settings.servers.web_port) == (5055, 8080)
    assert settings.servers.ready_timeout == 300
    assert settings.rasa.url == settings.web.rasa_url == "http://127.0.0.1:5005"
    assert settings.tracker.url == f"sqlite:///{root / 'var' / 'tracker.sqlite'}"
    assert "tracker_url" not in type(settings.console).model_fields  # Rasa's API, not its database
    assert settings.console.url == "http://localhost:8080"
    assert settings.actions.max_questions == 4
    assert settings.web.origins == ()
    assert settings.web.demo_territory == "roubaix"
    assert settings.web.public_url == "http://127.0.0.1:8080"  # the fiches' links
    assert settings.retention.fiches_days == 30
    assert settings.telegram.state_db == root / "var" / "telegram.sqlite"
    assert settings.telegram.mode == "polling"
    assert settings.telegram.webhook_port == 8443


def test_every_documented_variable_is_read(tmp_path):
    env = {
        "DATABASE_URL": "postgresql+psycopg://qp@db/qp",
        "QP_CATALOG_DIR": str(tmp_path / "data"),
        "QP_HOST": "0.0.0.0",
        "RASA_PORT": "6005",
        "ACTION_PORT": "6055",
        "WEB_PORT": "9080",
        "QP_LOG_DIR": str(tmp_path / "log"),
        "QP_READY_TIMEOUT": "12.5",
        "QP_ACTION_HOST": "10.0.0.2",
        "QP_SERVER_SECRET": "secret maître",
        "QP_REST_SECRET": "secret rest",
        "QP_WIDGET_SESSION_KEY": "clé widget",
        "QP_TELEGRAM_ID_KEY": "clé telegram",
        "QP_ACTION_TOKEN": "jeton actions",
        "QP_RASA_API_KEY": "clé api rasa",
        "QP_LINK_KEY": "clé liens",
        "QP_WIDGET_SESSIONS_PER_MINUTE": "5",
        "QP_WIDGET_SESSIONS_PER_MINUTE_TOTAL": "50",
        "RASA_BIN": "/opt/rasa/bin/rasa",
        "RASA_MODEL": str(tmp_path / "m.tar.gz"),
        "RASA_URL": "http://rasa.interne:5005/",
        "QP_CORS_ORIGINS": "https://a.fr, https://b.fr/",
        "QP_BASELINE_DIR": str(tmp_path / "stock-rasa"),
        "TRACKER_DB": str(tmp_path / "tracker.sqlite"),
        "QP_TRACKER_URL": "postgresql+psycopg://rasa@db/rasa",
        "QP_EVENT_BROKER": "Pika",
        "QP_EVENT_BROKER_URL": "amqp://qp:mdp@mq:5672/",
        "QP_EVENT_BROKER_QUEUE": "qp_test",
        "QP_MAX_QUESTIONS": "3",
        "QP_WEB_RASA_URL": "https://rasa.ville.fr/",
        "QP_WEB_ORIGINS": "https://www.ville.fr",
        "QP_WEB_DEMO_TERRITORY": "laval",
        "QP_PUBLIC_URL": "https://assistant.ville.fr/",
        "QP_CONSOLE_SECRET": "secret de test",
        "QP_CONSOLE_SESSION_HOURS": "2",
        "QP_CONSOLE_HTTP_LOCAL": "non",
        "QP_CONSOLE_IDLE_MINUTES": "30",
        "QP_RATE_LIMIT_URL": "redis://127.0.0.1:6379/3",
        "QP_SIGNIN_LIMIT_IP": "10",
        "QP_SIGNIN_LIMIT_ACCOUNT": "3",
        "QP_SIGNIN_LIMIT_GLOBAL": "100",
        "QP_CONSOLE_URL": "https://console.ville.fr/",
        "QP_NEW_PASSWORD": " mot de passe ",
        "TELEGRAM_BOT_TOKEN": "1:abc\n",
        "TELEGRAM_TERRITORY": "Arras",
        "TELEGRAM_WEBHOOK_URL": "https://qp.ville.fr/tg",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret",
        "TELEGRAM_WEBHOOK_LISTEN": "0.0.0.0",
        "TELEGRAM_WEBHOOK_PORT": "8444",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9",
        "TELEGRAM_STATE_DB": str(tmp_path / "tg.sqlite"),
        "QP_GEOCODER_URL": "http://127.0.0.1:8999",
        "QP_GEOCODER_TIMEOUT": "0.5",
        "AIDES_TERRITOIRES_API_KEY": "cle",
        "QP_RETENTION_CONVERSATIONS_DAYS": "90",
        "QP_RETENTION_LEADS_DAYS": "180",
        "QP_RETENTION_CORRECTIONS_DAYS": "200",
        "QP_RETENTION_AUDIT_DAYS": "366",
        "QP_RETENTION_TELEGRAM_BUTTONS_DAYS": "7",
        "QP_RETENTION_TELEGRAM_WAITING_DAYS": "2",
        "QP_RETENTION_FICHES_DAYS": "14",
        "QP_LOCK_STORE_URL": "redis://:mot-de-passe@redis.interne:6380/4",
        "QP_LOCK_STORE_PREFIX": "qpprod",
        "QP_LOCK_LIFETIME": "30",
        "QP_CLUSTER_REPLICAS": "3",
        "QP_CLUSTER_RASA_PORT": "7000",
        "QP_CLUSTER_ACTION_PORT": "7100",
        "QP_HAPROXY_BIN": "/usr/sbin/haproxy",
        "QP_SMTP_HOST": "smtp.ville.fr",
        "QP_SMTP_PORT": "465",
        "QP_SMTP_SECURITY": "SSL",
        "QP_SMTP_USER": "assistant",
        "QP_SMTP_PASSWORD": "mot de passe smtp",
        "QP_SMTP_FROM": "Assistant <ne-pas-repondre@ville.fr>",
        "QP_SMTP_TIMEOUT": "4",
        "QP_NOTIFY_TERRITORY_ADDRESSES": "arras=Equipe@arras.fr",
        "QP_METRICS_TOKEN": "jeton métriques",
        "QP_LOG_FORMAT": "TEXT",
    }
    s = Settings.from_env(env)
    assert s.lock_store.endpoint_values() == {
        "QP_LOCK_STORE_TYPE": "redis",
        "QP_LOCK_STORE_HOST": "redis.interne",
        "QP_LOCK_STORE_PORT": "6380",
        "QP_LOCK_STORE_DB": "4",
        "QP_LOCK_STORE_PASSWORD": "mot-de-passe",
        "QP_LOCK_STORE_PREFIX": "qpprod",
    }
    assert s.lock_store.lifetime == 30
    assert (s.cluster.replicas, s.cluster.rasa_port, s.cluster.action_port) == (3, 7000, 7100)
    assert s.cluster.haproxy == "/usr/sbin/haproxy"
    assert s.catalog.database_url == s.console.database_url == env["DATABASE_URL"]
    assert s.catalog.data_dir == tmp_path / "data"
    assert (s.servers.host, s.servers.rasa_port, s.servers.action_port) == ("0.0.0.0", 6005, 6055)
    assert (s.servers.web_port, s.web.port, s.web.host) == (9080, 9080, "0.0.0.0")
    assert s.servers.log_dir == tmp_path / "log"
    assert s.servers.action_host == "10.0.0.2"
    assert s.servers.action_url == "http://10.0.0.2:6055/webhook"
    assert (s.servers.secret, s.servers.rest_secret) == ("secret maître", "secret rest")
    assert (s.servers.widget_session_key, s.servers.telegram_id_key) == (
        "clé widget",
        "clé telegram",
    )
    assert s.servers.action_token == "jeton actions"
    assert (s.servers.rasa_api_key, s.servers.link_key) == ("clé api rasa", "clé liens")
    assert (s.web.sessions_per_minute, s.web.sessions_per_minute_overall) == (5, 50)
    assert s.servers.ready_timeout == 12.5
    assert s.servers.rasa_url == "http://0.0.0.0:6005"
    assert s.rasa.bin == Path("/opt/rasa/bin/rasa")
    assert s.rasa.model == tmp_path / "m.tar.gz"
    assert s.rasa.url == s.console.rasa_url == s.telegram.rasa_url == "http://rasa.interne:5005"
    assert s.rasa.cors_origins == ("https://a.fr", "https://b.fr")
    assert s.rasa.baseline_dir == tmp_path / "stock-rasa"
    assert s.tracker.db == tmp_path / "tracker.sqlite"
    assert s.tracker.url == env["QP_TRACKER_URL"]
    assert (s.event_broker.mode, s.event_broker.queue) == ("pika", "qp_test")
    assert s.event_broker.url == "amqp://qp:mdp@mq:5672/"
    assert s.actions.max_questions == 3
    assert s.web.rasa_url == "https://rasa.ville.fr"
    assert s.web.origins == ("https://www.ville.fr",)
    assert s.web.demo_territory == "laval"
    assert s.web.public_url == "https://assistant.ville.fr"
    assert s.console.secret == "secret de test"
    assert s.console.secure_cookie is True
    assert s.console.session_hours == 2
    assert s.console.idle_minutes == 30
    assert s.console.rate_limit_url == "redis://127.0.0.1:6379/3"
    assert (s.console.signin_per_ip, s.console.signin_per_account) == (10, 3)
    assert s.console.signin_global == 100
    assert s.console.url == "https://console.ville.fr"
    assert s.console.new_password == " mot de passe "  # a password is taken as typed
    t = s.telegram
    assert t.token == "1:abc"
    assert t.territory == "arras"
    assert t.mode == "webhook"
    assert (t.webhook_secret, t.webhook_listen, t.webhook_port) == ("s3cret", "0.0.0.0", 8444)
    assert t.bot_api_url == "http://127.0.0.1:9/bot"
    assert t.state_db == tmp_path / "tg.sqlite"
    assert s.geocoder.url == "http://127.0.0.1:8999"
    assert s.geocoder.timeout == 0.5
    assert s.geocoder.enabled
    assert not Settings.from_env({"QP_GEOCODER_URL": "off"}).geocoder.enabled
    assert s.aides_territoires.api_key == "cle"
    kept = s.retention
    assert (kept.conversations_days, kept.leads_days, kept.corrections_days) == (90, 180, 200)
    assert (kept.audit_days, kept.telegram_buttons_days, kept.telegram_waiting_days) == (366, 7, 2)
    assert kept.fiches_days == 14
    n = s.notify
    assert (n.enabled, n.smtp_host, n.smtp_port, n.smtp_security) == (
        True,
        "smtp.ville.fr",
        465,
        "ssl",
    )
    assert (n.smtp_user, n.smtp_password, n.smtp_timeout) == ("assistant", "mot de passe smtp", 4)
    assert n.smtp_from == "Assistant <ne-pas-repondre@ville.fr>"
    assert n.territory_addresses == {"arras": ("equipe@arras.fr",)}
    assert n.console_url == "https://console.ville.fr"
    assert s.observability.metrics_token == "jeton métriques"
    assert s.observability.log_format == "text"
    shown = dict(effective_values(s))
    assert set(shown) == set(env)
    assert shown["QP_CONSOLE_SECRET"] == shown["TELEGRAM_BOT_TOKEN"] == "(défini)"


def test_the_event_broker_defaults_to_a_file_next_to_the_tracker_store(tmp_path):
    s = Settings.from_env({"TRACKER_DB": str(tmp_path / "tracker.sqlite")})
    assert s.event_broker.mode == "sql"
    assert s.event_broker.url == f"sqlite:///{(tmp_path / 'events.sqlite').resolve()}"
    pika = Settings.from_env({"QP_EVENT_BROKER": "pika"}).event_broker
    assert pika.url == "amqp://guest:guest@127.0.0.1:5672/"
    assert not Settings.from_env({"QP_EVENT_BROKER": "off"}).event_broker.enabled
    with pytest.raises(SettingsError, match="QP_EVENT_BROKER"):
        Settings.from_env({"QP_EVENT_BROKER": "kafka"})


def test_derived_values_follow_the_variables_they_come_from():
    s = Settings.from_env({"QP_HOST": "10.0.0.2", "RASA_PORT": "7005", "WEB_PORT": "7080"})
    assert s.rasa.url == s.web.rasa_url == s.telegram.rasa_url == "http://10.0.0.2:7005"
    assert s.console.url == "http://localhost:7080"
    s = Settings.from_env({"QP_CORS_ORIGINS": "https://a.fr", "TRACKER_DB": "/tmp/t.sqlite"})
    assert s.web.origins == ("https://a.fr",)  # QP_WEB_ORIGINS defaults to QP_CORS_ORIGINS
    assert s.tracker.url == "sqlite:////tmp/t.sqlite"
    assert Settings.from_env({"RASA_PORT": " ", "QP_HOST": ""}).servers.rasa_port == 5005


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RASA_PORT": "abc"}, "RASA_PORT (« abc ») : un nombre entier est attendu"),
        ({"WEB_PORT": "70000"}, "WEB_PORT (« 70000 ») : un numéro de port entre 1 et 65535"),
        ({"QP_READY_TIMEOUT": "vite"}, "QP_READY_TIMEOUT (« vite ») : un nombre est attendu"),
        ({"QP_READY_TIMEOUT": "0"}, "QP_READY_TIMEOUT (« 0 ») : la valeur doit être supérieure"),
        ({"QP_GEOCODER_TIMEOUT": "trois"}, "QP_GEOCODER_TIMEOUT (« trois ») : un nombre"),
        ({"QP_MAX_QUESTIONS": "-1"}, "QP_MAX_QUESTIONS (« -1 ») : la valeur doit être au moins 0"),
        ({"QP_CONSOLE_HTTP_LOCAL": "peut-être"}, "QP_CONSOLE_HTTP_LOCAL (« peut-être »)"),
        ({"QP_WEB_DEMO_TERRITORY": "lyon"}, "« lyon » n'est pas un territoire"),
        ({"TELEGRAM_WEBHOOK_SECRET": "a b"}, "TELEGRAM_WEBHOOK_SECRET : 1 à 256 caractères"),
    ],
)
def test_a_wrong_value_is_told_in_french_with_its_variable(env, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert str(caught.value).startswith("configuration invalide : ")
    assert message in str(caught.value)


def test_every_wrong_variable_is_told_at_once_and_secrets_are_not_shown():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"RASA_PORT": "x", "ACTION_PORT": "y", "TELEGRAM_WEBHOOK_SECRET": "é"})
    lines = str(caught.value).splitlines()
    assert lines[0] == "configuration invalide :"
    assert len(lines) == 4
    assert "é" not in str(caught.value)


def test_the_settings_are_read_once_until_the_cache_is_cleared(monkeypatch):
    monkeypatch.setenv("QP_MAX_QUESTIONS", "4")
    first = get_settings()
    monkeypatch.setenv("QP_MAX_QUESTIONS", "5")
    assert get_settings() is first
    assert first.actions.max_questions == 4
    get_settings.cache_clear()
    assert get_settings().actions.max_questions == 5
    assert settings_with(QP_MAX_QUESTIONS="6").actions.max_questions == 6
    assert Settings().actions.max_questions == 5  # pydantic-settings' own reading, same names


def run(*command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *command],
        input='{"stade": "idee"}',  # for `qp recommend -`
        check=False,
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.mark.parametrize(
    "command",
    [
        ("-m", "bot.cli", "settings", "check"),
        ("-m", "bot.cli", "recommend", "-"),
        ("-m", "bot.web"),
        ("-m", "bot.telegram"),
    ],
)
def test_the_entry_points_refuse_a_wrong_value_without_a_traceback(command):
    result = run(*command, env={"RASA_PORT": "abc", "TELEGRAM_BOT_TOKEN": "1:a"})
    assert result.returncode == 2, result.stderr
    assert "RASA_PORT (« abc ») : un nombre entier est attendu" in result.stderr
    assert "Traceback" not in result.stderr


def test_qp_settings_readme_check_says_whether_the_table_is_current():
    result = run("-m", "bot.cli", "settings", "readme", "--check", env={})
    assert result.returncode == 0, result.stderr
    assert "à jour" in result.stdout


def test_the_lock_store_is_in_memory_unless_given_and_bad_cluster_values_are_told():
    assert Settings.from_env({}).lock_store.endpoint_values()["QP_LOCK_STORE_TYPE"] == "in_memory"
    for env, told in (
        ({"QP_LOCK_STORE_URL": "rediss://h:6379/0"}, "redis://"),
        ({"QP_LOCK_STORE_URL": "redis://h:port/0"}, "port"),
        ({"QP_LOCK_STORE_URL": "redis://h:6379/base"}, "numéro de base"),
        ({"QP_LOCK_STORE_PREFIX": "qp:prod"}, "QP_LOCK_STORE_PREFIX"),
        ({"QP_CLUSTER_RASA_PORT": "5151"}, "chevauchent"),
        ({"QP_CLUSTER_REPLICAS": "0"}, "QP_CLUSTER_REPLICAS"),
    ):
        with pytest.raises(SettingsError) as error:
            Settings.from_env(env)
        assert told in str(error.value), (env, str(error.value))
