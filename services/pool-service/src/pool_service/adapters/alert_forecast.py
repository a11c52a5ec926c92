"""Reads a pool's forecast from the alert service, which owns usage rates and alerts.

The dashboard talks to pool-service only (same origin, one key); this adapter
forwards the caller's own admin key, so the alert service authorises it again.
"""

from dataclasses import dataclass
from typing import Any

import httpx


class ForecastUnavailableError(Exception):
    """The alert service is not configured, not reachable, or answered nonsense."""


@dataclass(frozen=True)
class ForecastAnswer:
    status: int
    body: dict[str, Any]


class AlertForecastClient:
    def __init__(
        self, base_url: str | None, timeout_seconds: float = 3.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._base_url = base_url.rstrip("/") if base_url else None
        self._http = httpx.AsyncClient(timeout=timeout_seconds, transport=transport)

    async def forecast(self, pool_id: str, authorization: str) -> ForecastAnswer:
        if self._base_url is None:
            raise ForecastUnavailableError("no alert service is configured (POOL_SERVICE_ALERT_SERVICE_URL)")
        url = f"{self._base_url}/v1/pools/{pool_id}/forecast"
        try:
            response = await self._http.get(url, headers={"Authorization": authorization})
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ForecastUnavailableError(f"the alert service did not answer: {type(exc).__name__}") from exc
        if response.status_code >= 500 or not isinstance(body, dict):
            raise ForecastUnavailableError(f"the alert service answered {response.status_code}")
        return ForecastAnswer(response.status_code, body)

    async def close(self) -> None:
        await self._http.aclose()
