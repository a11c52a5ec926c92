"""GET /v1/pools/{pool_id}/forecast — the alert service's forecast, served same-origin for the dashboard."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from coupon_shared.auth import AdminOnly
from coupon_shared.problems import PROBLEM_JSON, ProblemError
from pool_service.adapters.alert_forecast import AlertForecastClient, ForecastUnavailableError

router = APIRouter(prefix="/v1/pools", tags=["forecast"])


@router.get("/{pool_id}/forecast")
async def get_forecast(pool_id: str, request: Request, _role: AdminOnly) -> JSONResponse:
    client: AlertForecastClient = request.app.state.forecast_client
    try:
        answer = await client.forecast(pool_id, request.headers["authorization"])
    except ForecastUnavailableError as exc:
        raise ProblemError(503, "forecast-unavailable", str(exc)) from exc
    media_type = PROBLEM_JSON if answer.status >= 400 else "application/json"
    return JSONResponse(answer.body, status_code=answer.status, media_type=media_type)
