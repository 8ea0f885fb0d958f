"""NLU component: a message with no word at all (empty, emoji only, punctuation) or longer
than MAX_LENGTH characters is not understood, whatever the classifier guessed — so « 😀😀 »
is met with « pouvez-vous reformuler ? » (and a very long text with a request to shorten it,
see actions/session.py) instead of, say, a goodbye that would end the questionnaire."""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_extensions.stateless import StatelessComponent

WORD = re.compile(r"\w")
FALLBACK = "nlu_fallback"
MAX_LENGTH = 2000


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NoWordsFallback(StatelessComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if WORD.search(text) and len(text) <= MAX_LENGTH:
                continue
            message.set(INTENT, {"name": FALLBACK, "confidence": 1.0}, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY, [{"name": FALLBACK, "confidence": 1.0}], add_to_output=True
            )
            message.set(ENTITIES, [], add_to_output=True)
        return messages
