"""Download of aids from the Aides-territoires API (aids-research.md §4.1).

An edge: the catalogue itself knows nothing of HTTP (docs/architecture.md), so fetching lives
here and the records go to `catalog.importers.aides_territoires.import_records`.
Authentication: POST /api/connexion/ with the API key in X-AUTH-TOKEN gives a JWT; then
GET /api/aids/ with "Authorization: Bearer <JWT>", page after page.
"""

from __future__ import annotations

from typing import Any

import httpx

API_URL = "https://aides-territoires.beta.gouv.fr/api/"
ENV_KEY = "AIDES_TERRITOIRES_API_KEY"


class DownloadError(Exception):
    """The API could not be reached or refused us (French message)."""


def download(
    api_key: str,
    base_url: str = API_URL,
    page_size: int = 100,
    max_pages: int = 500,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 30.0,
) -> list[dict[str, Any]]:
    """Every aid the API lists (raw Aides-territoires records)."""
    aids: list[dict[str, Any]] = []
    try:
        with httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json"},
        ) as client:
            answer = client.post("connexion/", headers={"X-AUTH-TOKEN": api_key})
            answer.raise_for_status()
            bearer = {"Authorization": f"Bearer {answer.json()['token']}"}
            for page in range(1, max_pages + 1):
                answer = client.get(
                    "aids/",
                    headers=bearer,
                    params={"page": page, "page_size": page_size, "itemsPerPage": page_size},
                )
                answer.raise_for_status()
                body = answer.json()
                items = (
                    body
                    if isinstance(body, list)
                    else body.get("results", body.get("hydra:member")) or []
                )
                aids.extend(items)
                following = isinstance(body, dict) and (
                    body.get("next") or (body.get("hydra:view") or {}).get("hydra:next")
                )
                if not items or not following:
                    break
    except httpx.HTTPStatusError as error:
        raise DownloadError(
            f"Aides-territoires a refusé la demande (HTTP "
            f"{error.response.status_code} sur {error.request.url.path})"
        ) from None
    except httpx.HTTPError as error:
        raise DownloadError(f"Aides-territoires injoignable : {error}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DownloadError("réponse inattendue de l'API Aides-territoires") from None
    return aids
