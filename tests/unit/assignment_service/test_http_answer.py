"""An HTTP claim is answered once decided, before its outcome is published and stored."""

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime

from assignment_service.domain.claim import Answer
from assignment_service.domain.model import Assignment, Coupon, Outcome, new_claim, slot_id
from assignment_service.service_layer.claims import ClaimService
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.stock import StockCandidates
from tests.unit.assignment_service.fakes import FakePublisher, FakeStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POOL = "h" * 32


class HeldPublisher(FakePublisher):
    """Publishing waits until the test lets it go on."""

    def __init__(self) -> None:
        super().__init__()
        self.go_on = asyncio.Event()

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        await self.go_on.wait()
        await super().publish(outcomes)


async def test_the_client_has_its_answer_before_the_outcome_is_published_and_a_repeat_waits_for_it() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1"), Coupon("C2")])
    publisher = HeldPublisher()
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
        # Answered with what the store already holds: a crash now resumes the claim to this very answer.
        assert store.slots[slot_id(POOL, answer.outcome.code, 0)] == answer.outcome
        assert publisher.published == []
        assert store.claims["req-1"].outcome is None

        # A repeat meanwhile waits for the publish and the store instead of finishing the claim again.
        repeat = asyncio.create_task(service.submit(claim))
        await asyncio.sleep(0.1)
        assert not repeat.done()
        publisher.go_on.set()
        replayed = await asyncio.wait_for(repeat, timeout=2)
        assert isinstance(replayed, Answer)
        assert replayed.replayed
        assert replayed.outcome == answer.outcome
        assert publisher.published == [answer.outcome]
        assert store.claims["req-1"].outcome == answer.outcome
    finally:
        batcher.cancel()
        await asyncio.gather(batcher, return_exceptions=True)
