"""The candidate queue reads the next stock before it runs dry, one read per pool at a time."""

import asyncio
from datetime import UTC, datetime

from assignment_service.domain.model import Candidate, Coupon
from assignment_service.service_layer.stock import StockCandidates
from tests.unit.assignment_service.fakes import FakeStore

NOW = datetime(2026, 11, 24, tzinfo=UTC)
POOL = "r" * 32


class PagedStock:
    """A pool's stock read ``limit`` codes at a time; each read waits until the test lets it end."""

    def __init__(self, codes: int) -> None:
        self.codes = [Coupon(f"C{i:03d}") for i in range(codes)]
        self.position = 0
        self.reads_started = 0
        self.reads_at_once = 0
        self.most_at_once = 0
        self.release = asyncio.Event()

    async def read_stock(self, pool_id: str, limit: int) -> tuple[list[Coupon], bool]:
        self.reads_started += 1
        self.reads_at_once += 1
        self.most_at_once = max(self.most_at_once, self.reads_at_once)
        try:
            await self.release.wait()
            page = self.codes[self.position : self.position + limit]
            self.position += len(page)
            return page, self.position >= len(self.codes)
        finally:
            self.reads_at_once -= 1


async def test_takes_do_not_wait_for_the_read_ahead_and_an_empty_queue_waits_for_it() -> None:
    stock = PagedStock(codes=40)
    candidates = StockCandidates(stock, lambda: NOW, read_size=10, refill_interval=0.0)  # type: ignore[arg-type]
    stock.release.set()
    first = await candidates.take(POOL, NOW)  # the empty queue waits for the first read
    assert first is not None
    stock.release.clear()
    taken = [first]
    # Down to half a read (5 left) the next read starts; the queue still answers meanwhile.
    for _ in range(9):
        candidate = await asyncio.wait_for(candidates.take(POOL, NOW), timeout=1)
        assert candidate is not None
        taken.append(candidate)
    assert stock.reads_started == 2
    # Empty now: this take waits for the read under way rather than starting another.
    waiting = asyncio.create_task(candidates.take(POOL, NOW))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    stock.release.set()
    last = await waiting
    assert last is not None
    taken.append(last)
    assert [c.coupon.code for c in taken] == [f"C{i:03d}" for i in range(11)]  # in stock order, none twice
    assert stock.most_at_once == 1


async def test_codes_skipped_after_a_pass_found_nothing_new_are_taken_before_the_pool_reads_as_dry() -> None:
    # The clock stands still: within refill_interval of a pass that found nothing new, the pool
    # is not read again — which must not hide the codes a skip_ahead forgot meanwhile.
    codes = [f"C{i:03d}" for i in range(10)]
    stock = FakeStore()  # every pass returns the whole stock, as the unfiltered read does
    stock.add_pool(POOL, [Coupon(code) for code in codes])
    candidates = StockCandidates(stock, lambda: NOW, read_size=20, refill_interval=1.0)
    taken = [await candidates.take(POOL, NOW)]
    await asyncio.sleep(0.01)  # the read ahead ends: a pass with nothing new, the pool marked dry
    taken.append(await candidates.take(POOL, NOW))
    candidates.skip_ahead(POOL)
    while (candidate := await candidates.take(POOL, NOW)) is not None:
        taken.append(candidate)
    assert sorted(c.coupon.code for c in taken if c is not None) == codes


async def test_the_read_ahead_reads_small_parts_until_a_whole_batch_is_queued() -> None:
    stock = PagedStock(codes=100)
    stock.release.set()
    candidates = StockCandidates(stock, lambda: NOW, read_size=10, keep_queued=35)  # type: ignore[arg-type]
    first = await candidates.take(POOL, NOW)  # the empty queue waits: reads of 10 until 35 are queued
    assert first is not None
    assert stock.reads_started == 4
    assert len(candidates.queue(POOL)) == 39
    taken: list[Candidate | None] = [first]
    while len(candidates.queue(POOL)) >= 35:
        taken.append(await candidates.take(POOL, NOW))
    await asyncio.sleep(0.01)  # below 35: the read ahead runs in the background, in reads of 10
    assert stock.reads_started == 5
    assert len(candidates.queue(POOL)) == 44
    # The read ahead ends when the pass does, even with fewer than keep_queued left to read.
    while len(taken) < 100:
        taken.append(await candidates.take(POOL, NOW))
    assert [c.coupon.code for c in taken if c is not None] == [f"C{i:03d}" for i in range(100)]
    assert stock.most_at_once == 1


class PassedStock:
    """A pool's stock read in passes, ``limit`` codes at a time; a pass that ended starts over."""

    def __init__(self, codes: int) -> None:
        self.codes = [Coupon(f"C{i:03d}") for i in range(codes)]
        self.position = 0
        self.reads = 0

    async def read_stock(self, pool_id: str, limit: int) -> tuple[list[Coupon], bool]:
        self.reads += 1
        await asyncio.sleep(0)
        page = self.codes[self.position : self.position + limit]
        self.position += len(page)
        ended = self.position >= len(self.codes)
        if ended:
            self.position = 0
        return page, ended


async def test_the_read_ahead_never_starts_a_new_pass_an_empty_queue_does() -> None:
    stock = PassedStock(codes=30)
    candidates = StockCandidates(stock, lambda: NOW, read_size=10, keep_queued=15)  # type: ignore[arg-type]
    taken: list[Candidate | None] = []
    for _ in range(30):
        taken.append(await candidates.take(POOL, NOW))
        await asyncio.sleep(0.001)  # any read ahead runs
    # One pass of three reads: the last 15 takes started no re-read of the whole stock.
    assert stock.reads == 3
    stock.codes += [Coupon(f"C{i:03d}") for i in range(30, 35)]  # imported meanwhile
    # The queue is empty: a new pass, which finds the new codes at its end.
    for _ in range(5):
        taken.append(await candidates.take(POOL, NOW))
    assert stock.reads == 7
    assert [c.coupon.code for c in taken if c is not None] == [f"C{i:03d}" for i in range(35)]
    # Empty again: one more pass finds nothing new, and the pool is exhausted.
    assert await candidates.take(POOL, NOW) is None
    assert stock.reads == 11
