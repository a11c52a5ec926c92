"""pool-service's removal and the claim engine agree on unlimited coupons: a used one cannot be removed,
a removed one is never handed out (both services on one database)."""

import httpx
import pytest

from tests.integration.assignment_service.conftest import ReplicaFactory
from tests.integration.pool_service.conftest import new_pool, pool_settings, running_service
from tests.support.random_refs import random_email

pytestmark = pytest.mark.integration


async def test_a_used_unlimited_coupon_is_409_and_an_unused_one_is_removed_for_good(
    replicas: ReplicaFactory, kafka_bootstrap: str, mongo_url: str, db_name: str, auth: dict[str, str]
) -> None:
    claims = replicas()
    async with (
        running_service(pool_settings(kafka_bootstrap, mongo_url, db_name)) as pools,
        httpx.AsyncClient(base_url=claims.url, headers=auth, timeout=30.0) as assignments,
    ):
        used_pool, spare_pool = (await new_pool(pools))["id"], (await new_pool(pools))["id"]
        for pool_id, code in ((used_pool, "ALL"), (spare_pool, "SPARE")):
            added = await pools.post(f"/v1/pools/{pool_id}/coupons", json={"code": code, "max_assignments": None})
            assert added.status_code == 201, added.text

        claimed = await assignments.post(f"/v1/pools/{used_pool}/claims", json={"email": random_email()})
        assert (claimed.status_code, claimed.json()["code"]) == (201, "ALL")
        refused = await pools.delete(f"/v1/pools/{used_pool}/coupons/ALL")
        assert (refused.status_code, refused.json()["code"]) == (409, "coupon-assigned")
        again = await assignments.post(f"/v1/pools/{used_pool}/claims", json={"email": random_email()})
        assert (again.status_code, again.json()["code"]) == (201, "ALL"), "an unlimited code serves every email"

        assert (await pools.delete(f"/v1/pools/{spare_pool}/coupons/SPARE")).status_code == 204
        late = await assignments.post(f"/v1/pools/{spare_pool}/claims", json={"email": random_email()})
        assert (late.status_code, late.json()["code"]) == (409, "pool-exhausted")
