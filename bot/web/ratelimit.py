"""How fast the web server issues widget sessions: per client address and overall.

A widget session is a new conversation in Rasa's tracker store; without a bound, anyone could
create them by the million. Counting uses the `limits` library (fixed one-minute windows, in
memory, per process). Memory stays bounded: the overall limit is checked first, so at most that
many addresses are counted in a window (a refused request counts nothing), and a window's
counters expire with it. Behind the
HTTPS proxy, the client address is the one the proxy forwards (uvicorn trusts X-Forwarded-For
from 127.0.0.1 only). The proxy's own limits (production config) come on top.
"""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

WINDOW_SECONDS = 60


class SessionLimiter:
    def __init__(self, per_address: int, overall: int) -> None:
        self._limiter = FixedWindowRateLimiter(MemoryStorage())
        self._per_address = RateLimitItemPerMinute(per_address)
        self._overall = RateLimitItemPerMinute(overall)

    def allow(self, address: str) -> bool:
        """Count one session for `address`; False (and nothing counted) when a limit is
        reached. Test-then-hit has no await in between: atomic on the event loop."""
        limiter = self._limiter
        if not (
            limiter.test(self._overall, "sessions")
            and limiter.test(self._per_address, "sessions", address)
        ):
            return False
        limiter.hit(self._overall, "sessions")
        return limiter.hit(self._per_address, "sessions", address)
