"""Rasa's requests to the action server serialised by ujson instead of the standard library.

Every action Rasa asks of the action server (a form's validation, our actions) carries the
whole conversation: the tracker with all its events, as JSON in the request's body. aiohttp,
which Rasa's `EndpointConfig` uses, serialises it with `json.dumps`: 5 % of the Rasa process's
samples under the baseline's load (issue 17, `make profile`), more the longer the conversation.
ujson (already in Rasa's runtime, for Sanic) writes the same JSON about three times faster:
the action server reads exactly the same values (tests/test_rasa_speedups.py sends it
accented text, large integers, floats and NaN through a real `EndpointConfig`).

Installed by `rasa_extensions/__init__.py`, imported by Rasa before it makes any request.
"""

from __future__ import annotations

import functools

import aiohttp
import ujson
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

# The standard library's output, but for the spaces between items: "/" not escaped, and any
# non-ASCII character escaped.
dumps = functools.partial(ujson.dumps, escape_forward_slashes=False, ensure_ascii=True)


def session(self: EndpointConfig) -> aiohttp.ClientSession:
    """`EndpointConfig.session` of Rasa 3.6.21, with ujson as the JSON serialiser."""
    auth = None
    if self.basic_auth:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        json_serialize=dumps,
    )


def install() -> None:
    """Replace Rasa's method (idempotent)."""
    EndpointConfig.session = session  # type: ignore[method-assign]
