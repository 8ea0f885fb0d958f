"""Optimistic locking and review of catalogue edits (catalog/aid_edits.py), on the real SQLite and
PostgreSQL databases, with concurrent saves from several threads (issue 18, finding 9)."""

from __future__ import annotations

import threading

import pytest
from conftest import DATABASES
from sqlalchemy.orm import Session

from catalog import aid_edits, aid_form, store
from catalog.accounts import create_account, viewer_of
from catalog.files import read_files
from catalog.models import Aid


@pytest.fixture(scope="module", params=DATABASES)
def loaded(request, tmp_path_factory):
    engine = store.make_engine(request.param(tmp_path_factory))
    files = read_files()
    store.load(files, engine)
    territories = {t["id"] for t in files.territories}
    with Session(engine) as db, db.begin():
        people = [
            viewer_of(
                create_account(
                    db, f"c{n}@exemple.fr", "", "mot-de-passe-12", "conseiller", t, territories
                )
            )
            for n, t in enumerate(("roubaix", "toulouse"))
        ]
    yield engine, people
    engine.dispose()


def facts(engine, aid_id: str, **changes) -> dict:
    with Session(engine) as db:
        aid = db.get(Aid, aid_id)
        return {**aid_form.facts_of(store.aid_record(aid)), **changes}, aid.version


def save_concurrently(engine, account_id: int, aid_id: str, texts: list[str], version: int):
    """Each text saved by its own thread, all on the same version, released together."""
    start, outcomes = threading.Barrier(len(texts)), []

    def save(text: str) -> None:
        values, _ = facts(engine, aid_id, amount_text=text)
        start.wait()
        try:
            with Session(engine) as db, db.begin():
                aid_edits.save_edit(db, account_id, aid_id, values, version)
            outcomes.append(("saved", text))
        except aid_edits.EditConflictError as conflict:
            outcomes.append(("conflict", conflict))

    threads = [threading.Thread(target=save, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_finding_9_only_one_of_concurrent_saves_wins_the_others_see_its_change(loaded):
    engine, (roubaix, _) = loaded
    _, version = facts(engine, "hdf-start-up")
    outcomes = save_concurrently(
        engine, roubaix.id, "hdf-start-up", [f"Montant n° {n}" for n in range(4)], version
    )
    saved = [text for kind, text in outcomes if kind == "saved"]
    conflicts = [c for kind, c in outcomes if kind == "conflict"]
    assert len(saved) == 1
    assert len(conflicts) == 3
    current, new_version = facts(engine, "hdf-start-up")
    assert current["amount_text"] == saved[0]
    assert new_version == version + 1
    for conflict in conflicts:
        assert conflict.current == version + 1
        assert [e.after["amount_text"] for e in conflict.since] == [saved[0]]


def test_finding_9_a_national_aid_is_only_changed_by_an_approval(loaded):
    engine, (roubaix, toulouse) = loaded
    values, version = facts(engine, "acre", url="https://www.urssaf.fr/acre-nouvelle-page")
    revision = store.revision(engine)
    with Session(engine) as db, db.begin():
        proposal = aid_edits.save_edit(db, roubaix.id, "acre", values, version).id
    assert facts(engine, "acre")[1] == version
    assert store.revision(engine) == revision
    with (
        Session(engine) as db,
        db.begin(),
        pytest.raises(aid_edits.ReviewError, match="propre proposition"),
    ):
        aid_edits.review(db, proposal, roubaix, approve=True)
    with Session(engine) as db, db.begin():
        aid_edits.review(db, proposal, toulouse, approve=True)
    after, new_version = facts(engine, "acre")
    assert after["url"] == "https://www.urssaf.fr/acre-nouvelle-page"
    assert new_version == version + 1
    assert store.revision(engine) == revision + 1
    # Reloading the files gives every aid a new version: a form opened before is out of date.
    store.load(read_files(), engine)
    with Session(engine) as db, db.begin(), pytest.raises(aid_edits.EditConflictError):
        aid_edits.save_edit(db, roubaix.id, "hdf-start-up", facts(engine, "hdf-start-up")[0], 1)
