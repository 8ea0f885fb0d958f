"""A fake Base Adresse Nationale for tests: `GET /search/?q=…&limit=…` over real HTTP on
127.0.0.1, answering GeoCodeJSON like api-adresse.data.gouv.fr, from addresses the test
registers (`add`). Unknown queries get an empty FeatureCollection; `fail_with(500)` makes every
search fail, `delay(seconds)` makes it slow. Every query received is recorded in `queries`.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def normalized(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").split())


class FakeBan:
    def __init__(self) -> None:
        self.answers: dict[str, list[dict]] = {}
        self.queries: list[str] = []
        self.status = 200
        self.seconds = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = (parse_qs(url.query).get("q") or [""])[0]
                limit = int((parse_qs(url.query).get("limit") or ["5"])[0])
                fake.queries.append(query)
                if fake.seconds:
                    time.sleep(fake.seconds)
                if url.path != "/search/" or fake.status != 200:
                    body = json.dumps({"code": fake.status, "message": "erreur simulée"})
                    self._send(fake.status if fake.status != 200 else 404, body)
                    return
                features = fake.answers.get(normalized(query), [])[:limit]
                body = json.dumps(
                    {
                        "type": "FeatureCollection",
                        "version": "draft",
                        "features": features,
                        "attribution": "BAN",
                        "licence": "ETALAB-2.0",
                        "query": query,
                        "limit": limit,
                    }
                )
                self._send(200, body)

            def _send(self, status: int, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(
        self,
        query: str,
        label: str,
        lon: float,
        lat: float,
        citycode: str,
        postcode: str,
        city: str,
        kind: str = "housenumber",
        score: float = 0.95,
    ) -> None:
        """Register the answer to `query` (compared without case, commas or extra spaces)."""
        self.answers.setdefault(normalized(query), []).append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "label": label,
                    "score": score,
                    "type": kind,
                    "citycode": citycode,
                    "postcode": postcode,
                    "city": city,
                    "x": 0,
                    "y": 0,
                    "importance": 0.5,
                },
            }
        )

    def fail_with(self, status: int) -> None:
        self.status = status

    def delay(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> FakeBan:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
