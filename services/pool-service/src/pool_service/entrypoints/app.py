"""The FastAPI application of pool-service and its lifespan (clients and background loops)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from coupon_shared.auth import ApiKeyAuthenticator, parse_api_keys
from coupon_shared.health import health_router
from coupon_shared.mongo import ensure_indexes
from coupon_shared.problems import install_problem_handlers, problem_response
from pool_service.adapters.alert_forecast import AlertForecastClient
from pool_service.bootstrap import Runtime, build_runtime
from pool_service.dashboard import dashboard_router
from pool_service.entrypoints import routes_coupons, routes_forecast, routes_history, routes_imports, routes_pools
from pool_service.entrypoints.background import every, relay_outbox
from pool_service.entrypoints.projector_consumer import Projector
from pool_service.service_layer.coupons import repair_pending_adds
from pool_service.service_layer.errors import PoolServiceError
from pool_service.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="pool-service", lifespan=_lifespan)
    app.state.settings = settings
    app.state.authenticator = ApiKeyAuthenticator(parse_api_keys(settings.api_keys))
    app.state.forecast_client = AlertForecastClient(settings.alert_service_url)
    install_problem_handlers(app)
    app.add_exception_handler(PoolServiceError, _on_service_error)

    async def kafka_ready() -> bool:
        return await app.state.runtime.kafka_ready()  # type: ignore[no-any-return]

    async def mongo_ready() -> bool:
        return await app.state.runtime.mongo_ready()  # type: ignore[no-any-return]

    app.include_router(health_router({"kafka": kafka_ready, "mongo": mongo_ready}))
    for module in (routes_pools, routes_coupons, routes_imports, routes_history, routes_forecast):
        app.include_router(module.router)
    # The dashboard (its page at / and assets under /static/) calls the API with the user's key.
    app.include_router(dashboard_router())
    return app


async def _on_service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PoolServiceError)
    return problem_response(exc.status, exc.slug, str(exc), request.url.path)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Kafka clients need the running event loop, so the runtime is built here.
    runtime = build_runtime(app.state.settings)
    app.state.runtime = runtime
    await runtime.producer.start()
    try:
        await ensure_indexes(runtime.store.db, [])
        _start_background(runtime)
        yield
    finally:
        runtime.stop.set()
        await runtime.imports.stop()
        await asyncio.gather(*runtime.tasks, return_exceptions=True)
        await runtime.producer.stop()
        await runtime.mongo.close()
        await app.state.forecast_client.close()


def _start_background(runtime: Runtime) -> None:
    s, stop = runtime.settings, runtime.stop
    loops = [
        every(s.outbox_relay_interval_seconds, stop, lambda: relay_outbox(runtime), "outbox relay"),
        every(s.import_poll_interval_seconds, stop, runtime.imports.resume_stale, "import poll"),
        every(
            s.import_poll_interval_seconds,
            stop,
            lambda: repair_pending_adds(runtime.store, s.add_repair_after_seconds),
            "add repair",
        ),
        Projector(runtime).run(),
    ]
    runtime.tasks.extend(asyncio.create_task(loop) for loop in loops)
