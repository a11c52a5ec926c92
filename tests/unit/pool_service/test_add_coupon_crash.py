"""A single add that dies between claiming the code and storing the coupon is finished, not stuck."""

from datetime import UTC, datetime

import pytest

from pool_service.adapters.store import COUPON_KEYS, OUTBOX, PENDING_ADDS, stock_name
from pool_service.domain.coupons import Coupon
from pool_service.service_layer.coupons import add_coupon, repair_pending_adds
from pool_service.service_layer.errors import DuplicateCodeError
from pool_service.service_layer.pools import create_pool
from tests.unit.pool_service.fake_store import CrashError, FakeStore

COUPON = Coupon("HALF-DONE", message="hello", pool_expires_at=datetime(2099, 1, 1, tzinfo=UTC), max_assignments=3)


async def crashed_after_claiming_the_code(name: str) -> tuple[FakeStore, str]:
    store = FakeStore()
    pool_id = (await create_pool(store, name)).pool.id
    store.crash_after_inserts[stock_name(pool_id)] = 0
    with pytest.raises(CrashError):
        await add_coupon(store, pool_id, COUPON)
    assert f"{pool_id}:{COUPON.code}" in store.collections[COUPON_KEYS]
    assert store.docs(stock_name(pool_id)) == []
    return store, pool_id


def added_events(store: FakeStore) -> int:
    return sum('"CouponsAdded"' in doc["value"] for doc in store.docs(OUTBOX))


async def test_a_retry_of_the_same_add_finishes_it() -> None:
    store, pool_id = await crashed_after_claiming_the_code("Retry add")
    assert await add_coupon(store, pool_id, COUPON) == COUPON
    [stored] = store.docs(stock_name(pool_id))
    assert (stored["_id"], stored["message"], stored["max_assignments"]) == (COUPON.code, "hello", 3)
    assert added_events(store) == 1
    assert store.docs(PENDING_ADDS) == []
    # Finished now: the same add again is a duplicate like any other.
    with pytest.raises(DuplicateCodeError):
        await add_coupon(store, pool_id, COUPON)
    assert added_events(store) == 1


async def test_a_different_add_of_the_half_added_code_is_409_and_does_not_finish_it() -> None:
    store, pool_id = await crashed_after_claiming_the_code("Different add")
    with pytest.raises(DuplicateCodeError):
        await add_coupon(store, pool_id, Coupon("HALF-DONE", message="another message"))
    assert store.docs(stock_name(pool_id)) == []
    assert len(store.docs(PENDING_ADDS)) == 1


async def test_the_repair_pass_finishes_a_crashed_add_once_it_is_old_enough() -> None:
    store, pool_id = await crashed_after_claiming_the_code("Repair add")
    assert await repair_pending_adds(store, older_than_seconds=60) == 0
    assert store.docs(stock_name(pool_id)) == []
    assert await repair_pending_adds(store, older_than_seconds=0) == 1
    assert [doc["_id"] for doc in store.docs(stock_name(pool_id))] == [COUPON.code]
    assert added_events(store) == 1
    assert store.docs(PENDING_ADDS) == []
    with pytest.raises(DuplicateCodeError):
        await add_coupon(store, pool_id, COUPON)


async def test_an_add_that_died_before_claiming_the_code_is_completed_by_the_repair_pass() -> None:
    store = FakeStore()
    pool_id = (await create_pool(store, "Before claim")).pool.id
    store.crash_after_inserts[COUPON_KEYS] = 0
    with pytest.raises(CrashError):
        await add_coupon(store, pool_id, COUPON)
    assert await repair_pending_adds(store, older_than_seconds=0) == 1
    assert [doc["_id"] for doc in store.docs(stock_name(pool_id))] == [COUPON.code]
    assert added_events(store) == 1


async def test_the_repair_pass_drops_a_journal_entry_whose_code_another_add_holds() -> None:
    store = FakeStore()
    pool_id = (await create_pool(store, "Lost claim")).pool.id
    store.crash_after_inserts[COUPON_KEYS] = 0
    with pytest.raises(CrashError):
        await add_coupon(store, pool_id, COUPON)
    other = Coupon("HALF-DONE", message="the winner")
    await add_coupon(store, pool_id, other)
    assert await repair_pending_adds(store, older_than_seconds=0) == 1
    [stored] = store.docs(stock_name(pool_id))
    assert stored["message"] == "the winner"
    assert store.docs(PENDING_ADDS) == []
    assert added_events(store) == 1
