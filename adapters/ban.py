"""The Base Adresse Nationale geocoder, served since 2024 by the IGN's Géoplateforme
(`https://data.geopf.fr/geocodage`, `GET /search?q=…&index=address&limit=…`, documented at
https://geoservices.ign.fr/documentation/services/services-geoplateforme/geocodage, read on
2026-12-03). The IGN took the API over from the DINUM's api-adresse.data.gouv.fr, keeping its
`/search` requests and answers (guides.data.gouv.fr, « Prendre en main l'API Adresse portée par
l'IGN »); the old address was reported shut down at the end of January 2026 (addictic.fr,
4 February 2026; no official notice read). A free-text French address in, a few candidate
points out (a GeoJSON FeatureCollection whose features carry `label`, `score`, `type`,
`citycode`, `postcode`, `city`), each with the geocoder's score.

`BanGeocoder.search` raises `catalog.address.GeocodingUnavailableError` for anything that is not a
usable answer (network error, timeout, HTTP error — a redirect included —, malformed JSON):
callers then answer « à vérifier », never guess. The base URL and the timeout are settings
(QP_GEOCODER_URL, QP_GEOCODER_TIMEOUT) so that tests point the assistant at a local fake;
QP_GEOCODER_URL=off turns geocoding off (every address check then falls back on place names).
Only the address text is sent; nothing is logged.
"""

from __future__ import annotations

import httpx

from catalog.address import GeocodedAddress, GeocodingUnavailableError
from settings import GeocoderSettings, get_settings

DEFAULT_BASE_URL = GeocoderSettings.model_fields["url"].default
DEFAULT_TIMEOUT = GeocoderSettings.model_fields["timeout"].default  # seconds, connect and read
MAX_QUERY_LENGTH = 200  # the API refuses longer queries (HTTP 400)
SEARCH_PATH = "/search"  # the documented path, without a trailing slash
USER_AGENT = "quartiers-productifs-assistant (verification QPV)"


class BanGeocoder:
    def __init__(self, base_url: str = DEFAULT_BASE_URL, timeout: float = DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: GeocoderSettings | None = None) -> BanGeocoder | None:
        """The geocoder the settings name (by default the process's); None when
        QP_GEOCODER_URL is « off »."""
        settings = settings or get_settings().geocoder
        return cls(settings.url, settings.timeout) if settings.enabled else None

    def search(self, query: str, limit: int = 5) -> list[GeocodedAddress]:
        """Candidates for `query`, best first (an empty list when nothing matches)."""
        query = " ".join(query.split())[:MAX_QUERY_LENGTH]
        if len(query) < 3 or not any(c.isalnum() for c in query):  # the API needs 3 characters
            return []
        # index=address: postal addresses only (not the places of interest or the cadastral
        # parcels the Géoplateforme also searches); autocomplete=0: a whole address, not a
        # prefix being typed.
        params = {"q": query, "index": "address", "limit": str(limit), "autocomplete": "0"}
        try:
            response = httpx.get(
                f"{self.base_url}{SEARCH_PATH}",
                params=params,
                timeout=self.timeout,
                headers={"User-Agent": USER_AGENT},
            )
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise GeocodingUnavailableError(type(error).__name__) from error
        return parse_features(payload)


def parse_features(payload: object) -> list[GeocodedAddress]:
    """The candidates of a GeoJSON FeatureCollection; raises GeocodingUnavailableError when the
    answer does not have that shape."""
    if not isinstance(payload, dict) or not isinstance(payload.get("features"), list):
        raise GeocodingUnavailableError("réponse sans « features »")
    found = []
    for feature in payload["features"]:
        try:
            properties = feature["properties"]
            lon, lat = feature["geometry"]["coordinates"][:2]
            found.append(
                GeocodedAddress(
                    label=str(properties["label"]),
                    score=float(properties["score"]),
                    type=str(properties.get("type") or ""),
                    lon=float(lon),
                    lat=float(lat),
                    citycode=properties.get("citycode"),
                    postcode=properties.get("postcode"),
                    city=properties.get("city"),
                )
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise GeocodingUnavailableError("candidat mal formé") from error
    return sorted(found, key=lambda a: a.score, reverse=True)
