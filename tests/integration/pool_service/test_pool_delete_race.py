"""DELETE of a pool racing a claim in flight, on the real store: exactly one of them wins."""

import asyncio
import random

import httpx
import pytest
from pymongo import AsyncMongoClient

from coupon_shared.events import utc_now
from coupon_shared.mongo import Document, insert_new
from coupon_shared.pool_gates import OPEN, POOL_GATES, settle_gate_in
from tests.integration.pool_service.conftest import new_pool

pytestmark = pytest.mark.integration


async def claim_in_flight(client: AsyncMongoClient[Document], db_name: str, pool_id: str, delay: float) -> bool:
    """The claim engine's side of the gate: open it, then take slot 0 of the pool's coupon. True if it took it."""
    db = client[db_name]
    await asyncio.sleep(delay)
    if await settle_gate_in(db[POOL_GATES], pool_id, OPEN, utc_now()) != OPEN:
        return False
    [taken] = await insert_new(db["slots"], [{"_id": f"{pool_id}:RACED:0", "request_id": f"race-{pool_id}"}])
    return taken


def start_delay(round_: int) -> float:
    # Some rounds fix the order (claim first / delete long done), the others race.
    return (0.0, 1.0, random.uniform(0, 0.1))[round_ % 3]


async def test_delete_and_a_claim_in_flight_never_both_win(
    api: httpx.AsyncClient, mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    outcomes = set()
    for round_ in range(12):
        pool_id = (await new_pool(api))["id"]
        assert (await api.post(f"/v1/pools/{pool_id}/coupons", json={"code": "RACED"})).status_code == 201
        claimed, deleted = await asyncio.gather(
            claim_in_flight(mongo_client, db_name, pool_id, start_delay(round_)),
            api.delete(f"/v1/pools/{pool_id}"),
        )
        outcomes.add((claimed, deleted.status_code))
        assert (claimed, deleted.status_code) in {(True, 409), (False, 204)}, (claimed, deleted.text)
        pool_after = await api.get(f"/v1/pools/{pool_id}")
        assert pool_after.status_code == (200 if claimed else 404)
    # Both orders occurred, so the test exercised the race rather than one fixed order.
    assert outcomes == {(True, 409), (False, 204)}, outcomes
