"""What the observatory page shows: aggregates of the observed conversations (catalog/
observatory.py) for a scope of territories, a period and a channel, as small tables.

Aggregates only: every table counts conversations (people), or things people did (messages
not understood, callback requests), never lists one. A cell is masked when fewer than 5 people
are behind it: `shown()` writes it « < 5 » (a zero says nothing of anyone and stays 0), the
same in the page, its charts and its CSV files. A count of things is a `Count`, which carries
the number of people behind it, so 8 messages from 4 people read « < 5 ». The callback
requests come from the `leads` table (their follow-up status), counted the same way.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Text, case, cast, func, select
from sqlalchemy.orm import Session

from catalog.labels import LEAD_STATUS_LABELS, wording
from catalog.models import Lead, ObservedConversation, ObservedRecommendation
from catalog.profile import ENUMS, TERRITORY_IDS

SMALL = 5  # below this many, a count is not shown
MASK = "< 5"
CHANNELS = {"widget": "Widget web", "telegram": "Telegram", "rest": "REST", "console": "Console"}
UNKNOWN = "non renseigné"


class Count(int):
    """A number of things (messages, requests) and the number of people behind them: masking
    looks at the people. A plain int counts people."""

    people: int

    def __new__(cls, value: int, people: int) -> Count:
        made = super().__new__(cls, value)
        made.people = people
        return made


def people(count: int) -> int:
    """How many people are behind a count."""
    return count.people if isinstance(count, Count) else count


def hidden(count: int) -> bool:
    """Whether a count must not be shown: from 1 to 4 people behind it."""
    return 0 < people(count) < SMALL


def shown(count: int) -> str:
    """A count as the page may show it."""
    return MASK if hidden(count) else str(int(count))


@dataclass(frozen=True)
class Table:
    """One table of the page: `rows` of (label, counts…); the first count is the one charted."""

    name: str  # its id in the page and its CSV file name
    title: str
    columns: tuple[str, ...]  # the label column first
    rows: list[tuple[Any, ...]]
    note: str = ""

    def cells(self) -> list[tuple[str, ...]]:
        """The rows as shown: labels as they are, counts masked."""
        return [
            (str(row[0]), *(shown(v) if isinstance(v, int) else str(v) for v in row[1:]))
            for row in self.rows
        ]


@dataclass(frozen=True)
class Filters:
    scope: tuple[str, ...] | None  # territory ids; None: all (administrators)
    since: float | None = None  # seconds since the epoch
    until: float | None = None
    channel: str | None = None


@dataclass
class Report:
    conversations: int
    tables: list[Table] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


def _where(query: Any, filters: Filters) -> Any:
    c = ObservedConversation
    query = query.where(c.turns > 0)
    if filters.scope is not None:
        query = query.where(c.territory_id.in_(filters.scope))
    if filters.since is not None:
        query = query.where(c.first_at >= filters.since)
    if filters.until is not None:
        query = query.where(c.first_at < filters.until)
    if filters.channel:
        query = query.where(c.channel == filters.channel)
    return query


FIRST_MONDAY = date(1970, 1, 5)  # weeks are counted from this Monday (UTC)
WEEK_SECONDS = 7 * 86400


def _week_number(session: Session) -> Any:
    """The week of a conversation's start, counted by the database (an integer; floor)."""
    since_monday = ObservedConversation.first_at - 4 * 86400  # 1970-01-01 was a Thursday
    if session.get_bind().dialect.name == "sqlite":  # CAST truncates: floor for these values
        return cast(since_monday / WEEK_SECONDS, Integer)
    return cast(func.floor(since_monday / WEEK_SECONDS), Integer)


def _per_week(session: Session, filters: Filters, *values: Any) -> list[tuple[Any, ...]]:
    """`values` per week of the conversations' start: one row per week, a label and a count
    per value (Counts as the database returns them, see `_fallbacks_per_week`)."""
    week = _week_number(session)
    found = session.execute(_where(select(week, *values), filters).group_by(week)).all()
    return _weeks(
        {
            FIRST_MONDAY + timedelta(weeks=int(n)): tuple(int(v or 0) for v in vs)
            for n, *vs in found
        },
        len(values),
    )


def _weeks(counts: dict[date, tuple[int, ...]], width: int) -> list[tuple[Any, ...]]:
    counts = {week: n for week, n in counts.items() if any(n)}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    weeks, week = [], first
    while week <= last:  # every week of the period, empty ones too
        weeks.append((f"semaine du {week.strftime('%d/%m/%Y')}", *counts.get(week, (0,) * width)))
        week += timedelta(days=7)
    return weeks


def _fallbacks_per_week(session: Session, filters: Filters) -> list[tuple[Any, ...]]:
    """Messages not understood per week, and the people who wrote them: the messages' cell is
    masked on the people (8 messages from 4 people read « < 5 »)."""
    c = ObservedConversation
    rows = _per_week(
        session, filters, func.sum(c.fallbacks), func.sum(case((c.fallbacks > 0, 1), else_=0))
    )
    return [(label, Count(messages, people), people) for label, messages, people in rows]


def _values(field_name: str) -> dict[str, str]:
    return dict((wording().get("values") or {}).get(field_name) or {})


def _field_label(name: str) -> str:
    return str(((wording().get("fields") or {}).get(name) or {}).get("label") or name)


def _distribution(
    session: Session, filters: Filters, column: Any, name: str
) -> list[tuple[str, int]]:
    found = dict(
        session.execute(_where(select(column, func.count()), filters).group_by(column)).all()
    )
    labels = _values(name)
    rows = [(labels.get(v, v), found.get(v, 0)) for v in ENUMS[name]]
    return [*rows, (UNKNOWN, found.get(None, 0))]


def _yes_no(session: Session, filters: Filters, column: Any) -> list[tuple[str, int]]:
    found = dict(
        session.execute(_where(select(column, func.count()), filters).group_by(column)).all()
    )
    return [
        ("oui", found.get(True, 0)),
        ("non", found.get(False, 0)),
        (UNKNOWN, found.get(None, 0)),
    ]


def build(session: Session, filters: Filters, aid_names: dict[str, str]) -> Report:
    """Every table of the page for these filters."""
    c = ObservedConversation
    total = session.scalar(_where(select(func.count()), filters).select_from(c)) or 0
    report = Report(total)
    report.tables.append(
        Table(
            "conversations",
            "Conversations par semaine",
            ("Semaine", "Conversations"),
            _per_week(session, filters, func.count()),
            "Semaine où la conversation a commencé (lundi, heure UTC).",
        )
    )
    for name in ("stade", "secteur", "statut"):
        report.tables.append(
            Table(
                name,
                _field_label(name),
                (_field_label(name), "Conversations"),
                _distribution(session, filters, getattr(c, name), name),
            )
        )
    lives = dict(_yes_no(session, filters, c.habite_qpv))
    works = dict(_yes_no(session, filters, c.implante_qpv))
    report.tables.append(
        Table(
            "qpv",
            "Quartier prioritaire (QPV)",
            ("Réponse", "Habite en QPV", "Entreprise en QPV"),
            [(k, lives[k], works[k]) for k in ("oui", "non", UNKNOWN)],
        )
    )
    as_text = cast(c.besoins, Text)  # a JSON list of codes: '["financement"]'
    counted = session.execute(
        _where(
            select(
                *(
                    func.sum(case((as_text.like(f'%"{need}"%'), 1), else_=0))
                    for need in ENUMS["besoins"]
                )
            ),
            filters,
        )
    ).one()
    needs = {need: int(n or 0) for need, n in zip(ENUMS["besoins"], counted, strict=True)}
    labels = _values("besoins")
    report.tables.append(
        Table(
            "besoins",
            "Besoins exprimés",
            ("Besoin", "Conversations"),
            sorted(((labels.get(v, v), needs[v]) for v in ENUMS["besoins"]), key=lambda r: -r[1]),
            "Une personne peut exprimer plusieurs besoins.",
        )
    )
    r = ObservedRecommendation
    shown_aids = session.execute(
        _where(
            select(
                r.aid_id,
                func.count(),
                func.sum(case((r.details_asked, 1), else_=0)),
                func.sum(case((r.opened, 1), else_=0)),
            ).join(c, c.id == r.conversation_id),
            filters,
        ).group_by(r.aid_id)
    ).all()
    report.tables.append(
        Table(
            "aides",
            "Aides présentées",
            (
                "Aide",
                "Conversations où elle est présentée",
                "« En savoir plus » demandé",
                "Lien officiel ouvert",
            ),
            sorted(
                (
                    (aid_names.get(a, a), int(n), int(d or 0), int(o or 0))
                    for a, n, d, o in shown_aids
                ),
                key=lambda row: (-row[1], row[0]),
            ),
            "Chaque colonne compte des conversations. « Lien officiel ouvert » : la personne a "
            "ouvert la page officielle de l'aide depuis sa carte dans le widget (les autres "
            "canaux ne le signalent pas).",
        )
    )
    outcomes: dict[str | None, int] = {
        row[0]: row[1]
        for row in session.execute(
            _where(select(c.outcome, func.count()), filters).group_by(c.outcome)
        )
    }
    steps = {"aides_presentees": "aides présentées", "demande_contact": "demande de rappel"}
    report.tables.append(
        Table(
            "arret",
            "Où les personnes s'arrêtent",
            ("Dernière étape", "Conversations"),
            sorted(
                (
                    (
                        steps.get(o, f"question : {_field_label(o).lower()}")
                        if o
                        else "avant toute question",
                        n,
                    )
                    for o, n in outcomes.items()
                ),
                key=lambda row: -row[1],
            ),
            "La question laissée sans réponse, ou la dernière étape atteinte.",
        )
    )
    report.tables.append(
        Table(
            "incomprehension",
            "Messages non compris par semaine",
            ("Semaine", "Messages non compris", "Conversations concernées"),
            _fallbacks_per_week(session, filters),
            "Comptés à la semaine où la conversation a commencé. Masqué (« < 5 ») quand moins "
            "de 5 personnes ont écrit ces messages, quel que soit leur nombre.",
        )
    )
    report.tables.append(_leads(session, filters))
    return report


def _lead_channel(lead: Lead) -> str:
    if lead.channel == "socketio":
        return "widget"
    if (lead.sender_id or "").startswith("telegram:"):
        return "telegram"
    if (lead.sender_id or "").startswith("console-"):
        return "console"
    return "rest"


def _leads(session: Session, filters: Filters) -> Table:
    query = select(Lead.status, Lead.channel, Lead.sender_id, Lead.territory_id, Lead.created_at)
    if filters.scope is not None:
        query = query.where(Lead.territory_id.in_(filters.scope))
    if filters.since is not None:
        query = query.where(Lead.created_at >= datetime.fromtimestamp(filters.since, UTC))
    if filters.until is not None:
        query = query.where(Lead.created_at < datetime.fromtimestamp(filters.until, UTC))
    counts: Counter[str] = Counter()
    senders: dict[str, set[str]] = defaultdict(set)
    for n, lead in enumerate(session.execute(query)):
        if filters.channel and _lead_channel(lead) != filters.channel:  # type: ignore[arg-type]
            continue
        counts[lead.status] += 1
        senders[lead.status].add(lead.sender_id or f"sans-identifiant-{n}")
    return Table(
        "rappels",
        "Demandes de rappel et leur suivi",
        ("Statut", "Demandes"),
        [
            (label, Count(counts.get(status, 0), len(senders[status])))
            for status, label in LEAD_STATUS_LABELS.items()
        ],
        "Masqué (« < 5 ») quand moins de 5 personnes ont fait ces demandes.",
    )


def compare(session: Session, filters: Filters, names: dict[str, str]) -> Table:
    """Administrators: the territories side by side (every territory, the filters' period and
    channel)."""
    c = ObservedConversation
    rows = session.execute(
        _where(
            select(
                c.territory_id,
                func.count(),
                func.sum(case((c.habite_qpv.is_(True), 1), else_=0)),
                func.sum(case((c.aids_shown > 0, 1), else_=0)),
                func.sum(case((c.fallbacks > 0, 1), else_=0)),
                func.sum(case((c.lead.is_(True), 1), else_=0)),
            ),
            Filters(None, filters.since, filters.until, filters.channel),
        ).group_by(c.territory_id)
    ).all()
    found: dict[str | None, tuple[Any, ...]] = {row[0]: tuple(row[1:]) for row in rows}
    out = []
    for territory in (*TERRITORY_IDS, None):
        values = found.get(territory, (0, 0, 0, 0, 0))
        out.append(
            (
                names.get(territory or "", "Sans territoire"),
                *(int(v or 0) for v in values),
            )
        )
    return Table(
        "territoires",
        "Les territoires côte à côte",
        (
            "Territoire",
            "Conversations",
            "Habitent en QPV",
            "Ont reçu des aides",
            "Au moins un message non compris",
            "Demandes de rappel",
        ),
        out,
    )
