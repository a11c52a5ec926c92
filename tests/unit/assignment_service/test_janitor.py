"""The janitor and the journal of HTTP claims, against in-memory fakes."""

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from assignment_service.domain.claim import Answer, Deferred, new_record
from assignment_service.domain.journal import JournalBucket, OwnBuckets, bucket_of, is_due
from assignment_service.domain.model import (
    Assignment,
    Candidate,
    ClaimRequest,
    Coupon,
    Outcome,
    assign,
    new_claim,
    slot_id,
)
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.janitor import Janitor
from assignment_service.service_layer.stock import StockCandidates
from tests.unit.assignment_service.fakes import FakePublisher, FakeStore

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POOL = "a" * 32
BUCKET, GRACE = 5.0, 10.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class DiesBeforePublishing(FakePublisher):
    """The process is killed after its slots were stored, before the outcome is out."""

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        raise SystemExit("killed")


def replica(store: FakeStore, clock: Clock, publisher: FakePublisher, seed: int = 0) -> tuple[ClaimEngine, Janitor]:
    candidates = StockCandidates(store, clock, refill_interval=0.0, rng=random.Random(seed))
    engine = ClaimEngine(store, publisher, candidates, clock, resume_after=GRACE, journal_bucket_seconds=BUCKET)
    return engine, Janitor(store, engine, clock, bucket_seconds=BUCKET, grace_seconds=GRACE)


def http_claim(n: int) -> ClaimRequest:
    return new_claim(f"http-{n}", POOL, f"user{n}@example.com", "web", "http")


async def abandoned_claims(store: FakeStore, clock: Clock, count: int) -> None:
    """HTTP claims whose replica died after winning their slots; their clients never retry."""
    dead, _ = replica(store, clock, DiesBeforePublishing())
    with pytest.raises(SystemExit):
        await dead.claim([http_claim(n) for n in range(count)])


async def test_an_abandoned_http_claim_is_finished_once_its_bucket_is_due() -> None:
    store, clock, publisher = FakeStore(), Clock(), FakePublisher()
    store.add_pool(POOL, [Coupon(f"C{n}") for n in range(5)])
    await abandoned_claims(store, clock, 2)
    held = {s.request_id: s.code for s in store.slots.values() if isinstance(s, Assignment)}
    assert set(held) == {"http-0", "http-1"}
    _, janitor = replica(store, clock, publisher)

    clock.advance(GRACE)  # the bucket is not over by GRACE yet
    assert await janitor.sweep() == 0
    assert publisher.published == []

    clock.advance(BUCKET)
    assert await janitor.sweep() == 2
    assert {o.request_id: o.code for o in publisher.published if isinstance(o, Assignment)} == held
    assert len(publisher.published) == 2
    assert {s.request_id for s in store.slots.values() if isinstance(s, Assignment)} == set(held), "no use wasted"

    clock.advance(BUCKET + GRACE)
    assert await janitor.sweep() == 0, "the janitor's engine dropped the bucket it journaled them in again"
    assert len(publisher.published) == 2
    assert store.journal == {}


async def test_finished_http_claims_leave_nothing_for_the_janitor() -> None:
    store, clock, publisher = FakeStore(), Clock(), FakePublisher()
    store.add_pool(POOL, [Coupon("C1")])
    engine, janitor = replica(store, clock, publisher)
    answers = await engine.claim([http_claim(1), http_claim(2)])
    assert all(isinstance(a, Answer) for a in answers)
    [first] = store.journal  # kept while its time runs: another batch may still journal there
    clock.advance(BUCKET)
    await engine.claim([http_claim(3)])  # the next batch drops the finished bucket
    [running] = store.journal
    assert running != first
    assert running.bucket == bucket_of(clock(), BUCKET)
    clock.advance(BUCKET)
    assert await janitor.sweep() == 0  # a process gone idle: its own janitor drops its last bucket
    assert store.journal == {}
    assert store.journal_reads == 0, "no bucket had to be read"
    assert len(publisher.published) == 3


class FailsOnce(FakePublisher):
    """Kafka away for one batch: the claim's outcome is decided and stored, not published."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("broker away")
        await super().publish(outcomes)


async def test_a_bucket_with_a_claim_left_open_is_left_to_the_janitor() -> None:
    store, clock, publisher = FakeStore(), Clock(), FailsOnce()
    store.add_pool(POOL, [Coupon(f"C{n}") for n in range(3)])
    engine, janitor = replica(store, clock, publisher)
    with pytest.raises(RuntimeError):
        await engine.claim([http_claim(1)])
    [left_open] = store.journal
    clock.advance(BUCKET)
    await engine.claim([http_claim(2)])
    assert left_open in store.journal, "its owner did not drop it"
    clock.advance(GRACE)
    assert await janitor.sweep() == 1
    assert [o.request_id for o in publisher.published] == ["http-2", "http-1"]
    clock.advance(BUCKET)
    assert await janitor.sweep() == 0
    assert store.journal == {}


def test_a_process_drops_a_bucket_once_its_time_is_over_and_every_batch_in_it_finished() -> None:
    buckets = OwnBuckets(BUCKET)
    bucket = bucket_of(START, BUCKET)
    over = START + timedelta(seconds=BUCKET)
    buckets.opened(bucket)
    buckets.opened(bucket)
    buckets.closed(bucket, all_finished=True)
    assert buckets.finished(over) == []  # a batch is still open in it
    buckets.closed(bucket, all_finished=True)
    assert buckets.finished(over - timedelta(seconds=1)) == []  # a batch may still journal in it
    assert buckets.finished(over) == [bucket]
    assert buckets.finished(over) == [], "named once"
    buckets.opened(bucket + 5)
    buckets.closed(bucket + 5, all_finished=False)
    assert buckets.finished(over + timedelta(seconds=BUCKET)) == [], "left to the janitors"


async def test_two_janitors_sweep_a_bucket_once() -> None:
    store, clock = FakeStore(), Clock()
    store.add_pool(POOL, [Coupon(f"C{n}") for n in range(5)])
    await abandoned_claims(store, clock, 3)
    clock.advance(BUCKET + GRACE)
    publishers = [FakePublisher(), FakePublisher()]
    janitors = [replica(store, clock, p)[1] for p in publishers]
    finished = await asyncio.gather(*(j.sweep() for j in janitors))
    assert sorted(finished) == [0, 3]
    assert sum(len(p.published) for p in publishers) == 3


async def test_a_janitor_that_died_mid_sweep_is_followed_once_its_lease_ends() -> None:
    store, clock, publisher = FakeStore(), Clock(), FakePublisher()
    store.add_pool(POOL, [Coupon("C1")])
    await abandoned_claims(store, clock, 1)
    clock.advance(BUCKET + GRACE)
    [bucket] = store.journal
    assert await store.lease_journal(bucket, 0, clock() + timedelta(seconds=60))  # then it died
    _, janitor = replica(store, clock, publisher)
    assert await janitor.sweep() == 0
    clock.advance(61)
    assert await janitor.sweep() == 1
    assert [o.request_id for o in publisher.published] == ["http-0"]


async def test_a_late_owner_and_a_janitor_finishing_one_claim_agree_on_its_coupon() -> None:
    store, clock = FakeStore(), Clock()
    store.add_pool(POOL, [Coupon(f"C{n}") for n in range(6)])
    req, other = http_claim(1), http_claim(2)
    # The claim intended C0, which another claim took: whoever finishes it must pick a new use.
    await store.insert_claims([new_record(req, clock(), Candidate(Coupon("C0"), 0))])
    await store.insert_slots([(slot_id(POOL, "C0", 0), assign(other, Candidate(Coupon("C0"), 0), clock()))])
    clock.advance(GRACE)
    publishers = [FakePublisher(), FakePublisher()]
    # Stock read in different orders, as on two replicas: each would pick another use.
    engines = [replica(store, clock, p, seed)[0] for seed, p in enumerate(publishers)]
    results = await asyncio.gather(*(e.claim([req]) for e in engines))
    answers = [r for [r] in results if isinstance(r, Answer)]
    assert answers, "one of them finished it"
    assert all(isinstance(r, Answer | Deferred) for [r] in results)
    codes = {a.outcome.code for a in answers if isinstance(a.outcome, Assignment)}
    published = {o.code for p in publishers for o in p.published if isinstance(o, Assignment)}
    held = [s for s in store.slots.values() if isinstance(s, Assignment) and s.request_id == req.request_id]
    assert len(held) == 1, "one use for the claim, none wasted"
    assert codes == published == {held[0].code}


def test_buckets_are_due_once_their_last_claim_is_older_than_the_grace() -> None:
    bucket = bucket_of(START + timedelta(seconds=3), BUCKET)
    assert bucket == int(START.timestamp())
    assert not is_due(bucket, START + timedelta(seconds=BUCKET + GRACE - 1), BUCKET, GRACE)
    assert is_due(bucket, START + timedelta(seconds=BUCKET + GRACE), BUCKET, GRACE)


def test_a_running_lease_keeps_other_janitors_out() -> None:
    journal = JournalBucket(frozenset({"a", "b"}), frozenset({"a"}), {0: START, 1: START + timedelta(seconds=5)})
    assert journal.unfinished() == ["b"]
    assert journal.next_lease(START) is None
    assert journal.next_lease(START + timedelta(seconds=5)) == 2
    assert JournalBucket(frozenset(), frozenset(), {}).next_lease(START) == 0
