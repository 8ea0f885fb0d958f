"""The speed-ups rasa_extensions/ installs into Rasa (issue 17) change nothing Rasa does:

- action-server replies are checked against a schema compiled once (action_schema.py): the
  same replies pass, the same replies are refused with the same `ValidationError` as Rasa's own
  method, checked side by side inside the Rasa runtime; and in a real Rasa server with a fake
  action server, an invalid reply is still refused (its events and messages lost, the error
  logged as Rasa logs it) while a valid one is used;
- requests to the action server are serialised by ujson (json_requests.py): the action server
  reads back exactly the values sent;
- spaCy loads without the parser and the NER, once per process (spacy_pipes.py): Rasa's
  SpacyNLP gives the same tokens, lemmas, tags and vectors for every NLU example of data/ as
  with Rasa's own loader;
- DIET builds its weights with one eager step (model_loading.py): the trained model, loaded
  by our loader and by Rasa's, parses every NLU example of data/ the same way.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from rasa_runtime import in_rasa_runtime

from bot.keys import rest_headers
from bot.runner import Stack, free_port
from settings import PROJECT_DIR, get_settings, settings_with

pytestmark = pytest.mark.rasa

# Replies an action server could send: (valid?, reply). The invalid ones break the schema in
# different places (top-level type, events, an event's fields, responses).
REPLIES = [
    (True, {"events": [], "responses": []}),
    (True, {}),
    (True, {"events": [{"event": "slot", "name": "stade", "value": "idee"}]}),
    (True, {"events": [{"event": "active_loop", "name": None}], "responses": [{"text": "x"}]}),
    (True, {"responses": [{"text": "Bonjour", "buttons": [{"title": "a", "payload": "/b"}]}]}),
    (False, {"events": "pas une liste"}),
    (False, {"responses": [1]}),
    (False, {"events": [{"event": "slot"}]}),
    (False, {"events": [{"event": "slot", "name": 3, "value": 1}]}),
    (False, {"events": [{"event": "inconnu"}]}),
    (False, {"events": [{"name": "sans type"}]}),
    (False, {"events": [{"event": "active_loop", "name": 12}], "responses": "non"}),
    (False, ["pas", "un", "objet"]),
    (False, {"events": [{"event": "user", "text": 5, "parse_data": {}}]}),
]

SCHEMA_PROBE = """
import json, sys
import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.nlu.utils.spacy_utils import SpacyNLP
import rasa_extensions
from rasa_extensions import action_schema, spacy_pipes

assert RemoteAction._validate_action_result is action_schema.validate_action_result
assert SpacyNLP.load_model is spacy_pipes.load_model

action = RemoteAction("action_essai", None)

def outcome(method, reply):
    try:
        return ["ok", method(action, reply)]
    except Exception as error:
        return [type(error).__module__ + "." + type(error).__name__, error.message,
                list(error.path), list(error.schema_path), error.validator,
                repr(error.validator_value), repr(error.instance)]

out = []
for reply in json.loads(sys.argv[1]):
    out.append([outcome(action_schema.ORIGINAL, reply),
                outcome(RemoteAction._validate_action_result, reply)])
print(json.dumps(out))
"""

SPACY_PROBE = """
import json
import numpy as np
from rasa.shared.nlu.training_data.loading import load_data
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa_extensions import spacy_pipes

texts = [m.get("text") for m in load_data("data/nlu").training_examples]
rasa_model = spacy_pipes.ORIGINAL("fr_core_news_md").model
ours_model = SpacyNLP.load_model("fr_core_news_md").model

def tokens(doc):
    return [(t.text, t.idx, t.lemma_, t.tag_, t.pos_) for t in doc]

different = [a.text for a, b in zip(rasa_model.pipe(texts), ours_model.pipe(texts))
             if tokens(a) != tokens(b) or not np.array_equal(a.vector, b.vector)
             or not all(np.array_equal(x.vector, y.vector) for x, y in zip(a, b))]
print(json.dumps({"texts": len(texts), "different": different[:5],
                  "rasa": rasa_model.pipe_names, "ours": ours_model.pipe_names,
                  "loaded_once": SpacyNLP.load_model("fr_core_news_md").model is ours_model}))
"""


def test_action_replies_are_accepted_and_refused_exactly_as_by_rasa():
    outcomes = in_rasa_runtime(SCHEMA_PROBE, json.dumps([reply for _, reply in REPLIES]))
    assert isinstance(outcomes, list)
    for (valid, reply), (rasa, ours) in zip(REPLIES, outcomes, strict=True):
        assert ours == rasa, reply
        if valid:
            assert ours == ["ok", True], reply
        else:
            assert ours[0] == "jsonschema.exceptions.ValidationError", reply
            assert "Failed to validate Action server response" in ours[1], reply


JSON_PROBE = """
import asyncio, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from rasa.utils.endpoints import EndpointConfig
import rasa_extensions
from rasa_extensions import json_requests

assert EndpointConfig.session is json_requests.session
bodies = []

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
endpoint = EndpointConfig(f"http://127.0.0.1:{server.server_port}/webhook")
payload = json.loads(sys.argv[1])
payload["tracker"]["slots"]["montant"] = float("nan")
asyncio.run(endpoint.request(json=payload, method="post"))
print(json.dumps({"sent": json.dumps(payload), "received": json.dumps(json.loads(bodies[0])),
                  "body": bodies[0]}))
"""


def test_requests_to_the_action_server_carry_the_same_json():
    """What an action server receives from Rasa's `EndpointConfig`, serialised by ujson, reads
    back as exactly the values sent: accents and other scripts, « / », large integers, floats
    and NaN."""
    payload = {
        "next_action": "validate_profil_form",
        "sender_id": "conv/1",
        "tracker": {
            "sender_id": "conv/1",
            "slots": {"commune": "Saint-Étienne", "age": 29, "effectif": 10**30},
            "latest_message": {"text": "épicerie à Roubaix, 10 000 € — 北京 🙂"},
            "events": [{"event": "user", "timestamp": 1764770000.123456, "confidence": 0.1 + 0.2}],
        },
        "domain": {"responses": {"utter_lien": [{"text": "https://www.service-public.fr/"}]}},
    }
    found = in_rasa_runtime(JSON_PROBE, json.dumps(payload))
    assert isinstance(found, dict)
    assert found["received"] == found["sent"]
    assert '"https://www.service-public.fr/"' in found["body"]  # « / » not escaped
    assert found["body"].isascii()


def test_spacy_without_parser_and_ner_gives_the_same_features():
    found = in_rasa_runtime(SPACY_PROBE)
    assert isinstance(found, dict)
    assert found["texts"] > 1000
    assert found["different"] == []
    assert "ner" in found["rasa"]
    assert "ner" not in found["ours"]
    assert found["loaded_once"]  # Rasa's graph asks twice at start: one copy in memory


LOADING_PROBE = """
import asyncio, json, sys
import numpy as np
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.tensorflow.models import RasaModel
import rasa_extensions
from rasa_extensions import model_loading

# Every weight is compared exactly, which decides every prediction; parses are compared on
# one example in ten (the whole data took three minutes of the test run for nothing more).
texts = [m.get("text") for m in load_data("data/nlu").training_examples][::10]

def diet(agent):
    return [
        node._component.model
        for node in agent.processor.graph_runner._instantiated_nodes.values()
        if type(node._component).__name__ == "DIETClassifier"]

async def parses(agent):
    found = []
    for text in texts:
        parsed = await agent.parse_message(text)
        found.append([
            [[i["name"], i["confidence"]] for i in parsed["intent_ranking"]],
            [[e["entity"], e["value"], e["start"], e["end"], e.get("confidence_entity")]
             for e in parsed["entities"]],
        ])
    return found

ours_installed = RasaModel.load.__func__ is model_loading.load
ours = Agent.load(sys.argv[1])
eager_after_load = [model.run_eagerly for model in diet(ours)]
ours_parses = asyncio.run(parses(ours))
ours_weights = [w for model in diet(ours) for w in model.get_weights()]
RasaModel.load = classmethod(model_loading.ORIGINAL)
rasa = Agent.load(sys.argv[1])
rasa_parses = asyncio.run(parses(rasa))
rasa_weights = [w for model in diet(rasa) for w in model.get_weights()]
different = [
    [text, a, b] for text, a, b in zip(texts, ours_parses, rasa_parses)
    if a[0][0][0] != b[0][0][0] or [e[:4] for e in a[1]] != [e[:4] for e in b[1]]
    or any(abs(x[1] - y[1]) > 1e-6 for x, y in zip(a[0], b[0]))
    or any(abs((x[4] or 0) - (y[4] or 0)) > 1e-6 for x, y in zip(a[1], b[1]))
]
same_weights = len(ours_weights) == len(rasa_weights) > 0 and all(
    a.shape == b.shape and np.array_equal(a, b) for a, b in zip(ours_weights, rasa_weights))
print(json.dumps({"installed": ours_installed, "eager_after_load": eager_after_load,
                  "texts": len(texts), "different": different[:5],
                  "weights": len(ours_weights), "same_weights": same_weights}))
"""


def test_diet_loaded_with_one_eager_step_parses_exactly_as_with_rasas_loader():
    """The same trained model, loaded by both loaders: every weight identical, and the same
    intent ranking and entities (confidences to 1e-6: same prediction graph) for one NLU
    example of data/ in ten; predictions run in graph mode again after the eager step."""
    model = PROJECT_DIR / "models" / "assistant.tar.gz"
    assert model.exists(), "Modèle absent : lancez « make train »."
    found = in_rasa_runtime(LOADING_PROBE, str(model))
    assert isinstance(found, dict)
    assert found["installed"] is True
    assert found["eager_after_load"] == [False]
    assert found["texts"] > 300
    assert found["different"] == []
    assert found["weights"] > 10
    assert found["same_weights"] is True


class FakeActionServer(ThreadingHTTPServer):
    """Answers Rasa's action calls: an invalid reply for senders starting with « invalide »,
    a valid one with a message otherwise."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeActionHandler)
        self.calls: list[tuple[str, str]] = []


class FakeActionHandler(BaseHTTPRequestHandler):
    server: FakeActionServer

    def do_POST(self) -> None:
        call = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        sender = call["tracker"]["sender_id"]
        self.server.calls.append((sender, call["next_action"]))
        if sender.startswith("invalide"):
            reply: dict = {"events": [{"event": "slot", "name": 3}], "responses": [{"text": "x"}]}
        else:
            reply = {"events": [], "responses": [{"text": f"réponse valide à {sender}"}]}
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_real_rasa_refuses_an_invalid_action_reply_and_uses_a_valid_one(tmp_path):
    if not get_settings().rasa.model.exists():
        pytest.fail("Modèle absent : lancez « make train ».")
    fake = FakeActionServer()
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    settings = settings_with(
        RASA_PORT=str(free_port()),
        ACTION_PORT=str(fake.server_address[1]),
        TRACKER_DB=str(tmp_path / "tracker.sqlite"),
        QP_TRACKER_URL="",
        QP_LOG_DIR=str(tmp_path / "log"),
    )
    stack = Stack(settings)  # only its environment: Rasa alone, talking to the fake
    log = tmp_path / "rasa.log"
    s = settings.servers
    command = [str(settings.rasa.bin), "run", "--model", str(settings.rasa.model)]
    command += ["--port", str(s.rasa_port), "--interface", "127.0.0.1"]
    command += ["--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
    with log.open("wb") as output:
        rasa = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=stack._env(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + s.ready_timeout
        while True:
            assert rasa.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{s.rasa_url}/webhooks/rest/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "Rasa n'a pas démarré"
            time.sleep(1)

        def say(sender: str) -> str:
            response = httpx.post(
                f"{s.rasa_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": "c'est quoi l'ACRE ?"},
                headers=rest_headers(),
                timeout=120,
            )
            response.raise_for_status()
            return "\n".join(m.get("text", "") for m in response.json())

        assert "réponse valide à valide-1" in say("valide-1")
        refused = say("invalide-1")
        assert ("invalide-1", "action_definition") in fake.calls
        assert "x" not in refused.splitlines()
        logged = log.read_text(errors="replace")
        assert "jsonschema.exceptions.ValidationError" in logged
        assert "Failed to validate Action server response" in logged
        assert "réponse valide à valide-2" in say("valide-2")  # the server goes on
    finally:
        rasa.terminate()
        rasa.wait(timeout=60)
        fake.shutdown()


BROKER_PROBE = """
import asyncio, json, sys
from rasa.utils.endpoints import EndpointConfig
from rasa_extensions.event_broker import SelectedEventBroker

async def main():
    config = EndpointConfig(url=sys.argv[1], mode="sql")
    broker = await SelectedEventBroker.from_endpoint_config(config)
    broker.publish({"sender_id": "moi", "event": "user", "text": "bonjour"})
    await broker.close()
    with broker.engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        rows = connection.exec_driver_sql("select count(*) from events").scalar()
    print(json.dumps({"journal": journal, "rows": rows, **kept(broker.engine)}))

def kept(engine):  # three sessions in a row open one SQLite connection, not three
    from sqlalchemy import event
    opened = []
    event.listen(engine, "connect", lambda *args: opened.append(1))
    engine.dispose()
    for _ in range(3):
        with engine.connect() as connection:
            connection.exec_driver_sql("select 1")
    return {"one_connection": len(opened) == 1}

asyncio.run(main())
"""


def test_the_sql_event_broker_writes_sqlite_in_write_ahead_log_mode(tmp_path):
    found = in_rasa_runtime(BROKER_PROBE, f"sqlite:///{tmp_path / 'broker.sqlite'}")
    # and keeps its connection: SQLAlchemy 1.4 opened and closed one per write (issue 17)
    assert found == {"journal": "wal", "rows": 1, "one_connection": True}


STORE_PROBE = (
    BROKER_PROBE.split("async def main")[0]
    + """
from rasa_extensions.tracker_store import ErasingSQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.events import UserUttered

async def main():
    store = ErasingSQLTrackerStore(url=sys.argv[1])
    tracker = DialogueStateTracker.from_events("moi", [UserUttered("bonjour")])
    await store.save(tracker)
    read = await store.retrieve("moi")
    with store.engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    print(json.dumps({"journal": journal, "texts": [e.text for e in read.events
                      if isinstance(e, UserUttered)], **kept(store.engine)}))
"""
    + "def kept"
    + BROKER_PROBE.split("def kept")[1]
)


def test_the_sqlite_tracker_store_keeps_its_connection_in_write_ahead_log_mode(tmp_path):
    found = in_rasa_runtime(STORE_PROBE, f"sqlite:///{tmp_path / 'tracker.sqlite'}")
    assert found == {"journal": "wal", "texts": ["bonjour"], "one_connection": True}


# Rasa's SQL broker (stock) and ours, given the same events: the same rows, in the same
# order, written once the broker stops; ours also waits out a database locked by another
# process for a while instead of losing the events.
BATCH_PROBE = """
import asyncio, json, sqlite3, sys, threading, time
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig
from rasa_extensions.event_broker import SelectedEventBroker

EVENTS = [
    {"sender_id": f"personne-{i % 7}", "event": "user", "text": f"message {i}", "timestamp": i}
    for i in range(1200)
]

def rows(path):
    with sqlite3.connect(path) as db:
        return db.execute("select sender_id, data from events order by id").fetchall()

async def main(stock_path, ours_path):
    stock = await SQLEventBroker.from_endpoint_config(EndpointConfig(url=f"sqlite:///{stock_path}"))
    ours = await SelectedEventBroker.from_endpoint_config(
        EndpointConfig(url=f"sqlite:///{ours_path}", mode="sql")
    )
    locker = sqlite3.connect(ours_path, timeout=0, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the database for a moment
    threading.Timer(0.8, locker.rollback).start()
    for event in EVENTS:
        stock.publish(event)
        ours.publish(event)
    await ours.close()
    await ours.close()  # twice: nothing more happens
    print(json.dumps({"same": rows(stock_path) == rows(ours_path), "count": len(rows(ours_path))}))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_the_sql_event_broker_writes_the_same_rows_as_rasa_s_in_order(tmp_path):
    found = in_rasa_runtime(
        BATCH_PROBE, str(tmp_path / "stock.sqlite"), str(tmp_path / "ours.sqlite")
    )
    assert found == {"same": True, "count": 1200}
