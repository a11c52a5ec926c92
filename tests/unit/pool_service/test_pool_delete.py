"""Deleting a pool against claims in flight: the pool gate decides (coupon_shared.pool_gates)."""

from typing import Any

import pytest

from coupon_shared.events import utc_now
from coupon_shared.mongo import Document
from coupon_shared.pool_gates import CLOSED, OPEN, POOL_GATES, settle_gate
from pool_service.adapters.store import OUTBOX, POOLS, history_name
from pool_service.service_layer.errors import PoolInUseError, PoolNotFoundError
from pool_service.service_layer.pools import create_pool, delete_pool, get_pool
from tests.unit.pool_service.fake_store import FakeStore


async def engine_opens_gate(store: FakeStore, pool_id: str) -> str:
    """What the claim engine does right before its first slot insert for a pool."""

    async def insert(docs: list[Document]) -> list[bool]:
        return await store.insert_new(POOL_GATES, docs)

    async def read(_id: str) -> Document | None:
        return await store.get(POOL_GATES, _id)

    return await settle_gate(pool_id, OPEN, utc_now(), insert, read)


def deleted_events(store: FakeStore) -> list[Any]:
    return [doc for doc in store.docs(OUTBOX) if '"PoolDeleted"' in doc["value"]]


async def test_a_claim_that_passed_the_gate_makes_the_delete_409() -> None:
    store = FakeStore()
    pool = (await create_pool(store, "Gate open")).pool
    # Nothing is counted or in the history yet: the claim is still in flight.
    assert await engine_opens_gate(store, pool.id) == OPEN
    with pytest.raises(PoolInUseError):
        await delete_pool(store, pool.id)
    assert (await get_pool(store, pool.id)).pool.deleted is False
    assert deleted_events(store) == []


async def test_after_a_delete_the_claim_engine_finds_the_gate_closed() -> None:
    store = FakeStore()
    pool = (await create_pool(store, "Gate closed")).pool
    await delete_pool(store, pool.id)
    assert await engine_opens_gate(store, pool.id) == CLOSED
    assert store.collections[POOLS][pool.id]["deleted"] is True
    assert len(deleted_events(store)) == 1
    with pytest.raises(PoolNotFoundError):
        await delete_pool(store, pool.id)


async def test_a_delete_stopped_after_closing_the_gate_is_finished_by_a_retry() -> None:
    store = FakeStore()
    pool = (await create_pool(store, "Half deleted")).pool
    await store.insert_new(POOL_GATES, [{"_id": pool.id, "state": CLOSED, "at": utc_now()}])
    await delete_pool(store, pool.id)
    assert store.collections[POOLS][pool.id]["deleted"] is True
    assert len(deleted_events(store)) == 1


class AssignsWhileGateCloses(FakeStore):
    """An engine that predates the gate assigns a coupon just as the delete closes the gate."""

    def __init__(self, pool_id: str) -> None:
        super().__init__()
        self.pool_id = pool_id

    async def insert_new(self, collection: str, docs: list[Document]) -> list[bool]:
        created = await super().insert_new(collection, docs)
        if collection == POOL_GATES:
            await super().insert_new(history_name(self.pool_id), [{"_id": "late@example.com"}])
        return created


async def test_an_assignment_seen_after_closing_reopens_the_gate_and_keeps_the_pool() -> None:
    plain = FakeStore()
    pool = (await create_pool(plain, "Late assignment")).pool
    store = AssignsWhileGateCloses(pool.id)
    store.collections = plain.collections
    with pytest.raises(PoolInUseError):
        await delete_pool(store, pool.id)
    assert (await get_pool(store, pool.id)).pool.deleted is False
    assert await engine_opens_gate(store, pool.id) == OPEN
    assert deleted_events(store) == []
