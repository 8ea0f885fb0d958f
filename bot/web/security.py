"""HTTP security headers: a strict Content-Security-Policy for our pages, and headers common
to every response (assets are embedded by other sites: they may be loaded cross-origin)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settings import WebSettings

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def page_csp(settings: WebSettings) -> str:
    """The policy of our own pages: nothing inline, nothing from elsewhere but the Rasa server
    (socket.io over WebSocket); Trusted Types forbid any string-to-HTML sink."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "font-src 'self'",
            f"connect-src 'self' {settings.rasa_url} {settings.rasa_websocket_url}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


class CommonHeaders:
    """ASGI middleware adding COMMON_HEADERS to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.lower().encode(), value.encode())
                    for name, value in COMMON_HEADERS.items()
                    if name.lower().encode() not in present
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
