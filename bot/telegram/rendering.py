"""Rasa's answers turned into Telegram messages.

- Consecutive texts are joined into one message (fewer notifications on a phone, fewer API
  calls); a message with buttons closes a group, and its buttons become the inline keyboard.
- A text longer than Telegram's 4,096 characters is split at a paragraph, a line or a space.
- Rasa's texts are plain text: they are sent in HTML mode, escaped, so `<`, `>` and `&` show
  as typed; Telegram makes the URLs clickable by itself.
- An aid's card (catalog/cards.py, in the message's custom payload) is its own message,
  written here in Telegram HTML (the name in bold, the amount, why and what to check, each
  value escaped), after the texts that came before it; its keyboard has the message's buttons
  and a link button to the official page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from bot.telegram import texts as bridge_texts
from catalog.cards import AidCard, read_card
from catalog.erasure import ERASE_MARKER

MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, in UTF-16 code units after entity parsing
SHORT_TITLE = 15  # buttons with titles this short go two per row


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    @property
    def is_link(self) -> bool:
        return self.payload.startswith(("https://", "http://"))


@dataclass
class Outgoing:
    """One Telegram message to send: plain text (escaped when sent), or Telegram HTML when
    `html`, and its buttons."""

    text: str
    buttons: list[Button] = field(default_factory=list)
    html: bool = False

    @property
    def html_text(self) -> str:
        return self.text if self.html else escape(self.text)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Plain text → Telegram HTML showing exactly that text."""
    return html.escape(text, quote=False)


def _prefix_within(text: str, limit: int) -> int:
    """The longest prefix length (in characters) whose UTF-16 length fits the limit."""
    end = min(len(text), limit)
    while utf16_length(text[:end]) > limit:
        end -= max(1, (utf16_length(text[:end]) - limit) // 2)
    return end


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Cut a text into pieces of at most `limit`, at the best boundary available."""
    pieces: list[str] = []
    rest = text.strip()
    while utf16_length(rest) > limit:
        end = _prefix_within(rest, limit)
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = rest.rfind(separator, 0, end + 1)
            if cut > 0:
                break
        if cut <= 0:
            cut = end  # one unbroken word longer than a message
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _buttons_of(answer: dict[str, Any]) -> list[Button]:
    return [
        Button(str(b.get("title") or b.get("payload")), str(b["payload"]))
        for b in answer.get("buttons") or []
        if isinstance(b, dict) and b.get("payload")
    ]


def _text_of(answer: dict[str, Any]) -> str:
    parts = [str(answer["text"])] if answer.get("text") else []
    if answer.get("image"):
        parts.append(str(answer["image"]))  # a link: Telegram shows a preview
    return "\n".join(parts)


def erasure_confirmed(answers: list[dict[str, Any]]) -> bool:
    """Rasa's answers carry the erase marker (actions/erasure.py): the person's data is gone."""
    for answer in answers:
        custom = answer.get("custom")
        data = custom.get("data") if isinstance(custom, dict) else None
        if isinstance(data, dict) and data.get(ERASE_MARKER):
            return True
    return False


def card_html(card: AidCard) -> str:
    """An aid's card in Telegram HTML, every value escaped."""
    labels = bridge_texts.CARD
    checks = card.checks or [labels["nothing_to_check"]]
    lines = [
        f"<b>{card.rank}. {escape(card.name)}</b>",
        f"<b>{labels['amount']}</b> {escape(card.amount or labels['unknown_amount'])}",
        f"<b>{labels['why']}</b> {escape(card.why)}",
        f"<b>{labels['to_check']}</b> {escape(checks[0])}"
        if len(checks) == 1
        else "\n".join([f"<b>{labels['to_check']}</b>"] + [f"• {escape(c)}" for c in checks]),
    ]
    lines.append(f"<b>{labels['link']}</b> {escape(card.url)}")  # to copy or forward
    if card.note:
        lines.append(f"<i>{escape(card.note)}</i>")
    return "\n".join(lines)


def _card_message(
    card: AidCard, answer: dict[str, Any], before: list[str], limit: int
) -> Outgoing | None:
    """The card's message, with the plain texts that came before it; None when too long."""
    text = "\n\n".join([escape(t) for t in before] + [card_html(card)])
    if utf16_length(text) > limit:
        return None
    link = Button(bridge_texts.CARD["official_page"], card.url)
    return Outgoing(text, [*_buttons_of(answer), link], html=True)


def plan(answers: list[dict[str, Any]], limit: int = MAX_MESSAGE_LENGTH) -> list[Outgoing]:
    """The Telegram messages that render these Rasa answers, in order."""
    groups: list[Outgoing] = []
    texts: list[str] = []
    for answer in answers:
        card = read_card(answer)
        carded = _card_message(card, answer, texts, limit) if card else None
        if carded:
            groups.append(carded)
            texts = []
            continue
        text, buttons = _text_of(answer), _buttons_of(answer)
        if text:
            texts.append(text)
        if buttons:
            groups.append(Outgoing("\n\n".join(texts), buttons))
            texts = []
    if texts:
        groups.append(Outgoing("\n\n".join(texts)))
    messages: list[Outgoing] = []
    for group in groups:
        if group.html:
            messages.append(group)  # within the limit (_card_message)
            continue
        pieces = split_text(group.text, limit) or [""]
        messages += [Outgoing(piece) for piece in pieces[:-1]]
        messages.append(Outgoing(pieces[-1], group.buttons))  # the keyboard goes last
    return [m for m in messages if m.text or m.buttons]


def row_width(buttons: list[Button]) -> int:
    """Keyboard layout: two buttons per row when every title is short, else one."""
    return 2 if all(len(button.title) <= SHORT_TITLE for button in buttons) else 1
