"""The forecast API beside the faust worker, in the same process so it reads the tables directly.

Only the partitions this worker owns are in its tables: with several workers
the dashboard must ask the owner (see ARCHITECTURE.md); with one, every pool is here.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from fastapi import FastAPI
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


class ForecastPublic(BaseModel):
    pool_id: str
    pool_name: str
    alerts_enabled: bool
    threshold: int
    active: int
    usage_per_day: float
    projected_runout_at: datetime | None
    alerts: list[PoolAlertData]


def create_api(source: ForecastSource, api_keys: str, kafka_ready: ReadinessCheck) -> FastAPI:
    app = FastAPI(title="Coupon Pools alert service")
    app.state.authenticator = ApiKeyAuthenticator(parse_api_keys(api_keys))
    install_problem_handlers(app)
    app.include_router(health_router({"kafka": kafka_ready}))

    @app.get("/v1/pools/{pool_id}/forecast")
    async def get_forecast(pool_id: str, _: AdminOnly) -> ForecastPublic:
        return forecast_of(source, pool_id)

    return app


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
