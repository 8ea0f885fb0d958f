"""Shared by the console tests: accounts of two territories and an administrator, and an HTTP
client signed in to the console (the form token read from the page, as a browser does)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC

import httpx

from bot.console.db import session
from catalog.accounts import create_account
from catalog.files import read_files


@dataclass(frozen=True)
class Person:
    email: str
    password: str
    role: str
    territory: str | None
    name: str


ROUBAIX = Person(
    "awa.diallo@roubaix.example", "roubaix-mot-de-passe", "conseiller", "roubaix", "Awa Diallo"
)
TOULOUSE = Person(
    "paul.martin@toulouse.example", "toulouse-mot-de-passe", "conseiller", "toulouse", "Paul Martin"
)
ADMIN = Person("admin@anct.example", "administration-2026", "admin", None, "Administratrice")
PEOPLE = (ROUBAIX, TOULOUSE, ADMIN)


def create_people(database_url: str, people: tuple[Person, ...] = PEOPLE) -> None:
    """Create the accounts (once per database; existing ones are left alone)."""
    from sqlalchemy import select

    from catalog.models import Account

    territories = {t["id"] for t in read_files().territories}
    with session(database_url) as db:
        for person in people:
            if db.scalar(select(Account.id).where(Account.email == person.email)) is None:
                create_account(
                    db,
                    person.email,
                    person.name,
                    person.password,
                    person.role,
                    person.territory,
                    territories,
                )


def form_token(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "jeton de formulaire absent de la page"
    return match.group(1)


def signed_in(base_url: str, person: Person) -> httpx.Client:
    """An HTTP client with a console session for `person` (base_url: the web server)."""
    client = httpx.Client(base_url=base_url, timeout=60)
    token = form_token(client.get("/console/connexion").text)
    response = client.post(
        "/console/connexion",
        data={
            "csrf": token,
            "email": person.email,
            "password": person.password,
            "suite": "/console/",
        },
    )
    assert response.status_code == 303, response.text
    return client


def post_form(
    client: httpx.Client, path: str, data: dict[str, str], page: str | None = None
) -> httpx.Response:
    """POST a console form with the session's token (read from `page`, default the home)."""
    token = form_token(client.get(page or "/console/").text)
    return client.post(path, data={"csrf": token, **data})


def signed_in_fixture(server: str, person: Person):
    """A module-scoped fixture: `person` signed in to the web server of fixture `server`
    (an object with a `url`)."""
    import pytest

    @pytest.fixture(scope="module")
    def client(request):
        opened = signed_in(request.getfixturevalue(server).url, person)
        yield opened
        opened.close()

    return client


class Clock:
    """The console's time in the tests: starts at a fixed UTC moment and moves only when told."""

    def __init__(self) -> None:
        from datetime import datetime

        self.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


class ConsoleServer:
    """The web server (widget and console) in this process, served by uvicorn over real HTTP
    on a free port, with console settings the test chooses (a clock, small limits). uvicorn
    trusts X-Forwarded-For from 127.0.0.1, as behind a local reverse proxy: the tests use it to
    speak from several client addresses."""

    def __init__(self, console_settings) -> None:
        from bot.runner import free_port

        self.settings = console_settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ConsoleServer:
        import threading
        import time

        import uvicorn

        from bot.web.app import create_app
        from settings import WebSettings

        web = WebSettings(
            host="127.0.0.1",
            port=self.port,
            rasa_url="http://127.0.0.1:9",
            origins=(),
            demo_territory="roubaix",
        )
        config = uvicorn.Config(
            create_app(web, console=self.settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive(), "le serveur s'est arrêté au démarrage"
            assert time.monotonic() < deadline, "serveur non démarré"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def try_sign_in(
    base_url: str,
    email: str,
    password: str,
    address: str | None = None,
    client: httpx.Client | None = None,
) -> httpx.Response:
    """One sign-in attempt (from `address`, as a local proxy forwards it)."""
    headers = {"X-Forwarded-For": address} if address else {}
    own = client is None
    client = client or httpx.Client(base_url=base_url, timeout=60)
    try:
        token = form_token(client.get("/console/connexion", headers=headers).text)
        return client.post(
            "/console/connexion",
            data={"csrf": token, "email": email, "password": password, "suite": "/console/"},
            headers=headers,
        )
    finally:
        if own:
            client.close()
