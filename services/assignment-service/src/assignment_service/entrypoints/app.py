"""The FastAPI application; its lifespan runs the Kafka consumer and the HTTP claim batcher."""

import asyncio
import gc
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from assignment_service.bootstrap import Components, build
from assignment_service.entrypoints import http
from assignment_service.entrypoints.body_limit import BodyLimit
from assignment_service.entrypoints.claim_fast_path import ClaimFastPath
from assignment_service.settings import Settings
from coupon_shared.auth import ApiKeyAuthenticator, parse_api_keys
from coupon_shared.health import health_router
from coupon_shared.kafka import run_batch_consumer
from coupon_shared.problems import install_problem_handlers

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="assignment-service", lifespan=_lifespan(settings))
    app.state.authenticator = ApiKeyAuthenticator(parse_api_keys(settings.api_keys))
    install_problem_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # Added last, so outside BodyLimit: what it hands on is limited there like any request.
    app.add_middleware(ClaimFastPath, max_bytes=settings.max_body_bytes)
    app.include_router(health_router({"kafka": _check(app, "kafka"), "mongo": _check(app, "mongo")}))
    app.include_router(http.router)
    return app


def _check(app: FastAPI, dependency: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        components: Components | None = getattr(app.state, "components", None)
        if components is None:
            return False
        return await (components.kafka_ready() if dependency == "kafka" else components.mongo_ready())

    return check


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Kafka clients bind to the running loop, so everything is built here.
        c = build(settings)
        app.state.components = c
        app.state.claims = c.claims
        app.state.store = c.store
        stop = asyncio.Event()
        await c.producer.start()
        await c.consumer.start()
        tasks = [
            asyncio.create_task(run_batch_consumer(c.consumer, c.handler, stop), name="claim-consumer"),
            asyncio.create_task(c.claims.run_batcher(), name="claim-batcher"),
            asyncio.create_task(c.janitor.run(settings.janitor_interval_seconds), name="claim-janitor"),
        ]
        for task in tasks:
            task.add_done_callback(_die_if_failed)
        _freeze_startup_heap()
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await c.consumer.stop()
            await c.producer.stop()
            await c.mongo.close()

    return lifespan


def _freeze_startup_heap() -> None:
    """Leave what start-up built (modules, the app, the clients: ~65,000 objects) out of every later collection.

    A full collection walked them all, ~60 ms every few seconds under load (measured in the bench,
    ARCHITECTURE.md session 9) — a pause every claim in flight waits through. They live as long as
    the process, so the cyclic collector has nothing to find among them.
    """
    gc.collect()
    gc.freeze()


def _die_if_failed(task: "asyncio.Task[None]") -> None:
    # A background loop that stops would silently stop claims: crash and be restarted
    # instead (uncommitted records are redelivered, pending claims are resumed).
    if not task.cancelled() and task.exception() is not None:
        log.error("%s failed, shutting down", task.get_name(), exc_info=task.exception())
        os.kill(os.getpid(), signal.SIGTERM)
