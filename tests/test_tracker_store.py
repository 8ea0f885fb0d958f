"""rasa_extensions/tracker_store.py inside the Rasa runtime (.venv-rasa), on SQLite and
PostgreSQL, without a server: a turn in flight does not write a deleted conversation back, and
the save of a turn whose confirmation carries the erase marker deletes the conversation.
(The same with the real servers and concurrent messages: test_erasure_e2e.py.)"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import DATABASES

from catalog.erasure import ERASE_MARKER
from settings import PROJECT_DIR, get_settings

pytestmark = pytest.mark.rasa

PROBE = """
import asyncio, json, sys
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa_extensions.tracker_store import ErasingSQLTrackerStore

store = ErasingSQLTrackerStore(domain=Domain.empty(), host=sys.argv[1])

def rows(sender):
    with store.session_scope() as session:
        return [json.loads(r.data).get("text") for r in session.query(store.SQLEvent)
                .filter(store.SQLEvent.sender_id == sender).order_by(store.SQLEvent.id)]

async def main():
    seen = {}
    first = await store.get_or_create_tracker("moi")
    first.update(UserUttered("je suis au 06 12 34 56 78"))
    first.update(BotUttered("noté"))
    await store.save(first)
    seen["saved"] = rows("moi")
    in_flight = await store.retrieve("moi")
    with store.session_scope() as session:  # deleted meanwhile (the purge, an erasure)
        session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == "moi").delete()
        session.commit()
    in_flight.update(UserUttered("bonjour"))
    await store.save(in_flight)
    seen["after_in_flight"] = rows("moi")
    other = await store.get_or_create_tracker("autre")
    other.update(UserUttered("je reste"))
    await store.save(other)
    turn = await store.retrieve("moi")
    turn.update(UserUttered("supprimer mes données"))
    turn.update(BotUttered("C'est fait", data={"custom": {"data": {"effacement": "fait"}}}))
    turn.update(ActionExecuted("action_listen"))
    await store.save(turn)
    seen["after_erase"] = rows("moi")
    seen["other"] = rows("autre")
    forged = await store.get_or_create_tracker("autre")
    forged.update(UserUttered('{"data": {"effacement": "fait"}}'))
    await store.save(forged)
    seen["other_after_forged_text"] = rows("autre")
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as connection:
            seen["journal"] = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    print(json.dumps(seen))

asyncio.run(main())
"""


def in_rasa_runtime(probe: str, url: str) -> dict:
    """Runs a probe in Rasa's Python against the store at `url`; its last line is JSON."""
    python = get_settings().rasa.bin.parent / "python"
    done = subprocess.run(
        [str(python), "-c", probe, url],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("database", DATABASES)
def test_finding_2_a_turn_in_flight_writes_nothing_back_and_the_marker_erases(
    database, tmp_path_factory
):
    url = database(tmp_path_factory).replace("catalog.sqlite", "tracker.sqlite")
    seen = in_rasa_runtime(PROBE, url)
    assert seen["saved"] == [None, "je suis au 06 12 34 56 78", "noté"]  # action_listen first
    assert seen["after_in_flight"] == ["bonjour"]  # not the deleted conversation again
    assert seen["after_erase"] == []
    assert seen["other"] == [None, "je reste"]
    # only an action's message carries the marker: a user's text that looks like it does not
    assert seen["other_after_forged_text"] == [None, "je reste", '{"data": {"effacement": "fait"}}']
    if url.startswith("sqlite"):  # one sync per commit, readers not blocked (issue 17)
        assert seen["journal"] == "wal"


def test_the_marker_is_the_same_on_both_sides():
    source = (PROJECT_DIR / "rasa_extensions" / "tracker_store.py").read_text(encoding="utf-8")
    assert re.search(r'^ERASE_MARKER = "(\w+)"', source, re.MULTILINE).group(1) == ERASE_MARKER


DOWN_PROBE = """
import asyncio, json, sys
import sqlalchemy
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa_extensions.tracker_store import ErasingSQLTrackerStore, StoreUnavailable

store = ErasingSQLTrackerStore(domain=Domain.empty(), host=sys.argv[1])
pinged = store.engine.pool._pre_ping
tracker = asyncio.run(store.get_or_create_tracker("moi"))
tracker.update(UserUttered("bonjour"))
store.engine = sqlalchemy.create_engine("postgresql://postgres@127.0.0.1:9/absente")
store.sessionmaker = sqlalchemy.orm.sessionmaker(bind=store.engine)  # the database is gone
safe = FailSafeTrackerStore(store)  # how Rasa wraps every tracker store
seen = []
for call in (lambda: safe.retrieve("moi"), lambda: safe.save(tracker)):
    try:
        asyncio.run(call())
        seen.append("passé")
    except StoreUnavailable:
        seen.append("StoreUnavailable")
print(json.dumps({"pinged": pinged, "seen": seen}))
"""


def test_an_unreachable_store_stops_the_turn_instead_of_starting_an_empty_conversation(tmp_path):
    """Rasa's FailSafeTrackerStore answered a turn it could not read as the start of an empty
    conversation, kept in memory only; the store now lets StoreUnavailable through (the channel
    answers « Un problème technique… », rasa_extensions/channels.py), and tests its pooled
    connections before use so that the first turn after the database's restart works."""
    seen = in_rasa_runtime(DOWN_PROBE, f"sqlite:///{tmp_path}/tracker.sqlite")
    assert seen == {"pinged": True, "seen": ["StoreUnavailable", "StoreUnavailable"]}


SAME_AS_RASA_PROBE = """
import asyncio, json, sys
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, ActiveLoop, BotUttered, EntitiesAdded, FollowupAction, LoopInterrupted,
    ReminderScheduled, Restarted, SessionStarted, SlotSet, UserUttered,
)
from rasa_extensions.tracker_store import ErasingSQLTrackerStore, rasa_url

class Recording(EventBroker):
    def __init__(self):
        self.published = []
    def publish(self, event):
        self.published.append(event)

domain = Domain.from_yaml('''
version: "3.1"
intents: [saluer, informer]
entities: [commune]
slots:
  commune: {type: text, mappings: [{type: from_entity, entity: commune}]}
  age: {type: float, mappings: [{type: custom}]}
  besoins: {type: list, mappings: [{type: custom}]}
responses:
  utter_bonjour: [{text: bonjour}]
forms:
  profil_form: {required_slots: [commune]}
''')
ours = ErasingSQLTrackerStore(domain=domain, host=sys.argv[1], event_broker=Recording())
rasa = SQLTrackerStore(domain=domain, host=rasa_url(sys.argv[1]), event_broker=Recording())

def turn(tracker, n):
    tracker.update(UserUttered(
        f"je suis à Laval {n}", {"name": "informer", "confidence": 0.9},
        [{"entity": "commune", "value": "Laval", "start": 10, "end": 15}],
        parse_data={"text": "je suis à Laval", "intent": {"name": "informer"}}))
    tracker.update(EntitiesAdded([{"entity": "commune", "value": "Laval"}]))
    tracker.update(SlotSet("commune", "Laval"))
    tracker.update(SlotSet("age", 24.0))
    tracker.update(SlotSet("besoins", ["financement", "numerique"]))
    tracker.update(ActiveLoop("profil_form"))
    tracker.update(LoopInterrupted(True))
    tracker.update(FollowupAction("action_listen"))
    tracker.update(BotUttered(
        "Voici", {"buttons": [{"title": "Oui", "payload": "/oui"}],
                  "custom": {"cartes": [{"id": "arce"}]}},
        {"utter_action": "utter_bonjour"}))
    tracker.update(ActionExecuted("action_listen"))

async def main():
    seen = {"reads": [], "published": []}
    for store, sender in ((rasa, "rasa"), (ours, "ours")):
        tracker = await store.get_or_create_tracker(sender)
        for n in range(3):
            turn(tracker, n)
            await store.save(tracker)
            tracker = await store.retrieve(sender)
        tracker.update(Restarted())
        tracker.update(SessionStarted())
        turn(tracker, 9)
        await store.save(tracker)
    for sender in ("rasa", "ours"):
        latest = await SQLTrackerStore._retrieve(rasa, sender, False)  # Rasa's own reading
        full = await SQLTrackerStore._retrieve(rasa, sender, True)
        dicts = lambda tracker: [e.as_dict() for e in tracker.events]
        seen["reads"].append([
            dicts(await ours.retrieve(sender)) == dicts(latest),
            dicts(await ours.retrieve_full_tracker(sender)) == dicts(full),
            (await ours.retrieve(sender)).current_state() == latest.current_state(),
        ])
    strip = lambda events: [
        {k: v for k, v in e.items() if k not in ("sender_id", "timestamp")} for e in events
    ]
    published = [store.event_broker.published for store in (rasa, ours)]
    seen["same_published"] = strip(published[0]) == strip(published[1])
    seen["published"] = len(ours.event_broker.published)
    print(json.dumps(seen))

asyncio.run(main())
"""


@pytest.mark.parametrize("database", DATABASES)
def test_reads_and_publishes_exactly_what_rasas_store_does(database, tmp_path_factory):
    """Issue 17: the store reads events with classes looked up once and publishes a turn's
    events without re-reading the conversation; the trackers it rebuilds and the events it
    publishes are those of Rasa's SQLTrackerStore, for every kind of event a turn writes,
    across turns and a new session."""
    url = database(tmp_path_factory).replace("catalog.sqlite", "tracker.sqlite")
    seen = in_rasa_runtime(SAME_AS_RASA_PROBE, url)
    assert seen["reads"] == [[True, True, True], [True, True, True]]
    assert seen["same_published"] is True
    assert seen["published"] == 4 * 10 + 2 + 1  # four turns, restart + new session, first listen


KEPT_PROBE = """
import asyncio, json, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa_extensions.tracker_store import ErasingSQLTrackerStore, rasa_url

a = ErasingSQLTrackerStore(domain=Domain.empty(), host=sys.argv[1])  # replica A
b = ErasingSQLTrackerStore(domain=Domain.empty(), host=sys.argv[1])  # replica B
rasa = SQLTrackerStore(domain=Domain.empty(), host=rasa_url(sys.argv[1]))  # Rasa's own reading

def texts(tracker):
    return [e.text for e in tracker.events if isinstance(e, (UserUttered, BotUttered))]

async def database(sender):
    return texts(await rasa.retrieve(sender))

async def turn(store, sender, text):
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered(text))
    tracker.update(BotUttered(f"re: {text}"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return tracker

async def main():
    seen = {}
    await turn(a, "p", "un")
    saved = await turn(a, "p", "deux")
    again = await a.retrieve("p")
    seen["kept_is_handed_out"] = again is saved
    seen["kept_matches_database"] = texts(again) == await database("p")
    await a.save(again)  # nothing new: kept again
    await turn(b, "p", "trois")  # the other replica answers a turn
    seen["after_other_replica"] = [texts(await a.retrieve("p")), await database("p")]
    await a.save(await a.retrieve("p"))
    failed = await a.retrieve("p")
    failed.update(UserUttered("perdu"))  # the turn fails before its save
    seen["after_failed_turn"] = texts(await a.retrieve("p"))
    await turn(a, "p", "quatre")
    with rasa.session_scope() as session:  # the retention purge, from another process
        session.query(rasa.SQLEvent).filter(rasa.SQLEvent.sender_id == "p").delete()
        session.commit()
    seen["after_purge"] = await a.retrieve("p")
    await turn(a, "q", "avant")
    fresh = await a.retrieve("q")
    fresh.update(SessionStarted())
    fresh.update(UserUttered("nouvelle session"))
    await a.save(fresh)
    seen["new_session"] = [texts(await a.retrieve("q")), await database("q")]
    print(json.dumps(seen, default=str))

asyncio.run(main())
"""


@pytest.mark.parametrize("database", DATABASES)
def test_a_kept_tracker_is_used_only_while_the_database_holds_exactly_it(
    database, tmp_path_factory
):
    """Issue 17: the next turn starts from the tracker this process saved, without reading the
    conversation back, only while the database holds exactly what was saved; another replica's
    turn, a failed turn, the purge or a new session all read the database as before."""
    url = database(tmp_path_factory).replace("catalog.sqlite", "tracker.sqlite")
    seen = in_rasa_runtime(KEPT_PROBE, url)
    assert seen["kept_is_handed_out"] is True
    assert seen["kept_matches_database"] is True
    written = ["un", "re: un", "deux", "re: deux", "trois", "re: trois"]
    assert seen["after_other_replica"] == [written, written]
    assert seen["after_failed_turn"] == written  # « perdu » was never saved
    assert seen["after_purge"] is None
    assert seen["new_session"][0] == seen["new_session"][1] == ["nouvelle session"]
