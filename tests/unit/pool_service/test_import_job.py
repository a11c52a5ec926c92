"""The import job over an in-memory store: batches, resumption after a crash at any step, overlapping jobs."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from coupon_shared.events import CouponsAdded, parse_event, utc_now
from pool_service.adapters.pool_repository import pool_to_doc
from pool_service.adapters.store import COUPON_KEYS, IMPORTS, OUTBOX, POOL_RETIREMENTS, POOLS, stock_name
from pool_service.domain.pools import Pool
from pool_service.service_layer.import_job import JobSettings, run_import
from pool_service.service_layer.import_upload import Limits, spool_upload, store_import
from tests.unit.pool_service.fake_store import CrashError, FakeStore

POOL = "p" * 32
SETTINGS = JobSettings(chunk_bytes=64, batch_rows=7, max_line_bytes=200)
LIMITS = Limits(max_bytes=1_000_000, max_rows=100_000, chunk_bytes=64)


async def body(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def accepted(store: FakeStore, data: bytes) -> str:
    if await store.get(POOLS, POOL) is None:
        pool = Pool(POOL, "p", utc_now(), utc_now())
        await store.put(POOLS, pool_to_doc(pool))
    return await store_import(store, POOL, await spool_upload(body(data), LIMITS), LIMITS)


def codes_file(first: int, last: int) -> bytes:
    return b"code,message\n" + b"".join(b"C%04d,hello\n" % i for i in range(first, last))


def added_by_events(store: FakeStore) -> int:
    events = [parse_event(d["value"]) for d in store.docs(OUTBOX)]
    return sum(e.data.count for e in events if isinstance(e, CouponsAdded))


async def test_counts_and_stock_after_a_clean_run() -> None:
    store = FakeStore()
    import_id = await accepted(store, codes_file(0, 50) + b"C0001,again\n\nbad code\n")
    await run_import(store, import_id, 0, SETTINGS)
    status = await store.get(IMPORTS, import_id)
    assert status is not None
    assert (status["state"], status["rows_read"], status["imported"], status["duplicates"], status["invalid"]) == (
        "done",
        52,
        50,
        1,
        1,
    )
    assert status["errors"] == [{"line": 54, "reason": "code: must not contain whitespace or control characters"}]
    assert len(store.docs(stock_name(POOL))) == 50
    assert added_by_events(store) == 50
    assert not store.docs("import_chunks")


# A fresh pool is claimed by its stock inserts; a pool that codes have left, by its keys.
CLAIM_STEPS = [
    (False, stock_name(POOL)),
    (False, OUTBOX),
    (True, COUPON_KEYS),
    (True, stock_name(POOL)),
    (True, OUTBOX),
]


@pytest.mark.parametrize(("codes_have_left", "collection"), CLAIM_STEPS)
@pytest.mark.parametrize("after", [0, 1, 3])
async def test_a_crash_at_any_step_resumes_without_loss_or_duplicates(
    codes_have_left: bool, collection: str, after: int
) -> None:
    store = FakeStore()
    import_id = await accepted(store, codes_file(0, 40))
    if codes_have_left:
        await store.insert(POOL_RETIREMENTS, {"_id": POOL})
    store.crash_after_inserts[collection] = after
    with pytest.raises(CrashError):
        await run_import(store, import_id, 0, SETTINGS)
    await run_import(store, import_id, 1, SETTINGS)
    status = await store.get(IMPORTS, import_id)
    assert status is not None
    assert (status["state"], status["rows_read"], status["imported"], status["duplicates"]) == ("done", 40, 40, 0)
    assert sorted(d["_id"] for d in store.docs(stock_name(POOL))) == [f"C{i:04d}" for i in range(40)]
    # Redone batches rewrite the same outbox event ids: the count announced is exact.
    assert added_by_events(store) == 40


@pytest.mark.parametrize("codes_have_left", [False, True])
async def test_overlapping_jobs_store_each_code_once(codes_have_left: bool) -> None:
    store = FakeStore()
    first, second = await accepted(store, codes_file(0, 30)), await accepted(store, codes_file(20, 50))
    if codes_have_left:
        await store.insert(POOL_RETIREMENTS, {"_id": POOL})
    await asyncio.gather(run_import(store, first, 0, SETTINGS), run_import(store, second, 0, SETTINGS))
    statuses = [await store.get(IMPORTS, i) for i in (first, second)]
    assert sum(s["imported"] for s in statuses if s) == 50
    assert sum(s["duplicates"] for s in statuses if s) == 10
    assert len(store.docs(stock_name(POOL))) == 50


async def test_a_file_that_stops_being_utf8_fails_at_that_line() -> None:
    store = FakeStore()
    import_id = await accepted(store, b"A1\nA2\n\xff\xfeA3\nA4\n")
    await run_import(store, import_id, 0, SETTINGS)
    status = await store.get(IMPORTS, import_id)
    assert status is not None
    assert (status["state"], status["imported"], status["errors"][-1]["line"]) == ("failed", 2, 3)
    assert sorted(d["_id"] for d in store.docs(stock_name(POOL))) == ["A1", "A2"]
