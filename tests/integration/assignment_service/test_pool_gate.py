"""The pool gate on the real store: pool-service's delete and the claim engine decide through one unique insert."""

import random
from collections.abc import Sequence
from datetime import datetime

import pytest
from pymongo import AsyncMongoClient

from assignment_service.adapters.mongo_store import SLOTS, MongoClaimStore
from assignment_service.domain.claim import Answer
from assignment_service.domain.model import Assignment, ClaimRequest, Outcome, Rejection, new_claim
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.stock import StockCandidates
from coupon_shared.events import utc_now
from coupon_shared.mongo import Document
from coupon_shared.pool_gates import CLOSED, OPEN, POOL_GATES, gate_doc
from pool_service.adapters.store import Store
from pool_service.service_layer.errors import PoolInUseError
from pool_service.service_layer.pools import create_pool, delete_pool
from tests.support.random_refs import random_email, random_pool_name, random_request_id

pytestmark = pytest.mark.integration


class ListPublisher:
    def __init__(self) -> None:
        self.published: list[Outcome] = []

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        self.published.extend(outcomes)


def engine_on(store: MongoClaimStore) -> ClaimEngine:
    clock = utc_now
    candidates = StockCandidates(store, clock, read_size=10, refill_interval=0.0, rng=random.Random(0))
    return ClaimEngine(store, ListPublisher(), candidates, clock)


async def pool_with_a_coupon(client: AsyncMongoClient[Document], db_name: str) -> str:
    """A pool made by pool-service's own create, with one coupon in stock in pool-service's shape."""
    pool_id = (await create_pool(Store(client[db_name]), random_pool_name())).pool.id
    coupon = {"_id": "GATED", "message": None, "pool_expires_at": None, "user_expiration": None, "max_assignments": 1}
    await client[db_name][f"stock.{pool_id}"].insert_one(coupon)
    return pool_id


def claim_for(pool_id: str) -> ClaimRequest:
    return new_claim(random_request_id(), pool_id, random_email(), "test", "kafka")


async def claim(engine: ClaimEngine, request: ClaimRequest) -> Outcome:
    [result] = await engine.claim([request])
    assert isinstance(result, Answer)
    return result.outcome


async def test_a_claim_racing_a_delete_that_closed_the_gate_is_rejected_without_a_slot(
    mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    pool_id = await pool_with_a_coupon(mongo_client, db_name)
    store = MongoClaimStore(mongo_client[db_name], pool_cache_seconds=60.0)
    # The claim saw the pool live (cached) before the delete: only the gate can stop it now.
    assert await store.pool_exists(pool_id)
    await delete_pool(Store(mongo_client[db_name]), pool_id)
    outcome = await claim(engine_on(store), claim_for(pool_id))
    assert isinstance(outcome, Rejection)
    assert outcome.reason == "pool_not_found"
    assert await mongo_client[db_name][SLOTS].find_one({"_id": f"{pool_id}:GATED:0"}) is None
    assert (await mongo_client[db_name][POOL_GATES].find_one({"_id": pool_id}) or {}).get("state") == CLOSED
    # The closed gate marked the pool missing in the store's pool cache.
    assert not await store.pool_exists(pool_id)


async def test_a_delete_after_a_claim_opened_the_gate_is_refused(
    mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    pool_id = await pool_with_a_coupon(mongo_client, db_name)
    outcome = await claim(engine_on(MongoClaimStore(mongo_client[db_name])), claim_for(pool_id))
    assert isinstance(outcome, Assignment)
    # No event was projected into pool-service's counts here: the refusal comes from the gate alone.
    with pytest.raises(PoolInUseError):
        await delete_pool(Store(mongo_client[db_name]), pool_id)
    assert await mongo_client[db_name]["pools"].find_one({"_id": pool_id, "deleted": False}) is not None


async def test_an_open_gate_is_settled_once_per_process(mongo_client: AsyncMongoClient[Document], db_name: str) -> None:
    gates = mongo_client[db_name][POOL_GATES]
    store = MongoClaimStore(mongo_client[db_name])
    now = utc_now()
    assert await store.open_gate("open-pool", now)
    await gates.delete_one({"_id": "open-pool"})
    # Cached: no second insert (it would have re-created the document).
    assert await store.open_gate("open-pool", now)
    assert await gates.find_one({"_id": "open-pool"}) is None


async def test_a_closed_gate_is_not_cached_for_good(mongo_client: AsyncMongoClient[Document], db_name: str) -> None:
    gates = mongo_client[db_name][POOL_GATES]
    store = MongoClaimStore(mongo_client[db_name], pool_cache_seconds=0.0)
    now: datetime = utc_now()
    await gates.insert_one(gate_doc("rolled-pool", CLOSED, now))
    assert not await store.open_gate("rolled-pool", now)
    # pool-service's delete that found an old assignment rewrites its gate open.
    await gates.replace_one({"_id": "rolled-pool"}, {"state": OPEN, "at": now})
    assert await store.open_gate("rolled-pool", now)
