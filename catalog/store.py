"""The catalogue database: engine, migrations, loading the data files, reading them back.

SQLite by default (`var/catalog.sqlite` in the project); any SQLAlchemy URL through
`DATABASE_URL`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from catalog.aid_schema import Amount, AmountValue, Scope, StoredAid, Withdrawal
from catalog.files import CatalogFiles
from catalog.models import (
    Aid,
    CatalogRevision,
    Commune,
    CommuneElsewhere,
    Contact,
    Qpv,
    Region,
    Territory,
)
from settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

SQLITE_BUSY_SECONDS = 30


def rows_touched(result: object) -> int:
    """How many rows a DELETE or UPDATE touched (`Session.execute` types it as a plain Result)."""
    return int(cast("CursorResult[Any]", result).rowcount)


def database_url() -> str:
    """DATABASE_URL, else the SQLite file var/catalog.sqlite."""
    return get_settings().catalog.database_url


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Several processes write to the file (action server, web server, qp): a writer waits
        # up to 30 s for another's transaction instead of failing with « database is locked »
        # (the driver's default, 5 s, is too short on two busy cores).
        return create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
    return create_engine(url)


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_loaded(engine: Engine) -> bool:
    if not inspect(engine).has_table("aids"):
        return False
    with Session(engine) as session:
        return session.scalar(select(Aid.id).limit(1)) is not None


def bump_revision(session: Session) -> None:
    """Mark the catalogue as changed (in the caller's transaction): processes that hold it in
    memory reload it at their next check (catalog.engine.open_catalog)."""
    # An UPDATE gives a CursorResult, which the stubs of `Session.execute` do not say.
    changed = cast(
        "CursorResult[Any]",
        session.execute(
            update(CatalogRevision)
            .where(CatalogRevision.id == 1)
            .values(revision=CatalogRevision.revision + 1, changed_at=datetime.now(UTC))
        ),
    ).rowcount
    if not changed:
        session.add(CatalogRevision(id=1, revision=1, changed_at=datetime.now(UTC)))


def revision(engine: Engine) -> int | None:
    """The catalogue's revision number; None when the database has no revision table yet
    (a schema older than migration 0005)."""
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(CatalogRevision.revision).where(CatalogRevision.id == 1)
            ).scalar()
    except SQLAlchemyError:
        if inspect(engine).has_table("catalog_revision"):
            raise
        return None


def load(files: CatalogFiles, engine: Engine) -> dict[str, int]:
    """Replace the curated records by those of the files, in one transaction (idempotent).

    Imported aids (origin other than "catalogue") whose id is not curated are kept. The console
    edits not yet written into the files (catalog/aid_edits.py) are applied again on top, so that
    a reload never loses them.
    """
    from catalog.aid_edits import reapply_pending  # aid_edits reads the database through here

    migrate(engine)
    with Session(engine) as session, session.begin():
        # A reload may change any fact: every curated aid gets a new version, so that an edit
        # form opened before it cannot overwrite what the files now say.
        versions = dict(session.execute(select(Aid.id, Aid.version)).all())
        session.execute(delete(Contact))
        session.execute(delete(CommuneElsewhere))
        session.execute(delete(Qpv))
        session.execute(delete(Commune))
        session.execute(delete(Territory))
        session.execute(delete(Aid).where(Aid.origin == "catalogue"))
        session.execute(delete(Region))
        session.flush()
        curated = {aid["id"] for aid in files.aids}
        session.execute(delete(Aid).where(Aid.id.in_(curated)))
        session.add_all(
            Region(
                id=r["id"],
                name=r["name"],
                insee_code=r.get("insee_code"),
                departments=r.get("departments") or [],
            )
            for r in files.regions
        )
        session.flush()
        for t in files.territories:
            epci = t.get("epci") or {}
            session.add(
                Territory(
                    id=t["id"],
                    name=t["name"],
                    region_id=t["region"],
                    epci_siren=epci.get("siren"),
                    epci_name=epci.get("name"),
                )
            )
        session.flush()
        for t in files.territories:
            session.add_all(
                Commune(
                    insee=c["insee"],
                    name=c["name"],
                    territory_id=t["id"],
                    postal_codes=[str(p) for p in c.get("postal_codes") or []],
                )
                for c in t.get("communes") or []
            )
        session.flush()
        for t in files.territories:
            # One row per QPV and commune of the territory (an intercommunal QPV has several).
            ours = {c["insee"] for c in t.get("communes") or []}
            source = (t.get("qpv_official") or {}).get("source")
            session.add_all(
                Qpv(
                    code=q.get("code"),
                    name=q["name"],
                    commune_insee=insee,
                    confidence="confirmed",
                    source=source,
                )
                for q in t.get("qpv") or []
                for insee in q.get("communes") or []
                if insee in ours
            )
        # The edge: each record is checked and typed once, here (catalog/aid_schema.py).
        for aid in files.aids:
            model = aid_row(StoredAid.model_validate(aid))
            model.version = (versions.get(model.id) or 0) + 1
            session.add(model)
        session.add_all(_contact_model(c) for c in files.contacts)
        session.add_all(
            CommuneElsewhere(
                insee=h["insee"],
                name=h["name"],
                department=h["department"],
                department_name=h.get("department_name"),
                postal_codes=h.get("postal_codes") or [],
            )
            for h in files.homonyms
        )
        session.flush()
        reapplied = reapply_pending(session)
        bump_revision(session)
    return {
        "aids": len(files.aids),
        "territories": len(files.territories),
        "communes": sum(len(t.get("communes") or []) for t in files.territories),
        "qpv": sum(len(t.get("qpv") or []) for t in files.territories),
        "contacts": len(files.contacts),
        "regions": len(files.regions),
        "homonymes": len(files.homonyms),
        "modifications de la console": reapplied,
    }


def aid_row(aid: StoredAid) -> Aid:
    """The database row of a checked aid."""
    return Aid(
        id=aid.id,
        name=aid.name,
        family=aid.family,
        provider=aid.provider,
        operator=aid.operator,
        type=aid.type,
        summary=aid.summary,
        amount_text=aid.amount.text,
        amount_min=aid.amount.min,
        amount_max=aid.amount.max,
        amount_values=(
            [value.model_dump(mode="json") for value in aid.amount.values]
            if aid.amount.values
            else None
        ),
        qpv_specific=aid.qpv_specific,
        needs=list(aid.needs),
        regions=list(aid.scope.regions),
        territories=list(aid.scope.territories),
        eligibility=aid.eligibility,
        checks=list(aid.checks),
        status=aid.status,
        valid_from=aid.valid_from,
        valid_until=aid.valid_until,
        url=aid.url,
        sources=list(aid.sources),
        confidence=aid.confidence,
        last_checked=aid.last_checked,
        withdrawn_since=aid.withdrawn.since if aid.withdrawn else None,
        withdrawn_reason=aid.withdrawn.reason if aid.withdrawn else None,
        research_ref=aid.research_ref,
        origin=aid.origin,
    )


def _contact_model(contact: dict[str, Any]) -> Contact:
    return Contact(
        id=contact["id"],
        name=contact["name"],
        kind=contact["kind"],
        territory_id=contact.get("territory"),
        needs=contact.get("needs") or [],
        stages=contact.get("stages") or [],
        description=contact.get("description"),
        url=contact.get("url"),
        phone=_text(contact.get("phone")),
        email=contact.get("email"),
        address=contact.get("address"),
        hours=contact.get("hours"),
        confidence=contact["confidence"],
        sources=contact.get("sources") or [],
        last_checked=contact.get("last_checked"),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def read(engine: Engine) -> CatalogFiles:
    """Read the database back into records of the files' shape (see data/README.md)."""
    with Session(engine) as session:
        regions = [
            {"id": r.id, "name": r.name, "insee_code": r.insee_code, "departments": r.departments}
            for r in session.scalars(select(Region))
        ]
        communes: dict[str, list[dict[str, Any]]] = {}
        for c in session.scalars(select(Commune).order_by(Commune.insee)):
            communes.setdefault(c.territory_id, []).append(
                {"insee": c.insee, "name": c.name, "postal_codes": c.postal_codes}
            )
        # territory -> code -> QPV (rows regrouped)
        qpvs: dict[str, dict[str, dict[str, Any]]] = {}
        commune_territory = {c["insee"]: t for t, cs in communes.items() for c in cs}
        for q in session.scalars(select(Qpv).order_by(Qpv.id)):
            territory = commune_territory.get(q.commune_insee)
            if territory is None:  # a commune of no territory: not part of the map
                continue
            by_code = qpvs.setdefault(territory, {})
            record = by_code.setdefault(
                q.code or q.name, {"code": q.code, "name": q.name, "communes": []}
            )
            record["communes"].append(q.commune_insee)
        territories = [
            {
                "id": t.id,
                "name": t.name,
                "region": t.region_id,
                "epci": {"siren": t.epci_siren, "name": t.epci_name},
                "communes": communes.get(t.id, []),
                "qpv": list(qpvs.get(t.id, {}).values()),
            }
            for t in session.scalars(select(Territory))
        ]
        aids = [aid_record(a) for a in session.scalars(select(Aid).order_by(Aid.id))]
        contacts = [
            {
                "id": c.id,
                "name": c.name,
                "kind": c.kind,
                "territory": c.territory_id,
                "needs": c.needs,
                "stages": c.stages,
                "description": c.description,
                "url": c.url,
                "phone": c.phone,
                "email": c.email,
                "address": c.address,
                "hours": c.hours,
                "confidence": c.confidence,
                "sources": c.sources,
                "last_checked": c.last_checked,
            }
            for c in session.scalars(select(Contact).order_by(Contact.id))
        ]
        homonyms = [
            {
                "insee": h.insee,
                "name": h.name,
                "department": h.department,
                "department_name": h.department_name,
                "postal_codes": h.postal_codes,
            }
            for h in session.scalars(select(CommuneElsewhere).order_by(CommuneElsewhere.insee))
        ]
    return CatalogFiles(
        aids=aids, territories=territories, regions=regions, contacts=contacts, homonyms=homonyms
    )


def read_aids(engine: Engine) -> list[StoredAid]:
    """Every aid of the database, typed, by id."""
    with Session(engine) as session:
        return [aid_of_row(a) for a in session.scalars(select(Aid).order_by(Aid.id))]


def aid_of_row(a: Aid) -> StoredAid:
    """One aid of the database, typed (catalog/aid_schema.py). Rows were checked on their way
    in (`load`, the importer, a console edit checked by the validator): not checked again."""
    values: dict[str, Any] = {
        "id": a.id,
        "name": a.name,
        "family": a.family,
        "provider": a.provider,
        "operator": a.operator,
        "type": a.type,
        "summary": a.summary,
        "amount": Amount.model_construct(
            text=a.amount_text,
            min=_euros(a.amount_min),
            max=_euros(a.amount_max),
            values=(
                [AmountValue.model_validate(value, strict=False) for value in a.amount_values]
                if a.amount_values
                else None
            ),
        ),
        "qpv_specific": a.qpv_specific,
        "needs": list(a.needs or []),
        "scope": Scope.model_construct(
            regions=list(a.regions or []), territories=list(a.territories or [])
        ),
        "eligibility": a.eligibility,
        "checks": list(a.checks or []),
        "status": a.status,
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "url": a.url,
        "sources": list(a.sources or []),
        "confidence": a.confidence,
        "last_checked": a.last_checked,
        "withdrawn": (
            Withdrawal.model_construct(since=a.withdrawn_since, reason=a.withdrawn_reason or "")
            if a.withdrawn_since
            else None
        ),
        "research_ref": a.research_ref,
        "origin": a.origin,
    }
    return StoredAid.model_construct(**values)


def _euros(value: float | None) -> int | float | None:
    """A Float column's value as the files write it (5000, not 5000.0)."""
    return int(value) if value is not None and float(value).is_integer() else value


def aid_record(a: Aid) -> dict[str, Any]:
    """One aid of the database as a record of the files' shape (see data/README.md), with its
    `origin`."""
    record = aid_of_row(a).record()
    if not record["scope"]["regions"] and not record["scope"]["territories"]:
        record["scope"] = {}
    return record
