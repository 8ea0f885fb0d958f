"""Catalogue upkeep without the web: the « à revérifier » flag, checking an edit (field checks
and the catalogue's validator), writing pending edits into a COPY of catalog/data with
ruamel.yaml, and the database side (pending edits survive a load, the revision makes
`open_catalog` reload) on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import DATABASES, PROJECT_DIR
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from catalog import aid_edits, aid_form, aid_overview, freshness, store, write_back, yaml_writer
from catalog import engine as catalog_engine
from catalog.accounts import Viewer, create_account, viewer_of
from catalog.files import read_files
from catalog.models import Account, Aid, CatalogEdit
from catalog.validate import validate

REAL_DATA = PROJECT_DIR / "catalog" / "data"
TODAY = date(2026, 12, 9)  # after the catalogue's last checks (2026-12-02)
ROUBAIX = Viewer(1, "conseil@roubaix.example", "Conseil Roubaix", "conseiller", "roubaix")
TOULOUSE = Viewer(2, "conseil@toulouse.example", "Conseil Toulouse", "conseiller", "toulouse")
ADMIN = Viewer(3, "admin@anct.example", "Admin", "admin", None)


def _fingerprint(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module", autouse=True)
def real_files_stay_untouched():
    """Every test works on copies: the real catalog/data must be byte-identical afterwards."""
    before = _fingerprint(REAL_DATA)
    yield
    assert _fingerprint(REAL_DATA) == before, "un test a modifié catalog/data"


@pytest.fixture
def data_copy(tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(REAL_DATA, copy)
    return copy


def _record(aid_id: str, directory: Path = REAL_DATA) -> dict:
    return next(a for a in read_files(directory).aids if a["id"] == aid_id)


def _form(aid_id: str, **changes: str) -> dict[str, str]:
    form = aid_form.form_strings(aid_form.facts_of(_record(aid_id)))
    form.update(changes)
    return form


# --- « À revérifier » ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checked", "today", "stale"),
    [
        (None, TODAY, True),  # never checked
        (date(2026, 6, 9), TODAY, False),  # exactly six months ago
        (date(2026, 6, 8), TODAY, True),  # more than six months ago
        (date(2026, 11, 1), TODAY, False),
        (date(2026, 2, 28), date(2026, 8, 31), False),  # 31 August → 28 February
        (date(2026, 2, 27), date(2026, 8, 31), True),
        (date(2025, 9, 15), date(2026, 3, 15), False),  # across a new year
        (date(2025, 9, 14), date(2026, 3, 15), True),
    ],
)
def test_an_aid_is_stale_when_last_checked_over_six_months_ago_or_never(checked, today, stale):
    assert freshness.is_stale(checked, today) is stale


def test_the_overview_lists_stale_aids_first_and_filters():
    aids = [
        dict(_record("acre"), last_checked=date(2026, 11, 1)),
        dict(_record("arce"), last_checked=None),
        dict(_record("citeslab"), last_checked=date(2025, 1, 1)),
        dict(_record("cape"), last_checked=date(2026, 3, 1)),
    ]
    rows = aid_overview.overview(aids, TODAY, pending={"acre"})
    assert [r.id for r in rows] == ["arce", "citeslab", "cape", "acre"]
    assert [r.stale for r in rows] == [True, True, True, False]
    assert rows[-1].pending
    assert not rows[0].pending
    assert [r.id for r in aid_overview.overview(aids, TODAY, only_stale=True)] == [
        "arce",
        "citeslab",
        "cape",
    ]
    assert [r.id for r in aid_overview.overview(aids, TODAY, family="qpv")] == ["citeslab"]
    by_name = aid_overview.overview(aids, TODAY, sort="nom")
    assert [r.name for r in by_name] == sorted((a["name"] for a in aids), key=str.casefold)
    assert rows[0].status_label == "ouverte"
    assert rows[0].family_label == "Création et reprise"


# --- Checking an edit ----------------------------------------------------------------------


def test_a_valid_form_gives_typed_facts():
    values, errors = aid_form.parse_form(
        _form(
            "acre",
            amount_min="1 000",
            amount_max="15000,50",
            valid_until="31/12/2027",
            sources="https://www.urssaf.fr\n\n  https://www.francetravail.fr  \n",
            checks="Première vérification\r\nSeconde vérification",
        ),
        TODAY,
    )
    assert errors == {}
    assert values["amount_min"] == 1000
    assert values["amount_max"] == 15000.5
    assert values["valid_until"] == date(2027, 12, 31)
    assert values["sources"] == ["https://www.urssaf.fr", "https://www.francetravail.fr"]
    assert values["checks"] == ["Première vérification", "Seconde vérification"]
    assert values["last_checked"] == _record("acre")["last_checked"]


def test_sending_the_form_unchanged_changes_nothing_for_every_aid():
    for aid in read_files().aids:
        current = aid_form.facts_of(aid)
        values, errors = aid_form.parse_form(aid_form.form_strings(current), TODAY)
        assert errors == {}, (aid["id"], errors)
        assert aid_edits.changes(current, values) == ({}, {}), aid["id"]


def test_spaces_are_tidied_but_non_breaking_spaces_kept():
    values, errors = aid_form.parse_form(
        _form(
            "acre",
            amount_text="  De 1\u202f000 €\u00a0à   5 000 €\t",
            summary="Une ligne,\r\npuis   une autre.",
        ),
        TODAY,
    )
    assert errors == {}
    assert values["amount_text"] == "De 1\u202f000 €\u00a0à 5 000 €"
    assert values["summary"] == "Une ligne, puis une autre."


def test_checked_today_sets_the_date_whatever_the_date_field_says():
    values, errors = aid_form.parse_form(
        _form("acre", last_checked="n'importe quoi", verifiee_aujourdhui="1"), TODAY
    )
    assert errors == {}
    assert values["last_checked"] == TODAY


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "ftp://exemple.fr"}, "url", "http:// ou https://"),
        ({"url": ""}, "url", "Indiquez l'adresse de la page officielle"),
        ({"amount_min": "beaucoup"}, "amount_min", "Indiquez un nombre d'euros"),
        ({"amount_max": "-5"}, "amount_max", "nombre positif"),
        (
            {"amount_min": "2000", "amount_max": "1000"},
            "amount_min",
            "minimum ne peut pas dépasser le montant maximum",
        ),
        ({"sources": "https://ok.fr\npas une adresse"}, "sources", "Ligne 2 : « pas une adresse »"),
        ({"sources": ""}, "sources", "au moins une source"),
        ({"valid_until": "2026-02-30"}, "valid_until", "date valide au format AAAA-MM-JJ"),
        ({"last_checked": "2026-12-10"}, "last_checked", "ne peut pas être dans le futur"),
        ({"last_checked": ""}, "last_checked", "vérifiée aujourd'hui"),
        ({"status": "ferme"}, "status", "Choisissez une valeur dans la liste"),
        ({"confidence": ""}, "confidence", "Choisissez une valeur dans la liste"),
        ({"name": "   "}, "name", "Indiquez le nom de l'aide"),
        ({"summary": ""}, "summary", "Indiquez un résumé"),
    ],
)
def test_field_checks_give_french_messages_next_to_the_field(changes, field, message):
    _, errors = aid_form.parse_form(_form("acre", **changes), TODAY)
    assert field in errors, errors
    assert any(message in text for text in errors[field]), errors[field]


def test_the_catalogue_validator_runs_on_the_whole_catalogue_with_the_edit():
    files = read_files()
    values, errors = aid_form.parse_form(_form("acre", status="closed", valid_until=""), TODAY)
    assert errors == {}  # the fields alone are fine…
    errors = aid_edits.check_edit(files, "acre", values)
    # … but the catalogue's rule « a closed aid has an end date » refuses it.
    assert list(errors) == ["valid_until"]
    assert "une aide fermée doit avoir une date de fin" in errors["valid_until"][0]
    values, _ = aid_form.parse_form(_form("acre", status="closed", valid_until="2026-06-30"), TODAY)
    assert aid_edits.check_edit(files, "acre", values) == {}


def test_errors_the_catalogue_already_had_are_not_blamed_on_the_edit():
    files = read_files()
    broken = next(a for a in files.aids if a["id"] == "arce")
    broken["last_checked"] = None
    assert validate(files)
    values, _ = aid_form.parse_form(_form("acre", amount_text="Nouveau montant"), TODAY)
    assert aid_edits.check_edit(files, "acre", values) == {}


def test_who_may_edit_an_aid():
    national = _record("acre")
    restricted = dict(
        _record("occitanie-pass"), scope={"regions": ["occitanie"], "territories": ["toulouse"]}
    )
    imported = dict(_record("acre"), origin="aides-territoires")
    assert aid_edits.edit_refusal(ROUBAIX, national) is None
    assert aid_edits.edit_refusal(ADMIN, national) is None
    assert "réservée à certains territoires" in aid_edits.edit_refusal(ROUBAIX, restricted)
    assert aid_edits.edit_refusal(TOULOUSE, restricted) is None
    assert aid_edits.edit_refusal(ADMIN, restricted) is None
    assert "Aides-territoires" in aid_edits.edit_refusal(ADMIN, imported)


def test_changes_keep_only_the_fields_that_differ():
    current = aid_form.facts_of(_record("acre"))
    new = dict(current, amount_max=5000.0, last_checked=TODAY)
    before, after = aid_edits.changes(current, new)
    assert after == {"amount_max": 5000, "last_checked": "2026-12-09"}
    assert before == {"amount_max": None, "last_checked": "2026-12-03"}
    assert aid_edits.changes(current, dict(current)) == ({}, {})


# --- Writing edits into the files (a copy) -------------------------------------------------


def test_the_yaml_round_trip_without_edits_is_byte_identical(data_copy):
    for path in sorted((data_copy / "aids").glob("*.yml")):
        document = yaml_writer.load_yaml(path.read_text(encoding="utf-8"))
        assert yaml_writer.dump_yaml(document) == path.read_text(encoding="utf-8"), path.name


def test_edits_are_written_with_comments_order_and_quoting_kept(data_copy):
    creation = data_copy / "aids" / "creation.yml"
    original = creation.read_text(encoding="utf-8")
    # Comments a reviewer might have written: between records and inside one.
    original = original.replace("- id: arce\n", "# Section : allocations chômage\n- id: arce\n", 1)
    original = original.replace(
        "  status: open\n", "  # à revoir en 2027\n  status: open  # vu\n", 1
    )
    creation.write_text(original, encoding="utf-8")
    untouched = {p: p.read_bytes() for p in (data_copy / "aids").glob("*.yml") if p != creation}
    after = {
        "amount_text": "Exonération de 25 % pendant 12 mois",
        "amount_max": 5000,
        "sources": ["https://www.urssaf.fr", "https://www.service-public.fr"],
        "checks": [],
        "status": "uncertain",
        "valid_until": "2027-12-31",
        "last_checked": "2026-12-09",
        "summary": "Une exonération partielle de vos cotisations sociales. " * 4,
    }
    report = write_back.write_edits(data_copy, [(7, "acre", {}, after)])
    assert report.written == [7]
    assert report.files == [creation]
    assert not report.missing
    text = creation.read_text(encoding="utf-8")
    assert "# Section : allocations chômage\n- id: arce\n" in text
    assert re.search(r"\n  checks: \[\]\n  # à revoir en 2027\n  status: uncertain +# vu\n", text)
    assert text.startswith(original.split("- id:")[0])  # the header comments
    assert '    text: "Exonération de 25 % pendant 12 mois"\n' in text
    assert "    max: 5000\n" in text
    assert "  valid_until: 2027-12-31\n" in text
    assert '    - "https://www.service-public.fr"\n' in text
    assert "  checks: []\n" in text
    assert "  summary: >-\n    Une exonération" in text
    assert all(
        len(line) <= 100
        for line in text.split("summary: >-\n")[1].split("  amount:")[0].splitlines()
    )
    # Only the acre record changed; the other records and files are byte-identical.
    before_acre, after_acre = original.split("- id: arce")[1], text.split("- id: arce")[1]
    assert before_acre == after_acre
    assert all(p.read_bytes() == content for p, content in untouched.items())
    # The files are still a valid catalogue, with the new facts.
    files = read_files(data_copy)
    assert validate(files) == []
    acre = next(a for a in files.aids if a["id"] == "acre")
    assert {key: value for key, value in acre["amount"].items() if key != "values"} == {
        "text": "Exonération de 25 % pendant 12 mois",
        "min": None,
        "max": 5000,
    }
    # A console edit changes the plain amount; the dated values stay as written in the files.
    shipped = next(a for a in read_files().aids if a["id"] == "acre")
    assert acre["amount"]["values"] == shipped["amount"]["values"]
    assert acre["status"] == "uncertain"
    assert acre["valid_until"] == date(2027, 12, 31)
    assert acre["checks"] == []
    assert acre["last_checked"] == TODAY
    assert list(acre)[:8] == list(_record("acre"))[:8]  # key order kept


def test_an_edit_that_would_break_the_files_writes_nothing(data_copy):
    before = _fingerprint(data_copy)
    with pytest.raises(
        write_back.WriteBackError, match="une aide fermée doit avoir une date de fin"
    ):
        write_back.write_edits(data_copy, [(1, "acre", {}, {"status": "closed"})])
    assert _fingerprint(data_copy) == before


def test_an_edit_of_an_aid_absent_from_the_files_is_reported(data_copy):
    before = _fingerprint(data_copy)
    report = write_back.write_edits(data_copy, [(3, "aide-inconnue", {}, {"name": "X"})])
    assert report.missing == [(3, "aide-inconnue")]
    assert report.written == []
    assert _fingerprint(data_copy) == before


# --- The database side, on SQLite and PostgreSQL -------------------------------------------


@pytest.fixture(params=DATABASES)
def database(request, tmp_path_factory, data_copy):
    url = request.param(tmp_path_factory)
    engine = store.make_engine(url)
    store.load(read_files(data_copy), engine)
    with Session(engine) as session, session.begin():
        account = create_account(
            session,
            "conseil@roubaix.example",
            "Conseil",
            "un mot de passe assez long",
            "conseiller",
            "roubaix",
            {"roubaix"},
        )
        account_id = account.id
    yield url, engine, account_id, data_copy
    opened = catalog_engine._cache.pop(url, None)
    if opened is not None:
        opened.engine.dispose()
    engine.dispose()


def _reviewer(session) -> Viewer:
    """An administrator who approves the changes to national aids (issue 18, finding 9)."""
    email = "relecture@anct.example"
    account = session.scalar(select(Account).where(Account.email == email))
    if account is None:
        account = create_account(
            session, email, "Relecture", "un autre mot de passe long", "admin", None, set()
        )
    return viewer_of(account)


def _edit(engine, account_id: int, aid_id: str, **facts) -> CatalogEdit | None:
    """An advisor's edit, approved by another account when the aid is national."""
    with Session(engine) as session, session.begin():
        current = aid_form.facts_of(store.aid_record(session.get(Aid, aid_id)))
        edit = aid_edits.save_edit(session, account_id, aid_id, dict(current, **facts))
        if edit is not None and edit.status == aid_edits.PROPOSED:
            edit = aid_edits.review(session, edit.id, _reviewer(session), approve=True)
        if edit is not None:
            session.expunge(edit)
        return edit


def test_migration_0005_adds_the_catalogue_revision_bumped_by_each_load(database):
    _url, engine, _, data = database
    with engine.connect() as connection:
        # 0005 or a later migration (revisions are numbered in order)
        assert (
            connection.execute(text("select version_num from alembic_version")).scalar() >= "0005"
        )
    first = store.revision(engine)
    store.load(read_files(data), engine)
    assert store.revision(engine) == first + 1


def test_an_edit_updates_the_aid_keeps_a_pending_edit_and_bumps_the_revision(database):
    _url, engine, account_id, _ = database
    revision = store.revision(engine)
    edit = _edit(engine, account_id, "acre", amount_max=5000, last_checked=TODAY)
    assert edit.status == aid_edits.PENDING
    assert edit.account_id == account_id
    assert edit.before == {"amount_max": None, "last_checked": "2026-12-03"}
    assert edit.after == {"amount_max": 5000, "last_checked": "2026-12-09"}
    assert store.revision(engine) == revision + 1
    acre = next(a for a in store.read(engine).aids if a["id"] == "acre")
    assert acre["amount"]["max"] == 5000
    assert acre["last_checked"] == TODAY
    assert _edit(engine, account_id, "acre", amount_max=5000) is None  # nothing changed
    assert store.revision(engine) == revision + 1


def test_loading_the_files_again_keeps_the_pending_edits(database):
    _url, engine, account_id, data = database
    _edit(engine, account_id, "acre", amount_text="Premier texte")
    _edit(engine, account_id, "acre", amount_text="Texte final", status="uncertain")
    counts = store.load(read_files(data), engine)
    assert counts["modifications de la console"] == 2
    acre = next(a for a in store.read(engine).aids if a["id"] == "acre")
    assert acre["amount"]["text"] == "Texte final"
    assert acre["status"] == "uncertain"


def test_apply_edits_writes_the_files_then_marks_the_edits_written(database):
    _url, engine, account_id, data = database
    _edit(engine, account_id, "acre", amount_text="Texte de la console", last_checked=TODAY)
    _edit(engine, account_id, "citeslab", sources=["http://www.citeslab.fr/"])
    report = write_back.apply_pending_edits(engine, data)
    assert len(report.written) == 2
    assert not report.missing
    assert not report.conflicts
    assert {p.name for p in report.files} == {"creation.yml", "qpv.yml"}
    with Session(engine) as session:
        edits = list(session.scalars(select(CatalogEdit)))
        assert {e.status for e in edits} == {aid_edits.WRITTEN}
        assert all(e.written_at is not None for e in edits)
    files = read_files(data)
    assert validate(files) == []
    acre = next(a for a in files.aids if a["id"] == "acre")
    assert acre["amount"]["text"] == "Texte de la console"
    assert acre["last_checked"] == TODAY
    # Loading the written files gives the same catalogue, with nothing left to re-apply.
    assert store.load(files, engine)["modifications de la console"] == 0
    assert (
        next(a for a in store.read(engine).aids if a["id"] == "acre")["amount"]["text"]
        == "Texte de la console"
    )
    assert write_back.apply_pending_edits(engine, data).written == []


def test_the_revision_makes_open_catalog_reload_an_edited_catalogue(database, monkeypatch):
    url, engine, account_id, _ = database
    monkeypatch.setattr(catalog_engine, "REVISION_CHECK_SECONDS", 0.0)
    first = catalog_engine.open_catalog(url)
    assert catalog_engine.open_catalog(url) is first  # unchanged: same object, no reload
    _edit(engine, account_id, "acre", name="ACRE (fiche corrigée)")
    reloaded = catalog_engine.open_catalog(url)
    assert reloaded is not first
    assert reloaded.aid("acre")["name"] == "ACRE (fiche corrigée)"
    assert catalog_engine.open_catalog(url) is reloaded


def test_open_catalog_looks_at_the_revision_at_most_every_few_seconds(database, monkeypatch):
    url, engine, account_id, _ = database
    monkeypatch.setattr(catalog_engine, "REVISION_CHECK_SECONDS", 3600.0)
    first = catalog_engine.open_catalog(url)
    _edit(engine, account_id, "acre", name="ACRE (pas encore vue)")
    assert catalog_engine.open_catalog(url) is first  # within the interval: cached
    monkeypatch.setattr(catalog_engine, "REVISION_CHECK_SECONDS", 0.0)
    assert catalog_engine.open_catalog(url).aid("acre")["name"] == "ACRE (pas encore vue)"
