"""The console's sign-in and sessions under attack (issue 18, findings 5, 8 and 11), over real
HTTP against the web server, with a clock the tests control:

- finding 5: sign-in limits per client address, per account and for the whole console, counted
  before any password hash, shared by every process (SQLite, PostgreSQL, Redis), exact under
  concurrency; refusals counted in the audit log instead of flooding the journal;
- finding 8: sessions kept on the server (signing out or a password change ends a copied
  cookie), an absolute lifetime and an idle timeout, a Secure cookie by default;
- finding 11: signing out always ends the session; a password of the CLI can always sign in.
"""

from __future__ import annotations

import html
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from argon2 import PasswordHasher
from conftest import DATABASES
from console_harness import (
    ADMIN,
    ROUBAIX,
    Clock,
    ConsoleServer,
    create_people,
    form_token,
    signed_in,
    try_sign_in,
)
from sqlalchemy import select
from test_cli import qp

from bot.console.db import session
from bot.runner import free_port
from bot.web.process import WebServer
from catalog import accounts
from catalog.accounts import set_password
from catalog.models import AuditEntry, ConsoleSession, RateLimitCounter
from settings import ConsoleSettings, Settings, SettingsError, WebSettings
from settings.sections import utc_now

WRONG = "pas-le-bon-mot-de-passe"


@pytest.fixture(params=DATABASES)
def database(request, tmp_path_factory):
    url = request.param(tmp_path_factory)
    create_people(url)
    return url


def settings_for(database_url: str, clock: Clock, **changes) -> ConsoleSettings:
    base = ConsoleSettings(
        database_url=database_url,
        rasa_url="http://127.0.0.1:9",
        secret=f"secret-{uuid.uuid4().hex}",
        http_local=True,
        rate_limit_url="",
        clock=clock,
    )
    return base.model_copy(update=changes)


def audit(database_url: str, action: str) -> list[AuditEntry]:
    with session(database_url) as db:
        entries = list(
            db.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        db.expunge_all()
        return entries


def goes_to_sign_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith(
        "/console/connexion"
    )


def copy_of(client: httpx.Client) -> httpx.Client:
    """Another browser holding a copy of the session cookie."""
    stolen = httpx.Client(base_url=str(client.base_url), timeout=60)
    for cookie in client.cookies.jar:
        stolen.cookies.set(cookie.name, cookie.value, domain=cookie.domain, path=cookie.path)
    return stolen


# --- Finding 8: server-side sessions ------------------------------------------------------


def test_finding_8_signing_out_ends_a_copied_session_cookie(database):
    clock = Clock()
    with ConsoleServer(settings_for(database, clock)) as server:
        client = signed_in(server.url, ROUBAIX)
        stolen = copy_of(client)
        assert stolen.get("/console/").status_code == 200
        token = form_token(client.get("/console/").text)
        out = client.post("/console/deconnexion", data={"csrf": token})
        assert goes_to_sign_in(out)
        assert "Vous êtes déconnecté(e)." in html.unescape(client.get("/console/connexion").text)
        assert goes_to_sign_in(stolen.get("/console/"))
        assert goes_to_sign_in(client.get("/console/"))
        with session(database) as db:
            assert db.scalar(select(ConsoleSession.id)) is None
        assert audit(database, "deconnexion")[-1].account_email == ROUBAIX.email


def test_finding_8_a_password_change_ends_every_open_session(database):
    clock = Clock()
    with ConsoleServer(settings_for(database, clock)) as server:
        first, second = signed_in(server.url, ADMIN), signed_in(server.url, ADMIN)
        stolen = copy_of(first)
        assert first.get("/console/journal").status_code == 200
        with session(database) as db:
            set_password(db, ADMIN.email, ADMIN.password)  # even to the same password
        for client in (first, second, stolen):
            response = client.get("/console/journal")
            assert goes_to_sign_in(response)
        notice = html.unescape(first.get("/console/connexion").text)
        assert "Votre session a pris fin : veuillez vous reconnecter." in notice
        assert signed_in(server.url, ADMIN).get("/console/journal").status_code == 200


def test_finding_8_a_session_lasts_eight_hours_at_most_even_when_used(database):
    clock = Clock()
    with ConsoleServer(settings_for(database, clock, session_hours=8)) as server:
        client = signed_in(server.url, ROUBAIX)
        for _ in range(15):  # a request every 30 minutes: never idle
            clock.advance(minutes=30)
            assert client.get("/console/").status_code == 200
        clock.advance(minutes=29)  # 7 h 59 after signing in
        assert client.get("/console/").status_code == 200
        clock.advance(minutes=1)  # 8 h
        assert goes_to_sign_in(client.get("/console/"))
        with session(database) as db:
            assert db.scalar(select(ConsoleSession.id)) is None


def test_finding_8_a_session_ends_after_an_hour_without_request(database):
    clock = Clock()
    with ConsoleServer(settings_for(database, clock, idle_minutes=60)) as server:
        client = signed_in(server.url, ROUBAIX)
        clock.advance(minutes=59)
        assert client.get("/console/").status_code == 200
        clock.advance(minutes=59)  # 59 minutes since the last request
        assert client.get("/console/").status_code == 200
        clock.advance(minutes=60)
        assert goes_to_sign_in(client.get("/console/"))


def test_finding_8_the_session_cookie_is_secure_by_default(database):
    assert Settings.from_env({}).console.secure_cookie is True
    clock = Clock()
    with ConsoleServer(settings_for(database, clock, http_local=False)) as server:
        response = httpx.get(f"{server.url}/console/connexion")
        cookie = response.headers["set-cookie"].lower()
        assert "secure" in cookie
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "Mode développement" not in html.unescape(response.text)
    # Plain HTTP only when asked, only on this machine, and the pages say so.
    local = {"QP_CONSOLE_HTTP_LOCAL": "1", "QP_HOST": "127.0.0.1"}
    assert Settings.from_env(local).console.secure_cookie is False
    with pytest.raises(SettingsError, match="n'est permis que pour un serveur"):
        Settings.from_env({**local, "QP_HOST": "0.0.0.0"})
    with ConsoleServer(settings_for(database, clock, http_local=True)) as server:
        response = httpx.get(f"{server.url}/console/connexion")
        assert "secure" not in response.headers["set-cookie"].lower()
        assert "Mode développement : la console est servie en HTTP" in html.unescape(response.text)


# --- Finding 11 (console parts): signing out, password lengths ------------------------------


def test_finding_11_signing_out_with_an_expired_form_token_still_ends_the_session(database):
    clock = Clock()
    with ConsoleServer(settings_for(database, clock)) as server:
        client = signed_in(server.url, ROUBAIX)
        stolen = copy_of(client)
        out = client.post("/console/deconnexion", data={"csrf": "jeton-expire"})
        assert goes_to_sign_in(out)
        assert goes_to_sign_in(client.get("/console/"))
        assert goes_to_sign_in(stolen.get("/console/"))


def test_finding_11_every_password_the_cli_accepts_can_sign_in(database, monkeypatch):
    longest = "é" * accounts.MAX_PASSWORD_LENGTH
    monkeypatch.setenv("DATABASE_URL", database)
    too_long = qp(
        "console",
        "add-account",
        "long@roubaix.example",
        "--territoire",
        "roubaix",
        stdin="x" * (accounts.MAX_PASSWORD_LENGTH + 1) + "\n",
    )
    assert too_long.returncode == 1
    assert "Traceback" not in too_long.stderr
    assert "mot de passe trop long (256 caractères au plus" in too_long.stderr
    created = qp(
        "console",
        "add-account",
        "long@roubaix.example",
        "--territoire",
        "roubaix",
        env={"QP_NEW_PASSWORD": longest},
    )
    assert created.returncode == 0, created.stderr
    clock = Clock()
    with ConsoleServer(settings_for(database, clock)) as server:
        assert try_sign_in(server.url, "long@roubaix.example", longest).status_code == 303
        refused = try_sign_in(server.url, "long@roubaix.example", longest + "é")
        assert refused.status_code == 401


# --- Finding 5: sign-in limits ---------------------------------------------------------------


@pytest.fixture
def hashes(monkeypatch):
    """How many Argon2 verifications the sign-in pages run (the real hasher, counted)."""
    calls = []

    class Counted(PasswordHasher):
        def verify(self, *args, **kwargs):
            calls.append(1)
            return super().verify(*args, **kwargs)

    monkeypatch.setattr(accounts, "_hasher", Counted())
    return calls


def test_finding_5_sign_in_is_limited_per_address_before_any_hash(database, hashes):
    clock = Clock()
    settings = settings_for(database, clock, signin_per_ip=3, signin_per_account=100)
    with ConsoleServer(settings) as server:
        for number in range(3):
            email = f"inconnu{number}@exemple.fr"
            assert try_sign_in(server.url, email, WRONG, "203.0.113.7").status_code == 401
        assert len(hashes) == 3
        refused = try_sign_in(server.url, ROUBAIX.email, ROUBAIX.password, "203.0.113.7")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "900"
        assert (
            "Trop de tentatives de connexion depuis votre adresse : par sécurité, veuillez "
            "patienter 15 minutes avant de réessayer." in html.unescape(refused.text)
        )
        assert len(hashes) == 3  # refused before the password was looked at
        # Another address is not affected; an IPv6 /64 counts as one address.
        assert (
            try_sign_in(server.url, ROUBAIX.email, ROUBAIX.password, "198.51.100.1").status_code
            == 303
        )
        for suffix in ("1", "2", "3"):
            assert (
                try_sign_in(server.url, "x@y.fr", WRONG, f"2001:db8:1:2::{suffix}").status_code
                == 401
            )
        assert try_sign_in(server.url, "x@y.fr", WRONG, "2001:db8:1:2:ffff::9").status_code == 429
        # A quarter of an hour later the address may try again.
        clock.advance(minutes=15)
        assert (
            try_sign_in(server.url, ROUBAIX.email, ROUBAIX.password, "203.0.113.7").status_code
            == 303
        )
    with session(database) as db:
        keys = list(db.scalars(select(RateLimitCounter.key)))
    assert keys
    assert not [k for k in keys if "203.0.113.7" in k or "inconnu" in k]


def test_finding_5_an_account_is_protected_from_many_addresses(database, hashes):
    clock = Clock()
    settings = settings_for(database, clock, signin_per_ip=100, signin_per_account=5)
    with ConsoleServer(settings) as server:
        for number in range(5):
            assert (
                try_sign_in(server.url, ROUBAIX.email, WRONG, f"192.0.2.{number}").status_code
                == 401
            )
        refused = try_sign_in(server.url, ROUBAIX.email, ROUBAIX.password, "192.0.2.77")
        assert refused.status_code == 429
        assert "pour cette adresse e-mail" in html.unescape(refused.text)
        assert len(hashes) == 5
        clock.advance(minutes=15)
        assert (
            try_sign_in(server.url, ROUBAIX.email, ROUBAIX.password, "192.0.2.77").status_code
            == 303
        )
        # A success clears the account's counter.
        for _ in range(4):
            try_sign_in(server.url, ROUBAIX.email, WRONG, "192.0.2.78")
        assert (
            try_sign_in(server.url, ROUBAIX.email, ROUBAIX.password, "192.0.2.79").status_code
            == 303
        )
        assert try_sign_in(server.url, ROUBAIX.email, WRONG, "192.0.2.80").status_code == 401


def test_finding_5_the_whole_console_has_a_limit(database, hashes):
    clock = Clock()
    settings = settings_for(
        database, clock, signin_per_ip=100, signin_per_account=100, signin_global=6
    )
    with ConsoleServer(settings) as server:
        for number in range(6):
            response = try_sign_in(server.url, f"a{number}@b.fr", WRONG, f"10.9.8.{number}")
            assert response.status_code == 401
        refused = try_sign_in(server.url, ROUBAIX.email, ROUBAIX.password, "10.9.8.100")
        assert refused.status_code == 429
        assert "sur la console en ce moment" in html.unescape(refused.text)
        assert len(hashes) == 6
        # Refused attempts leave no counter behind (bounded storage).
        with session(database) as db:
            before = len(list(db.scalars(select(RateLimitCounter.key))))
        for number in range(20):
            try_sign_in(server.url, f"z{number}@b.fr", WRONG, f"10.7.7.{number}")
        with session(database) as db:
            assert len(list(db.scalars(select(RateLimitCounter.key)))) == before


def test_finding_5_concurrent_attempts_cannot_exceed_the_limit(database):
    clock = Clock()
    settings = settings_for(database, clock, signin_per_ip=1000, signin_per_account=5)
    with ConsoleServer(settings) as server:

        def attempt(number: int) -> int:
            return try_sign_in(server.url, ROUBAIX.email, WRONG, f"172.16.0.{number}").status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = sorted(pool.map(attempt, range(24)))
    assert codes == [401] * 5 + [429] * 19


def test_finding_5_the_limits_are_shared_by_every_process(database, tmp_path, monkeypatch):
    """The same limit counted by a web server in another process and by this one."""
    monkeypatch.setenv("QP_SIGNIN_LIMIT_IP", "4")
    monkeypatch.setenv("DATABASE_URL", database)
    other = WebSettings(host="127.0.0.1", port=free_port(), rasa_url="http://127.0.0.1:9")
    # Both processes count on the real time here (the other one has no test clock).
    here = settings_for(database, utc_now, secret=os.environ["QP_CONSOLE_SECRET"], signin_per_ip=4)
    with WebServer(other, tmp_path / "web.log") as there, ConsoleServer(here) as server:
        for url in (there.url, server.url, there.url, server.url):
            assert try_sign_in(url, "qui@exemple.fr", WRONG, "203.0.113.50").status_code == 401
        for url in (there.url, server.url):
            assert (
                try_sign_in(url, ROUBAIX.email, ROUBAIX.password, "203.0.113.50").status_code == 429
            )


def test_finding_5_limits_in_redis_when_configured(database):
    import redis

    clock = Clock()
    settings = settings_for(
        database,
        clock,
        rate_limit_url="redis://127.0.0.1:6379/0",
        signin_per_ip=2,
        signin_per_account=100,
    )
    with ConsoleServer(settings) as server:
        for _ in range(2):
            assert try_sign_in(server.url, "r@exemple.fr", WRONG, "203.0.113.99").status_code == 401
        assert (
            try_sign_in(server.url, ROUBAIX.email, ROUBAIX.password, "203.0.113.99").status_code
            == 429
        )
        assert (
            try_sign_in(server.url, ROUBAIX.email, ROUBAIX.password, "203.0.113.98").status_code
            == 303
        )
    with session(database) as db:
        assert db.scalar(select(RateLimitCounter.key)) is None  # nothing counted in the database
    keys = redis.Redis.from_url("redis://127.0.0.1:6379/0").keys("*connexion-ip*")
    assert keys
    assert all(0 < redis.Redis.from_url("redis://127.0.0.1:6379/0").ttl(k) <= 900 for k in keys)


def test_finding_5_refused_sign_ins_do_not_flood_the_journal(database):
    clock = Clock()
    settings = settings_for(database, clock, signin_per_ip=1000, signin_per_account=1000)
    with ConsoleServer(settings) as server:
        admin = signed_in(server.url, ADMIN)
        admin.get("/console/demandes")  # a real entry: « lecture_demandes »
        for number in range(40):
            try_sign_in(server.url, f"bot{number}@exemple.fr", WRONG, f"10.1.{number}.1")
            try_sign_in(server.url, ROUBAIX.email, WRONG, f"10.2.{number}.1")
        refused = audit(database, "connexion_refusee")
        assert sorted((e.account_email, e.count) for e in refused) == [
            ("(adresse inconnue)", 40),
            (ROUBAIX.email, 40),
        ]
        journal = html.unescape(admin.get("/console/journal").text)
        assert "lecture_demandes" in journal
        assert "connexion_refusee × 40" in journal
        assert "bot1@exemple.fr" not in journal
        # A new quarter of an hour opens new entries.
        clock.advance(minutes=16)
        try_sign_in(server.url, ROUBAIX.email, WRONG, "10.3.0.1")
        assert [e.count for e in audit(database, "connexion_refusee")] == [40, 40, 1]
