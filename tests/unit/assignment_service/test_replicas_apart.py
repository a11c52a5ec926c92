"""Two replicas claiming from one pool take different stretches of its stock instead of colliding."""

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime

from assignment_service.domain.claim import Answer
from assignment_service.domain.model import Assignment, Coupon, Rejection, new_claim
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.stock import StockCandidates
from tests.unit.assignment_service.fakes import FakePublisher, FakeStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POOL = "s" * 32
CODES = 600


class CountingStore(FakeStore):
    """Counts slot inserts lost, the cost that made two replicas on one pool collapse.

    A single-use code leaves the stock as soon as it is assigned, as pool-service's
    projector does (a moment later) on the CouponAssigned event.
    """

    def __init__(self) -> None:
        super().__init__()
        self.slots_lost = 0

    async def insert_slots(self, slots: Sequence[tuple[str, Assignment]]) -> list[bool]:
        won = await super().insert_slots(slots)
        self.slots_lost += won.count(False)
        for (_, assignment), created in zip(slots, won, strict=True):
            if created:
                self.stock[assignment.pool_id].pop(assignment.code, None)
        return won


class OwnCursor:
    """One replica's passes over the shared stock, ``limit`` documents a step, in storage order."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._after = ""  # the last code read in this pass (codes sort in storage order here)

    async def read_stock(self, pool_id: str, limit: int) -> tuple[list[Coupon], bool]:
        await asyncio.sleep(0)
        rest = [c for code, c in sorted(self._store.stock[pool_id].items()) if code > self._after]
        page = rest[:limit]
        ended = len(page) == len(rest)
        self._after = "" if ended else page[-1].code
        return page, ended


def replica(store: CountingStore, publisher: FakePublisher, seed: int) -> tuple[ClaimEngine, StockCandidates]:
    clock = lambda: NOW  # noqa: E731
    candidates = StockCandidates(
        OwnCursor(store),  # type: ignore[arg-type]
        clock,
        read_size=100,
        # The service's default; the clock stands still, so every re-read falls within it.
        # (At 0.0 these tests missed codes a skip hid behind a pool marked dry: session 9.)
        refill_interval=1.0,
        rng=random.Random(seed),
    )
    return ClaimEngine(store, publisher, candidates, clock), candidates


async def claim_batches(engine: ClaimEngine, label: str, batches: int, size: int) -> list[Answer]:
    answers: list[Answer] = []
    for b in range(batches):
        requests = [
            new_claim(f"{label}-{b}-{i}", POOL, f"{label}{b}x{i}@example.com", "test", "kafka") for i in range(size)
        ]
        for result in await engine.claim(requests):
            assert isinstance(result, Answer)
            answers.append(result)
    return answers


async def test_two_replicas_on_one_pool_lose_few_slot_inserts_and_still_hand_out_every_code_once() -> None:
    store = CountingStore()
    store.add_pool(POOL, [Coupon(f"C{n:04d}") for n in range(CODES)])
    publisher = FakePublisher()
    (first, _), (second, _) = replica(store, publisher, seed=1), replica(store, publisher, seed=2)
    # 20 more claims than codes: the last ones are rejected once both replicas tried everything.
    answers = [
        a
        for each in await asyncio.gather(claim_batches(first, "a", 31, 10), claim_batches(second, "b", 31, 10))
        for a in each
    ]
    codes = [a.outcome.code for a in answers if isinstance(a.outcome, Assignment)]
    assert sorted(codes) == sorted(f"C{n:04d}" for n in range(CODES))  # every code, none twice
    assert sum(isinstance(a.outcome, Rejection) for a in answers) == 20
    # Each collision costs about one batch of tries before the replica jumps ahead (88 here).
    # Shuffled reads (before session 6) lost one try per code: 600.
    assert store.slots_lost < CODES // 4


async def test_codes_skipped_in_a_pass_are_tried_in_the_next_before_the_pool_is_exhausted() -> None:
    store = CountingStore()
    store.add_pool(POOL, [Coupon(f"C{n:04d}") for n in range(10)])
    publisher = FakePublisher()
    engine, candidates = replica(store, publisher, seed=3)
    first = await claim_batches(engine, "a", 1, 1)
    assert isinstance(first[0].outcome, Assignment)
    # As if another replica had taken the next uses: the queue jumps past some codes.
    candidates.skip_ahead(POOL)
    answers = await claim_batches(engine, "b", 1, 10)
    codes = [a.outcome.code for a in answers if isinstance(a.outcome, Assignment)]
    assert len(codes) == 9  # the skipped codes came back with the next pass
    assert sum(isinstance(a.outcome, Rejection) for a in answers) == 1
    assert store.slots_lost == 0


class StaticStock:
    """A stock nothing leaves (the projector lags behind): passes in code order, ``limit`` a step."""

    def __init__(self, codes: list[str]) -> None:
        self.stock = {POOL: {code: Coupon(code) for code in codes}}
        self._cursor = OwnCursor(self)  # type: ignore[arg-type]

    async def read_stock(self, pool_id: str, limit: int) -> tuple[list[Coupon], bool]:
        return await self._cursor.read_stock(pool_id, limit)


class SkipThreeQuarters(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return 0.75


async def test_a_pass_that_adds_nothing_after_a_skip_is_not_the_end_of_the_pool() -> None:
    stock = StaticStock([f"C{n}" for n in range(6)])
    candidates = StockCandidates(stock, lambda: NOW, read_size=3, refill_interval=0.0, rng=SkipThreeQuarters())  # type: ignore[arg-type]
    first_pass = [await candidates.take(POOL, NOW) for _ in range(6)]
    assert [c.coupon.code for c in first_pass if c] == [f"C{n}" for n in range(6)]
    # Two new codes, read first in the next pass; the queue skips one of them.
    stock.stock[POOL] |= {"B0": Coupon("B0"), "B1": Coupon("B1")}
    second = await candidates.take(POOL, NOW)
    assert second is not None
    assert second.coupon.code == "B0"
    candidates.queue(POOL).give_back(second)
    candidates.skip_ahead(POOL)  # B0 skipped: the pass goes on past it
    third = await candidates.take(POOL, NOW)
    assert third is not None
    assert third.coupon.code == "B1"
    # The rest of this pass adds nothing (C0..C5 were all queued before), but B0 is in stock:
    # the next pass finds it instead of the pool reading as exhausted.
    last = await candidates.take(POOL, NOW)
    assert last is not None
    assert last.coupon.code == "B0"
    assert await candidates.take(POOL, NOW) is None
