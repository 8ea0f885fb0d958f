"""The observatory's sealed link to a conversation (bot/observatory/links.py): the same id
seals the same (a replay rebuilds identical rows), opens only with its key, and anything
altered or made up opens to nothing."""

from __future__ import annotations

import base64

from bot.observatory.links import seal, unseal

KEY = "clé-de-lien-des-tests"


def test_a_sealed_id_opens_with_its_key_only_and_always_seals_the_same():
    for conversation_id in ("roubaix-widget", "telegram:3f2a9c", "é" * 300):
        sealed = seal(conversation_id, KEY)
        assert conversation_id not in sealed
        assert seal(conversation_id, KEY) == sealed
        assert unseal(sealed, KEY) == conversation_id
        assert unseal(sealed, "une-autre-cle") is None
    assert seal("a", KEY) != seal("b", KEY)


def test_an_altered_or_made_up_link_opens_to_nothing():
    raw = bytearray(base64.urlsafe_b64decode(seal("roubaix-widget", KEY)))
    raw[-1] ^= 1
    for sealed in (base64.urlsafe_b64encode(bytes(raw)).decode(), "", "pas du base64 !", "AAAA"):
        assert unseal(sealed, KEY) is None
