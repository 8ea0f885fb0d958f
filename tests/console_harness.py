"""Shared by the console tests: accounts of two territories and an administrator, and an HTTP
client signed in to the console (the form token read from the page, as a browser does)."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    "awa.diallo@roubaix.example", "roubaix-mot-de-passe", "advisor", "roubaix", "Awa Diallo"
)
TOULOUSE = Person(
    "paul.martin@toulouse.example", "toulouse-mot-de-passe", "advisor", "toulouse", "Paul Martin"
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
