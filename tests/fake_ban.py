"""A fake of the Géoplateforme geocoder (the Base Adresse Nationale as the IGN serves it at
https://data.geopf.fr/geocodage) for tests: `GET /search?q=…&index=address&limit=…` over real
HTTP on 127.0.0.1, answering a GeoJSON FeatureCollection whose features carry the properties
the service documents and returns for an address (label, score, type, name, housenumber,
street, postcode, citycode, city, context, importance, id, x, y, `_type: address`), from
addresses the test registers (`add`). Unknown queries get an empty FeatureCollection; another
path (the old `/search/` of api-adresse.data.gouv.fr) or an `index` other than `address` gets
an error, as a sign the client is not calling the documented search; `fail_with(500)` makes
every search fail, `delay(seconds)` makes it slow. Every query received is recorded in
`queries`, its parameters in `params`.
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
        self.params: list[dict[str, str]] = []
        self.status = 200
        self.seconds = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                query = params.get("q", "")
                limit = int(params.get("limit", "10"))
                fake.queries.append(query)
                fake.params.append(params)
                if fake.seconds:
                    time.sleep(fake.seconds)
                if url.path != "/search" or params.get("index", "address") != "address":
                    self._send(404, json.dumps({"code": 404, "message": "Not Found"}))
                    return
                if fake.status != 200:
                    body = json.dumps({"code": fake.status, "message": "erreur simulée"})
                    self._send(fake.status, body)
                    return
                features = fake.answers.get(normalized(query), [])[:limit]
                self._send(200, json.dumps({"type": "FeatureCollection", "features": features}))

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
                    "name": label.removesuffix(f" {postcode} {city}"),
                    **(
                        {"housenumber": label.split()[0], "street": " ".join(label.split()[1:-2])}
                        if kind == "housenumber"
                        else {}
                    ),
                    "postcode": postcode,
                    "citycode": citycode,
                    "city": city,
                    "oldcitycode": None,
                    "oldcity": None,
                    "context": f"{citycode[:2]}, département, région",
                    "importance": 0.5,
                    "id": f"{citycode}_0000" + ("_00001" if kind == "housenumber" else ""),
                    "banId": None,
                    "x": 0,
                    "y": 0,
                    "_type": "address",
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
