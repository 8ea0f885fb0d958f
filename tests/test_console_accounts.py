"""Console accounts from the command line (`qp console …`), in real processes, and signing in
over real HTTP with what they create: hashed passwords, roles, deactivation, audit."""

from __future__ import annotations

import re

import httpx
import pytest
from console_harness import Person, form_token, signed_in
from sqlalchemy import select
from test_cli import qp

from bot.console.db import session
from bot.runner import free_port
from bot.web.process import WebServer
from catalog.models import Account, AuditEntry
from settings import WebSettings

PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/catalog.sqlite"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def sign_in(url: str, email: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=url) as client:
        token = form_token(client.get("/console/connexion").text)
        return client.post(
            "/console/connexion",
            data={"csrf": token, "email": email, "password": password, "suite": "/console/"},
        )


def test_an_account_is_created_with_a_hash_and_listed(database):
    created = qp(
        "console",
        "add-account",
        "Conseil@Roubaix.fr",
        "--name",
        "Awa Diallo",
        "--territoire",
        "roubaix",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "Compte créé : conseil@roubaix.fr, conseiller (roubaix)."
    listed = qp("console", "accounts")
    assert "conseil@roubaix.fr\tconseiller\troubaix" in listed.stdout
    with session(database) as db:
        account = db.scalar(select(Account))
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
        assert [e.action for e in db.scalars(select(AuditEntry))] == ["compte_cree"]


@pytest.mark.parametrize(
    ("args", "password", "words"),
    [
        (["pas-une-adresse", "--territoire", "roubaix"], PASSWORD, "adresse e-mail invalide"),
        (["a@b.fr"], PASSWORD, "rattaché à l'un des 14 territoires"),
        (["a@b.fr", "--territoire", "lyon"], PASSWORD, "rattaché à l'un des 14 territoires"),
        (["a@b.fr", "--territoire", "roubaix"], "court", "au moins 12 caractères"),
    ],
)
def test_a_wrong_account_is_refused_in_french(database, args, password, words):
    result = qp("console", "add-account", *args, stdin=password + "\n")
    assert result.returncode == 1
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_password_change_and_deactivation_apply_to_signing_in(database, tmp_path):
    env = {"QP_NEW_PASSWORD": PASSWORD}
    assert qp("console", "add-account", "admin@anct.fr", "--role", "admin", env=env).returncode == 0
    assert (
        qp("console", "add-account", "admin@anct.fr", "--role", "admin", env=env).stderr.strip()
        == "qp: un compte existe déjà pour admin@anct.fr"
    )
    settings = WebSettings(host="127.0.0.1", port=free_port())
    with WebServer(settings, tmp_path / "web.log") as web:
        assert sign_in(web.url, "admin@anct.fr", PASSWORD).status_code == 303
        changed = qp(
            "console",
            "set-password",
            "admin@anct.fr",
            env={"QP_NEW_PASSWORD": "un-autre-mot-de-passe"},
        )
        assert changed.stdout.strip() == "Mot de passe changé : admin@anct.fr."
        assert sign_in(web.url, "admin@anct.fr", PASSWORD).status_code == 401
        assert sign_in(web.url, "admin@anct.fr", "un-autre-mot-de-passe").status_code == 303
        open_session = signed_in(
            web.url, Person("admin@anct.fr", "un-autre-mot-de-passe", "admin", None, "Admin")
        )
        assert open_session.get("/console/").status_code == 200
        assert qp("console", "deactivate", "admin@anct.fr").returncode == 0
        closed = open_session.get("/console/")
        assert closed.status_code == 303
        assert "/console/connexion" in closed.headers["location"]
        open_session.close()
        refused = sign_in(web.url, "admin@anct.fr", "un-autre-mot-de-passe")
        assert refused.status_code == 401
        assert "Adresse e-mail ou mot de passe incorrect." in refused.text
        assert qp("console", "activate", "admin@anct.fr").returncode == 0
        assert sign_in(web.url, "admin@anct.fr", "un-autre-mot-de-passe").status_code == 303
    assert "(désactivé)" not in qp("console", "accounts").stdout
    missing = qp("console", "deactivate", "personne@nulle.part")
    assert missing.returncode == 1
    assert "aucun compte pour personne@nulle.part" in missing.stderr
    with session(f"sqlite:///{tmp_path}/catalog.sqlite") as db:
        entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        actions = [e.action for e in entries]
        # The two refused sign-ins of the same quarter of an hour are counted in one entry.
        refused = [(e.account_email, e.count) for e in entries if e.action == "connexion_refusee"]
    assert [a for a in actions if re.match(r"compte_|mot_de_passe", a)] == [
        "compte_cree",
        "mot_de_passe_change",
        "compte_desactive",
        "compte_reactive",
    ]
    assert actions.count("connexion") == 4
    assert refused == [("admin@anct.fr", 2)]
