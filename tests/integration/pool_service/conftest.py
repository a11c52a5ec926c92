"""pool-service running in-process (its real lifespan: Kafka producer, consumer, loops) on a database of its own."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from pool_service.entrypoints.app import create_app
from pool_service.settings import Settings
from tests.support.random_refs import random_pool_name

ADMIN = {"Authorization": "Bearer test-admin-key"}
STOREFRONT = {"Authorization": "Bearer test-shop-key"}


def pool_settings(kafka_bootstrap: str, mongo_url: str, db_name: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap": kafka_bootstrap,
        "mongo_url": mongo_url,
        "mongo_db": db_name,
        "api_keys": "test-admin-key:admin,test-shop-key:storefront",
        # A group per test database: each test's service projects only its own pools.
        "consumer_group": f"pool-service-{db_name}",
        "outbox_relay_interval_seconds": 0.1,
        "expiry_sweep_interval_seconds": 1.0,
        "stock_level_interval_seconds": 2.0,
        "import_lease_seconds": 3.0,
        "import_poll_interval_seconds": 0.5,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def settings(kafka_bootstrap: str, mongo_url: str, db_name: str) -> Settings:
    return pool_settings(kafka_bootstrap, mongo_url, db_name)


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool-service", headers=ADMIN) as client:
            yield client


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_service(settings) as client:
        yield client


async def new_pool(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.post("/v1/pools", json={"name": random_pool_name()})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def wait_for_import(
    api: httpx.AsyncClient, pool_id: str, import_id: str, timeout: float = 60.0
) -> dict[str, Any]:
    status: dict[str, Any] = {}

    async def finished() -> bool:
        nonlocal status
        status = (await api.get(f"/v1/pools/{pool_id}/imports/{import_id}")).json()
        return status["state"] in ("done", "failed")

    await eventually(finished, timeout)
    return status
