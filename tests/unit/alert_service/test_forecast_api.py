"""The forecast API over an in-memory source: auth, 404, and the figures it reports."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from alert_service.domain.clock import FakeClock
from alert_service.domain.pool_state import PoolState
from alert_service.entrypoints.api import create_api
from alert_service.service_layer.pool_events import apply_event
from coupon_shared import topics
from tests.unit.alert_service import builders as b

ADMIN, STOREFRONT = "admin-key", "store-key"


class FakeSource:
    def __init__(self) -> None:
        self.clock = FakeClock(b.T0)
        self.states: dict[str, PoolState] = {}
        self.alerts: dict[str, list[dict[str, Any]]] = {}
        # pool_id → base URL of the worker said to hold it
        self.owners: dict[str, str] = {}

    def pool_state(self, pool_id: str) -> PoolState | None:
        return self.states.get(pool_id)

    def recent_alerts_of(self, pool_id: str) -> list[dict[str, Any]]:
        return self.alerts.get(pool_id, [])

    def owner_url(self, pool_id: str) -> str | None:
        return self.owners.get(pool_id)


async def always_ready() -> bool:
    return True


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()


KEYS = f"{ADMIN}:admin,{STOREFRONT}:storefront"


@pytest.fixture
def owner_source() -> FakeSource:
    """What another worker, at http://owner, holds."""
    return FakeSource()


@pytest.fixture
async def client(source: FakeSource, owner_source: FakeSource) -> AsyncIterator[httpx.AsyncClient]:
    # The other worker is an in-process app reached through the forwarding client.
    async with httpx.AsyncClient() as owners_peers:
        owner = create_api(owner_source, KEYS, always_ready, owners_peers)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=owner), base_url="http://owner") as peers:
            app = create_api(source, KEYS, always_ready, peers)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://alerts") as http:
                yield http


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_forecast_reports_rate_and_runout(client: httpx.AsyncClient, source: FakeSource) -> None:
    pool_id = b.new_pool_id()
    state = apply_event(None, b.coupons_added(pool_id, 100), topics.INVENTORY, 1, source.clock.now()).state
    for offset in range(2, 22):
        assigned = b.coupon_assigned(pool_id, remaining=None, assigned_at=source.clock.now())
        state = apply_event(state, assigned, topics.ASSIGNED, offset, source.clock.now()).state
    source.clock.advance(timedelta(days=1))
    source.states[pool_id] = state

    response = await client.get(f"/v1/pools/{pool_id}/forecast", headers=auth(ADMIN))

    assert response.status_code == 200
    body = response.json()
    assert (body["active"], body["usage_per_day"], body["alerts"]) == (100, 20.0, [])
    assert body["projected_runout_at"] == "2026-03-08T00:00:00Z"


async def test_unknown_pool_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/pools/nope/forecast", headers=auth(ADMIN))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("headers", "status"), [({}, 401), (auth("wrong"), 401), (auth(STOREFRONT), 403)])
async def test_forecast_needs_an_admin_key(client: httpx.AsyncClient, headers: dict[str, str], status: int) -> None:
    assert (await client.get("/v1/pools/any/forecast", headers=headers)).status_code == status


async def test_health_needs_no_key(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).json()["status"] == "ready"


async def test_a_pool_held_by_another_worker_is_answered_by_that_worker(
    client: httpx.AsyncClient, source: FakeSource, owner_source: FakeSource
) -> None:
    pool_id = b.new_pool_id()
    owner_source.states[pool_id] = apply_event(
        None, b.coupons_added(pool_id, 7), topics.INVENTORY, 1, owner_source.clock.now()
    ).state
    source.owners[pool_id] = "http://owner"

    response = await client.get(f"/v1/pools/{pool_id}/forecast", headers=auth(ADMIN))

    assert response.status_code == 200
    assert response.json()["active"] == 7


async def test_a_forwarded_request_is_answered_where_it_lands(
    client: httpx.AsyncClient, source: FakeSource, owner_source: FakeSource
) -> None:
    # During a rebalance two workers may each think the other holds the pool: one hop, then an answer.
    pool_id = b.new_pool_id()
    source.owners[pool_id] = "http://owner"
    owner_source.owners[pool_id] = "http://alerts"

    response = await client.get(f"/v1/pools/{pool_id}/forecast", headers=auth(ADMIN))

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_key_travels_with_a_forwarded_request(client: httpx.AsyncClient, source: FakeSource) -> None:
    pool_id = b.new_pool_id()
    source.owners[pool_id] = "http://owner"
    assert (await client.get(f"/v1/pools/{pool_id}/forecast", headers=auth(STOREFRONT))).status_code == 403
    assert (await client.get(f"/v1/pools/{pool_id}/forecast", headers=auth(ADMIN))).status_code == 404


async def test_an_owner_that_does_not_answer_is_a_503_problem(source: FakeSource) -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    pool_id = b.new_pool_id()
    source.owners[pool_id] = "http://gone"
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as peers:
        app = create_api(source, KEYS, always_ready, peers)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://alerts") as http:
            response = await http.get(f"/v1/pools/{pool_id}/forecast", headers=auth(ADMIN))

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
