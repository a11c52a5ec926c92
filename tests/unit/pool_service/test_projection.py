"""Counts and history projected from events over an in-memory store: redelivery, duplicates, crashes."""

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pymongo.errors import OperationFailure

from coupon_shared.events import (
    AlertSettings,
    AssignmentData,
    CouponAssigned,
    CouponsAdded,
    CouponsAddedData,
    Event,
    PoolUpdated,
    PoolUpdatedData,
    StockLevel,
    StockLevelData,
)
from coupon_shared.mongo import Document
from pool_service.adapters.history_pages import page_rows
from pool_service.adapters.pool_repository import counts_from_doc, pool_to_doc
from pool_service.adapters.store import POOL_STATS, RETIRED, history_pages_name, stock_name
from pool_service.bootstrap import Runtime
from pool_service.domain.counts import PoolCounts
from pool_service.domain.pools import Pool
from pool_service.entrypoints.projector_consumer import Projector
from pool_service.service_layer.history import list_history
from pool_service.service_layer.projection import Delivered, project
from tests.unit.pool_service.fake_store import CrashError, FakeStore

POOL = "q" * 32
AT = datetime(2026, 11, 24, tzinfo=UTC)


def assigned(n: int, remaining: int | None = 0) -> CouponAssigned:
    data = AssignmentData(
        request_id=f"r{n}",
        pool_id=POOL,
        code=f"C{n}",
        email=f"e{n}@x.io",
        source="web",
        assigned_at=AT,
        coupon_remaining=remaining,
    )
    return CouponAssigned(data=data)


def added(count: int) -> CouponsAdded:
    return CouponsAdded(data=CouponsAddedData(pool_id=POOL, count=count))


def delivered(events: list[Event], first_offset: int = 0) -> list[Delivered]:
    topic = {"CouponAssigned": "coupon.assigned"}
    return [Delivered(topic.get(e.type, "coupon.inventory"), 3, first_offset + i, e) for i, e in enumerate(events)]


async def counts(store: FakeStore) -> PoolCounts:
    return counts_from_doc(await store.get(POOL_STATS, POOL))


async def stocked(store: FakeStore, codes: int) -> None:
    await store.insert_new(stock_name(POOL), [{"_id": f"C{n}"} for n in range(codes)])


async def test_redelivered_and_republished_events_change_nothing() -> None:
    store = FakeStore()
    await stocked(store, 3)
    events: list[Event] = [added(3), assigned(0), assigned(1, remaining=None)]
    await project(store, POOL, delivered(events))
    await project(store, POOL, delivered(events))  # the same records again
    await project(store, POOL, delivered(events, first_offset=100))  # the same events published twice
    assert await counts(store) == PoolCounts(active=2, assigned=2, expired=0, total=3)
    assert [d["_id"] for d in store.docs(stock_name(POOL))] == ["C1", "C2"]


@pytest.mark.parametrize("collection", ["history.", RETIRED, "history_pages.", "projected_events"])
async def test_a_crash_mid_batch_is_finished_exactly_by_the_redelivery(collection: str) -> None:
    store = FakeStore()
    await stocked(store, 5)
    name = collection + POOL if collection.endswith(".") else collection
    store.crash_after_inserts[name] = 0
    events: list[Event] = [added(5), *(assigned(n) for n in range(4))]
    with pytest.raises(CrashError):
        await project(store, POOL, delivered(events))
    await project(store, POOL, delivered(events))
    assert await counts(store) == PoolCounts(active=1, assigned=4, expired=0, total=5)
    page = await list_history_rows(store)
    assert page == ["e3@x.io", "e2@x.io", "e1@x.io", "e0@x.io"]


async def test_history_pages_fill_across_batches() -> None:
    store = FakeStore()
    for batch in range(3):
        await project(store, POOL, delivered([assigned(batch * 70 + n, None) for n in range(70)], batch * 70))
    pages = [page_rows(p) for p in store.docs(history_pages_name(POOL))]
    assert [len(rows) for rows in pages] == [100, 100, 10]
    assert (await list_history_rows(store))[:2] == ["e209@x.io", "e208@x.io"]


async def list_history_rows(store: FakeStore) -> list[str]:
    await store.put("pools", pool_to_doc(Pool(POOL, "q", AT, AT)))
    page = await list_history(store, POOL, None, None, 500)
    return [row["email"] for row in page.items]


class CountingReads(FakeStore):
    def __init__(self) -> None:
        super().__init__()
        self.page_reads = 0

    async def get(self, collection: str, _id: object, max_seconds: float | None = None) -> dict[str, object] | None:
        if collection == history_pages_name(POOL):
            self.page_reads += 1
        return await super().get(collection, _id, max_seconds)


async def test_the_next_batch_appends_to_the_remembered_page_without_reading_it() -> None:
    store = CountingReads()
    for batch in range(4):
        await project(store, POOL, delivered([assigned(batch * 30 + n, None) for n in range(30)], batch * 30))
    assert store.page_reads == 0
    pages = [page_rows(p) for p in store.docs(history_pages_name(POOL))]
    assert [[r["seq"] for r in rows] for rows in pages] == [list(range(1, 101)), list(range(101, 121))]
    # Pages hold only what the list and the export show.
    assert set(pages[0][0]) == {"seq", "code", "email", "source", "assigned_at", "user_expires_at"}


async def test_a_page_another_owner_appended_to_is_read_again() -> None:
    store = CountingReads()
    await project(store, POOL, delivered([assigned(n, None) for n in range(30)]))
    # Another member of the group owned the partition for a while and appended 10 rows.
    other = CountingReads()
    other.collections = store.collections
    await project(other, POOL, delivered([assigned(n, None) for n in range(30, 40)], 30))
    await project(store, POOL, delivered([assigned(n, None) for n in range(40, 50)], 40))
    assert store.page_reads == 1
    [page] = store.docs(history_pages_name(POOL))
    assert [r["seq"] for r in page_rows(page)] == list(range(1, 51))


async def test_a_redone_batch_reads_its_lost_inserts_by_id_not_by_a_pass_over_the_collection() -> None:
    store = CountingReads()
    store.crash_after_inserts[history_pages_name(POOL)] = 0
    events: list[Event] = [assigned(n, None) for n in range(50)]
    with pytest.raises(CrashError):
        await project(store, POOL, delivered(events))
    reads = ReadsOf(store, "history." + POOL)
    await project(reads, POOL, delivered(events))
    # `_id` reads are index hits; a pass would read a history of any size to the end.
    assert (reads.reads, reads.streams) == (50, 0)
    assert (await counts(reads)).assigned == 50


class ReadsOf(FakeStore):
    """Shares ``store``'s data and counts `_id` reads and streams of one collection."""

    def __init__(self, store: FakeStore, collection: str) -> None:
        super().__init__()
        self.collections = store.collections
        self.watched = collection
        self.reads = 0
        self.streams = 0

    async def get(self, collection: str, _id: object, max_seconds: float | None = None) -> dict[str, object] | None:
        self.reads += collection == self.watched
        return await super().get(collection, _id, max_seconds)

    async def stream(
        self, collection: str, skip: int = 0, batch_size: int = 1000, limit: int = 0
    ) -> AsyncGenerator[dict[str, object], None]:
        self.streams += collection == self.watched
        async for doc in super().stream(collection, skip, batch_size, limit):
            yield doc


class BusyOnce(FakeStore):
    """FerretDB's answer to a write that waited too long for SQLite's lock, once."""

    def __init__(self) -> None:
        super().__init__()
        self.busy = True

    async def put(self, collection: str, doc: dict[str, object]) -> None:
        if collection == POOL_STATS and self.busy:
            self.busy = False
            raise OperationFailure("[collection.go:177 sqlite.(*collection).UpdateAll.func1] database is locked")
        await super().put(collection, doc)


async def test_the_projector_waits_out_a_busy_database_in_place() -> None:
    store = BusyOnce()
    projector = Projector(cast(Runtime, SimpleNamespace(store=store)))
    await projector._project({POOL: delivered([assigned(n, None) for n in range(5)])})
    assert (await counts(store)).assigned == 5
    assert not store.busy


class CountingStore(FakeStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.puts = 0

    async def get(self, collection: str, _id: Any, max_seconds: float | None = None) -> Document | None:
        self.reads += 1
        return await super().get(collection, _id, max_seconds)

    async def put(self, collection: str, doc: Document) -> None:
        self.puts += 1
        await super().put(collection, doc)


async def test_stock_levels_and_pool_changes_cost_no_database_work() -> None:
    store = CountingStore()
    await project(store, POOL, delivered([added(3)]))
    reads, puts = store.reads, store.puts

    level = StockLevel(data=StockLevelData(pool_id=POOL, active=3, assigned=0, expired=0))
    alert = AlertSettings(enabled=False, threshold=0)
    renamed = PoolUpdated(data=PoolUpdatedData(pool_id=POOL, name="renamed", alert=alert, updated_at=AT))
    await project(store, POOL, delivered([level, renamed], first_offset=1))

    assert (store.reads, store.puts) == (reads, puts)
    assert (await counts(store)).active == 3


async def test_a_batch_mixing_stock_levels_with_assignments_projects_the_assignments() -> None:
    store = FakeStore()
    await project(store, POOL, delivered([added(2)]))
    level = StockLevel(data=StockLevelData(pool_id=POOL, active=2, assigned=0, expired=0))

    await project(store, POOL, [*delivered([level], first_offset=1), *delivered([assigned(1)], first_offset=0)])

    assert (await counts(store)).assigned == 1
