"""Present the recommendation: the best aids as cards (catalog/cards.py: the plain text, and
the typed card the widget and the Telegram bridge draw), then the local contacts, the questions
that could still change the first aids (« Pour affiner », actions/refine.py), « Ma fiche », then
what next.

« Voir d'autres aides » (the payload /chercher_aides right after a recommendation) shows the
next aids of the same ranking instead of the same ones again.

After the first results, the link to « Ma fiche » (catalog/fiches.py, served by bot/web/fiche.py):
the profile, these aids with what to bring and the contacts, on a printable page.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import contacts
from actions.contacts import SHOWN_CONTACTS, utter_contacts
from actions.refine import refine_offer
from actions.slots import catalog, profile_from_slots
from catalog.amounts import french_date
from catalog.cards import card_of, card_payload, card_text
from catalog.dialogue import buttons, message
from catalog.engine import AidMatch, Recommendation, recommend
from catalog.fiche_content import fiche_content
from catalog.fiches import save_fiche
from catalog.leads import database
from settings import get_settings

logger = logging.getLogger(__name__)

SHOWN_AIDS = 5
MORE_PAYLOAD = "/chercher_aides"


def _offer_fiche(
    dispatcher: CollectingDispatcher, sender_id: str, shown: list[AidMatch], result: Recommendation
) -> None:
    """Store the fiche of these results and give its link; said nothing if it failed."""
    settings = get_settings()
    profile = result.profile.values if result.profile else {}
    content = fiche_content(shown, result.contacts[:SHOWN_CONTACTS], profile)
    now = datetime.now(UTC)
    days = settings.retention.fiches_days
    try:
        token = save_fiche(database(), sender_id, content, now, days)
    except Exception as error:  # noqa: BLE001 - the results were given; the link is a bonus
        logger.error("A fiche could not be stored (%s).", type(error).__name__)
        return
    link = f"{settings.web.public_url}/fiche/{token}"
    expiry = french_date((now + timedelta(days=days)).date())
    dispatcher.utter_message(text=message("fiche_lien", lien=link, expiration=expiry))


def _details_button(match: AidMatch) -> dict[str, str]:
    payload = "/demander_definition" + json.dumps({"aide": match.aid["id"]}, separators=(",", ":"))
    return {"title": message("details"), "payload": payload}


class ActionRecommander(Action):
    def name(self) -> str:
        return "action_recommander"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        day = contacts.today()  # the real date, read here at the edge
        result = recommend(catalog(), profile_from_slots(tracker.slots), day)
        already = list(tracker.get_slot("aides_recommandees") or [])
        asked_more = ((tracker.latest_message or {}).get("text") or "").strip() == MORE_PAYLOAD
        if asked_more and already:
            remaining = [m for m in result.aids if m.aid["id"] not in already]
            shown = remaining[:SHOWN_AIDS]
            dispatcher.utter_message(text=message("voir_plus_intro" if shown else "plus_d_aides"))
        else:
            already, remaining = [], result.aids
            shown = remaining[:SHOWN_AIDS]
            dispatcher.utter_message(text=message("aides_intro" if shown else "aucune_aide"))
        for rank, match in enumerate(shown, start=len(already) + 1):
            card = card_of(match, rank)  # the stale note, if any, is always said, never cut
            dispatcher.utter_message(
                text=card_text(card),
                buttons=[_details_button(match)],
                json_message=card_payload(card),
            )
        utter_contacts(dispatcher, result.contacts, day)
        skipped = set(tracker.get_slot("champs_ignores") or [])
        offer = refine_offer(catalog(), profile_from_slots(tracker.slots), skipped, day)
        if offer:
            dispatcher.utter_message(text=offer[0], buttons=offer[1])
        if shown and not asked_more:
            _offer_fiche(dispatcher, tracker.sender_id, shown, result)
        follow_ups = buttons("suite")
        if len(remaining) > len(shown):
            follow_ups = [{"title": message("voir_plus"), "payload": MORE_PAYLOAD}, *follow_ups]
        dispatcher.utter_message(text=message("suite"), buttons=follow_ups)
        return [SlotSet("aides_recommandees", already + [m.aid["id"] for m in shown])]
