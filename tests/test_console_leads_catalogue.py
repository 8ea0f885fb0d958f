"""The console's « Demandes de contact » and « Catalogue » sections over real HTTP: the web
server runs as a child process (`python -m bot.web`) on a temporary catalogue database loaded
by `qp catalog load` from a COPY of catalog/data; accounts from console_harness."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import PROJECT_DIR
from console_harness import ADMIN, ROUBAIX, TOULOUSE, create_people, post_form, signed_in_fixture
from sqlalchemy import func, select

from bot.console.db import session
from bot.runner import free_port
from bot.web.process import WebServer
from catalog import aid_edits, aid_form, store
from catalog.models import Aid, AuditEntry, CatalogEdit, Lead
from settings import WebSettings

REAL_DATA = PROJECT_DIR / "catalog" / "data"
QP = [sys.executable, "-m", "bot.cli"]

ROUBAIX_EMAIL = "jeanne.dupont@exemple.fr"
ROUBAIX_PHONE = "07 98 76 54 32"
TOULOUSE_PHONE = "06 12 34 56 78"
NOWHERE_EMAIL = "sans.territoire@exemple.org"


@dataclass
class Site:
    url: str
    database_url: str
    data: Path
    leads: dict[str, int]


def qp(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QP, *args],
        capture_output=True,
        check=False,
        text=True,
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        timeout=300,
    )


def _fingerprint(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _add_leads(database_url: str) -> dict[str, int]:
    now = datetime.now(UTC)
    rows = {
        "roubaix_old": Lead(
            created_at=now - timedelta(days=3),
            sender_id="web-ancien",
            channel="socketio",
            territory_id="roubaix",
            phone=ROUBAIX_PHONE,
            profile={"stade": "idee"},
            aids=["citeslab"],
            status="nouveau",
        ),
        "roubaix": Lead(
            created_at=now - timedelta(hours=1),
            sender_id="web-recent",
            channel="socketio",
            territory_id="roubaix",
            email=ROUBAIX_EMAIL,
            profile={
                "stade": "creation",
                "secteur": "commerce",
                "statut": "demandeur_emploi",
                "commune": "Roubaix",
                "territoire": "roubaix",
                "habite_qpv": True,
                "besoins": ["financement", "local"],
                "montant": 15000,
            },
            aids=["pret-honneur-quartier", "acre"],
            status="nouveau",
        ),
        "toulouse": Lead(
            created_at=now - timedelta(hours=2),
            sender_id="telegram:4242",
            channel="rest",
            territory_id="toulouse",
            phone=TOULOUSE_PHONE,
            profile={
                "stade": "reprise",
                "secteur": "restauration",
                "commune": "Toulouse",
                "territoire": "toulouse",
            },
            aids=["occitanie-pass"],
            status="nouveau",
        ),
        "nowhere": Lead(
            created_at=now - timedelta(hours=5),
            sender_id="web-ailleurs",
            channel="socketio",
            territory_id=None,
            email=NOWHERE_EMAIL,
            profile={"stade": "developpement"},
            aids=[],
            status="nouveau",
        ),
    }
    with session(database_url) as db:
        db.add_all(rows.values())
        db.flush()
        return {name: lead.id for name, lead in rows.items()}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    real_files = _fingerprint(REAL_DATA)
    root = tmp_path_factory.mktemp("console-leads-catalogue")
    data = root / "data"
    shutil.copytree(REAL_DATA, data)
    database_url = f"sqlite:///{root}/catalog.sqlite"
    env = {"DATABASE_URL": database_url, "QP_CATALOG_DIR": str(data)}
    loaded = qp("catalog", "load", "--data-dir", str(data), env=env)
    assert loaded.returncode == 0, loaded.stderr
    create_people(database_url)
    leads = _add_leads(database_url)
    with session(database_url) as db:
        # Deterministic « à revérifier » whatever today's date: one aid never checked, one
        # checked long ago, one checked today; and one aid restricted to Toulouse.
        db.get(Aid, "arce").last_checked = None
        db.get(Aid, "acre").last_checked = date(2020, 1, 15)
        db.get(Aid, "citeslab").last_checked = date.today()
        db.get(Aid, "occitanie-pass").territories = ["toulouse"]
    settings = WebSettings(
        host="127.0.0.1",
        port=free_port(),
        rasa_url="http://127.0.0.1:9",
        origins=(),
        demo_territory="roubaix",
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setenv("TRACKER_DB", str(root / "tracker.sqlite"))
        with WebServer(settings, root / "web.log") as server:
            yield Site(server.url, database_url, data, leads)
    assert _fingerprint(REAL_DATA) == real_files, "un test a modifié catalog/data"


roubaix = signed_in_fixture("site", ROUBAIX)
toulouse = signed_in_fixture("site", TOULOUSE)
admin = signed_in_fixture("site", ADMIN)


def page_text(response: httpx.Response) -> str:
    return html.unescape(response.text)


def row(text: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', text, re.DOTALL)
    assert match, f"ligne {row_id} absente"
    return match.group(1)


def lead_status(site: Site, name: str) -> str:
    with session(site.database_url) as db:
        return db.get(Lead, site.leads[name]).status


def audit_entries(site: Site, action: str) -> list[AuditEntry]:
    with session(site.database_url) as db:
        entries = list(
            db.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        db.expunge_all()
        return entries


# --- Demandes de contact -------------------------------------------------------------------


def test_signing_in_is_required(site):
    response = httpx.get(f"{site.url}/console/demandes", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/connexion")


def test_an_advisor_sees_their_territorys_requests_with_contact_details(site, roubaix):
    response = roubaix.get("/console/demandes")
    assert response.status_code == 200
    text = page_text(response)
    assert ROUBAIX_EMAIL in text
    assert ROUBAIX_PHONE in text
    assert TOULOUSE_PHONE not in text
    assert "06 •• •• •• 78" not in text
    assert NOWHERE_EMAIL not in text
    assert "s•••@•••.org" not in text
    assert f'id="demande-{site.leads["toulouse"]}"' not in text
    assert f'id="demande-{site.leads["nowhere"]}"' not in text
    # Newest first.
    assert text.index(f'id="demande-{site.leads["roubaix"]}"') < text.index(
        f'id="demande-{site.leads["roubaix_old"]}"'
    )
    # The profile in plain French, the aids by name, the channel.
    lead = row(text, f"demande-{site.leads['roubaix']}")
    for shown in (
        "Étape du projet : création",
        "Secteur d'activité : commerce",
        "Situation personnelle : demandeur d'emploi",
        "Commune : Roubaix",
        "Besoins : financement, local",
        "Territoire : Roubaix",
        "Domicile dans un quartier prioritaire (QPV) : oui",
        "Montant recherché : 15\u202f000 €",
        "Prêt d'honneur Quartier",
        "ACRE — Aide aux créateurs",
        "site web (widget)",
        "Roubaix",
    ):
        assert shown in lead, shown
    assert "nouvelle" in lead
    assert "(masqué)" not in lead
    assert '<label for="statut-' in response.text
    assert "<caption>" in response.text


def test_the_other_territorys_advisor_sees_only_their_requests(site, toulouse):
    text = page_text(toulouse.get("/console/demandes"))
    assert TOULOUSE_PHONE in text
    assert "Telegram" in text
    assert ROUBAIX_EMAIL not in text
    assert ROUBAIX_PHONE not in text
    assert NOWHERE_EMAIL not in text


def test_an_administrator_sees_every_territory_with_masked_contact_details(site, admin):
    response = admin.get("/console/demandes")
    assert response.status_code == 200
    text = page_text(response)
    for name in site.leads.values():
        assert f'id="demande-{name}"' in text
    assert "j•••@•••.fr" in text
    assert "06 •• •• •• 78" in text
    assert "07 •• •• •• 32" in text
    assert "s•••@•••.org" in text
    assert "Sans territoire" in text
    for secret in (ROUBAIX_EMAIL, ROUBAIX_PHONE, TOULOUSE_PHONE, NOWHERE_EMAIL):
        assert secret not in text
    only = page_text(admin.get("/console/demandes", params={"territoire": "sans"}))
    assert f'id="demande-{site.leads["nowhere"]}"' in only
    assert f'id="demande-{site.leads["roubaix"]}"' not in only


def test_finding_11_another_territorys_request_answers_like_a_missing_one(site, roubaix):
    """An advisor cannot change another territory's request, and cannot even learn that it
    exists: the same 404 and the same French page as for a request number that does not."""
    missing = post_form(
        roubaix, "/console/demandes/999999/statut", {"statut": "close"}, page="/console/demandes"
    )
    assert missing.status_code == 404
    assert "Traceback" not in missing.text
    for name in ("toulouse", "nowhere"):
        response = post_form(
            roubaix,
            f"/console/demandes/{site.leads[name]}/statut",
            {"statut": "close"},
            page="/console/demandes",
        )
        assert response.status_code == 404
        text = page_text(response)
        assert "ne relève pas de votre territoire" in text
        assert "Traceback" not in text
        assert text == page_text(missing)
        assert lead_status(site, name) == "nouveau"
    assert audit_entries(site, "statut_demande_refuse")


def test_an_unknown_status_is_refused_in_french(site, roubaix):
    response = post_form(
        roubaix,
        f"/console/demandes/{site.leads['roubaix_old']}/statut",
        {"statut": "perdue"},
        page="/console/demandes",
    )
    assert response.status_code == 400
    assert "Choisissez un statut" in page_text(response)
    assert lead_status(site, "roubaix_old") == "nouveau"


def test_a_status_change_is_saved_audited_and_filterable(site, roubaix):
    lead_id = site.leads["roubaix"]
    response = post_form(
        roubaix,
        f"/console/demandes/{lead_id}/statut",
        {"statut": "en_cours"},
        page="/console/demandes",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/demandes#demande-{lead_id}"
    assert lead_status(site, "roubaix") == "en_cours"
    text = page_text(roubaix.get("/console/demandes"))
    assert f"Demande n° {lead_id} : statut passé de « nouvelle » à « en cours »." in text
    entry = audit_entries(site, "statut_demande")[-1]
    assert entry.account_email == ROUBAIX.email
    assert entry.target == f"demande {lead_id}"
    assert entry.details == {"avant": "nouveau", "apres": "en_cours"}
    assert entry.at is not None
    filtered = page_text(roubaix.get("/console/demandes", params={"statut": "en_cours"}))
    assert f'id="demande-{lead_id}"' in filtered
    assert f'id="demande-{site.leads["roubaix_old"]}"' not in filtered
    untouched = page_text(roubaix.get("/console/demandes", params={"statut": "nouveau"}))
    assert f'id="demande-{lead_id}"' not in untouched


def test_list_views_are_audited_without_personal_data(site, roubaix, admin):
    before = len(audit_entries(site, "lecture_demandes"))
    roubaix.get("/console/demandes", params={"statut": "nouveau"})
    admin.get("/console/demandes")
    entries = audit_entries(site, "lecture_demandes")
    assert len(entries) == before + 2
    assert entries[-2].account_email == ROUBAIX.email
    assert entries[-2].details["statut"] == "nouveau"
    assert entries[-1].account_email == ADMIN.email
    with session(site.database_url) as db:
        everything = [f"{e.target} {e.details}" for e in db.scalars(select(AuditEntry))]
    for secret in (ROUBAIX_EMAIL, ROUBAIX_PHONE, TOULOUSE_PHONE, NOWHERE_EMAIL, "j•••"):
        assert not [line for line in everything if secret in line]


def csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_an_advisor_exports_their_territorys_requests_as_csv(site, roubaix):
    rows = csv_rows(roubaix.get("/console/demandes.csv"))
    assert {int(r["numéro"]) for r in rows} == {site.leads["roubaix"], site.leads["roubaix_old"]}
    recent = next(r for r in rows if int(r["numéro"]) == site.leads["roubaix"])
    assert recent["e-mail"] == ROUBAIX_EMAIL
    assert recent["territoire"] == "Roubaix"
    assert recent["coordonnées masquées"] == "non"
    assert "Prêt d'honneur Quartier" in recent["aides repérées"]
    assert "Étape du projet : création" in recent["profil"]
    old = next(r for r in rows if int(r["numéro"]) == site.leads["roubaix_old"])
    assert old["téléphone"] == ROUBAIX_PHONE
    everything = roubaix.get("/console/demandes.csv").content.decode("utf-8-sig")
    for elsewhere in (TOULOUSE_PHONE, NOWHERE_EMAIL, "Toulouse Métropole"):
        assert elsewhere not in everything
    # An advisor cannot widen the export to another territory.
    widened = roubaix.get("/console/demandes.csv", params={"territoire": "toulouse"})
    assert TOULOUSE_PHONE not in widened.content.decode("utf-8-sig")
    entry = audit_entries(site, "export_demandes_csv")[-1]
    assert entry.account_email == ROUBAIX.email
    assert entry.details["territoire"] == "roubaix"
    assert entry.details["nombre"] == 2
    assert ROUBAIX_EMAIL not in f"{entry.target} {entry.details}"


def test_an_administrator_exports_every_territory_masked(site, admin):
    rows = csv_rows(admin.get("/console/demandes.csv"))
    assert {int(r["numéro"]) for r in rows} == set(site.leads.values())
    text = admin.get("/console/demandes.csv").content.decode("utf-8-sig")
    for secret in (ROUBAIX_EMAIL, ROUBAIX_PHONE, TOULOUSE_PHONE, NOWHERE_EMAIL):
        assert secret not in text
    assert {r["coordonnées masquées"] for r in rows} == {"oui"}
    only = csv_rows(admin.get("/console/demandes.csv", params={"territoire": "toulouse"}))
    assert [int(r["numéro"]) for r in only] == [site.leads["toulouse"]]
    assert audit_entries(site, "export_demandes_csv")[-1].details["territoire"] == "toulouse"


def test_the_csv_export_is_for_signed_in_accounts_only(site):
    response = httpx.get(f"{site.url}/console/demandes.csv", follow_redirects=False)
    assert response.status_code == 303


def test_an_advisor_chooses_the_daily_digest_and_back(site, roubaix):
    from catalog.models import Account

    page = page_text(roubaix.get("/console/avis"))
    assert "Comment souhaitez-vous être prévenu" in page
    chosen = post_form(roubaix, "/console/avis", {"avis": "quotidien"}, page="/console/avis")
    assert chosen.status_code == 303
    with session(site.database_url) as db:
        assert db.scalar(select(Account.daily_digest).where(Account.email == ROUBAIX.email))
    assert "Enregistré : une synthèse par jour" in page_text(roubaix.get("/console/avis"))
    entry = audit_entries(site, "avis_email")[-1]
    assert entry.details == {"avant": "chaque", "apres": "quotidien"}
    refused = post_form(roubaix, "/console/avis", {"avis": "jamais"}, page="/console/avis")
    assert refused.status_code == 400
    assert "Choisissez l'une des options" in page_text(refused)
    post_form(roubaix, "/console/avis", {"avis": "chaque"}, page="/console/avis")
    with session(site.database_url) as db:
        assert not db.scalar(select(Account.daily_digest).where(Account.email == ROUBAIX.email))


# --- Catalogue -----------------------------------------------------------------------------


def edit_form(site: Site, aid_id: str, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it, with its version, and `changes` typed in."""
    with session(site.database_url) as db:
        aid = db.get(Aid, aid_id)
        form = aid_form.form_strings(aid_form.facts_of(store.aid_record(aid)))
        form["version"] = str(aid.version)
    form.update(changes)
    return form


def aid_facts(site: Site, aid_id: str) -> dict:
    with session(site.database_url) as db:
        return aid_form.facts_of(store.aid_record(db.get(Aid, aid_id)))


def edit_count(site: Site) -> int:
    with session(site.database_url) as db:
        return db.scalar(select(func.count()).select_from(CatalogEdit))


def test_the_catalogue_flags_the_aids_to_check_again(site, roubaix):
    response = roubaix.get("/console/catalogue")
    assert response.status_code == 200
    text = page_text(response)
    assert "À revérifier" in row(text, "aide-acre")
    assert "15/01/2020" in row(text, "aide-acre")
    assert "jamais" in row(text, "aide-arce")
    assert "À revérifier" in row(text, "aide-arce")
    assert "À revérifier" not in row(text, "aide-citeslab")
    # Stale first: the never-checked aid, then the oldest check.
    assert (
        text.index('id="aide-arce"')
        < text.index('id="aide-acre"')
        < text.index('id="aide-citeslab"')
    )
    assert "Réservée à : Toulouse" in row(text, "aide-occitanie-pass")
    # Withdrawn until verified again (catalog/data, `withdrawn`): said so, with the reason.
    assert "Retirée des recommandations" in row(text, "aide-occitanie-pass")
    assert "plus mobilisable" in row(text, "aide-occitanie-pass")
    assert "Retirée des recommandations" not in row(text, "aide-citeslab")
    assert "retirées des recommandations" in text
    page = page_text(roubaix.get("/console/catalogue/occitanie-pass"))
    assert "Retirée des recommandations depuis le 02/12/2026" in page
    assert "plus mobilisable" in page
    stale_only = page_text(roubaix.get("/console/catalogue", params={"a_reverifier": "1"}))
    assert 'id="aide-acre"' in stale_only
    assert 'id="aide-citeslab"' not in stale_only
    family = page_text(roubaix.get("/console/catalogue", params={"famille": "qpv"}))
    assert 'id="aide-citeslab"' in family
    assert 'id="aide-acre"' not in family


def test_an_invalid_edit_shows_french_errors_and_changes_nothing(site, roubaix):
    before, edits, revision = (
        aid_facts(site, "acre"),
        edit_count(site),
        store.revision(store.make_engine(site.database_url)),
    )
    response = post_form(
        roubaix,
        "/console/catalogue/acre",
        edit_form(
            site,
            "acre",
            url="ftp://exemple.fr/acre",
            amount_min="beaucoup",
            amount_max="-3",
            sources="https://www.urssaf.fr\npas une adresse",
            valid_until="2026-02-30",
            name="ACRE qu'on ne doit pas voir",
        ),
        page="/console/catalogue/acre",
    )
    assert response.status_code == 400
    text = page_text(response)
    assert "La fiche n'a pas été enregistrée" in text
    for message in (
        "commençant par http:// ou https://",
        "Indiquez un nombre d'euros",
        "Le montant doit être un nombre positif",
        "Ligne 2 : « pas une adresse »",
        "date valide au format AAAA-MM-JJ",
    ):
        assert message in text, message
    # Each message sits next to its field, which is marked invalid.
    assert re.search(r'id="url-erreur">[^<]*http:// ou https://', text)
    assert 'aria-describedby="url-erreur" aria-invalid="true"' in response.text
    assert 'value="ACRE qu&#39;on ne doit pas voir"' in response.text  # what was typed
    assert "Traceback" not in text
    assert aid_facts(site, "acre") == before
    assert edit_count(site) == edits
    assert store.revision(store.make_engine(site.database_url)) == revision


def test_the_catalogues_own_validator_refuses_a_closed_aid_without_end_date(site, roubaix):
    before, edits = aid_facts(site, "arce"), edit_count(site)
    response = post_form(
        roubaix,
        "/console/catalogue/arce",
        edit_form(site, "arce", status="closed", valid_until="", verifiee_aujourdhui="1"),
        page="/console/catalogue/arce",
    )
    assert response.status_code == 400
    assert re.search(
        r'id="valid_until-erreur">[^<]*une aide fermée doit avoir une date de fin',
        page_text(response),
    )
    assert aid_facts(site, "arce") == before
    assert edit_count(site) == edits


def test_a_valid_edit_is_saved_audited_pending_and_seen_by_the_assistant(site, roubaix, toulouse):
    """ACRE is a national aid: the advisor's change is proposed, then applied when another
    advisor approves it (issue 18, finding 9)."""
    engine = store.make_engine(site.database_url)
    revision = store.revision(engine)
    day_before = date.today()
    before = aid_facts(site, "acre")
    form = edit_form(
        site,
        "acre",
        amount_text="Exonération de 25 % des cotisations (2026)",
        amount_max="12 000",
        verifiee_aujourdhui="1",
    )
    form["sources"] += "\nhttps://www.service-public.fr/professionnels-entreprises"
    response = post_form(roubaix, "/console/catalogue/acre", form, page="/console/catalogue/acre")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/catalogue/acre"
    assert aid_facts(site, "acre") == before  # nothing live before the review
    assert store.revision(engine) == revision
    text = page_text(roubaix.get("/console/catalogue/acre"))
    assert "Modification proposée : cette aide est nationale" in text
    assert "à valider" in text
    with session(site.database_url) as db:
        edit = db.scalars(
            select(CatalogEdit).where(CatalogEdit.aid_id == "acre").order_by(CatalogEdit.id.desc())
        ).first()
        assert edit.status == aid_edits.PROPOSED
        edit_id = edit.id
    entry = audit_entries(site, "proposition_modification_aide")[-1]
    assert entry.account_email == ROUBAIX.email
    assert entry.target == "acre"
    approved = post_form(
        toulouse,
        "/console/catalogue/validations",
        {"modification": str(edit_id), "decision": "valider"},
        page="/console/catalogue/validations",
    )
    assert approved.status_code == 303
    after = aid_facts(site, "acre")
    assert after["amount_text"] == "Exonération de 25 % des cotisations (2026)"
    assert after["amount_max"] == 12000
    assert after["sources"][-1] == "https://www.service-public.fr/professionnels-entreprises"
    assert after["last_checked"] in {day_before, date.today()}
    with session(site.database_url) as db:
        edit = db.get(CatalogEdit, edit_id)
        assert edit.status == aid_edits.PENDING
        assert set(edit.after) == {"amount_text", "amount_max", "sources", "last_checked"}
        assert edit.before["last_checked"] == "2020-01-15"
        assert edit.before["amount_max"] is None
    edits = edit_count(site)
    entry = audit_entries(site, "validation_modification_aide")[-1]
    assert entry.account_email == TOULOUSE.email
    assert entry.target == "acre"
    assert entry.details["modification"] == edit_id
    assert store.revision(engine) == revision + 1  # the assistant reloads the catalogue
    text = page_text(roubaix.get("/console/catalogue/acre"))
    assert "en attente" in text
    assert "À revérifier" not in row(page_text(roubaix.get("/console/catalogue")), "aide-acre")
    # The same form again changes nothing and records nothing.
    again = post_form(
        roubaix, "/console/catalogue/acre", edit_form(site, "acre"), page="/console/catalogue/acre"
    )
    assert again.status_code == 303
    assert edit_count(site) == edits
    assert "Aucune modification" in page_text(roubaix.get("/console/catalogue/acre"))


def test_an_aid_restricted_to_a_territory_is_edited_by_its_advisors_only(site, roubaix, toulouse):
    before = aid_facts(site, "occitanie-pass")
    page = page_text(roubaix.get("/console/catalogue/occitanie-pass"))
    assert "réservée à certains territoires" in page
    assert 'name="amount_text"' not in page
    refused = post_form(
        roubaix,
        "/console/catalogue/occitanie-pass",
        edit_form(site, "occitanie-pass", amount_text="Non autorisé"),
    )
    assert refused.status_code == 403
    assert "Rien n'a été modifié" in page_text(refused)
    assert aid_facts(site, "occitanie-pass") == before
    accepted = post_form(
        toulouse,
        "/console/catalogue/occitanie-pass",
        edit_form(site, "occitanie-pass", verifiee_aujourdhui="1"),
        page="/console/catalogue/occitanie-pass",
    )
    assert accepted.status_code == 303
    assert aid_facts(site, "occitanie-pass")["last_checked"] >= date.today() - timedelta(days=1)


def test_an_unknown_aid_is_a_french_404(site, roubaix):
    response = roubaix.get("/console/catalogue/aide-qui-n-existe-pas")
    assert response.status_code == 404
    assert "Cette aide n'existe pas" in page_text(response)


def test_apply_edits_writes_the_pending_edits_into_the_data_directory(site, admin, roubaix):
    form = edit_form(site, "citeslab", amount_text="Gratuit (information et orientation)")
    assert (
        post_form(
            admin, "/console/catalogue/citeslab", form, page="/console/catalogue/citeslab"
        ).status_code
        == 303
    )
    with session(site.database_url) as db:
        proposal = [e.id for e in aid_edits.proposals(db) if e.aid_id == "citeslab"][-1]
    approved = post_form(
        roubaix,
        "/console/catalogue/validations",
        {"modification": str(proposal), "decision": "valider"},
        page="/console/catalogue/validations",
    )
    assert approved.status_code == 303
    env = {"DATABASE_URL": site.database_url, "QP_CATALOG_DIR": str(site.data)}
    header = (site.data / "aids" / "qpv.yml").read_text(encoding="utf-8").split("- id:")[0]
    result = qp("catalog", "apply-edits", "--data-dir", str(site.data), env=env)
    assert result.returncode == 0, result.stderr
    assert "modification(s) écrite(s)" in result.stdout
    assert "git diff" in result.stdout
    qpv = (site.data / "aids" / "qpv.yml").read_text(encoding="utf-8")
    assert qpv.startswith(header)  # the comments at the top are kept
    assert '    text: "Gratuit (information et orientation)"\n' in qpv
    creation = (site.data / "aids" / "creation.yml").read_text(encoding="utf-8")
    assert '    text: "Exonération de 25 % des cotisations (2026)"\n' in creation
    with session(site.database_url) as db:
        assert not aid_edits.pending_edits(db)
        assert {e.status for e in db.scalars(select(CatalogEdit))} == {aid_edits.WRITTEN}
    assert qp("catalog", "validate", "--data-dir", str(site.data), env=env).returncode == 0
    again = qp("catalog", "apply-edits", "--data-dir", str(site.data), env=env)
    assert again.returncode == 0
    assert "Aucune modification en attente" in again.stdout
    # Reloading the written files keeps what was edited in the console.
    assert qp("catalog", "load", "--data-dir", str(site.data), env=env).returncode == 0
    assert aid_facts(site, "citeslab")["amount_text"] == "Gratuit (information et orientation)"


# --- Issue 18, finding 9: concurrent edits and the review of national aids ------------------


def test_finding_9_a_concurrent_save_is_refused_with_the_others_change(site, roubaix, admin):
    """Two people open the same (regional) aid; the second save does not silently win."""
    opened_by_roubaix = edit_form(site, "hdf-start-up")
    opened_by_admin = edit_form(site, "hdf-start-up")
    before = aid_facts(site, "hdf-start-up")
    first = post_form(
        admin,
        "/console/catalogue/hdf-start-up",
        {**opened_by_admin, "amount_text": "Jusqu'à 30 000 € (version de l'administratrice)"},
        page="/console/catalogue/hdf-start-up",
    )
    assert first.status_code == 303
    edits = edit_count(site)
    second = post_form(
        roubaix,
        "/console/catalogue/hdf-start-up",
        {**opened_by_roubaix, "amount_text": "Jusqu'à 40 000 € (version de Roubaix)"},
        page="/console/catalogue/hdf-start-up",
    )
    assert second.status_code == 409
    text = page_text(second)
    assert (
        "Votre enregistrement n'a pas été fait : cette fiche a été modifiée par quelqu'un" in text
    )
    assert f"Modification de {ADMIN.email}" in text
    assert (
        f"Montant, tel que l'assistant l'affiche : « {before['amount_text']} » → "
        "« Jusqu'à 30 000 € (version de l'administratrice) »" in text
    )
    assert "Jusqu'à 40 000 € (version de Roubaix)" in text  # what was typed is kept
    assert "Traceback" not in text
    assert aid_facts(site, "hdf-start-up")["amount_text"] == (
        "Jusqu'à 30 000 € (version de l'administratrice)"
    )
    assert edit_count(site) == edits
    # Saving again from the refreshed form (its new version) applies the change knowingly.
    version = re.search(r'name="version" value="(\d+)"', second.text).group(1)
    retry = post_form(
        roubaix,
        "/console/catalogue/hdf-start-up",
        {**opened_by_roubaix, "version": version, "amount_text": "Jusqu'à 40 000 €"},
        page="/console/catalogue/hdf-start-up",
    )
    assert retry.status_code == 303
    assert aid_facts(site, "hdf-start-up")["amount_text"] == "Jusqu'à 40 000 €"


def test_finding_9_a_national_aid_change_needs_another_account(site, roubaix, toulouse, admin):
    before = aid_facts(site, "arce")
    page = page_text(roubaix.get("/console/catalogue/arce"))
    assert "Aide nationale : elle concerne tous les territoires" in page
    proposed = post_form(
        roubaix,
        "/console/catalogue/arce",
        edit_form(site, "arce", url="https://exemple-douteux.example/arce"),
        page="/console/catalogue/arce",
    )
    assert proposed.status_code == 303
    assert aid_facts(site, "arce") == before
    with session(site.database_url) as db:
        proposal = [e.id for e in aid_edits.proposals(db) if e.aid_id == "arce"][-1]
    listed = page_text(roubaix.get("/console/catalogue/validations"))
    block = listed[listed.index(f'id="modification-{proposal}"') :]
    block = block[: block.index("</section>")]
    assert "https://exemple-douteux.example/arce" in block
    assert before["url"] in block
    assert ">Valider<" not in block
    assert "Retirer ma proposition" in block
    # The author cannot approve it, even by forging the form.
    own = post_form(
        roubaix,
        "/console/catalogue/validations",
        {"modification": str(proposal), "decision": "valider"},
        page="/console/catalogue/validations",
    )
    assert own.status_code == 303
    assert "Vous ne pouvez pas valider votre propre proposition" in page_text(
        roubaix.get("/console/catalogue/validations")
    )
    assert aid_facts(site, "arce") == before
    # Another advisor sees it with a « Valider » button; an administrator refuses it.
    assert ">Valider<" in page_text(toulouse.get("/console/catalogue/validations"))
    refused = post_form(
        admin,
        "/console/catalogue/validations",
        {"modification": str(proposal), "decision": "refuser"},
        page="/console/catalogue/validations",
    )
    assert refused.status_code == 303
    assert aid_facts(site, "arce") == before
    with session(site.database_url) as db:
        assert db.get(CatalogEdit, proposal).status == aid_edits.REFUSED
    entry = audit_entries(site, "refus_modification_aide")[-1]
    assert entry.account_email == ADMIN.email
    assert entry.details["modification"] == proposal
    # A proposal made on a version that changed since cannot be approved any more.
    first = post_form(
        roubaix,
        "/console/catalogue/arce",
        edit_form(site, "arce", amount_text="Proposition A"),
        page="/console/catalogue/arce",
    )
    second = post_form(
        toulouse,
        "/console/catalogue/arce",
        edit_form(site, "arce", amount_text="Proposition B"),
        page="/console/catalogue/arce",
    )
    assert first.status_code == second.status_code == 303
    with session(site.database_url) as db:
        a, b = [e.id for e in aid_edits.proposals(db) if e.aid_id == "arce"][-2:]
    assert (
        post_form(
            admin,
            "/console/catalogue/validations",
            {"modification": str(a), "decision": "valider"},
            page="/console/catalogue/validations",
        ).status_code
        == 303
    )
    assert aid_facts(site, "arce")["amount_text"] == "Proposition A"
    post_form(
        admin,
        "/console/catalogue/validations",
        {"modification": str(b), "decision": "valider"},
        page="/console/catalogue/validations",
    )
    assert "La fiche a été modifiée depuis cette proposition" in page_text(
        admin.get("/console/catalogue/validations")
    )
    assert aid_facts(site, "arce")["amount_text"] == "Proposition A"
