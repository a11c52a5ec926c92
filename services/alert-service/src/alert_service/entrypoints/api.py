"""The forecast API beside the faust worker, in the same process so it reads the tables directly.

Only the partitions this worker owns are in its tables. With several workers, a
forecast asked of one that does not hold the pool is forwarded (once) to the
worker that does, found through faust's partition assignor.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import httpx
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel

from alert_service.domain.alerts import forecast
from alert_service.domain.clock import Clock
from alert_service.domain.pool_state import PoolState
from coupon_shared.auth import AdminOnly, ApiKeyAuthenticator, parse_api_keys
from coupon_shared.events import PoolAlertData
from coupon_shared.health import ReadinessCheck, health_router
from coupon_shared.problems import ProblemError, install_problem_handlers


class ForecastSource(Protocol):
    @property
    def clock(self) -> Clock: ...

    def pool_state(self, pool_id: str) -> PoolState | None: ...

    def recent_alerts_of(self, pool_id: str) -> list[dict[str, Any]]: ...

    def owner_url(self, pool_id: str) -> str | None: ...


class ForecastPublic(BaseModel):
    pool_id: str
    pool_name: str
    alerts_enabled: bool
    threshold: int
    active: int
    usage_per_day: float
    projected_runout_at: datetime | None
    alerts: list[PoolAlertData]


# Marks a forwarded request: the receiver answers it itself, so two workers
# with different views of the assignment during a rebalance cannot loop.
FORWARDED_HEADER = "X-Coupon-Pools-Forwarded"
FORWARD_TIMEOUT_SECONDS = 5.0


def create_api(source: ForecastSource, api_keys: str, kafka_ready: ReadinessCheck, peers: httpx.AsyncClient) -> FastAPI:
    """``peers`` forwards requests to other workers (one client per process, closed by its owner)."""
    app = FastAPI(title="Coupon Pools alert service")
    app.state.authenticator = ApiKeyAuthenticator(parse_api_keys(api_keys))
    install_problem_handlers(app)
    app.include_router(health_router({"kafka": kafka_ready}))

    @app.get("/v1/pools/{pool_id}/forecast", response_model=ForecastPublic)
    async def get_forecast(pool_id: str, request: Request, _: AdminOnly) -> ForecastPublic | Response:
        owner = None if request.headers.get(FORWARDED_HEADER) else source.owner_url(pool_id)
        if owner is not None:
            return await forward(peers, owner, request)
        return forecast_of(source, pool_id)

    return app


async def forward(client: httpx.AsyncClient, owner: str, request: Request) -> Response:
    """Ask the owning worker and pass its answer (forecast or problem) through unchanged."""
    url = f"{owner.rstrip('/')}{request.url.path}"
    headers = {"Authorization": request.headers.get("Authorization", ""), FORWARDED_HEADER: "1"}
    try:
        answer = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise ProblemError(
            503, "owner-unavailable", f"The alert worker holding this pool did not answer: {type(exc).__name__}"
        ) from exc
    media_type = answer.headers.get("content-type", "application/json")
    return Response(content=answer.content, status_code=answer.status_code, media_type=media_type)


def forecast_of(source: ForecastSource, pool_id: str) -> ForecastPublic:
    state = source.pool_state(pool_id)
    if state is None or state.deleted:
        raise ProblemError(404, "not-found", f"No pool {pool_id} is known to the alert service")
    outlook = forecast(state, source.clock.now())
    return ForecastPublic(
        pool_id=pool_id,
        pool_name=state.name,
        alerts_enabled=state.alerts_enabled,
        threshold=state.threshold,
        active=outlook.active,
        usage_per_day=outlook.usage_per_day,
        projected_runout_at=outlook.projected_runout_at,
        alerts=[PoolAlertData.model_validate(item) for item in source.recent_alerts_of(pool_id)],
    )


KafkaReady = Callable[[], bool]
