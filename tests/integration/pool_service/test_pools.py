"""Pools over HTTP: name rules, listing, renaming, alert settings, deletion."""

import httpx
import pytest

from coupon_shared.events import AssignmentData, CouponAssigned, encode_event, utc_now
from coupon_shared.topics import ASSIGNED, INVENTORY
from tests.integration.pool_service.conftest import eventually, new_pool
from tests.support.kafka_probe import KafkaProbe, event_for_pool, produce_raw
from tests.support.random_refs import random_email, random_pool_name, random_request_id

pytestmark = pytest.mark.integration


def problem_fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {error["field"] for error in response.json()["errors"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "bell\x07"}, "name"),
        ({"name": 42}, "name"),
        ({}, "name"),
        ({"name": "ok", "colour": "red"}, "colour"),
    ],
)
async def test_invalid_pool_is_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    assert field in problem_fields(await api.post("/v1/pools", json=body))


async def test_names_are_unique_ignoring_case(api: httpx.AsyncClient) -> None:
    name = random_pool_name("Case")
    assert (await api.post("/v1/pools", json={"name": f"  {name} "})).json()["name"] == name
    taken = await api.post("/v1/pools", json={"name": name.upper()})
    assert taken.status_code == 409
    assert taken.json()["code"] == "pool-name-taken"


async def test_list_is_newest_first_with_pagination(api: httpx.AsyncClient) -> None:
    created = [(await new_pool(api))["id"] for _ in range(5)]
    first = (await api.get("/v1/pools", params={"limit": 2})).json()
    second = (await api.get("/v1/pools", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    rest = (await api.get("/v1/pools", params={"limit": 2, "cursor": second["next_cursor"]})).json()
    listed = [p["id"] for page in (first, second, rest) for p in page["items"]]
    assert listed == list(reversed(created))
    assert rest["next_cursor"] is None
    assert set(first["items"][0]["counts"]) == {"active", "assigned", "expired", "total"}
    assert problem_fields(await api.get("/v1/pools", params={"limit": 501})) == {"limit"}


async def test_rename_and_alert_settings(api: httpx.AsyncClient) -> None:
    pool, other = await new_pool(api), await new_pool(api)
    path = f"/v1/pools/{pool['id']}"
    renamed = await api.patch(path, json={"name": pool["name"].upper()})
    assert renamed.json()["name"] == pool["name"].upper()
    assert (await api.patch(path, json={"name": other["name"]})).status_code == 409
    fresh = random_pool_name()
    assert (await api.patch(path, json={"name": fresh})).status_code == 200
    # The old name is free again.
    assert (await api.post("/v1/pools", json={"name": pool["name"]})).status_code == 201
    alert = await api.patch(path, json={"alert": {"enabled": True, "threshold": 10}})
    assert alert.json()["alert"] == {"enabled": True, "threshold": 10}
    assert (await api.patch(path, json={"alert": {"threshold": 0}})).json()["alert"] == {
        "enabled": True,
        "threshold": 0,
    }
    assert "alert.threshold" in problem_fields(await api.patch(path, json={"alert": {"threshold": -1}}))
    assert "alert.enabled" in problem_fields(await api.patch(path, json={"alert": {"enabled": "maybe"}}))
    assert "name" in problem_fields(await api.patch(path, json={"name": ""}))
    assert (await api.patch("/v1/pools/" + "f" * 32, json={"name": "x"})).status_code == 404


async def test_delete_an_unused_pool(api: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    pool = await new_pool(api)
    await api.post(f"/v1/pools/{pool['id']}/coupons", json={"code": "UNUSED"})
    async with KafkaProbe(kafka_bootstrap, INVENTORY) as probe:
        assert (await api.delete(f"/v1/pools/{pool['id']}")).status_code == 204
        await probe.wait_for(event_for_pool(pool["id"], "PoolDeleted"))
    assert pool["id"] not in [p["id"] for p in (await api.get("/v1/pools", params={"limit": 500})).json()["items"]]
    assert (await api.get(f"/v1/pools/{pool['id']}")).status_code == 404
    assert (await api.delete(f"/v1/pools/{pool['id']}")).status_code == 404
    # Its name can be used again.
    assert (await api.post("/v1/pools", json={"name": pool["name"]})).status_code == 201


async def test_delete_a_pool_with_assignments_is_409(api: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    pool = await new_pool(api)
    pool_id = pool["id"]
    await api.post(f"/v1/pools/{pool_id}/coupons", json={"code": "USED"})
    await produce_raw(
        kafka_bootstrap, ASSIGNED, pool_id.encode(), encode_event(assigned(pool_id, "USED", random_email()))
    )

    async def counted() -> bool:
        return bool((await api.get(f"/v1/pools/{pool_id}")).json()["counts"]["assigned"] == 1)

    await eventually(counted)
    response = await api.delete(f"/v1/pools/{pool_id}")
    assert response.status_code == 409
    assert (await api.get(f"/v1/pools/{pool_id}")).status_code == 200


def assigned(pool_id: str, code: str, email: str, remaining: int | None = 0, source: str = "web") -> CouponAssigned:
    data = AssignmentData(
        request_id=random_request_id(),
        pool_id=pool_id,
        code=code,
        email=email,
        source=source,
        assigned_at=utc_now(),
        coupon_remaining=remaining,
    )
    return CouponAssigned(data=data)
