"""Issue 19, item 1: the observatory's consumer turns the events Rasa publishes into our own
tables, without Rasa: the four recorded conversations of the console's fixture
(fixtures/console_tracker_events.json, events exactly as Rasa 3.6 wrote them) are written into
a table shaped as Rasa's SQL event broker writes it, then folded, on SQLite and PostgreSQL.
The end-to-end test with the real Rasa is tests/test_observatory_e2e.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import DATABASES, PROJECT_DIR
from sqlalchemy import create_engine, event, insert, select
from sqlalchemy.orm import Session

from bot.observatory.consumer import RebuildImpossibleError, catch_up, rebuild, source_of
from bot.observatory.sql_broker import BROKER_EVENTS, SqlBroker
from bot.purge import purge
from catalog import erasure, observatory, observatory_report, store
from catalog.models import ObservatoryPosition, ObservedConversation, ObservedRecommendation
from catalog.observatory import conversation_key, opened_event
from catalog.retention import Periods
from settings import EventBrokerSettings

FIXTURE = Path(__file__).parent / "fixtures" / "console_tracker_events.json"
RECORDED = json.loads(FIXTURE.read_text())
EMAIL = "marie.dupont@exemple.fr"


def published() -> list[dict]:
    """The recorded events as Rasa's brokers publish them: {"sender_id": …, **as_dict()}."""
    return [{"sender_id": row["sender_id"], **json.loads(row["data"])} for row in RECORDED]


def publish(broker_url: str, events: list[dict]) -> None:
    """Rows as Rasa's SQLEventBroker writes them (id, sender_id, data)."""
    engine = create_engine(broker_url)
    BROKER_EVENTS.metadata.create_all(engine, tables=[BROKER_EVENTS])
    with engine.begin() as connection:
        connection.execute(
            insert(BROKER_EVENTS),
            [{"sender_id": e["sender_id"], "data": json.dumps(e)} for e in events],
        )
    engine.dispose()


@pytest.fixture(params=DATABASES)
def stores(request, tmp_path_factory):
    catalog = store.make_engine(request.param(tmp_path_factory))
    store.migrate(catalog)
    broker_url = request.param(tmp_path_factory).replace("catalog.sqlite", "events.sqlite")
    yield catalog, broker_url
    catalog.dispose()


def table(catalog) -> dict[str, dict]:
    """Every observed conversation by key, with its recommendations, ids left out."""
    with Session(catalog) as session:
        conversations = session.scalars(select(ObservedConversation)).all()
        recs = session.scalars(select(ObservedRecommendation)).all()
        out = {}
        for c in conversations:
            row = {
                k: getattr(c, k)
                for k in ObservedConversation.__table__.columns.keys()  # noqa: SIM118
                if k != "id"
            }
            row["recommendations"] = sorted(
                (r.aid_id, r.rank, r.shown_at, r.details_asked, r.opened)
                for r in recs
                if r.conversation_id == c.id
            )
            out[c.key] = row
        return out


def test_the_recorded_conversations_become_one_row_each_with_their_recommendations(
    stores, tmp_path
):
    catalog, broker_url = stores
    publish(broker_url, published())
    broker = SqlBroker(broker_url)
    assert catch_up(catalog, broker, batch=500) == len(RECORDED)
    rows = table(catalog)
    assert set(rows) == {
        conversation_key(s)
        for s in ("roubaix-widget", "toulouse-rest", "lyon-widget", "sans-territoire")
    }
    roubaix = rows[conversation_key("roubaix-widget")]
    users = [e for e in published() if e["sender_id"] == "roubaix-widget" and e["event"] == "user"]
    assert roubaix["turns"] == len(users) == 13
    assert roubaix["territory_id"] == "roubaix"
    assert roubaix["channel"] == "rest"
    assert (roubaix["stade"], roubaix["secteur"], roubaix["statut"]) == (
        "creation",
        "commerce",
        "demandeur_emploi",
    )
    assert roubaix["besoins"] == ["financement"]
    assert roubaix["implante_qpv"] is True
    assert roubaix["fallbacks"] == 2  # « 😀😀 » and the e-mail typed as a message
    assert roubaix["lead"] is True
    assert roubaix["outcome"] == "demande_contact"
    assert roubaix["aids_shown"] == 5
    assert [r[:2] for r in roubaix["recommendations"]] == sorted(
        [
            ("pret-honneur-quartier", 1),
            ("arce", 2),
            ("acre", 3),
            ("pret-honneur-solidaire", 4),
            ("maintien-are", 5),
        ]
    )
    assert roubaix["first_at"] == min(
        e["timestamp"] for e in published() if e["sender_id"] == "roubaix-widget"
    )
    toulouse = rows[conversation_key("toulouse-rest")]
    assert (toulouse["territory_id"], toulouse["lead"]) == ("toulouse", True)
    lyon = rows[conversation_key("lyon-widget")]
    # a site outside the territories, metadata « toulouse »: as the console places it
    assert lyon["territory_id"] == "toulouse"
    assert lyon["outcome"] == "implante_qpv"  # left at the first question
    assert rows[conversation_key("sans-territoire")]["territory_id"] is None
    # no id, no text, no contact details anywhere
    dumped = json.dumps(rows, default=str)
    for secret in ("roubaix-widget", "toulouse-rest", EMAIL, "06 12 34 56 78", "épicerie"):
        assert secret not in dumped
    with Session(catalog) as session:
        assert session.get(ObservatoryPosition, source_of(broker)).position == len(RECORDED)
    # another broker (another file) feeding the same catalogue starts from its own first row
    other_url = f"sqlite:///{tmp_path / 'other-events.sqlite'}"
    publish(other_url, published()[:10])
    assert catch_up(catalog, SqlBroker(other_url)) == 10


def test_batches_of_any_size_and_a_rebuild_give_identical_tables(stores):
    catalog, broker_url = stores
    publish(broker_url, published())
    broker = SqlBroker(broker_url)
    catch_up(catalog, broker, batch=7)  # cuts the turns anywhere
    by_sevens = table(catalog)
    assert catch_up(catalog, broker) == 0  # nothing read twice
    count = rebuild(catalog, EventBrokerSettings(mode="sql", url=broker_url), batch=1000)
    assert count == len(RECORDED)
    assert table(catalog) == by_sevens
    publish(broker_url, published()[:3])  # more events after a rebuild: read once
    assert catch_up(catalog, broker) == 3
    with pytest.raises(RebuildImpossibleError):
        rebuild(catalog, EventBrokerSettings(mode="pika", url="amqp://x"))


def test_the_erase_marker_deletes_the_conversation_and_the_brokers_copy(stores):
    catalog, broker_url = stores
    events = published()
    marker = {
        "sender_id": "roubaix-widget",
        "event": "bot",
        "timestamp": events[-1]["timestamp"] + 1,
        "text": "Vos données sont effacées.",
        "data": {"custom": {"data": {"effacement": "fait"}}},
    }
    later = {**events[5], "timestamp": marker["timestamp"] + 1}  # « Bonjour » again, afterwards
    publish(broker_url, [*events, marker, later])
    broker = SqlBroker(broker_url)
    catch_up(catalog, broker, batch=50)
    row = table(catalog)[conversation_key("roubaix-widget")]
    assert (row["turns"], row["aids_shown"], row["recommendations"]) == (1, 0, [])
    left = [r.event for r in broker.read(0, 10_000) if r.event["sender_id"] == "roubaix-widget"]
    assert [e["timestamp"] for e in left] == [later["timestamp"]]
    # and a rebuild agrees
    rebuild(catalog, EventBrokerSettings(mode="sql", url=broker_url))
    assert table(catalog)[conversation_key("roubaix-widget")]["turns"] == 1


def test_erasure_and_retention_cover_the_observatory(stores, tmp_path):
    catalog, broker_url = stores
    publish(broker_url, published())
    broker = SqlBroker(broker_url)
    catch_up(catalog, broker)
    roubaix_first = min(e["timestamp"] for e in published() if e["sender_id"] == "roubaix-widget")
    with Session(catalog) as session, session.begin():
        # a request before the conversation began erases nothing of it
        assert (
            erasure.erase_data(session, "roubaix-widget", roubaix_first - 1).observed_conversations
            == 0
        )
        erased = erasure.erase_data(session, "roubaix-widget", roubaix_first + 3600)
        assert erased.observed_conversations == 1
    assert conversation_key("roubaix-widget") not in table(catalog)
    # retention: the recorded conversations (March 2026) are past 180 days on 2 December
    last = max(e["timestamp"] for e in published())
    now = datetime.fromtimestamp(last, UTC) + timedelta(days=181)
    tracker_url = f"sqlite:///{tmp_path / 'no-tracker.sqlite'}"
    report = purge(catalog, tracker_url, None, Periods(), now, SqlBroker(broker_url))
    assert report.observed == 3
    assert not report.problems
    assert table(catalog) == {}
    assert SqlBroker(broker_url).read(0, 10) == []
    with Session(catalog) as session:
        assert session.scalars(select(ObservedRecommendation)).all() == []


def test_qp_observatory_rebuild_reads_the_broker_again(tmp_path):
    catalog_url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    broker_url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    publish(broker_url, published())
    env = {**os.environ, "DATABASE_URL": catalog_url, "QP_EVENT_BROKER_URL": broker_url}
    qp = [sys.executable, "-m", "bot.cli", "observatory", "rebuild"]
    run = {"capture_output": True, "text": True, "cwd": PROJECT_DIR}
    done = subprocess.run(qp, check=False, env=env, **run)
    assert done.returncode == 0, done.stderr
    assert f"Observatoire reconstruit : {len(RECORDED)} événement(s) relu(s)." in done.stdout
    engine = store.make_engine(catalog_url)
    assert len(table(engine)) == 4
    engine.dispose()
    pika = subprocess.run(qp, check=False, env={**env, "QP_EVENT_BROKER": "pika"}, **run)
    assert pika.returncode == 1
    assert "seul le courtier SQL" in pika.stderr
    assert "Traceback" not in pika.stderr


def test_the_consumer_process_writes_json_log_lines(tmp_path):
    """`python -m bot.observatory` (as the runner starts it, its output in observatory.log)
    logs JSON lines with the other servers' fields (bot/logs.py), and no contact details."""
    import signal
    import time

    from bot import logs

    catalog_url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    broker_url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    publish(broker_url, published())
    env = {
        **os.environ,
        "DATABASE_URL": catalog_url,
        "QP_EVENT_BROKER": "sql",
        "QP_EVENT_BROKER_URL": broker_url,
        "QP_LOG_FORMAT": "json",
    }
    log = tmp_path / "observatory.log"
    with log.open("wb") as out:
        consumer = subprocess.Popen(
            [sys.executable, "-m", "bot.observatory"],
            env=env,
            cwd=PROJECT_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                assert consumer.poll() is None, log.read_text()
                engine = store.make_engine(catalog_url)
                try:
                    if len(table(engine)) == 4:
                        break
                except Exception:  # noqa: BLE001 - the schema is not there yet
                    pass
                finally:
                    engine.dispose()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        finally:
            consumer.send_signal(signal.SIGTERM)
            assert consumer.wait(timeout=60) == 0
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert all(set(logs.FIELDS) <= set(record) for record in records), lines
    assert "Observatoire : lecture du courtier sql." in [r["message"] for r in records]
    assert EMAIL not in log.read_text()


def test_the_observatory_figures_are_counted_by_the_database(stores):
    """The page's tables (catalog/observatory_report.py) count in SQL, on both databases."""
    catalog, broker_url = stores
    publish(broker_url, published())
    catch_up(catalog, SqlBroker(broker_url))
    with Session(catalog) as session:
        report = observatory_report.build(session, observatory_report.Filters(None), {})
        roubaix = observatory_report.build(session, observatory_report.Filters(("roubaix",)), {})
    assert report.conversations == 4
    weeks = report.table("conversations").rows
    assert sum(n for _, n in weeks) == 4
    assert all(label.startswith("semaine du ") for label, _ in weeks)
    first = min(e["timestamp"] for e in published())
    monday = datetime.fromtimestamp(first, UTC).date()
    monday = monday - timedelta(days=monday.weekday())
    assert weeks[0][0] == f"semaine du {monday.strftime('%d/%m/%Y')}"
    assert dict(report.table("besoins").rows)["financement"] == 2
    assert dict(report.table("stade").rows)["création"] == 3
    assert sum(row[1] for row in report.table("incomprehension").rows) == 2
    # the five aids shown in Roubaix, once each, no « En savoir plus »
    assert [row[1:] for row in roubaix.table("aides").rows] == [(1, 0, 0)] * 5


def test_an_aid_s_link_opened_marks_its_recommendation_and_a_replay_keeps_it(stores):
    """The event the web server appends when the widget says an aid's official link was opened
    (catalog/observatory.py, bot/web/opened.py) marks that recommendation `opened`; an aid not
    shown in the conversation, or a conversation the observatory does not know, changes
    nothing; the report counts it; a rebuild from the broker gives the same rows."""
    catalog, broker_url = stores
    last = max(e["timestamp"] for e in published())
    opened = [
        {"sender_id": "roubaix-widget", **opened_event("acre", last + 1)},
        {"sender_id": "roubaix-widget", **opened_event("acre", last + 2)},  # twice: once
        {"sender_id": "roubaix-widget", **opened_event("aide-jamais-montree", last + 3)},
        {"sender_id": "inconnue", **opened_event("acre", last + 4)},
    ]
    publish(broker_url, [*published(), *opened])
    catch_up(catalog, SqlBroker(broker_url))
    rows = table(catalog)
    assert conversation_key("inconnue") not in rows
    roubaix = rows[conversation_key("roubaix-widget")]
    assert {r[0]: r[4] for r in roubaix["recommendations"]} == {
        "pret-honneur-quartier": False,
        "arce": False,
        "acre": True,
        "pret-honneur-solidaire": False,
        "maintien-are": False,
    }
    assert roubaix["last_at"] == last + 3
    with Session(catalog) as session:
        report = observatory_report.build(session, observatory_report.Filters(("roubaix",)), {})
    assert report.table("aides").columns[-1] == "Lien officiel ouvert"
    assert {row[0]: row[1:] for row in report.table("aides").rows}["acre"] == (1, 0, 1)
    before = table(catalog)
    assert rebuild(catalog, EventBrokerSettings(mode="sql", url=broker_url)) > 0
    assert table(catalog) == before


def test_finding_10_the_conversation_list_is_counted_and_paged_by_the_database(stores):
    """Issue 18, finding 10: the console's conversation list (catalog/observatory.py,
    list_conversations) used to aggregate the whole events table in Python. Now the database
    counts the rows and returns one page: two statements, a count and a select with LIMIT and
    OFFSET, whatever the number of conversations; on both databases."""
    catalog, _ = stores
    start = 1_780_000_000.0
    with Session(catalog) as session:
        session.add_all(
            ObservedConversation(
                key=conversation_key(f"liste-{n}"),
                territory_id="roubaix" if n % 3 else "toulouse",
                channel="rest",
                first_at=start + n,
                last_at=start + 10 * n,
                turns=0 if n % 10 == 9 else 2,  # a tenth opened and never spoken in
                fallbacks=1 if n % 4 == 0 else 0,
            )
            for n in range(180)
        )
        session.commit()
    spoken = [n for n in range(180) if n % 10 != 9]
    roubaix = [n for n in spoken if n % 3]
    assert len(roubaix) == 108

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()).lower())

    event.listen(catalog, "before_cursor_execute", record)
    try:
        with Session(catalog) as session:
            pages = [
                observatory.list_conversations(session, ("roubaix",), page=number, page_size=50)
                for number in (1, 2, 3)
            ]
            statements_per_page = len(statements) / 3
            last = observatory.list_conversations(session, ("roubaix",), page=9, page_size=50)
            everything = observatory.list_conversations(session, None, page_size=50)
            filtered = observatory.list_conversations(
                session, None, territory="toulouse", fallback=True, page=2, page_size=5
            )
            keys_of = [[c.key for c in p.conversations] for p in (*pages, last)]
    finally:
        event.remove(catalog, "before_cursor_execute", record)

    assert [(p.total, p.page, p.pages) for p in pages] == [(108, 1, 3), (108, 2, 3), (108, 3, 3)]
    assert [len(p.conversations) for p in pages] == [50, 50, 8]
    newest_first = [conversation_key(f"liste-{n}") for n in sorted(roubaix, reverse=True)]
    listed = [key for keys in keys_of[:3] for key in keys]
    assert listed == newest_first  # every row once, last message first
    assert (last.page, last.pages, keys_of[3]) == (3, 3, keys_of[2])  # past the end: the last
    assert (everything.total, everything.pages, len(everything.conversations)) == (162, 4, 50)
    toulouse_fallbacks = [n for n in spoken if n % 3 == 0 and n % 4 == 0]
    assert (filtered.total, filtered.pages) == (len(toulouse_fallbacks), 3)
    assert [c.key for c in filtered.conversations] == [
        conversation_key(f"liste-{n}") for n in sorted(toulouse_fallbacks, reverse=True)[5:10]
    ]
    # Two statements a page, whatever the size of the table: the database counts, and the
    # rows come back one page at a time, never the whole table.
    assert statements_per_page == 2
    counts = [s for s in statements if "count(" in s]
    selects = [s for s in statements if "count(" not in s]
    assert len(counts) == len(selects) == 6
    assert all(" limit " in s and " offset " in s for s in selects)
    assert all("observed_conversations" in s for s in statements)


def test_a_count_of_messages_is_masked_on_the_people_behind_it():
    """8 messages not understood from 4 people read « < 5 » in the table and the chart; 12 from
    5 people read 12 and draw a bar; a count of people masks on itself."""
    from bot.console.charts import bar_chart

    count = observatory_report.Count
    weeks = observatory_report.Table(
        "incomprehension",
        "Messages non compris par semaine",
        ("Semaine", "Messages non compris", "Conversations concernées"),
        [("semaine 1", count(8, 4), 4), ("semaine 2", count(12, 5), 5), ("semaine 3", 0, 0)],
    )
    assert weeks.cells() == [
        ("semaine 1", "< 5", "< 5"),
        ("semaine 2", "12", "5"),
        ("semaine 3", "0", "0"),
    ]
    chart = str(bar_chart(weeks, "g"))
    assert "semaine 1 : &lt; 5; semaine 2 : 12; semaine 3 : 0</desc>" in chart
    assert chart.count("<rect") == 1
    assert [observatory_report.shown(n) for n in (0, 1, 4, 5)] == ["0", "< 5", "< 5", "5"]


def test_a_rabbitmq_redelivery_is_folded_once(tmp_path):
    """With RabbitMQ (127.0.0.1:5672, a queue of this test's own): a consumer folds and commits
    half of the recorded events, then dies before acknowledging them; RabbitMQ delivers them
    again, marked redelivered, to the real consumer (`run_pika`, small batches, so that the
    redelivery arrives split). The tables are those of one fold of each event."""
    import threading
    import uuid

    import pika

    from bot.observatory.consumer import fold_messages, pika_source, run_pika

    rabbitmq = "amqp://guest:guest@127.0.0.1:5672/"
    bodies = [json.dumps(event).encode() for event in published()]
    once = store.make_engine(f"sqlite:///{tmp_path / 'once.sqlite'}")
    store.migrate(once)
    fold_messages(once, [(body, False) for body in bodies], "une-fois")
    expected = table(once)
    once.dispose()

    settings = EventBrokerSettings(
        mode="pika", url=rabbitmq, queue=f"qp_test_redelivery_{uuid.uuid4().hex[:8]}"
    )
    catalog = store.make_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    store.migrate(catalog)
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq))
    channel = connection.channel()
    channel.queue_declare(settings.queue, durable=True)
    half = len(bodies) // 2
    folded: list[int] = []
    try:
        for body in bodies:
            channel.basic_publish("", settings.queue, body)
        got = []
        for method, _properties, body in channel.consume(settings.queue, inactivity_timeout=5):
            assert method is not None, "la file n'a rien rendu"
            assert not method.redelivered
            got.append((body, False))
            if len(got) == half:
                break
        assert fold_messages(catalog, got, pika_source(settings)) == half
        connection.close()  # before any acknowledgement: RabbitMQ delivers them all again

        stop = threading.Event()

        def on_batch(count: int) -> None:
            folded.append(count)
            if sum(folded) >= len(bodies) - half:
                stop.set()

        timer = threading.Timer(120, stop.set)
        timer.start()
        try:
            run_pika(catalog, settings, stop, batch=7, on_batch=on_batch)
        finally:
            timer.cancel()
    finally:
        cleanup = pika.BlockingConnection(pika.URLParameters(rabbitmq))
        cleanup.channel().queue_delete(settings.queue)
        cleanup.close()
    assert sum(folded) == len(bodies) - half  # the redelivered half was skipped
    assert table(catalog) == expected
    with Session(catalog) as session:
        position = session.get(ObservatoryPosition, pika_source(settings))
        assert position is not None
        assert position.position == len(bodies)
    catalog.dispose()
