"""Handoff, erasure, goodbye, « voir plus » and misunderstanding: the actions alone."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from test_actions import run, tracker

from actions import erasure
from actions.handoff import ActionEnregistrerDemande, ActionProposerRappel, ValidateHandoffForm
from actions.recommend import ActionRecommander
from actions.session import ActionAuRevoir, ActionReformuler, ActionSupprimerDonnees
from catalog.leads import leads_of, parse_contact

ROUBAIX = {
    "stade": "creation",
    "secteur": "commerce",
    "statut": "demandeur_emploi",
    "commune": "Roubaix",
    "territoire": "roubaix",
}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("marie.dupont@exemple.fr", "marie.dupont@exemple.fr"),
        ("c'est Marie.Dupont@Exemple.fr merci", "marie.dupont@exemple.fr"),
        ("06 12 34 56 78", "06 12 34 56 78"),
        ("+33612345678", "06 12 34 56 78"),
    ],
)
def test_contact_details_are_recognised_and_normalised(text, shown):
    assert parse_contact(text).shown == shown


@pytest.mark.parametrize("text", ["non", "12345", "marie@", "<script>@x", "06 12"])
def test_anything_else_is_not_contact_details(text):
    assert parse_contact(text) is None


async def test_the_offer_names_the_territory_and_asks_consent():
    _, texts, messages = await run(ActionProposerRappel(), tracker(ROUBAIX))
    assert "conseiller de Roubaix" in texts[0]
    assert "uniquement" in texts[0]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/affirmer", "/nier"]
    _, texts, _ = await run(ActionProposerRappel(), tracker({}))
    assert "indiquez-moi d'abord la commune" in texts[0]


async def test_invalid_contact_details_are_asked_again_politely():
    slots, texts, _ = await run(
        ValidateHandoffForm(),
        tracker(ROUBAIX, text="bof", requested="coordonnees", new_slots={"coordonnees": "bof"}),
    )
    assert slots["coordonnees"] is None
    assert "Je n'ai pas reconnu" in texts[0]


async def test_a_lead_is_stored_for_the_territory_and_erased_on_request():
    track = tracker({**ROUBAIX, "coordonnees": "06 12 34 56 78", "aides_recommandees": ["acre"]})
    _, texts, _ = await run(ActionEnregistrerDemande(), track)
    assert "conseillers de Roubaix" in texts[0]
    assert "06 12 34 56 78" in texts[0]
    lead = leads_of("test")[-1]
    assert lead.territory_id == "roubaix"
    assert lead.phone == "06 12 34 56 78"
    assert lead.profile["statut"] == "demandeur_emploi"
    assert lead.aids == ["acre"]
    await run(
        ActionSupprimerDonnees(),
        tracker(ROUBAIX, text="supprimez mes données", intent="supprimer_donnees"),
    )
    assert leads_of("test") == []


async def test_the_conversation_is_erased_once_the_turn_is_saved(tmp_path, monkeypatch):
    database = tmp_path / "tracker.sqlite"
    with sqlite3.connect(database) as db:
        db.execute(
            "create table events (id integer primary key, sender_id text, "
            "type_name text, action_name text)"
        )
        db.executemany(
            "insert into events (sender_id, type_name, action_name) values (?,?,?)",
            [
                ("moi", "user", None),
                ("moi", "action", "action_supprimer_donnees"),
                ("autre", "user", None),
            ],
        )
    monkeypatch.setenv("TRACKER_DB", str(database))
    monkeypatch.delenv("QP_TRACKER_URL", raising=False)  # else that store is the one erased
    monkeypatch.setattr(erasure, "POLL_SECONDS", 0.05)
    task = asyncio.ensure_future(
        erasure.erase_conversation_after_turn("moi", "action_supprimer_donnees")
    )
    await asyncio.sleep(0.2)
    assert not task.done()  # Rasa has not saved the end of the turn yet
    with sqlite3.connect(database) as db:
        db.execute(
            "insert into events (sender_id, type_name, action_name) "
            "values ('moi', 'action', 'action_listen')"
        )
    assert await task is True
    with sqlite3.connect(database) as db:
        assert db.execute("select sender_id from events").fetchall() == [("autre",)]


async def test_goodbye_recalls_the_aids_found():
    _, texts, _ = await run(ActionAuRevoir(), tracker({"aides_recommandees": ["acre", "arce"]}))
    assert texts[0].startswith("Pour mémoire")
    assert "ACRE" in texts[0]
    assert "ARCE" in texts[0]
    _, texts, _ = await run(ActionAuRevoir(), tracker({}))
    assert texts == ["Au revoir et bonne réussite dans votre projet ! Revenez quand vous voulez."]


async def test_a_second_misunderstanding_in_a_row_offers_people():
    first = tracker(ROUBAIX, text="blabla", intent="nlu_fallback")
    _, texts, _ = await run(ActionReformuler(), first)
    assert "reformuler" in texts[0]
    second = tracker(ROUBAIX, text="blabla", intent="nlu_fallback")
    second.events.insert(
        0, {"event": "user", "text": "bla", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    )
    _, texts, _ = await run(ActionReformuler(), second)
    assert "toujours pas" in texts[0]
    assert len(texts) > 2


async def test_see_more_shows_the_next_aids_not_the_same_ones():
    slots, texts, messages = await run(ActionRecommander(), tracker(ROUBAIX))
    first = slots["aides_recommandees"]
    assert messages[-1]["buttons"][0]["payload"] == "/chercher_aides"
    assert messages[1]["buttons"][0]["payload"].startswith('/demander_definition{"aide":')
    slots, texts, _ = await run(
        ActionRecommander(),
        tracker(
            {**ROUBAIX, "aides_recommandees": first},
            text="/chercher_aides",
            intent="chercher_aides",
        ),
    )
    assert texts[0] == "Voici d'autres aides possibles :"
    assert slots["aides_recommandees"][: len(first)] == first
    assert not set(slots["aides_recommandees"][len(first) :]) & set(first)
    assert any(t.startswith(f"{len(first) + 1}. ") for t in texts)


async def test_a_very_long_message_is_asked_to_be_shortened():
    _, texts, _ = await run(
        ActionReformuler(), tracker(ROUBAIX, text="mot " * 600, intent="nlu_fallback")
    )
    assert "très long" in texts[0]


async def test_the_erasure_reaches_the_tracker_store_of_qp_tracker_url(
    tmp_path_factory, monkeypatch
):
    """A PostgreSQL tracker store (README: QP_TRACKER_URL), not only the SQLite file."""
    from conftest import _postgresql
    from sqlalchemy import create_engine, text

    url = _postgresql(tmp_path_factory)
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(
            text(
                "create table events (id serial primary key, sender_id text, "
                "type_name text, action_name text)"
            )
        )
        db.execute(
            text("insert into events (sender_id, type_name, action_name) values (:s, :t, :a)"),
            [
                {"s": "moi", "t": "user", "a": None},
                {"s": "moi", "t": "action", "a": "action_supprimer_donnees"},
                {"s": "moi", "t": "action", "a": "action_listen"},
                {"s": "autre", "t": "user", "a": None},
            ],
        )
    monkeypatch.setenv("QP_TRACKER_URL", url)
    monkeypatch.setenv("TRACKER_DB", str(tmp_path_factory.mktemp("none") / "absent.sqlite"))
    assert await erasure.erase_conversation_after_turn("moi", "action_supprimer_donnees")
    with engine.connect() as db:
        assert db.execute(text("select sender_id from events")).scalars().all() == ["autre"]
    engine.dispose()


async def test_without_a_tracker_store_file_nothing_is_created(tmp_path, monkeypatch):
    monkeypatch.delenv("QP_TRACKER_URL", raising=False)
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "absent.sqlite"))
    assert await erasure.erase_conversation_after_turn("moi", "action_supprimer_donnees") is False
    assert not (tmp_path / "absent.sqlite").exists()
