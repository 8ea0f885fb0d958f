"""The only Python of ours that runs inside the Rasa runtime (Python 3.10), loaded by Rasa
itself from config.yml (the NLU component), credentials.yml (the channels) and endpoints.yml
(the tracker store). Everything else of ours talks to Rasa over HTTP.

Importing the package installs five speed-ups into Rasa, before it loads a model or runs an
action: action-server replies are validated against a schema compiled once
(action_schema.py), requests to it are serialised by ujson (json_requests.py), spaCy loads
only the pipes the NLU pipeline uses (spacy_pipes.py), DIET builds its weights without
tracing a training graph (model_loading.py), and the policies' past states of a conversation
are computed once per event (dialogue_states.py)."""

from rasa_extensions import (
    action_schema,
    dialogue_states,
    json_requests,
    model_loading,
    spacy_pipes,
)

action_schema.install()
dialogue_states.install()
json_requests.install()
model_loading.install()
spacy_pipes.install()
