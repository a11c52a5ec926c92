"""How the HTTP batcher groups claims: the next batch forms once the one before it is decided,
and batches start at least the window apart."""

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from assignment_service.domain.claim import Answer, ClaimRecord, Result
from assignment_service.domain.model import Assignment, Coupon, new_claim
from assignment_service.service_layer.claims import ClaimService
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.stock import StockCandidates
from tests.unit.assignment_service.fakes import FakePublisher, FakeStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
POOL = "b" * 32


class RecordingStore(FakeStore):
    """Records the size of every batch's claims insert; the first one waits until the test lets it go on."""

    def __init__(self) -> None:
        super().__init__()
        self.batch_sizes: list[int] = []
        self.first_goes_on = asyncio.Event()

    async def insert_claims(self, records: Sequence[ClaimRecord]) -> list[bool]:
        self.batch_sizes.append(len(records))
        if len(self.batch_sizes) == 1:
            await self.first_goes_on.wait()
        return await super().insert_claims(records)


def _service(store: RecordingStore, batch_window: float) -> ClaimService:
    store.add_pool(POOL, [Coupon(f"C{n}") for n in range(10)])
    publisher = FakePublisher()
    clock = lambda: NOW  # noqa: E731
    engine = ClaimEngine(store, publisher, StockCandidates(store, clock, rng=random.Random(0)), clock)
    return ClaimService(engine, publisher, batch_window=batch_window)


@asynccontextmanager
async def _batching(service: ClaimService) -> AsyncIterator[None]:
    batcher = asyncio.create_task(service.run_batcher())
    try:
        yield
    finally:
        batcher.cancel()
        await asyncio.gather(batcher, return_exceptions=True)


def _submit(service: ClaimService, n: int) -> "asyncio.Task[Result]":
    claim = new_claim(f"req-{n}", POOL, f"e{n}@example.com", "test", "http")
    return asyncio.create_task(service.submit(claim))


async def _two_claims_50_ms_apart(service: ClaimService) -> list["asyncio.Task[Result]"]:
    later = [_submit(service, 2)]
    await asyncio.sleep(0.05)
    later.append(_submit(service, 3))
    return later


def _assigned(results: Sequence[Result]) -> set[str]:
    return {r.outcome.code for r in results if isinstance(r, Answer) and isinstance(r.outcome, Assignment)}


async def test_claims_arriving_while_a_batch_decides_are_decided_together_in_the_next() -> None:
    store = RecordingStore()
    service = _service(store, batch_window=0.0)
    async with _batching(service):
        first = _submit(service, 1)
        await asyncio.sleep(0.05)  # the first batch is deciding, held in its claims insert
        later = await _two_claims_50_ms_apart(service)
        await asyncio.sleep(0.05)
        store.first_goes_on.set()
        results = await asyncio.wait_for(asyncio.gather(first, *later), timeout=5)
    # Formed as soon as a place was free, the second batch would hold req-2 alone and wait
    # for the lock while req-3 queued for a third.
    assert store.batch_sizes == [1, 2]
    assert len(_assigned(results)) == 3


async def test_a_claim_after_a_pause_is_decided_at_once_and_the_next_wait_for_the_window() -> None:
    store = RecordingStore()
    store.first_goes_on.set()
    service = _service(store, batch_window=0.5)
    async with _batching(service):
        first = _submit(service, 1)
        await asyncio.sleep(0.05)
        # Not held for the window: decided alone, before the next claims come.
        assert store.batch_sizes == [1]
        later = await _two_claims_50_ms_apart(service)
        results = await asyncio.wait_for(asyncio.gather(first, *later), timeout=5)
    # Both came within the window after the first batch started: one batch.
    assert store.batch_sizes == [1, 2]
    assert len(_assigned(results)) == 3
