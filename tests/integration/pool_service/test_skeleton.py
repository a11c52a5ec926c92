"""The walking skeleton: pools and coupons over HTTP, their events on coupon.inventory, counts projected back."""

import httpx
import pytest

from coupon_shared.events import PoolCreated, PoolUpdated, parse_event
from coupon_shared.topics import INVENTORY
from tests.integration.pool_service.conftest import STOREFRONT, eventually, new_pool
from tests.support.kafka_probe import KafkaProbe, event_for_pool

pytestmark = pytest.mark.integration


async def test_readyz_reports_kafka_and_mongo(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz", headers={})
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"kafka": True, "mongo": True}


async def test_pool_and_coupon_changes_are_published_and_counted(api: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    async with KafkaProbe(kafka_bootstrap, INVENTORY) as probe:
        pool = await new_pool(api)
        pool_id = pool["id"]
        patched = await api.patch(f"/v1/pools/{pool_id}", json={"alert": {"enabled": True, "threshold": 3}})
        assert patched.json()["alert"] == {"enabled": True, "threshold": 3}
        added = await api.post(f"/v1/pools/{pool_id}/coupons", json={"code": "WELCOME-1", "message": "10% off"})
        assert added.status_code == 201

        [created] = await probe.wait_for(event_for_pool(pool_id, "PoolCreated"))
        [updated] = await probe.wait_for(event_for_pool(pool_id, "PoolUpdated"))
        await probe.wait_for(event_for_pool(pool_id, "CouponsAdded"))

    created_event, updated_event = parse_event(created.value), parse_event(updated.value)
    assert isinstance(created_event, PoolCreated)
    assert created_event.data.name == pool["name"]
    assert isinstance(updated_event, PoolUpdated)
    assert updated_event.data.alert.enabled
    assert updated_event.data.alert.threshold == 3

    async def counted() -> bool:
        counts = (await api.get(f"/v1/pools/{pool_id}")).json()["counts"]
        return bool(counts == {"active": 1, "assigned": 0, "expired": 0, "total": 1})

    await eventually(counted)


async def test_get_unknown_pool_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/pools/" + "0" * 32)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_no_key_is_401_and_storefront_key_is_403(api: httpx.AsyncClient) -> None:
    for method, path in [("GET", "/v1/pools"), ("POST", "/v1/pools"), ("GET", "/v1/pools/x/assignments.csv")]:
        assert (await api.request(method, path, headers={"Authorization": ""})).status_code == 401
        assert (await api.request(method, path, headers=STOREFRONT)).status_code == 403


async def test_dashboard_placeholder_is_served(api: httpx.AsyncClient) -> None:
    response = await api.get("/", headers={})
    assert response.status_code == 200
    assert "Coupon Management" in response.text
