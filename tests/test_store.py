"""The catalogue database on SQLite and on PostgreSQL: migrations, idempotent load, read back."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from conftest import DATABASES
from sqlalchemy import inspect, text

from catalog import store
from catalog.files import read_files


@pytest.fixture(params=DATABASES)
def engine(request, tmp_path_factory):
    engine = store.make_engine(request.param(tmp_path_factory))
    yield engine
    engine.dispose()


def test_migrations_create_every_table_and_record_the_revision(engine):
    store.migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "aids",
        "territories",
        "communes",
        "qpv",
        "contacts",
        "regions",
        "communes_elsewhere",
        "leads",
        "accounts",
        "audit_log",
        "nlu_corrections",
        "catalog_edits",
        "catalog_revision",
        "alembic_version",
    } <= tables
    head = ScriptDirectory(str(Path(store.__file__).parent / "migrations")).get_current_head()
    with engine.connect() as connection:
        assert connection.execute(text("select version_num from alembic_version")).scalar() == head


def test_loading_twice_gives_the_same_catalogue_as_the_files(engine):
    files = read_files()
    first = store.load(files, engine)
    second = store.load(read_files(), engine)
    assert first == second
    assert first["aids"] == 50
    assert first["territories"] == 14
    assert first["communes"] > 400
    back = store.read(engine)
    assert {a["id"] for a in back.aids} == {a["id"] for a in files.aids}
    original = next(a for a in files.aids if a["id"] == "acre")
    loaded = next(a for a in back.aids if a["id"] == "acre")
    assert loaded["eligibility"] == original["eligibility"]
    assert loaded["valid_from"] == original.get("valid_from")
    assert loaded["last_checked"] == original["last_checked"]
    assert loaded["origin"] == "catalogue"
    roubaix = next(t for t in back.territories if t["id"] == "roubaix")
    assert roubaix["communes"][0]["postal_codes"] == ["59100"]
    assert len(back.contacts) == len(files.contacts)


def test_migration_0014_writes_roles_origins_and_dated_amount_keys_by_the_naming_rule(engine):
    """A database of before the renaming (roles `advisor`, origin `curated`, dated amounts keyed
    `depuis/texte/titre`) reads as the code now writes it after `store.migrate`."""
    store.migrate(engine)
    store.load(read_files(), engine)
    old_values = [
        {"depuis": "2024-12-06", "max": 17000, "texte": "Jusqu'à 17 000 €",
         "reference": {"titre": "Décret n° 2024-1123", "url": "https://example.org"}},
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(text("UPDATE aids SET origin = 'curated'"))
        connection.execute(
            text("UPDATE aids SET amount_values = :v WHERE id = 'microcredit-adie'"),
            {"v": json.dumps(old_values)},
        )
        connection.execute(
            text(
                "INSERT INTO accounts (email, name, password_hash, role, territory_id, active,"
                " created_at) VALUES ('a@exemple.fr', 'A', 'x', 'advisor', 'roubaix', :t, :now)"
            ),
            {"t": True, "now": datetime(2026, 12, 1)},
        )
        # The schema of 0013 had no withdrawal columns (0015 adds them).
        connection.execute(text("ALTER TABLE aids DROP COLUMN withdrawn_since"))
        connection.execute(text("ALTER TABLE aids DROP COLUMN withdrawn_reason"))
        connection.execute(text("DROP TABLE fiches"))  # nor the fiches' table (0016)
        # It still had the territories' economic service (0017 drops it).
        connection.execute(text("ALTER TABLE territories ADD COLUMN economic_service JSON"))
        # nor the aids' links opened (0018)
        connection.execute(text("ALTER TABLE observed_recommendations DROP COLUMN opened"))
        # nor the RabbitMQ fingerprints (0019)
        connection.execute(text("ALTER TABLE observatory_position DROP COLUMN recent"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0013'"))
    store.migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT DISTINCT origin FROM aids")).scalars().all() == [
            "catalogue"
        ]
        assert connection.execute(text("SELECT role FROM accounts")).scalar() == "conseiller"
    adie = next(a for a in store.read(engine).aids if a["id"] == "microcredit-adie")
    [value] = adie["amount"]["values"]
    assert value["since"] == date(2024, 12, 6)
    assert value["text"] == "Jusqu'à 17 000 €"
    assert value["reference"] == {"title": "Décret n° 2024-1123", "url": "https://example.org"}
    assert "economic_service" not in {c["name"] for c in inspect(engine).get_columns("territories")}
    # 0015 added the withdrawal columns back, empty until the files are loaded again.
    assert all(a["withdrawn"] is None for a in store.read(engine).aids)
    store.load(read_files(), engine)
    pass_occitanie = next(a for a in store.read(engine).aids if a["id"] == "occitanie-pass")
    assert pass_occitanie["withdrawn"]["since"] == date(2026, 12, 2)
