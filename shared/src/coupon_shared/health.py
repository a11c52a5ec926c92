"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer)."""

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from coupon_shared.problems import PROBLEM_JSON

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_router(checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = {name: await check() for name, check in checks.items()}
        if all(results.values()):
            return JSONResponse({"status": "ready", "checks": results})
        failing = ", ".join(name for name, ok in results.items() if not ok)
        body = {
            "type": "https://coupon-pools.dev/problems/not-ready",
            "title": "Not ready",
            "status": 503,
            "detail": f"Not connected: {failing}",
            "checks": results,
        }
        return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)

    return router
