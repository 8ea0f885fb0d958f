"""« Mon adresse est-elle en QPV ? » in the dialogue: find an address in a message, check it
(catalog/address.py, geocoded by adapters/ban.py), and set `habite_qpv` or `implante_qpv` only
once the person has said whose address it is (their home, their business, or both).

Until then the verdict waits in the slot `adresse_qpv`; the profile form then asks the
question `lieu_adresse` (actions/profile_form.py). The geocoder is called in a worker thread:
a slow answer must not hold the action server's event loop.
"""

from __future__ import annotations

import asyncio
import re
from functools import lru_cache

from rasa_sdk.events import EventType, SlotSet
from sqlalchemy import Engine

from actions.slots import catalog
from adapters.ban import BanGeocoder
from catalog import store
from catalog.address import A_VERIFIER, EN_QPV, AddressCheck, check_address, find_address
from catalog.dialogue import message
from catalog.profile import normalize
from catalog.qpv_perimeters import PerimeterIndex, perimeter_index

PENDING_SLOT = "adresse_qpv"  # {"en_qpv": bool, "code": …, "nom": …} until the person says
USAGE_SLOT = "lieu_adresse"  # the question « whose address is it? »: domicile, entreprise, les_deux
FIELDS_OF_USAGE = {
    "domicile": ("habite_qpv",),
    "entreprise": ("implante_qpv",),
    "les_deux": ("habite_qpv", "implante_qpv"),
}
_BOTH = re.compile(r"\b(les deux|les 2|tous les deux|toutes les deux|(les )?deux a la fois)\b")
_NEITHER = re.compile(r"\b(aucun|aucune|ni l un ni l autre|ni l une ni l autre|ni (mon|l un))\b")
_HOME = re.compile(
    r"\b(domicile|chez moi|chez nous|ma maison|mon appartement|mon appart|mon logement|"
    r"j habite|jhabite|je vis|je reside|on habite|on vit|ou j habite|ou je vis|perso|"
    r"personnelle?)\b"
)
_BUSINESS = re.compile(
    r"\b(entreprise|societe|local|locaux|boutique|magasin|commerce|atelier|restaurant|bureau|"
    r"bureaux|cabinet|activite|siege|pro|professionnelle?|futur local|mon etablissement)\b"
)


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return store.make_engine(url)


def perimeters() -> PerimeterIndex:
    return perimeter_index(_engine(store.database_url()))


async def check_in(text: str, with_place: bool = False) -> AddressCheck | None:
    """The check of the address written in `text`; None when the text holds no address (with
    `with_place`, one that names no postal code nor commune: « je donne 3 cours de cuisine »
    in a description is not an address)."""
    address = find_address(text)
    if not address:
        return None
    if with_place and not _names_a_place(address):
        return None
    places = catalog().places
    index = perimeters()
    return await asyncio.to_thread(
        check_address, address, BanGeocoder.from_settings(), places, index
    )


def _names_a_place(address: str) -> bool:
    """Whether an address ends with a postal code or a commune of the catalogue."""
    if re.search(r"(?<!\d)\d{5}(?!\d)", address):
        return True
    words = address.split()
    places = catalog().places
    for start in range(max(0, len(words) - 4), len(words)):
        place = places.resolve(" ".join(words[start:]))
        if place is not None and place.commune_insee:
            return True
    return False


def usage_in(text: str) -> str | None:
    """Whose address the person says it is: « domicile », « entreprise », « les_deux »."""
    words = normalize(text)
    if _BOTH.search(words):
        return "les_deux"
    home, business = bool(_HOME.search(words)), bool(_BUSINESS.search(words))
    if home and business:
        return "les_deux"
    return "domicile" if home else "entreprise" if business else None


def says_neither(text: str) -> bool:
    return bool(_NEITHER.search(normalize(text)))


def verdict_events(check: AddressCheck, usage: str | None) -> tuple[list[str], list[EventType]]:
    """What to say and set after a check: nothing is set for « à vérifier »; a definite
    verdict sets the profile if `usage` is known, else waits for the person's answer."""
    if check.status == A_VERIFIER:
        return [], []
    in_qpv = check.status == EN_QPV
    if usage:
        return apply_usage(in_qpv, usage)
    pending = {"en_qpv": in_qpv, "code": check.qpv_code, "nom": check.qpv_name}
    return [], [SlotSet(PENDING_SLOT, pending)]


def apply_usage(in_qpv: bool, usage: str) -> tuple[list[str], list[EventType]]:
    """The profile slots for a confirmed verdict, and the sentence that says so."""
    fields = FIELDS_OF_USAGE[usage]
    texts = [message(f"qpv_note_{field}_{'oui' if in_qpv else 'non'}") for field in fields]
    events: list[EventType] = [SlotSet(field, in_qpv) for field in fields]
    return texts, [*events, SlotSet(PENDING_SLOT, None), SlotSet(USAGE_SLOT, None)]
