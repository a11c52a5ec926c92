"""Hypothesis drives two engine replicas on one store and checks the claim rules against a model."""

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from assignment_service.domain.claim import Answer, Conflict, Result
from assignment_service.domain.model import Assignment, Coupon, Origin, Outcome, Rejection, new_claim
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.stock import StockCandidates
from tests.unit.assignment_service.fakes import FakePublisher, FakeStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POOLS = ("p" * 32, "q" * 32)
CODES = ("A", "B", "C", "D")
EMAILS = tuple(f"user{n}@example.com" for n in range(5))

claims_strategy = st.lists(
    st.tuples(st.sampled_from(POOLS), st.sampled_from(EMAILS), st.integers(0, 12)), min_size=1, max_size=6
)


class ClaimRules(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.store = FakeStore()
        for pool in POOLS:
            self.store.add_pool(pool)
        self.publishers = [FakePublisher(), FakePublisher()]
        self.engines = [self._engine(p, seed) for seed, p in enumerate(self.publishers)]
        self.coupons: dict[tuple[str, str], Coupon] = {}
        self.retired: set[tuple[str, str]] = set()
        self.answers: dict[str, list[Outcome]] = defaultdict(list)

    def _engine(self, publisher: FakePublisher, seed: int) -> ClaimEngine:
        clock = lambda: NOW  # noqa: E731
        candidates = StockCandidates(self.store, clock, read_size=2, refill_interval=0.0, rng=random.Random(seed))
        return ClaimEngine(self.store, publisher, candidates, clock)

    def teardown(self) -> None:
        self.loop.close()

    @rule(
        pool=st.sampled_from(POOLS),
        code=st.sampled_from(CODES),
        uses=st.sampled_from([1, 1, 2, 3, None]),
        expired=st.booleans(),
    )
    def add_coupon(self, pool: str, code: str, uses: int | None, expired: bool) -> None:
        if (pool, code) in self.coupons:
            return
        expires = NOW - timedelta(seconds=1) if expired else NOW + timedelta(days=1)
        coupon = Coupon(code, message=f"msg {code}", pool_expires_at=expires, max_assignments=uses)
        self.coupons[(pool, code)] = coupon
        self.store.add_pool(pool, [coupon])

    @rule(pool=st.sampled_from(POOLS), code=st.sampled_from(CODES))
    def retire_unassigned_coupon(self, pool: str, code: str) -> None:
        if (pool, code) in self.coupons and (pool, code) not in self.retired and self.store.retire(pool, code):
            self.retired.add((pool, code))

    @rule(first=claims_strategy, second=claims_strategy)
    def claim_on_two_replicas(self, first: list[tuple[str, str, int]], second: list[tuple[str, str, int]]) -> None:
        # Replica 0 owns the pools' Kafka partition; replica 1 serves HTTP claims.
        batches = [self._requests(first), self._requests(second)]
        results = self.loop.run_until_complete(self._decide_concurrently(batches))
        for batch, answers in zip(batches, results, strict=True):
            for (request_id, pool, email), result in zip(batch, answers, strict=True):
                self._check_answer(request_id, pool, email, result)

    async def _decide_concurrently(self, batches: list[list[tuple[str, str, str]]]) -> list[list[Result]]:
        kafka, http = batches
        return list(await asyncio.gather(self._decide(0, kafka, "kafka"), self._decide(1, http, "http")))

    def _requests(self, raw: list[tuple[str, str, int]]) -> list[tuple[str, str, str]]:
        return [(f"r{n}", pool, email) for pool, email, n in raw]

    async def _decide(self, replica: int, batch: list[tuple[str, str, str]], origin: Origin) -> list[Result]:
        engine = self.engines[replica]
        requests = [new_claim(rid, pool, email, "test", origin) for rid, pool, email in batch]
        results = await engine.claim(requests)
        for _ in range(50):  # deferred claims are asked again, as the claim service does
            if not any(r.__class__.__name__ == "Deferred" for r in results):
                break
            results = await engine.claim(requests)
        return results

    def _check_answer(self, request_id: str, pool: str, email: str, result: Result) -> None:
        # Whichever request stored its claim first owns the request_id; any other body conflicts.
        owner = self.store.claims[request_id].request
        if (owner.pool_id, owner.email) != (pool, email):
            assert isinstance(result, Conflict)
            return
        assert isinstance(result, Answer), result
        if self.answers[request_id]:
            assert result.outcome == self.answers[request_id][0], "a repeat must get the same answer"
        self.answers[request_id].append(result.outcome)
        if not result.replayed and isinstance(result.outcome, Rejection) and result.outcome.reason == "pool_exhausted":
            assert not self._email_holds(pool, email), "an email holding a coupon is never told 'exhausted'"

    def _email_holds(self, pool: str, email: str) -> bool:
        return any(a.pool_id == pool and a.email == email for a in self._assignments())

    def _assignments(self) -> list[Assignment]:
        return [a for a in self.store.slots.values() if isinstance(a, Assignment)]

    @invariant()
    def no_use_beyond_max_assignments(self) -> None:
        uses: dict[tuple[str, str], int] = defaultdict(int)
        for a in self._assignments():
            uses[(a.pool_id, a.code)] += 1
        for key, count in uses.items():
            limit = self.coupons[key].max_assignments
            assert limit is None or count <= limit, f"{key} used {count} times, max {limit}"

    @invariant()
    def one_coupon_per_email_per_pool(self) -> None:
        held: dict[tuple[str, str], set[str]] = defaultdict(set)
        for a in self._assignments():
            held[(a.pool_id, a.email)].add(a.code)
        for outcomes in self.answers.values():
            for o in outcomes:
                if isinstance(o, Assignment):
                    held[(o.pool_id, o.email)].add(o.code)
        assert all(len(codes) == 1 for codes in held.values()), held

    @invariant()
    def only_active_unretired_coupons_are_handed_out(self) -> None:
        for a in self._assignments():
            coupon = self.coupons[(a.pool_id, a.code)]
            assert coupon.is_active(NOW)
            assert a.message == coupon.message

    @invariant()
    def exactly_one_outcome_event_per_answered_request(self) -> None:
        published = [o.request_id for p in self.publishers for o in p.published]
        assert len(published) == len(set(published))
        assert set(published) == set(self.answers)


TestClaimRules = ClaimRules.TestCase
# Shrinking these machines takes minutes; the failing steps are printed unshrunk instead.
TestClaimRules.settings = settings(
    max_examples=100,
    stateful_step_count=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
