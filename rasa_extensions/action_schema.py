"""Action-server replies validated against a JSON schema compiled once, not once per reply.

Rasa 3.6 checks every action-server reply with `jsonschema.validate(result, schema)`
(`RemoteAction._validate_action_result`), and `validate` first re-checks the schema itself
against the JSON Schema meta-schema: about half of the Rasa process's CPU under load went
there (issue 17). Here the validator class is chosen and the schema checked once, at import;
each reply then goes through `iter_errors` of that one validator and the best error is raised,
which is exactly what `jsonschema.validate` does after its schema check — so an invalid reply
is refused as before: the same `ValidationError`, with Rasa's own added sentence.

Installed by `rasa_extensions/__init__.py`, which Rasa imports at start (credentials.yml,
endpoints.yml) and with the model (config.yml), before any action runs.
"""

from __future__ import annotations

from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_SCHEMA = RemoteAction.action_response_format_spec()
_VALIDATOR_CLASS = validators.validator_for(_SCHEMA)
_VALIDATOR_CLASS.check_schema(_SCHEMA)  # the check `jsonschema.validate` repeats per reply
VALIDATOR = _VALIDATOR_CLASS(_SCHEMA)
ORIGINAL = RemoteAction._validate_action_result


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` of Rasa 3.6.21 with the compiled validator."""
    error = exceptions.best_match(VALIDATOR.iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Replace Rasa's method (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
