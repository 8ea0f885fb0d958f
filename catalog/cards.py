"""One recommended aid as a card: the typed payload every channel draws in its own way.

`AidCard` is the one schema of a card — name, amount, a one-line why, what to check, the
official link, and the « à revérifier » note of stale facts. The action server builds it from
an `AidMatch` (`card_of`), which validates it once, and sends it as the custom payload
`{"data": {CARD_KEY: …}}` of the message that also carries the same aid as plain text
(`card_text`). The web widget draws it as a card, the Telegram bridge as formatted HTML with
buttons (both read it back with `read_card`), the REST channel keeps the plain text.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from catalog.dialogue import message
from catalog.engine import AidMatch

CARD_KEY = "aid_card"  # the key of the card under the custom payload's "data"
SHOWN_CHECKS = 3

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
OneLine = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600, pattern=r"^[^\n]*$")
]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=2000)]


class AidCard(BaseModel):
    """A recommended aid as shown to the person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
    rank: int = Field(ge=1)
    name: OneLine
    amount: OneLine | None = None
    why: OneLine
    checks: list[Line] = Field(default_factory=list, max_length=SHOWN_CHECKS)
    url: Url
    note: OneLine | None = None  # « Informations vérifiées le … : à revérifier »


def card_of(match: AidMatch, rank: int) -> AidCard:
    """The card of an aid of the recommendation, at `rank` (1 for the first)."""
    return AidCard(
        id=match.aid["id"],
        rank=rank,
        name=match.aid["name"],
        amount=match.amount_text,
        why="; ".join(match.reasons) or message("aide_sans_raison"),
        checks=match.to_check[:SHOWN_CHECKS],
        url=match.aid["url"],
        note=match.stale_note,
    )


def card_text(card: AidCard) -> str:
    """The card as plain text: what the REST channel returns, and any client that draws no
    cards shows."""
    text = message(
        "aide",
        rang=card.rank,
        nom=card.name,
        montant=card.amount or "—",
        raisons=card.why,
        a_verifier=" ".join(card.checks) or message("rien_a_verifier"),
        lien=card.url,
    )
    return text + "\n" + card.note if card.note else text


def card_payload(card: AidCard) -> dict[str, Any]:
    """The custom payload of the card's message."""
    return {"data": {CARD_KEY: card.model_dump(mode="json")}}


def read_card(answer: dict[str, Any]) -> AidCard | None:
    """The card a bot message carries (as Rasa's REST channel returns it), if any and valid."""
    custom = answer.get("custom")
    data = custom.get("data") if isinstance(custom, dict) else None
    raw = data.get(CARD_KEY) if isinstance(data, dict) else None
    if raw is None:
        return None
    try:
        return AidCard.model_validate(raw)
    except ValidationError:
        return None
