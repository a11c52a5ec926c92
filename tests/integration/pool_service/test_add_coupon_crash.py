"""POST .../coupons dying between claiming the code and storing the coupon: a retry or the repair loop finishes it."""

from typing import Any

import httpx
import pytest

from coupon_shared.mongo import Document
from pool_service.adapters.store import Store
from tests.integration.pool_service.conftest import eventually, new_pool, pool_settings, running_service

pytestmark = pytest.mark.integration

COUPON = {"code": "HALF-ADDED", "message": "hi", "max_assignments": 2, "user_expiration": "P7D"}


class CrashError(Exception):
    """Stands in for the process dying."""


def crash_on_stock_insert(monkeypatch: pytest.MonkeyPatch) -> None:
    real = Store.insert_new

    async def insert_new(self: Store, collection: str, docs: list[Document]) -> list[bool]:
        if collection.startswith("stock."):
            raise CrashError(collection)
        return await real(self, collection, docs)

    monkeypatch.setattr(Store, "insert_new", insert_new)


async def listed_codes(api: httpx.AsyncClient, pool_id: str) -> list[str]:
    return [c["code"] for c in (await api.get(f"/v1/pools/{pool_id}/coupons")).json()["items"]]


async def half_added(api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> str:
    pool_id: str = (await new_pool(api))["id"]
    crash_on_stock_insert(monkeypatch)
    with pytest.raises(CrashError):
        await api.post(f"/v1/pools/{pool_id}/coupons", json=COUPON)
    monkeypatch.undo()
    assert await listed_codes(api, pool_id) == []
    return pool_id


async def test_a_retry_of_the_same_add_after_a_crash_is_201(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool_id = await half_added(api, monkeypatch)
    other = await api.post(f"/v1/pools/{pool_id}/coupons", json={**COUPON, "message": "not the same add"})
    assert other.status_code == 409
    retried = await api.post(f"/v1/pools/{pool_id}/coupons", json=COUPON)
    assert retried.status_code == 201, retried.text
    assert await listed_codes(api, pool_id) == ["HALF-ADDED"]
    assert (await api.post(f"/v1/pools/{pool_id}/coupons", json=COUPON)).status_code == 409

    async def counted() -> bool:
        counts: dict[str, Any] = (await api.get(f"/v1/pools/{pool_id}")).json()["counts"]
        return bool(counts["active"] == 1 and counts["total"] == 1)

    await eventually(counted)


async def test_the_repair_loop_finishes_an_add_nobody_retries(
    kafka_bootstrap: str, mongo_url: str, db_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = pool_settings(kafka_bootstrap, mongo_url, db_name, add_repair_after_seconds=0.5)
    async with running_service(settings) as api:
        pool_id = await half_added(api, monkeypatch)

        async def repaired() -> bool:
            return await listed_codes(api, pool_id) == ["HALF-ADDED"]

        await eventually(repaired)
        assert (await api.post(f"/v1/pools/{pool_id}/coupons", json=COUPON)).status_code == 409
