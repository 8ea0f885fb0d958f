"""What operators see (bot/metrics.py, bot/logs.py, bot/web/observe.py): who may read
/metrics, the turn counter, JSON log lines with a request id and without contact details, and
the real web server (child process, real HTTP) probing a local fake Rasa. The action server's
metrics after real conversations are checked in tests/test_operations_e2e.py."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import httpx
import pytest
from fake_rasa import FakeRasa

from bot import logs, metrics
from bot.runner import free_port
from bot.web.process import WebServer
from settings import PROJECT_DIR, WebSettings


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a Prometheus text exposition, or None."""
    wanted = name + (
        "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""
    )
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        key, value = line.rsplit(" ", 1)
        if key.startswith(name + "{"):
            inside = key[len(name) + 1 : -1]
            parts = sorted(part for part in inside.split(",") if part)
            key = name + "{" + ",".join(parts) + "}"
        if key == wanted:
            return float(value)
    return None


@pytest.mark.parametrize(
    ("client", "headers", "expected"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("10.0.0.5", {}, False),
        ("127.0.0.1", {"x-forwarded-for": "203.0.113.9"}, False),  # through a proxy
        ("10.0.0.5", {"authorization": "Bearer jeton-de-test"}, True),
        ("10.0.0.5", {"authorization": "Bearer autre"}, False),
    ],
)
def test_who_may_read_the_metrics(client, headers, expected):
    assert metrics.allowed(client, headers, "jeton-de-test") is expected
    if "authorization" in headers:
        assert metrics.allowed(client, headers, "") is False  # no token set: none accepted


def test_each_message_counts_once_by_channel():
    counter = metrics.TurnCounter(size=2)
    before = metrics.TURNS.labels(channel="telegram")._value.get()
    events = [
        {"event": "user", "timestamp": 1.0, "input_channel": "telegram"},
        {"event": "action", "timestamp": 1.1, "name": "action_x"},
        {"event": "user", "timestamp": 2.0, "input_channel": "telegram"},
    ]
    assert counter.count("a", events) == 2
    assert counter.count("a", events) == 0  # the same tracker sent again for the next action
    assert counter.count("a", [*events, {"event": "user", "timestamp": 3.0}]) == 1
    assert metrics.TURNS.labels(channel="telegram")._value.get() == before + 2
    counter.count("b", events)
    counter.count("c", events)
    assert list(counter.last) == ["b", "c"]  # bounded memory


def test_log_lines_are_json_with_the_request_id_and_no_contact_details():
    out = io.StringIO()
    made = logs.handler("json")
    made.stream = out
    logger = logging.getLogger("qp.test.logs")
    logger.handlers[:] = [made]
    logger.propagate = False
    token = logs.set_request_id("req-1234abcd")
    try:
        logger.warning("message de %s au %s", "marie.dupont@exemple.fr", "06 12 34 56 78")
        try:
            raise ValueError("marie.dupont@exemple.fr")
        except ValueError:
            logger.exception("échec")
    finally:
        logs.reset_request_id(token)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert set(logs.FIELDS) <= set(lines[0])
    assert lines[0]["request_id"] == "req-1234abcd"
    assert lines[0]["level"] == "WARNING"
    assert lines[0]["logger"] == "qp.test.logs"
    assert "adresse e-mail masquée" in lines[0]["message"]
    assert lines[1]["exception"] == "ValueError"
    text = out.getvalue()
    assert "marie.dupont" not in text
    assert "06 12 34 56 78" not in text


def test_an_exception_that_ends_a_server_is_one_json_line_without_its_text():
    """Python printed an uncaught exception as a multi-line traceback between the JSON lines
    (the action server, stopped while Sanic's manager synced its workers: BrokenPipeError)."""
    crash = (
        "from bot import logs\n"
        "logs.configure('json')\n"
        "def sync():\n"
        "    raise BrokenPipeError('marie.dupont@exemple.fr')\n"
        "sync()\n"
    )
    ended = subprocess.run(
        [sys.executable, "-c", crash],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ended.returncode == 1  # still a failure for whoever started the process
    lines = [json.loads(line) for line in ended.stderr.splitlines() if line.strip()]
    assert [(line["level"], line["exception"]) for line in lines] == [
        ("CRITICAL", "BrokenPipeError")
    ]
    assert any(place.endswith(" sync") for place in lines[0]["where"])
    assert "marie.dupont" not in ended.stderr


def test_request_ids_are_kept_only_when_they_are_plain_tokens():
    assert logs.accept_request_id("abc-123_def.9") == "abc-123_def.9"
    for bad in (None, "", "court", "marie@exemple.fr", "x" * 65, "a b c d e f g h"):
        assert logs.accept_request_id(bad) != bad
        assert len(logs.accept_request_id(bad)) == 32


@pytest.fixture
def web(tmp_path, monkeypatch):
    fake = FakeRasa().up()
    monkeypatch.setenv("RASA_URL", fake.url)
    monkeypatch.setenv("QP_METRICS_TOKEN", "jeton-de-test")
    monkeypatch.setenv("QP_LOG_FORMAT", "json")
    settings = WebSettings(
        host="127.0.0.1",
        port=free_port(),
        rasa_url="http://127.0.0.1:9",
        origins=(),
        demo_territory="roubaix",
    )
    log = tmp_path / "web.log"
    try:
        with WebServer(settings, log) as server:
            yield server.url, fake, log
    finally:
        fake.down()


def test_the_web_server_exposes_its_requests_and_rasas_health(web):
    url, fake, log = web
    answer = httpx.get(f"{url}/health", headers={"X-Request-ID": "sonde-0001"})
    assert answer.headers["x-request-id"] == "sonde-0001"
    assert httpx.get(f"{url}/console/connexion").headers["x-request-id"]
    scraped = httpx.get(f"{url}/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert sample(text, "qp_rasa_up") == 1.0
    assert sample(text, "qp_rasa_probe_seconds") is not None
    assert sample(text, "qp_web_requests_total", route="/health", status="200") >= 1
    assert sample(text, "qp_web_requests_total", route="/console", status="200") >= 1
    assert sample(text, "qp_web_request_duration_seconds_count", route="/health") >= 1
    # Rasa stopped: the probe says so.
    fake.down()
    assert sample(httpx.get(f"{url}/metrics").text, "qp_rasa_up") == 0.0
    # Through a proxy: only with the token.
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    assert httpx.get(f"{url}/metrics", headers=proxied).status_code == 403
    with_token = {**proxied, "Authorization": "Bearer jeton-de-test"}
    assert httpx.get(f"{url}/metrics", headers=with_token).status_code == 200
    # Every line the server wrote is a JSON object with the five fields.
    written = [line for line in log.read_text().splitlines() if line.strip()]
    assert written
    for line in written:
        assert set(logs.FIELDS) <= set(json.loads(line)), line


async def test_an_action_that_raises_is_counted_and_answers_in_french(caplog):
    """bot/action_server.py: an action raising inside the action server increments
    qp_action_errors_total{action,exception} and the person gets the French fallback text,
    with no event changing the conversation; the log names the action and the error's type,
    not what the tracker holds."""
    from rasa_sdk import Action

    from bot.action_server import ACTION_FAILED_TEXT, AnsweringExecutor

    class CatalogueLockedError(RuntimeError):
        pass

    class Broken(Action):
        def name(self) -> str:
            return "action_en_panne"

        async def run(self, dispatcher, tracker, domain):
            raise CatalogueLockedError("database is locked: marie.dupont@exemple.fr")

    executor = AnsweringExecutor()
    executor.register_action(Broken())
    labels = {"action": "action_en_panne", "exception": "CatalogueLockedError"}

    def errors() -> float:
        return sample(metrics.exposition()[0].decode(), "qp_action_errors_total", **labels) or 0

    before = errors()
    call = {
        "next_action": "action_en_panne",
        "sender_id": "erreur-1",
        "tracker": {
            "sender_id": "erreur-1",
            "slots": {},
            "latest_message": {"text": "bonjour, je suis marie.dupont@exemple.fr"},
            "events": [{"event": "user", "timestamp": 1.0, "text": "bonjour"}],
        },
        "domain": {},
    }
    with caplog.at_level(logging.ERROR, logger="bot.action_server"):
        result = await executor.run(call)
    assert result.events == []
    assert result.responses == [
        {
            **result.responses[0],
            "text": ACTION_FAILED_TEXT,
        }
    ]
    assert "Un problème technique" in ACTION_FAILED_TEXT
    assert errors() == before + 1
    [logged] = [r.getMessage() for r in caplog.records if r.name == "bot.action_server"]
    assert logged == "action action_en_panne failed (CatalogueLockedError)"
    await executor.run(call)
    assert errors() == before + 2
