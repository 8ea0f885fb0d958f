"""SQLAlchemy 2.x models of the catalogue. The schema is created by Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    insee_code: Mapped[str | None] = mapped_column(String(8))
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)


class Territory(Base):
    __tablename__ = "territories"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[str] = mapped_column(ForeignKey("regions.id"))
    epci_siren: Mapped[str | None] = mapped_column(String(9))
    epci_name: Mapped[str | None] = mapped_column(String(200))


class Commune(Base):
    __tablename__ = "communes"

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    territory_id: Mapped[str] = mapped_column(ForeignKey("territories.id"), index=True)
    postal_codes: Mapped[list[str]] = mapped_column(JSON, default=list)


class Qpv(Base):
    __tablename__ = "qpv"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    code: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"), index=True)
    confidence: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(Text)


class Aid(Base):
    __tablename__ = "aids"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    family: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(300))
    operator: Mapped[str | None] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    amount_text: Mapped[str | None] = mapped_column(Text)
    amount_min: Mapped[float | None] = mapped_column(Float)
    amount_max: Mapped[float | None] = mapped_column(Float)
    # Dated values (catalog/amounts.py): [{since, min, max, text, reference}], or null.
    amount_values: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    qpv_specific: Mapped[bool] = mapped_column(Boolean, default=False)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    territories: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    checks: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidence: Mapped[str] = mapped_column(String(16))
    last_checked: Mapped[date | None] = mapped_column(Date)
    # Withdrawn from the recommendations until checked again (aid_schema.Withdrawal), or null.
    withdrawn_since: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    research_ref: Mapped[str | None] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(32), default="catalogue")
    # Raised by every change (console edit, approved proposal, reload of the files): the
    # console's edit form carries it, and a save made on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    territory_id: Mapped[str | None] = mapped_column(ForeignKey("territories.id"), index=True)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    stages: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    hours: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(16))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_checked: Mapped[date | None] = mapped_column(Date)


class CommuneElsewhere(Base):
    """A commune outside the 14 territories named like one of theirs (to ask which one)."""

    __tablename__ = "communes_elsewhere"

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(3))
    department_name: Mapped[str | None] = mapped_column(String(100))
    postal_codes: Mapped[list[str]] = mapped_column(JSON, default=list)


class Lead(Base):
    """A request to be contacted by a territory's advisors (handoff), with the person's consent.

    Holds personal data (e-mail or phone): erased with the conversation on request.
    """

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sender_id: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str | None] = mapped_column(String(40))
    territory_id: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    aids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="nouveau")


class Account(Base):
    """An advisor's or an administrator's access to the console. The password is stored as an
    Argon2 hash only. An advisor belongs to one territory; an administrator to none."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # "conseiller" or "admin"
    territory_id: Mapped[str | None] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # E-mails about new contact requests: False, one at each request; True, one daily digest
    # (catalog/notify.py). digest_until: the end of the period the last digest covered.
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One console action: who, when, what (never the personal data itself)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    account_email: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Repeated unauthenticated events (refused or limited sign-ins) are counted in one entry
    # per quarter of an hour instead of one row each (catalog/audit.py, `record_repeated`).
    count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConsoleSession(Base):
    """A signed-in console session, kept on the server: the cookie only carries a random
    token whose SHA-256 is the id here. Signing out, a password change or a deactivation
    deletes the rows, so a copied cookie stops working at once (catalog/sessions.py)."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RateLimitCounter(Base):
    """One fixed-window counter of the rate limits (catalog/ratelimit.py), shared by every
    process that uses the catalogue database; expired rows are purged as new ones come."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # Unix time


class NluCorrection(Base):
    """A misunderstood message marked by an advisor with the right intent and entities,
    kept as a Rasa training example (`annotated`, in Rasa's [value](entity) syntax)."""

    __tablename__ = "nlu_corrections"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    territory_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sender_id: Mapped[str] = mapped_column(String(200), index=True)
    message_at: Mapped[float] = mapped_column(Float)  # the user event's Rasa timestamp
    text: Mapped[str] = mapped_column(Text)
    predicted_intent: Mapped[str | None] = mapped_column(String(64))
    predicted_confidence: Mapped[float | None] = mapped_column(Float)
    intent: Mapped[str] = mapped_column(String(64))
    annotated: Mapped[str] = mapped_column(Text)


class CatalogEdit(Base):
    """An advisor's change to an aid's facts, applied to the database at once and written
    back into catalog/data/ by `qp catalog apply-edits` (see catalog/README.md)."""

    __tablename__ = "catalog_edits"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    aid_id: Mapped[str] = mapped_column(String(100), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # "a_valider" (a change to a national aid, waiting for another account's approval),
    # "en_attente" (applied, not yet written into the files), "ecrite", or "refusee".
    status: Mapped[str] = mapped_column(String(16), default="en_attente")
    written_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int | None] = mapped_column(Integer)  # the aid's version it produced
    base_version: Mapped[int | None] = mapped_column(Integer)  # the version it was made on
    reviewer_id: Mapped[int | None] = mapped_column(Integer)  # who approved or refused it
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CatalogRevision(Base):
    """One row (id 1) whose number grows with every change of the catalogue in the database
    (`qp catalog load`, a console edit): processes holding the catalogue in memory compare it
    to reload (catalog/engine.py)."""

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QpvPerimeter(Base):
    """The official perimeter of one QPV (ANCT's GeoJSON on data.gouv.fr), imported by
    `qp catalog import-qpv FILE` and read by catalog/qpv_perimeters.py for the address check.
    Not part of the catalogue files: `qp catalog load` leaves this table alone."""

    __tablename__ = "qpv_perimeters"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    communes: Mapped[list[str]] = mapped_column(JSON, default=list)  # INSEE codes
    geometry: Mapped[bytes] = mapped_column(LargeBinary)  # WKB, WGS84 longitude/latitude
    source: Mapped[str] = mapped_column(Text)  # the imported file, as given
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ErasureRequest(Base):
    """A person's request to erase their data, kept until `qp purge` has checked that nothing of
    theirs is left in any store (then deleted): the conversation id and the moment of the
    request (Rasa's timestamp of the request message, seconds since the epoch)."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    sender_id: Mapped[str] = mapped_column(String(200), index=True)
    requested_at: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(200))  # an error's kind, no data


class Notification(Base):
    """An e-mail to advisors waiting to be sent, or sent (the outbox of catalog/notify.py).

    Written in the same transaction as what it tells (a new lead), so that none is lost; sent
    by `qp notify send` (and the runner's loop), retried until the SMTP server accepts it.
    Holds no personal data of the people who asked for help: the subject and body name a
    territory, a request number and a console link; the recipients are console accounts'
    addresses and the territories' team addresses from the settings."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(20))  # "demande" or "synthese"
    territory_id: Mapped[str | None] = mapped_column(String(64))
    lead_id: Mapped[int | None] = mapped_column(Integer, index=True)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))  # an error's kind, no data


class ObservedConversation(Base):
    """One conversation as the observatory counts it (migration 0013), built from the events
    Rasa publishes (bot/observatory/). No message text and no sender id: `key` is a hash of
    the conversation id (catalog/observatory.py), profile values are the contract's codes.
    `state` is the consumer's bookkeeping between two batches of events."""

    __tablename__ = "observed_conversations"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    territory_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    first_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch, UTC
    last_at: Mapped[float] = mapped_column(Float, index=True)
    turns: Mapped[int] = mapped_column(Integer, default=0)  # messages of the person
    stade: Mapped[str | None] = mapped_column(String(40))
    secteur: Mapped[str | None] = mapped_column(String(40))
    statut: Mapped[str | None] = mapped_column(String(40))
    habite_qpv: Mapped[bool | None] = mapped_column(Boolean)
    implante_qpv: Mapped[bool | None] = mapped_column(Boolean)
    besoins: Mapped[list[str]] = mapped_column(JSON, default=list)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # codes, yes/no only
    aids_shown: Mapped[int] = mapped_column(Integer, default=0)
    fallbacks: Mapped[int] = mapped_column(Integer, default=0)  # messages not understood
    contact_asked: Mapped[bool] = mapped_column(Boolean, default=False)  # asked for an advisor
    lead: Mapped[bool] = mapped_column(Boolean, default=False)  # a callback request recorded
    outcome: Mapped[str | None] = mapped_column(String(40))  # the last question, or a step
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ObservedRecommendation(Base):
    """One aid shown in a conversation, at its rank (1 = first), once per conversation."""

    __tablename__ = "observed_recommendations"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("observed_conversations.id", ondelete="CASCADE"), index=True
    )
    aid_id: Mapped[str] = mapped_column(String(120), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    shown_at: Mapped[float] = mapped_column(Float)
    details_asked: Mapped[bool] = mapped_column(Boolean, default=False)  # « En savoir plus »
    # its official link opened from the widget (catalog/observatory.py, opened_event)
    opened: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ObservatoryPosition(Base):
    """How far the consumer has read a source of events: the SQL broker's last row id; for a
    RabbitMQ queue, the events folded so far and the fingerprints of the messages that may
    come again (bot/observatory/consumer.py, `fold_messages`)."""

    __tablename__ = "observatory_position"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    recent: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class Fiche(Base):
    """« Ma fiche »: a person's printable summary of a recommendation (profile, aids with what
    to bring, local contacts), reached by a secret link until `expires_at`. Only the SHA-256
    of the link's token is stored; the content holds no e-mail or phone number. Deleted with
    the conversation on request (catalog/erasure.py) and once expired (catalog/retention.py)."""

    __tablename__ = "fiches"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sender_id: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
