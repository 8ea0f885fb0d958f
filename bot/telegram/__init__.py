"""Telegram bridge: python-telegram-bot on one side, Rasa's REST channel on the other.

The bridge is its own process (`python -m bot.telegram`). It receives updates by long polling
or by a webhook protected by a secret token, relays texts and button choices to Rasa as
`telegram:<chat_id>`, and renders Rasa's answers for Telegram (inline keyboards with short
callback ids, long answers split, HTML escaping). Messages that Rasa cannot take right now are
kept in a small SQLite queue and delivered when it is back.

Modules, one job each:
    settings   configuration from environment variables
    texts      every French sentence the bridge itself says
    state      the SQLite file holding the two tables below
    callbacks  short callback ids ↔ button payloads
    pending    messages waiting for Rasa
    rasa       the client of Rasa's REST channel
    rendering  Rasa answers → Telegram messages (split, escape, keyboards)
    request    Telegram HTTP requests that honour 429 RetryAfter
    ordering   updates of one chat in order, different chats concurrently
    relay      ordered delivery to Rasa, retry with backoff, sending the answers
    addressing which messages of a group chat are meant for the bot
    handlers   python-telegram-bot handlers (commands, texts, buttons, other messages)
    webhook    the webhook HTTP endpoint that checks the secret token
    app        building the application and running it (polling or webhook)
"""
