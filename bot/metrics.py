"""Prometheus metrics of our servers (prometheus_client) and who may read them.

The action server counts the conversation turns it sees (by channel), times each action
(histogram per action), counts fallbacks (`action_reformuler`, the configured core fallback),
contact requests created (by territory and channel) and exceptions (by action and kind). The
web server counts its own requests (by route and status, with a latency histogram) and, at
each scrape, probes Rasa (`GET /webhooks/rest/`, the REST channel's health route): `qp_rasa_up`
(1 or 0) and `qp_rasa_probe_seconds`. No label ever holds a conversation id or any text.

`/metrics` answers a caller on this machine (127.0.0.1, ::1) whose request did not come
through a proxy (no `X-Forwarded-For` / `Forwarded` header), or any caller presenting
`Authorization: Bearer QP_METRICS_TOKEN`; anyone else gets 403 (docs/exploitation.md).
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
FALLBACK_ACTIONS = {"action_reformuler", "action_default_fallback", "action_two_stage_fallback"}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
SEEN_SENDERS = 10_000  # conversations whose last counted message is remembered

disable_created_metrics()  # no `…_created` series: the counters' start times add only noise
REGISTRY = CollectorRegistry(auto_describe=True)

TURNS = Counter(
    "qp_turns",
    "Messages des personnes vus par le serveur d'actions, par canal",
    ["channel"],
    registry=REGISTRY,
)
ACTION_SECONDS = Histogram(
    "qp_action_duration_seconds",
    "Durée d'exécution de chaque action personnalisée",
    ["action"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
FALLBACKS = Counter(
    "qp_fallbacks",
    "Messages non compris : exécutions de l'action de repli (action_reformuler)",
    ["action"],
    registry=REGISTRY,
)
LEADS = Counter(
    "qp_leads_created",
    "Demandes de contact enregistrées",
    ["territory", "channel"],
    registry=REGISTRY,
)
ERRORS = Counter(
    "qp_action_errors",
    "Exceptions levées par une action, par action et type d'exception",
    ["action", "exception"],
    registry=REGISTRY,
)
WEB_REQUESTS = Counter(
    "qp_web_requests",
    "Requêtes du serveur web, par route et code de réponse",
    ["route", "status"],
    registry=REGISTRY,
)
WEB_SECONDS = Histogram(
    "qp_web_request_duration_seconds",
    "Durée des requêtes du serveur web, par route",
    ["route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


def allowed(client: str | None, headers: Mapping[str, str], token: str) -> bool:
    """May this caller read /metrics? (see the module's docstring)"""
    given = headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    proxied = any(headers.get(name) for name in PROXY_HEADERS)
    return client in LOOPBACK and not proxied


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class TurnCounter:
    """Counts each message of a person once, from the trackers Rasa sends with every action
    call: the user events newer than the last one counted for that conversation (a bounded
    memory of conversations, keyed by Rasa's id, never exported). A message answered only by
    Rasa's own responses is counted when the conversation next reaches the action server."""

    def __init__(self, size: int = SEEN_SENDERS) -> None:
        self.size = size
        self.last: OrderedDict[str, float] = OrderedDict()

    def count(self, sender: str, events: Iterable[Mapping[str, Any]]) -> int:
        since = self.last.get(sender)
        newest, counted = since, 0
        for event in events:
            if event.get("event") != "user":
                continue
            stamp = float(event.get("timestamp") or 0)
            if since is not None and stamp <= since:
                continue
            channel = str(event.get("input_channel") or "inconnu")[:40]
            TURNS.labels(channel=channel).inc()
            counted += 1
            newest = stamp if newest is None else max(newest, stamp)
        if newest is not None:
            self.last[sender] = newest
            self.last.move_to_end(sender)
            while len(self.last) > self.size:
                self.last.popitem(last=False)
        return counted


_probe: list[Collector] = []


def probe_rasa(rasa_url: str) -> None:
    """Probe this Rasa at each scrape of this process's registry (replacing an earlier one)."""
    for old in _probe:
        REGISTRY.unregister(old)
    _probe[:] = [RasaProbe(rasa_url)]
    REGISTRY.register(_probe[0])


class RasaProbe(Collector):
    """At each scrape, `GET {rasa_url}/webhooks/rest/`: is Rasa up, and how fast it answers."""

    def __init__(self, rasa_url: str, timeout: float = 2.0) -> None:
        self.url = f"{rasa_url.rstrip('/')}/webhooks/rest/"
        self.timeout = timeout

    def collect(self) -> Iterable[GaugeMetricFamily]:
        started = time.perf_counter()
        try:
            up = httpx.get(self.url, timeout=self.timeout).status_code == 200
        except httpx.HTTPError:
            up = False
        elapsed = time.perf_counter() - started
        yield GaugeMetricFamily("qp_rasa_up", "Le serveur Rasa répond (1) ou non (0)", value=up)
        yield GaugeMetricFamily(
            "qp_rasa_probe_seconds", "Temps de réponse du serveur Rasa à la sonde", value=elapsed
        )
