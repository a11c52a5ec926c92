"""Coupons over HTTP: every field rule, duplicates, the active list with search, removal."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pymongo import AsyncMongoClient

from assignment_service.adapters.documents import coupon_from_stock
from assignment_service.domain.model import Coupon
from coupon_shared.events import CouponsRemoved, parse_event
from coupon_shared.mongo import Document
from coupon_shared.topics import INVENTORY
from pool_service.service_layer import coupons
from tests.integration.pool_service.conftest import new_pool
from tests.integration.pool_service.test_pools import problem_fields
from tests.support.kafka_probe import KafkaProbe, event_for_pool

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "code"),
        ({"code": ""}, "code"),
        ({"code": "x" * 65}, "code"),
        ({"code": "two words"}, "code"),
        ({"code": "A", "message": "m" * 501}, "message"),
        ({"code": "A", "pool_expires_at": "tomorrow"}, "pool_expires_at"),
        ({"code": "A", "pool_expires_at": "2001-01-01T00:00:00Z"}, "pool_expires_at"),
        ({"code": "A", "user_expiration": "30 days"}, "user_expiration"),
        ({"code": "A", "max_assignments": 0}, "max_assignments"),
        ({"code": "A", "max_assignments": "many"}, "max_assignments"),
        ({"code": "A", "discount": 10}, "discount"),
    ],
)
async def test_invalid_coupon_is_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    pool = await new_pool(api)
    assert field in problem_fields(await api.post(f"/v1/pools/{pool['id']}/coupons", json=body))


async def test_add_with_every_field_then_duplicate_is_409(api: httpx.AsyncClient) -> None:
    pool = await new_pool(api)
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    body = {
        "code": "VIP-1",
        "message": "Welcome!",
        "pool_expires_at": expires.isoformat(),
        "user_expiration": "P30D",
        "max_assignments": None,
    }
    added = await api.post(f"/v1/pools/{pool['id']}/coupons", json=body)
    assert added.status_code == 201
    assert added.json()["max_assignments"] is None
    duplicate = await api.post(f"/v1/pools/{pool['id']}/coupons", json={"code": "VIP-1"})
    assert duplicate.status_code == 409
    # Codes are case-sensitive.
    assert (await api.post(f"/v1/pools/{pool['id']}/coupons", json={"code": "vip-1"})).status_code == 201
    assert (await api.post("/v1/pools/" + "e" * 32 + "/coupons", json={"code": "X"})).status_code == 404


async def test_stock_documents_have_the_shape_the_assignment_service_reads(
    api: httpx.AsyncClient, mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    pool = await new_pool(api)
    await api.post(f"/v1/pools/{pool['id']}/coupons", json={"code": "S1", "user_expiration": "pt12h"})
    await api.post(f"/v1/pools/{pool['id']}/coupons", json={"code": "S2", "max_assignments": None})
    stock = mongo_client[db_name][f"stock.{pool['id']}"]
    one, unlimited = await stock.find_one({"_id": "S1"}), await stock.find_one({"_id": "S2"})
    assert one is not None
    assert unlimited is not None
    # Fields at their defaults are left out; `by` names the add that stored the coupon.
    assert one == {"_id": "S1", "user_expiration": "PT12H", "by": one["by"]}
    assert one["by"].startswith("add:")
    assert unlimited == {"_id": "S2", "max_assignments": None, "by": unlimited["by"]}
    assert coupon_from_stock(one) == Coupon("S1", None, None, "PT12H", 1)
    assert coupon_from_stock(unlimited) == Coupon("S2", None, None, None, None)
    pool_doc = await mongo_client[db_name]["pools"].find_one({"_id": pool["id"]})
    assert pool_doc is not None
    assert pool_doc["deleted"] is False


async def test_list_active_with_search_and_pagination(api: httpx.AsyncClient) -> None:
    pool = await new_pool(api)
    path = f"/v1/pools/{pool['id']}/coupons"
    codes = [f"SUMMER-{i}" for i in range(7)] + ["WINTER-1"]
    for code in codes:
        await api.post(path, json={"code": code})
    seen: list[str] = []
    cursor = None
    while True:
        page = (await api.get(path, params={"limit": 3, **({"cursor": cursor} if cursor else {})})).json()
        seen += [c["code"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(codes)
    found = (await api.get(path, params={"q": "winter"})).json()["items"]
    assert [c["code"] for c in found] == ["WINTER-1"]
    exact = (await api.get(path, params={"q": "SUMMER-3"})).json()["items"]
    assert [c["code"] for c in exact] == ["SUMMER-3"]


async def test_a_search_page_that_reaches_its_read_limit_offers_the_next_page(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coupons, "SCAN_LIMIT", 3)
    pool = await new_pool(api)
    path = f"/v1/pools/{pool['id']}/coupons"
    codes = [f"PLAIN-{i}" for i in range(7)] + ["RARE-1"]
    for code in codes:
        await api.post(path, json={"code": code})
    pages = []
    cursor = None
    while True:
        page = (await api.get(path, params={"q": "rare", **({"cursor": cursor} if cursor else {})})).json()
        pages.append([c["code"] for c in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # 8 stock documents read 3 at a time: two empty pages, then the match, then the end.
    assert pages == [[], [], ["RARE-1"]]


async def test_remove_unassigned_then_assigned(
    api: httpx.AsyncClient, mongo_client: AsyncMongoClient[Document], db_name: str, kafka_bootstrap: str
) -> None:
    pool = await new_pool(api)
    path = f"/v1/pools/{pool['id']}/coupons"
    for code in ("FREE", "TAKEN"):
        await api.post(path, json={"code": code})
    async with KafkaProbe(kafka_bootstrap, INVENTORY) as probe:
        assert (await api.delete(f"{path}/FREE")).status_code == 204
        [removed] = await probe.wait_for(event_for_pool(pool["id"], "CouponsRemoved"))
    event = parse_event(removed.value)
    assert isinstance(event, CouponsRemoved)
    assert event.data.codes == ["FREE"]
    assert (await api.delete(f"{path}/FREE")).status_code == 404
    assert [c["code"] for c in (await api.get(path)).json()["items"]] == ["TAKEN"]
    # The assignment service takes slot 0 of a code when it first assigns it.
    await mongo_client[db_name]["slots"].insert_one({"_id": f"{pool['id']}:TAKEN:0", "request_id": "r1"})
    refused = await api.delete(f"{path}/TAKEN")
    assert refused.status_code == 409
    assert refused.json()["code"] == "coupon-assigned"
    assert (await api.delete(f"{path}/NEVER")).status_code == 404


async def test_remove_a_used_unlimited_coupon_is_409(
    api: httpx.AsyncClient, mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    pool = await new_pool(api)
    path = f"/v1/pools/{pool['id']}/coupons"
    await api.post(path, json={"code": "ALL", "max_assignments": None})
    # An unlimited code's uses are per-email slots; before the first, the assignment
    # service takes slot 0 as a first-use marker, which is what removal must see.
    await mongo_client[db_name]["slots"].insert_one({"_id": f"{pool['id']}:ALL:0", "first_use": True})
    refused = await api.delete(f"{path}/ALL")
    assert refused.status_code == 409
    assert refused.json()["code"] == "coupon-assigned"
    assert [c["code"] for c in (await api.get(path)).json()["items"]] == ["ALL"]
