"""How many messages Rasa's channels accept per minute: per sender, per client address, overall.

Loaded by the Rasa runtime (.venv-rasa, Python 3.10) from rasa_extensions/channels.py; it
imports nothing of ours. Fixed one-minute windows counted in the Rasa process's memory, with
bounded memory: the overall limit is checked first and a refused message counts nothing, so a
window holds at most `overall` × (number of keys of a message) counters, all dropped when the
window ends.

Why not the `limits` library, as our web server and console use: every `limits` release since
3.0 requires `packaging>=21`, and Rasa 3.6 pins `packaging<21` (checked with
`pip install --dry-run limits` in .venv-rasa, 2026-12-02); the 2.x releases are no longer
maintained. The proxy's own limits (docs/nginx-limites.conf) come first in production; these
ones hold when Rasa is reached without it, and they are per process.
"""

from __future__ import annotations

import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class WindowLimits:
    """At most `per_key` messages per window for each key, and `overall` for all keys."""

    def __init__(
        self,
        per_key: dict[str, int],
        overall: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_key = per_key  # kind of key ("sender", "address") → its limit
        self.overall = overall
        self.window = window
        self.clock = clock
        self._start = float("-inf")
        self._total = 0
        self._counts: dict[tuple[str, str], int] = {}

    def allow(self, **keys: str) -> bool:
        """Count one message for these keys (kind → value); False, counting nothing, when a
        limit is reached. No await inside: atomic on Rasa's event loop."""
        now = self.clock()
        start = now - now % self.window
        if start != self._start:
            self._start, self._total = start, 0
            self._counts.clear()
        if self._total >= self.overall:
            return False
        counted = [(kind, value) for kind, value in keys.items() if kind in self.per_key]
        if any(self._counts.get(key, 0) >= self.per_key[key[0]] for key in counted):
            return False
        self._total += 1
        for key in counted:
            self._counts[key] = self._counts.get(key, 0) + 1
        return True

    def counters(self) -> int:
        """How many counters the current window holds (the memory bound's witness)."""
        return len(self._counts)
