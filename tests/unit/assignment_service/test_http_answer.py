"""An HTTP claim is answered once its outcome is published, before the outcome is stored."""

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime

from assignment_service.domain.claim import Answer
from assignment_service.domain.model import Assignment, Coupon, Outcome, new_claim
from assignment_service.service_layer.claims import ClaimService
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.stock import StockCandidates
from tests.unit.assignment_service.fakes import FakePublisher, FakeStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POOL = "h" * 32


class SlowOutcomeStore(FakeStore):
    """Storing outcomes waits until the test lets it go on."""

    def __init__(self) -> None:
        super().__init__()
        self.store_outcomes = asyncio.Event()

    async def insert_outcomes(self, outcomes: Sequence[Outcome]) -> list[bool]:
        await self.store_outcomes.wait()
        return await super().insert_outcomes(outcomes)


async def test_the_client_has_its_answer_before_the_outcome_is_stored_and_a_repeat_waits_for_it() -> None:
    store = SlowOutcomeStore()
    store.add_pool(POOL, [Coupon("C1"), Coupon("C2")])
    publisher = FakePublisher()
    clock = lambda: NOW  # noqa: E731
    candidates = StockCandidates(store, clock, refill_interval=0.0, rng=random.Random(0))
    engine = ClaimEngine(store, publisher, candidates, clock)
    service = ClaimService(engine, publisher, batch_window=0.0)
    batcher = asyncio.create_task(service.run_batcher())
    try:
        claim = new_claim("req-1", POOL, "a@example.com", "test", "http")
        answer = await asyncio.wait_for(service.submit(claim), timeout=2)
        assert isinstance(answer, Answer)
        assert isinstance(answer.outcome, Assignment)
        assert not answer.replayed
        assert publisher.published == [answer.outcome]
        assert store.claims["req-1"].outcome is None  # answered, not yet stored

        # A repeat meanwhile waits for the store instead of finishing the claim again.
        repeat = asyncio.create_task(service.submit(claim))
        await asyncio.sleep(0.1)
        assert not repeat.done()
        store.store_outcomes.set()
        replayed = await asyncio.wait_for(repeat, timeout=2)
        assert isinstance(replayed, Answer)
        assert replayed.replayed
        assert replayed.outcome == answer.outcome
        assert publisher.published == [answer.outcome]
    finally:
        batcher.cancel()
        await asyncio.gather(batcher, return_exceptions=True)
