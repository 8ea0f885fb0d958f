"""`qp purge`: personal data kept no longer than its period, and erasures finished and checked.

Run by `make run` (bot/runner.py) at start and then every day, and callable from cron. In order:
0. Conversations and records still under a raw Telegram chat id (before keyed ids) renamed to
   their keyed id (bot/legacy_telegram.py), so that erasure and retention reach them.
1. Pending erasure requests (catalog/erasure.py): the person's leads, corrections and audit
   mentions are erased again (idempotent), then the conversation is looked for in Rasa's
   store: what is still there up to the request is deleted and the request kept for the next
   run; when nothing is left, the request itself is deleted.
   The copy of its events in Rasa's SQL event broker (bot/observatory/sql_broker.py) is
   deleted too.
2. Conversations whose last message is older than their period (whole conversations only:
   Rasa's store writes only each turn's own events, so a turn in flight cannot bring one back),
   in Rasa's store and in the SQL event broker's copy.
3. Leads, corrections, audit entries and the observatory's conversations past their period,
   and the expired « Ma fiche » summaries (catalog/retention.py).
4. The Telegram bridge's state: keyboards and messages waiting for Rasa past their period.

Rasa's store is the one place where we touch Rasa's database (bot/rasa_store.py, and why in
docs/architecture.md): Rasa's HTTP API can neither delete nor list conversations.

Every step runs with the clock it is given (`now`), so tests control time. A step that fails
is reported (kinds of errors only, no personal data) and the others still run.
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot import rasa_store
from bot.legacy_telegram import rename_conversations, rename_records
from bot.observatory.sql_broker import SqlBroker
from bot.telegram.state import purge_state
from catalog import erasure
from catalog.retention import Periods, purge_catalog


@dataclass
class Report:
    conversations: int = 0
    leads: int = 0
    corrections: int = 0
    audit_entries: int = 0
    observed: int = 0  # the observatory's rows
    fiches: int = 0  # expired « Ma fiche » summaries
    telegram_buttons: int = 0
    telegram_waiting: int = 0
    telegram_renamed: int = 0  # conversations and records moved from a raw chat id
    erasures_checked: int = 0  # requests closed: nothing of the person is left
    erasures_pending: int = 0  # requests kept for the next run
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One French paragraph for the terminal and the runner's log."""
        lines = [
            (
                f"Purge : {self.conversations} conversation(s), {self.leads} demande(s) de rappel, "
                f"{self.corrections} correction(s), {self.audit_entries} entrée(s) du journal, "
                f"{self.observed} conversation(s) de l'observatoire, "
                f"{self.fiches} fiche(s) expirée(s), "
                f"{self.telegram_buttons} clavier(s) et {self.telegram_waiting} message(s) en "
                f"attente de Telegram supprimés ; effacements : "
                f"{self.erasures_checked} vérifié(s), {self.erasures_pending} à reprendre."
            ),
        ]
        if self.telegram_renamed:
            lines.append(
                f"Identifiants Telegram d'avant les empreintes remplacés : {self.telegram_renamed}."
            )
        lines += [f"Problème : {problem}" for problem in self.problems]
        return "\n".join(lines)


def finish_erasures(
    catalog: Engine,
    tracker: Engine | None,
    report: Report,
    tracker_read: bool = True,
    broker: SqlBroker | None = None,
) -> None:
    """Erase again, look for what is left; close a request only when nothing is left (and the
    conversations could be read: `tracker_read`)."""
    for request in erasure.pending(catalog):
        try:
            with Session(catalog) as session, session.begin():
                erasure.erase_data(session, request.sender_id, request.requested_at)
            left = 0
            if tracker is not None:
                left = rasa_store.erase_conversation(
                    tracker, request.sender_id, request.requested_at
                )
            if broker is not None:
                broker.erase(request.sender_id, until=request.requested_at)
        except Exception as error:  # noqa: BLE001 - keep the request, try the next one
            erasure.retry_later(catalog, request.id, type(error).__name__)
            report.erasures_pending += 1
            report.problems.append(
                f"un effacement n'a pas pu être repris ({type(error).__name__})."
            )
            continue
        if left or not tracker_read:
            reason = "conversation encore présente" if left else "conversations injoignables"
            erasure.retry_later(catalog, request.id, reason)
            report.erasures_pending += 1
        else:
            erasure.close(catalog, request.id)
            report.erasures_checked += 1


def purge_conversations(tracker: Engine, periods: Periods, now: datetime) -> int:
    """Delete the conversations whose last event is older than their period."""
    return rasa_store.purge_conversations(tracker, periods.cutoff("conversations", now).timestamp())


def purge_telegram(path: Path, periods: Periods, now: datetime) -> tuple[int, int]:
    if not path.exists():
        return 0, 0
    connection = sqlite3.connect(str(path), isolation_level=None)
    try:
        has_tables = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('callbacks', 'pending')"
        ).fetchone()[0]
        if has_tables < 2:
            return 0, 0
        return purge_state(
            connection,
            periods.cutoff("telegram_buttons", now).timestamp(),
            periods.cutoff("telegram_waiting", now).timestamp(),
        )
    finally:
        connection.close()


def purge(
    catalog: Engine,
    tracker_url: str,
    telegram_state: Path | None,
    periods: Periods,
    now: datetime,
    broker: SqlBroker | None = None,
    telegram_key: str | None = None,
) -> Report:
    """Run every step; the report says what was deleted and what failed. `broker`: Rasa's
    SQL event broker, when Rasa publishes there. `telegram_key`: the key of Telegram
    conversation ids, to rename raw chat ids (step 0)."""
    report = Report()
    tracker: Engine | None = None
    tracker_read = True
    try:
        tracker = rasa_store.tracker_engine(tracker_url)
    except Exception as error:  # noqa: BLE001
        tracker_read = False
        report.problems.append(f"stockage des conversations injoignable ({type(error).__name__}).")
    if telegram_key:
        try:
            if tracker is not None:
                report.telegram_renamed += rename_conversations(tracker, telegram_key)
            report.telegram_renamed += rename_records(catalog, telegram_key)
        except Exception as error:  # noqa: BLE001
            report.problems.append(
                f"identifiants Telegram anciens non remplacés ({type(error).__name__})."
            )
    try:
        finish_erasures(catalog, tracker, report, tracker_read, broker)
    except Exception as error:  # noqa: BLE001
        report.problems.append(f"demandes d'effacement illisibles ({type(error).__name__}).")
    if tracker is not None:
        try:
            report.conversations = purge_conversations(tracker, periods, now)
        except Exception as error:  # noqa: BLE001
            report.problems.append(f"conversations non purgées ({type(error).__name__}).")
        finally:
            tracker.dispose()
    if broker is not None:
        try:
            broker.purge(periods.cutoff("conversations", now).timestamp())
        except Exception as error:  # noqa: BLE001
            report.problems.append(f"événements publiés non purgés ({type(error).__name__}).")
        finally:
            broker.dispose()
    try:
        done = purge_catalog(catalog, periods, now)
        report.leads, report.corrections = done.leads, done.corrections
        report.audit_entries, report.observed = done.audit_entries, done.observed_conversations
        report.fiches = done.fiches
    except Exception as error:  # noqa: BLE001
        report.problems.append(f"base du catalogue non purgée ({type(error).__name__}).")
    if telegram_state is not None:
        try:
            report.telegram_buttons, report.telegram_waiting = purge_telegram(
                telegram_state, periods, now
            )
        except Exception as error:  # noqa: BLE001
            report.problems.append(f"état de Telegram non purgé ({type(error).__name__}).")
    return report


def run_purge(now: datetime | None = None) -> int:
    """`qp purge` with the process's settings; 0 if every step ran, 1 otherwise, 2 if a
    setting is wrong (a French message names the variable)."""
    from bot import keys
    from catalog import store
    from settings import SettingsError, get_settings

    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    kept = settings.retention
    periods = Periods(
        conversations=kept.conversations_days,
        leads=kept.leads_days,
        corrections=kept.corrections_days,
        audit=kept.audit_days,
        telegram_buttons=kept.telegram_buttons_days,
        telegram_waiting=kept.telegram_waiting_days,
    )
    try:
        catalog = store.make_engine(settings.catalog.database_url)
        store.migrate(catalog)
    except Exception as error:  # noqa: BLE001
        print(f"Erreur : base du catalogue injoignable ({type(error).__name__}).", file=sys.stderr)
        return 1
    try:
        report = purge(
            catalog,
            settings.tracker.url,
            settings.telegram.state_db,
            periods,
            now or datetime.now(UTC),
            SqlBroker(settings.event_broker.url) if settings.event_broker.mode == "sql" else None,
            telegram_key=keys.telegram_id_key(),
        )
    finally:
        catalog.dispose()
    print(report.summary(), flush=True)
    return 1 if report.problems else 0
