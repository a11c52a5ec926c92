"""One copy of a code, ever: stock as the claim in a fresh pool, keys once codes have left it."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from coupon_shared.events import AssignmentData, CouponAssigned, utc_now
from coupon_shared.mongo import Document
from pool_service.adapters.pool_repository import pool_to_doc
from pool_service.adapters.store import COUPON_KEYS, IMPORTS, PENDING_ADDS, POOL_RETIREMENTS, POOLS, stock_name
from pool_service.domain.coupons import Coupon
from pool_service.domain.pools import Pool
from pool_service.service_layer.coupons import add_coupon, remove_coupon
from pool_service.service_layer.errors import DuplicateCodeError
from pool_service.service_layer.expiry import sweep_pool
from pool_service.service_layer.import_job import run_import
from pool_service.service_layer.projection import Delivered, project
from tests.unit.pool_service.fake_store import FakeStore
from tests.unit.pool_service.test_import_job import POOL, SETTINGS, accepted, codes_file

STOCK = stock_name(POOL)


async def imported(store: FakeStore, data: bytes) -> dict[str, Any]:
    import_id = await accepted(store, data)
    await run_import(store, import_id, 0, SETTINGS)
    status = await store.get(IMPORTS, import_id)
    assert status is not None
    return status


async def assigned_to_the_end(store: FakeStore, code: str) -> None:
    data = AssignmentData(
        request_id="r1",
        pool_id=POOL,
        code=code,
        email="e@x.io",
        source="web",
        assigned_at=datetime.now(UTC),
        coupon_remaining=0,
    )
    await project(store, POOL, [Delivered("coupon.assigned", 0, 0, CouponAssigned(data=data))])


async def removed(store: FakeStore, code: str) -> None:
    await remove_coupon(store, POOL, code)


async def expired(store: FakeStore, code: str) -> None:
    store.collections[STOCK][code]["pool_expires_at"] = datetime.now(UTC) - timedelta(seconds=1)
    assert await sweep_pool(store, POOL, []) == 1


async def test_a_fresh_pool_is_claimed_by_one_stock_insert_per_code() -> None:
    store = FakeStore()
    status = await imported(store, codes_file(0, 20))
    assert (status["imported"], status["duplicates"]) == (20, 0)
    assert store.docs(COUPON_KEYS) == []
    # Each stock document names its batch (import and start offset): three batches of 7 rows.
    marks = {d["by"] for d in store.docs(STOCK)}
    assert len(marks) == 3
    assert all(mark.startswith(f"{status['_id']}@") for mark in marks)


@pytest.mark.parametrize("leave", [assigned_to_the_end, removed, expired])
async def test_a_code_that_left_the_pool_is_not_imported_or_added_again(
    leave: Callable[[FakeStore, str], Awaitable[None]],
) -> None:
    store = FakeStore()
    await imported(store, codes_file(0, 10))
    await leave(store, "C0003")
    assert "C0003" not in store.collections[STOCK]
    assert await store.get(POOL_RETIREMENTS, POOL) is not None
    status = await imported(store, codes_file(0, 12))
    assert (status["imported"], status["duplicates"]) == (2, 10)
    assert "C0003" not in store.collections[STOCK]
    with pytest.raises(DuplicateCodeError):
        await add_coupon(store, POOL, Coupon("C0003"))
    assert "C0003" not in store.collections[STOCK]
    assert len(store.docs(STOCK)) == 11


class RetiresBeforeTheFirstStockInsert(FakeStore):
    """The pool's first retirement lands between a batch's marker read and its stock insert."""

    def __init__(self) -> None:
        super().__init__()
        self.before_stock_insert: Callable[[], Awaitable[None]] | None = None

    async def insert_new(self, collection: str, docs: list[Document]) -> list[bool]:
        if collection == STOCK and docs and self.before_stock_insert is not None:
            step, self.before_stock_insert = self.before_stock_insert, None
            await step()
        return await super().insert_new(collection, docs)


async def test_a_code_that_leaves_while_a_fresh_pool_batch_inserts_it_again_is_taken_out() -> None:
    store = RetiresBeforeTheFirstStockInsert()
    await store.put(POOLS, pool_to_doc(Pool(POOL, "p", utc_now(), utc_now())))
    await add_coupon(store, POOL, Coupon("C0001"))
    store.before_stock_insert = lambda: remove_coupon(store, POOL, "C0001")
    status = await imported(store, codes_file(0, 5))
    assert (status["imported"], status["duplicates"]) == (4, 1)
    assert sorted(store.collections[STOCK]) == ["C0000", "C0002", "C0003", "C0004"]


async def test_an_add_of_a_code_an_import_holds_by_its_stock_alone_is_409() -> None:
    store = FakeStore()
    await imported(store, codes_file(0, 3))
    before = store.collections[STOCK]["C0001"]
    with pytest.raises(DuplicateCodeError):
        await add_coupon(store, POOL, Coupon("C0001", message="another"))
    assert store.collections[STOCK]["C0001"] == before
    assert store.docs(PENDING_ADDS) == []
