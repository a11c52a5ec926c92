"""Assigned History from coupon.assigned, its CSV export, stock exhaustion, expiry and stock levels."""

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from coupon_shared.events import encode_event
from coupon_shared.topics import ASSIGNED, INVENTORY
from tests.integration.pool_service.conftest import eventually, new_pool
from tests.integration.pool_service.test_pools import assigned
from tests.support.kafka_probe import KafkaProbe, event_for_pool, produce_raw

pytestmark = pytest.mark.integration


async def counts_of(api: httpx.AsyncClient, pool_id: str) -> dict[str, int]:
    counts: dict[str, int] = (await api.get(f"/v1/pools/{pool_id}")).json()["counts"]
    return counts


async def test_history_search_export_and_redelivery(api: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    pool_id = (await new_pool(api))["id"]
    for code in ("H1", "H2", "=H3"):
        await api.post(f"/v1/pools/{pool_id}/coupons", json={"code": code})
    events = [
        assigned(pool_id, "H1", "ann@example.com"),
        assigned(pool_id, "H2", "bob@example.com", source="=cmd|calc"),
        assigned(pool_id, "=H3", "+cat@example.com"),
    ]
    for event in [*events, events[0]]:  # the first one is delivered twice
        await produce_raw(kafka_bootstrap, ASSIGNED, pool_id.encode(), encode_event(event))

    async def all_counted() -> bool:
        return (await counts_of(api, pool_id)) == {"active": 0, "assigned": 3, "expired": 0, "total": 3}

    await eventually(all_counted)
    path = f"/v1/pools/{pool_id}/assignments"
    newest_first = (await api.get(path)).json()["items"]
    assert [r["email"] for r in newest_first] == ["+cat@example.com", "bob@example.com", "ann@example.com"]
    first = (await api.get(path, params={"limit": 2})).json()
    rest = (await api.get(path, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert [r["code"] for r in first["items"] + rest["items"]] == ["=H3", "H2", "H1"]
    assert rest["next_cursor"] is None
    assert [r["code"] for r in (await api.get(path, params={"q": "BOB@example.com"})).json()["items"]] == ["H2"]
    assert [r["email"] for r in (await api.get(path, params={"q": "h1"})).json()["items"]] == ["ann@example.com"]

    exported = await api.get(f"{path}.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["Code", "Email", "Source", "Assigned At"]
    assert [r[:3] for r in rows[1:]] == [
        ["H1", "ann@example.com", "web"],
        ["H2", "bob@example.com", "'=cmd|calc"],
        ["'=H3", "'+cat@example.com", "web"],
    ]
    assert (await api.get(f"/v1/pools/{pool_id}/coupons")).json()["items"] == []


async def test_reusable_code_stays_active_until_its_last_use(api: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    pool_id = (await new_pool(api))["id"]
    await api.post(f"/v1/pools/{pool_id}/coupons", json={"code": "MULTI", "max_assignments": 2})
    await produce_raw(
        kafka_bootstrap, ASSIGNED, pool_id.encode(), encode_event(assigned(pool_id, "MULTI", "a@x.io", 1))
    )

    async def one_assigned_still_active() -> bool:
        # CouponsAdded (relayed from the outbox) and the assignment may be projected in either order.
        return (await counts_of(api, pool_id)) == {"active": 1, "assigned": 1, "expired": 0, "total": 1}

    await eventually(one_assigned_still_active)
    await produce_raw(
        kafka_bootstrap, ASSIGNED, pool_id.encode(), encode_event(assigned(pool_id, "MULTI", "b@x.io", 0))
    )

    async def exhausted() -> bool:
        return (await counts_of(api, pool_id)) == {"active": 0, "assigned": 2, "expired": 0, "total": 1}

    await eventually(exhausted)


async def test_coupons_expire_on_time_with_an_event(api: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    pool_id = (await new_pool(api))["id"]
    soon = datetime.now(UTC) + timedelta(seconds=2)
    async with KafkaProbe(kafka_bootstrap, INVENTORY) as probe:
        await api.post(f"/v1/pools/{pool_id}/coupons", json={"code": "SOON", "pool_expires_at": soon.isoformat()})
        await api.post(f"/v1/pools/{pool_id}/coupons", json={"code": "LATER"})
        await asyncio.sleep(2.5)
        # Past its time it is no longer listed, even before the sweep has run.
        assert [c["code"] for c in (await api.get(f"/v1/pools/{pool_id}/coupons")).json()["items"]] == ["LATER"]
        # The sweep runs once the expiry minute has passed.
        await probe.wait_for(event_for_pool(pool_id, "CouponsExpired"), timeout=90)
        await probe.wait_for(event_for_pool(pool_id, "StockLevel"), timeout=10)

    async def expired() -> bool:
        return (await counts_of(api, pool_id)) == {"active": 1, "assigned": 0, "expired": 1, "total": 2}

    await eventually(expired)
