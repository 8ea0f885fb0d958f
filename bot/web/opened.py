"""`POST /widget/ouverture`: the widget says that the person opened the official link of an
aid shown in their conversation (a form: `session_id`, `token`, `aide`).

Only a conversation the web server issued can say so (its signed token, bot/web/sessions.py),
only of an aid of the catalogue, at most OPENED_PER_MINUTE times a minute from one address. The
fact goes into the conversation itself: an `agent` event appended through Rasa's HTTP API
(catalog/observatory.py, `opened_event`), which Rasa's event broker carries to the
observatory's consumer like every other event, so replaying the broker counts it again and
erasing the conversation erases it. The answer is empty (204); the widget does not wait for
it (the link opens in any case).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.rasa_api import RasaApi, RasaApiUnavailableError
from bot.web import sessions
from bot.web.ratelimit import SessionLimiter
from catalog.files import aid_names
from catalog.observatory import opened_event

OPENED_PER_MINUTE = 30  # links opened from one address in a minute
OPENED_OVERALL = 1200  # and from everyone
NO_STORE = {"Cache-Control": "no-store"}

logger = logging.getLogger(__name__)


def opened_endpoint(session_key: str, rasa: Callable[[], RasaApi]) -> Callable[[Request], object]:
    limiter = SessionLimiter(OPENED_PER_MINUTE, OPENED_OVERALL)

    async def aid_opened(request: Request) -> Response:
        form = await request.form()
        session_id, token, aid_id = (
            str(form.get(name) or "")[:200] for name in ("session_id", "token", "aide")
        )
        if not sessions.verify(session_key, session_id, token):
            return JSONResponse({"erreur": "Conversation inconnue."}, 403, headers=NO_STORE)
        if aid_id not in aid_names():
            return JSONResponse({"erreur": "Aide inconnue."}, 400, headers=NO_STORE)
        if not limiter.allow(request.client.host if request.client else "inconnu"):
            return JSONResponse({"erreur": "Trop de demandes."}, 429, headers=NO_STORE)
        try:
            await run_in_threadpool(rasa().append, session_id, opened_event(aid_id, time.time()))
        except RasaApiUnavailableError as error:
            logger.warning("aid opened not recorded: %s", error)
            return JSONResponse({"erreur": "Assistant injoignable."}, 503, headers=NO_STORE)
        return Response(status_code=204, headers=NO_STORE)

    return aid_opened
