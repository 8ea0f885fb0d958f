"""End to end, on the shared assistant (real action, Rasa and web servers): a contact request
made in a real conversation produces exactly one e-mail at a local SMTP server (aiosmtpd) with
no contact details; /metrics of the action server and of the web server show the turns, the
actions' latencies, the fallback, the lead and Rasa's health; every log line of our servers is
a JSON object, and no log file of any process holds the e-mail or the phone number typed in
the conversation."""

from __future__ import annotations

import email
import email.policy
import json

import httpx
import pytest
from aiosmtpd.controller import Controller
from conftest import ASSISTANT_SMTP
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_observability import sample

from adapters.smtp import SmtpMailer
from bot import logs
from bot.keys import rest_headers
from catalog import notify
from catalog.accounts import create_account
from catalog.files import read_files
from catalog.leads import database, leads_of
from catalog.models import Account
from settings import get_settings

pytestmark = pytest.mark.rasa

SENDER = "e2e-operations"
ADVISOR = "conseillere.operations@roubaix.example"
PERSON_EMAIL = "camille.martin@exemple.fr"
PERSON_PHONE = "06 11 22 33 44"


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def say(assistant, text: str) -> str:
    response = httpx.post(
        f"{assistant.settings.servers.rasa_url}/webhooks/rest/webhook",
        json={"sender": SENDER, "message": text},
        headers={**rest_headers(), logs.HEADER: "e2e-operations-1"},
        timeout=120,
    )
    response.raise_for_status()
    return "\n".join(m.get("text", "") for m in response.json())


def scrape(url: str) -> str:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


@pytest.fixture(scope="module")
def conversation(assistant):
    """An advisor of Roubaix, then a conversation that leaves a contact request."""
    with Session(database()) as session, session.begin():
        if session.scalar(select(Account.id).where(Account.email == ADVISOR)) is None:
            territories = {t["id"] for t in read_files().territories}
            create_account(
                session, ADVISOR, "Conseillère", "mot-de-passe-de-test", "conseiller", "roubaix",
                territories,
            )  # fmt: skip
    said = [say(assistant, "Bonjour")]
    said.append(say(assistant, "??"))  # not understood: the fallback
    said.append(say(assistant, "je voudrais parler à un conseiller"))
    said.append(say(assistant, "Roubaix"))
    said.append(say(assistant, "oui"))
    said.append(say(assistant, PERSON_EMAIL))
    said.append(say(assistant, f"mon numéro est le {PERSON_PHONE}"))
    return said


def test_a_contact_request_sends_one_email_without_contact_details(conversation):
    assert "reformuler" in conversation[1], conversation
    assert "conseillers de Roubaix" in conversation[5], conversation
    [lead] = leads_of(SENDER)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=int(ASSISTANT_SMTP["QP_SMTP_PORT"]))
    controller.start()
    try:
        settings = get_settings().notify
        assert settings.enabled
        notify.send_pending(database(), SmtpMailer(settings))
    finally:
        controller.stop()
    ours = [
        (to, message)
        for to, message in inbox.received
        if f"demande n° {lead.id}," in message.get_content()
    ]
    assert len(ours) == 1
    to, message = ours[0]
    assert ADVISOR in to
    assert message["Subject"] == "Nouvelle demande de contact — Roubaix"
    said = message.as_string() + message.get_content()
    for personal in (PERSON_EMAIL, "camille", PERSON_PHONE, "0611223344", SENDER):
        assert personal not in said


def test_metrics_show_turns_latencies_fallbacks_leads_and_rasas_health(assistant, conversation):
    servers = assistant.settings.servers
    actions = scrape(servers.action_url.removesuffix("/webhook") + "/metrics")
    assert sample(actions, "qp_turns_total", channel="rest") >= len(conversation)
    for action in ("action_enregistrer_demande", "validate_handoff_form", "action_reformuler"):
        assert sample(actions, "qp_action_duration_seconds_count", action=action) >= 1, action
        assert sample(actions, "qp_action_duration_seconds_bucket", action=action, le="+Inf") >= 1
    assert sample(actions, "qp_fallbacks_total", action="action_reformuler") >= 1
    assert sample(actions, "qp_leads_created_total", channel="rest", territory="roubaix") >= 1
    assert "# TYPE qp_action_errors_total counter" in actions
    web = scrape(f"http://{servers.host}:{servers.web_port}/metrics")
    assert sample(web, "qp_rasa_up") == 1.0
    assert sample(web, "qp_rasa_probe_seconds") > 0


def test_logs_are_json_lines_without_the_persons_details(assistant, conversation):
    log_dir = assistant.settings.servers.log_dir
    for name in ("actions.log", "web.log"):
        lines = [line for line in (log_dir / name).read_text().splitlines() if line.strip()]
        assert lines, name
        for line in lines:
            record = json.loads(line)
            assert set(logs.FIELDS) <= set(record), line
    for path in log_dir.iterdir():
        text = path.read_text(errors="replace")
        for personal in (PERSON_EMAIL, PERSON_PHONE, "0611223344"):
            assert personal not in text, path.name
