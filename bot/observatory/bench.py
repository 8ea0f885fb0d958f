"""`make bench`, observatory section: the consumer's throughput (events folded per second,
from a SQL event broker into the catalogue database, both SQLite files), the time of the
observatory page's figures on 100,000 synthetic conversations, and the time of the page as the
web server serves it (GET /console/observatoire through the Starlette app of bot/web/app.py,
with a signed-in console session: figures, charts, template, audit line), for an
administrator and for an advisor of one territory. `python -m bot.bench observatory` runs
this section alone.

The synthetic events have the shape Rasa publishes (bot/observatory/fold.py): per conversation
a session start, a first message with its territory, profile slots, four questions with their
answers (one not understood), the aids shown, sometimes a contact request. Written to
docs/benchmarks.md between the `observatory` markers.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from bot.console.charts import bar_chart
from bot.observatory.consumer import catch_up
from bot.observatory.sql_broker import BROKER_EVENTS, SqlBroker
from catalog import observatory_report, store
from catalog.models import ObservedConversation, ObservedRecommendation
from catalog.observatory import conversation_key
from catalog.profile import ENUMS, TERRITORY_IDS

QUESTIONS = ("implante_qpv", "effectif", "indemnise_are", "besoins", "habite_qpv")
AIDS = ("pret-honneur-quartier", "arce", "acre", "pret-honneur-solidaire", "maintien-are")
START = 1_767_225_600.0  # 2026-01-01 UTC


def conversation_events(n: int, rng: random.Random) -> list[dict[str, Any]]:
    sender = f"bench-{n}"
    territory = rng.choice(TERRITORY_IDS)
    at = START + rng.uniform(0, 300 * 86400)
    events: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        nonlocal at
        at += rng.uniform(0.5, 30)
        events.append({"sender_id": sender, "event": kind, "timestamp": at, **fields})

    add("action", name="action_session_start")
    add("session_started")
    add("action", name="action_listen")
    add(
        "user",
        text="(texte)",
        input_channel=rng.choice(("socketio", "rest")),
        metadata={"territory": territory},
        parse_data={"intent": {"name": "informer", "confidence": 0.9}, "entities": []},
    )
    for field in ("stade", "secteur", "statut"):
        add("slot", name=field, value=rng.choice(ENUMS[field]))
    add("slot", name="territoire", value=territory)
    for question in QUESTIONS[: rng.randint(1, len(QUESTIONS))]:
        add("slot", name="requested_slot", value=question)
        add("bot", text="(question)")
        add("action", name="action_listen")
        intent = "nlu_fallback" if rng.random() < 0.1 else "affirmer"
        add("user", text="(réponse)", input_channel="rest", parse_data={"intent": {"name": intent}})
        if question == "besoins":
            add("slot", name="besoins", value=[rng.choice(ENUMS["besoins"])])
        elif question != "effectif":
            add("slot", name=question, value=rng.random() < 0.5)
    if rng.random() < 0.7:
        add("slot", name="requested_slot", value=None)
        add("action", name="action_recommander")
        add("slot", name="aides_recommandees", value=list(AIDS))
    return events


def bench_consumer(tmp: Path, conversations: int) -> tuple[int, float]:
    """Events folded per second, SQL broker → catalogue (SQLite)."""
    rng = random.Random(19)
    broker_url = f"sqlite:///{tmp / 'events.sqlite'}"
    engine = create_engine(broker_url)
    BROKER_EVENTS.metadata.create_all(engine, tables=[BROKER_EVENTS])
    count = 0
    with engine.begin() as connection:
        for n in range(conversations):
            rows = [
                {"sender_id": e["sender_id"], "data": json.dumps(e)}
                for e in conversation_events(n, rng)
            ]
            connection.execute(insert(BROKER_EVENTS), rows)
            count += len(rows)
    engine.dispose()
    catalog = store.make_engine(f"sqlite:///{tmp / 'catalog.sqlite'}")
    store.migrate(catalog)
    started = time.perf_counter()
    folded = catch_up(catalog, SqlBroker(broker_url))
    seconds = time.perf_counter() - started
    catalog.dispose()
    assert folded == count
    return count, count / seconds


def grow(tmp: Path, target: int) -> Path:
    """The folded conversations copied under new keys until there are `target` of them."""
    url = f"sqlite:///{tmp / 'catalog.sqlite'}"
    engine = store.make_engine(url)
    with Session(engine) as session, session.begin():
        seeds = session.scalars(select(ObservedConversation)).all()
        recs = session.scalars(select(ObservedRecommendation)).all()
        by_conversation: dict[int, list[ObservedRecommendation]] = {}
        for rec in recs:
            by_conversation.setdefault(rec.conversation_id, []).append(rec)
        columns = [c for c in ObservedConversation.__table__.columns.keys() if c != "id"]  # noqa: SIM118
        have, copy = len(seeds), 0
        while have < target:
            copy += 1
            batch = seeds[: target - have]
            rows = [
                {**{c: getattr(s, c) for c in columns}, "key": conversation_key(f"{s.key}-{copy}")}
                for s in batch
            ]
            session.execute(insert(ObservedConversation), rows)
            have += len(batch)
        session.flush()
        new_ids = session.execute(
            select(ObservedConversation.id, ObservedConversation.key).where(
                ObservedConversation.id > max(s.id for s in seeds)
            )
        ).all()
        seed_of = {
            conversation_key(f"{s.key}-{k}"): s.id for s in seeds for k in range(1, copy + 1)
        }
        extra = [
            {
                "conversation_id": new_id,
                "aid_id": r.aid_id,
                "rank": r.rank,
                "shown_at": r.shown_at,
                "details_asked": r.details_asked,
                "opened": r.opened,
            }
            for new_id, key in new_ids
            for r in by_conversation.get(seed_of[key], ())
        ]
        for start in range(0, len(extra), 50_000):
            session.execute(insert(ObservedRecommendation), extra[start : start + 50_000])
    engine.dispose()
    return tmp / "catalog.sqlite"


def page_times(database: Path, scope: tuple[str, ...] | None, rounds: int) -> list[float]:
    engine = store.make_engine(f"sqlite:///{database}")
    names = {t: t for t in TERRITORY_IDS}
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        with Session(engine) as session:
            report = observatory_report.build(
                session, observatory_report.Filters(scope), {a: a for a in AIDS}
            )
            if scope is None:
                report.tables.append(
                    observatory_report.compare(session, observatory_report.Filters(None), names)
                )
        for table in report.tables:
            bar_chart(table, table.name)
            table.cells()
        times.append(time.perf_counter() - started)
    engine.dispose()
    return times


BENCH_PASSWORD = "banc-d-essai-observatoire"  # a throwaway database's account


def served_times(database: Path, territory: str | None, rounds: int) -> list[float]:
    """GET /console/observatoire through the web server's Starlette app (in process, no
    socket), signed in as an administrator (`territory` None) or an advisor of `territory`."""
    from bot.web.app import create_app
    from catalog.accounts import create_account
    from settings import ConsoleSettings, ObservabilitySettings, WebSettings

    url = f"sqlite:///{database}"
    email = f"banc-{territory or 'admin'}@anct.example"
    engine = store.make_engine(url)
    with Session(engine) as session, session.begin():
        create_account(
            session,
            email,
            "Banc d'essai",
            BENCH_PASSWORD,
            "conseiller" if territory else "admin",
            territory,
            set(TERRITORY_IDS),
        )
    engine.dispose()
    app = create_app(
        WebSettings(host="127.0.0.1", port=8080, rasa_url="http://127.0.0.1:1", origins=()),
        ConsoleSettings(
            database_url=url,
            rasa_url="http://127.0.0.1:1",
            secret="banc-d-essai-observatoire",
            http_local=True,
        ),
        session_key="banc-d-essai",
        observability=ObservabilitySettings(),
    )

    async def measure() -> list[float]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8080", timeout=600
        ) as client:
            form = (await client.get("/console/connexion")).text
            token = re.search(r'name="csrf" value="([^"]+)"', form)
            assert token, "pas de jeton de formulaire"
            signed = await client.post(
                "/console/connexion",
                data={
                    "csrf": token.group(1),
                    "email": email,
                    "password": BENCH_PASSWORD,
                    "suite": "/console/",
                },
            )
            assert signed.status_code == 303, signed.text
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                page = await client.get("/console/observatoire")
                times.append(time.perf_counter() - started)
                assert page.status_code == 200, page.text
                assert "Observatoire" in page.text
            return times

    return asyncio.run(measure())


def bench_observatory(folded: int = 10_000, conversations: int = 100_000, rounds: int = 5) -> int:
    from bot.bench import machine, write_section

    tmp = Path(tempfile.mkdtemp(prefix="qp-bench-observatoire-"))
    events, per_second = bench_consumer(tmp, folded)
    database = grow(tmp, conversations)
    every = page_times(database, None, rounds)
    one = page_times(database, ("roubaix",), rounds)
    served_all = served_times(database, None, rounds)
    served_one = served_times(database, "roubaix", rounds)

    def spaced(number: float) -> str:
        return f"{number:,.0f}".replace(",", " ")

    median_all, max_all = statistics.median(every), max(every)
    median_one, max_one = statistics.median(one), max(one)
    served = [
        f"{statistics.median(times):.2f} s | {max(times):.2f} s"
        for times in (served_all, served_one)
    ]
    body = f"""## Observatoire : consommateur et page (`make bench`, {date.today().isoformat()})

Machine : {machine()} ; charge moyenne pendant la mesure : {os.getloadavg()[1]:.1f}
(machine partagée : le temps écoulé compte aussi l'attente des autres processus).
Consommateur (`bot/observatory/`) : {spaced(events)} événements synthétiques de
{spaced(folded)} conversations, de la forme que publie Rasa, lus dans un courtier SQL
(SQLite) et repliés dans la base du catalogue (SQLite), par lots de 2 000 :
**{spaced(per_second)} événements par seconde**.

Page de l'observatoire sur {spaced(conversations)} conversations (les conversations repliées,
copiées sous d'autres clés) : calcul de tous les tableaux (`catalog/observatory_report.py`) et des
graphiques SVG, sans le HTTP ni le gabarit, {rounds} mesures :

| portée | médiane | maximum |
|---|---|---|
| administrateur, tous les territoires, et côte à côte | {median_all:.2f} s | {max_all:.2f} s |
| conseiller, un territoire | {median_one:.2f} s | {max_one:.2f} s |

La page servie : `GET /console/observatoire` à l'application Starlette du serveur web
(`bot/web/app.py`, sans socket : `httpx.ASGITransport`), avec une session de la console
ouverte, sur la même base ; tableaux, graphiques, gabarit et ligne du journal des actions,
{rounds} mesures :

| portée | médiane | maximum |
|---|---|---|
| administrateur, tous les territoires, et côte à côte | {served[0]} |
| conseillère de Roubaix, son territoire | {served[1]} |

Le maximum de la page servie compte la première requête de chaque application, qui lit les
fichiers du catalogue (noms des territoires et des aides) ; la console les garde ensuite
tant qu'aucun ne change.
"""
    write_section("observatory", body)
    print(body)
    return 0
