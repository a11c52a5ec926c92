"""The claim engine against in-memory fakes: the rules, repeats, crashes and replicas."""

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from assignment_service.domain.claim import Answer, ClaimRecord, Conflict, Deferred, new_record
from assignment_service.domain.model import (
    Assignment,
    Candidate,
    ClaimRequest,
    Coupon,
    InvalidClaimError,
    Outcome,
    Rejection,
    assign,
    new_claim,
    slot_id,
)
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.ports import FIRST_USE
from assignment_service.service_layer.stock import StockCandidates
from tests.unit.assignment_service.fakes import FakePublisher, FakeStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POOL = "a" * 32


def engine_on(store: FakeStore, publisher: FakePublisher | None = None, seed: int = 0) -> ClaimEngine:
    clock = lambda: NOW  # noqa: E731
    candidates = StockCandidates(store, clock, read_size=3, refill_interval=0.0, rng=random.Random(seed))
    return ClaimEngine(store, publisher or FakePublisher(), candidates, clock, resume_after=10.0)


def request(n: int, email: str | None = None, pool: str = POOL) -> ClaimRequest:
    return new_claim(f"req-{n}", pool, email or f"user{n}@example.com", "test", "kafka")


async def claim_one(engine: ClaimEngine, req: ClaimRequest) -> Answer:
    [result] = await engine.claim([req])
    assert isinstance(result, Answer)
    return result


async def test_a_claim_gets_the_coupon_with_its_message_and_user_expiry() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1", message="hi", user_expiration="P30D")])
    publisher = FakePublisher()
    answer = await claim_one(engine_on(store, publisher), request(1, "Mixed.Case@Example.com"))
    assert isinstance(answer.outcome, Assignment)
    assert (answer.outcome.code, answer.outcome.message, answer.outcome.email) == ("C1", "hi", "mixed.case@example.com")
    assert answer.outcome.user_expires_at == NOW + timedelta(days=30)
    assert answer.outcome.coupon_remaining == 0
    assert publisher.published == [answer.outcome]
    assert store.claims["req-1"].outcome == answer.outcome


async def test_invalid_emails_are_refused() -> None:
    with pytest.raises(InvalidClaimError):
        new_claim("r", POOL, "not-an-email", "test", "http")


async def test_the_same_email_gets_the_same_coupon_again() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1"), Coupon("C2")])
    engine = engine_on(store)
    first, second = await engine.claim([request(1, "a@example.com"), request(2, "A@example.com")])
    assert isinstance(first, Answer)
    assert isinstance(second, Answer)
    assert isinstance(first.outcome, Assignment)
    assert isinstance(second.outcome, Assignment)
    assert second.outcome.code == first.outcome.code
    assert second.existing
    assert second.outcome.request_id == "req-2"


async def test_a_use_given_back_by_a_second_claim_of_one_email_serves_the_next_email_of_the_batch() -> None:
    # req-1 and req-2 (one email) take uses 0 and 1, req-3 finds the queue empty. req-2 follows
    # req-1 and gives use 1 back: req-3 must get it, not be told the pool is exhausted.
    store = FakeStore()
    store.add_pool(POOL, [Coupon("TWICE", max_assignments=2)])
    results = await engine_on(store).claim([request(1, "same@example.com"), request(2, "same@example.com"), request(3)])
    outcomes = [r.outcome for r in results if isinstance(r, Answer)]
    assert [type(o) for o in outcomes] == [Assignment, Assignment, Assignment]
    assert [o.email for o in outcomes if isinstance(o, Assignment)] == ["same@example.com"] * 2 + ["user3@example.com"]
    assert len(store.slots) == 2


async def test_a_use_given_back_by_a_claim_another_process_is_finishing_serves_a_claim_that_found_none() -> None:
    # req-1 and req-2 lose their slots (C1, C2) to other requests. Retrying, req-1 takes C6, the
    # last use, and req-2 finds none; then req-1 loses the record of its attempt to another
    # process finishing it, and gives C6 back: req-2 must get it, not be told the pool is exhausted.
    store = FakeStore()
    store.add_pool(POOL, [Coupon(f"C{n}") for n in range(1, 7)])
    for n in (1, 2):
        store.slots[slot_id(POOL, f"C{n}", 0)] = assign(request(100 + n), Candidate(Coupon(f"C{n}"), 0), NOW)
    store.intents.add(("req-1", 1))
    engine = engine_on(store)
    results = await engine.claim([request(n) for n in range(1, 6)])
    assert isinstance(results[0], Deferred)
    second = results[1]
    assert isinstance(second, Answer)
    assert isinstance(second.outcome, Assignment)
    assert second.outcome.code == "C6"


async def test_a_replay_gives_the_same_answer_and_publishes_nothing_new() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1"), Coupon("C2")])
    publisher = FakePublisher()
    engine = engine_on(store, publisher)
    first = await claim_one(engine, request(1))
    again = await claim_one(engine, request(1))
    assert again.outcome == first.outcome
    assert again.replayed
    assert len(publisher.published) == 1


async def test_a_request_id_reused_for_another_claim_is_a_conflict() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1"), Coupon("C2")])
    engine = engine_on(store)
    await claim_one(engine, request(1, "a@example.com"))
    [result] = await engine.claim([request(1, "b@example.com")])
    assert isinstance(result, Conflict)


async def test_unknown_pools_and_empty_pools_are_rejected() -> None:
    store = FakeStore()
    store.add_pool(POOL, [])
    engine = engine_on(store)
    unknown = await claim_one(engine, request(1, pool="b" * 32))
    empty = await claim_one(engine, request(2))
    assert isinstance(unknown.outcome, Rejection)
    assert unknown.outcome.reason == "pool_not_found"
    assert isinstance(empty.outcome, Rejection)
    assert empty.outcome.reason == "pool_exhausted"


async def test_an_email_rejected_for_an_empty_pool_can_claim_after_a_restock() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1")])
    engine = engine_on(store)
    await claim_one(engine, request(1))
    rejected = await claim_one(engine, request(2))
    assert isinstance(rejected.outcome, Rejection)
    store.add_pool(POOL, [Coupon("C2")])
    later = await claim_one(engine, request(3, "user2@example.com"))
    assert isinstance(later.outcome, Assignment)
    assert later.outcome.code == "C2"


async def test_expired_coupons_are_never_handed_out() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("OLD", pool_expires_at=NOW), Coupon("NEW", pool_expires_at=NOW + timedelta(1))])
    engine = engine_on(store)
    first = await claim_one(engine, request(1))
    second = await claim_one(engine, request(2))
    assert isinstance(first.outcome, Assignment)
    assert first.outcome.code == "NEW"
    assert isinstance(second.outcome, Rejection)


async def test_a_reusable_code_is_handed_out_max_assignments_times() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("MULTI", max_assignments=3)])
    engine = engine_on(store)
    answers = await engine.claim([request(n) for n in range(5)])
    outcomes = [a.outcome for a in answers if isinstance(a, Answer)]
    assigned = [o for o in outcomes if isinstance(o, Assignment)]
    assert sorted(a.coupon_remaining or 0 for a in assigned) == [0, 1, 2]
    assert sum(isinstance(o, Rejection) for o in outcomes) == 2


async def test_an_unlimited_code_serves_every_email_once() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("ALL", max_assignments=None)])
    engine = engine_on(store)
    answers = await engine.claim([request(n) for n in range(20)])
    assert all(isinstance(a, Answer) and isinstance(a.outcome, Assignment) for a in answers)
    assert sum(isinstance(s, Assignment) for s in store.slots.values()) == 20
    # Slot 0 is the first-use marker taken before the first per-email use: it keeps removals out.
    assert store.slots[slot_id(POOL, "ALL", 0)] == FIRST_USE
    assert len(store.slots) == 21


async def test_a_retired_coupon_is_skipped() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("GONE", max_assignments=2), Coupon("KEPT", max_assignments=2)])
    engine = engine_on(store)
    await engine.claim([])  # nothing read yet
    store.stock[POOL]["GONE"] = Coupon("GONE", max_assignments=2)
    candidates_read = await claim_one(engine, request(1))
    assert isinstance(candidates_read.outcome, Assignment)
    retired = "KEPT" if candidates_read.outcome.code == "GONE" else "GONE"
    if retired == "GONE":
        assert store.retire(POOL, "GONE")
        answers = await engine.claim([request(n) for n in range(2, 5)])
        codes = [a.outcome.code for a in answers if isinstance(a, Answer) and isinstance(a.outcome, Assignment)]
        assert "GONE" not in codes


async def test_a_crashed_claim_is_resumed_with_the_use_it_already_took() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1"), Coupon("C2")])
    req = request(1)
    intent = Candidate(Coupon("C1"), 0)
    # The crashed process stored the claim, took the guard and the slot, then died before publishing.
    await store.insert_claims([new_record(req, NOW, intent)])
    await store.insert_guards([(f"{POOL}:{req.email}", req.request_id)])
    await store.insert_slots([(slot_id(POOL, "C1", 0), assign(req, intent, NOW))])
    publisher = FakePublisher()
    answer = await claim_one(engine_on(store, publisher), req)
    assert isinstance(answer.outcome, Assignment)
    assert answer.outcome.code == "C1"
    assert len(store.slots) == 1
    assert [o.request_id for o in publisher.published] == ["req-1"]


class CrashAfterPublish(FakePublisher):
    """The outcome events go out, then the process dies before storing them."""

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        await super().publish(outcomes)
        raise RuntimeError("killed after publishing")


async def test_a_claim_published_as_exhausted_is_resumed_to_the_same_answer_by_a_process_with_uses() -> None:
    # Process A finds the pool empty, publishes pool_exhausted and dies before storing it. The pool
    # is restocked (or another replica's queue has uses); process B resumes the claim. Had A not
    # recorded "no use" as the claim's attempt, B would assign a code: two outcome events for one request.
    store = FakeStore()
    store.add_pool(POOL)
    crashed = CrashAfterPublish()
    with pytest.raises(RuntimeError):
        await engine_on(store, crashed).claim([request(1)])
    store.add_pool(POOL, [Coupon("LATE")])
    resumer = FakePublisher()
    answer = await claim_one(engine_on(store, resumer, seed=1), request(1))
    assert isinstance(answer.outcome, Rejection)
    assert [(o.request_id, type(o)) for o in crashed.published + resumer.published] == [("req-1", Rejection)] * 2
    assert store.slots == {}


async def test_a_crashed_claim_whose_use_was_taken_by_another_takes_the_next() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1"), Coupon("C2")])
    req, other = request(1), request(2)
    await store.insert_claims([new_record(req, NOW, Candidate(Coupon("C1"), 0))])
    await store.insert_slots([(slot_id(POOL, "C1", 0), assign(other, Candidate(Coupon("C1"), 0), NOW))])
    answer = await claim_one(engine_on(store), req)
    assert isinstance(answer.outcome, Assignment)
    assert answer.outcome.code == "C2"


async def test_two_replicas_never_hand_out_a_code_twice() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon(f"C{n}") for n in range(30)])
    engines = [engine_on(store, seed=1), engine_on(store, seed=1)]
    batches = [[request(n) for n in range(k, 60, 4)] for k in range(4)]
    results = await asyncio.gather(*(engines[i % 2].claim(batch) for i, batch in enumerate(batches)))
    outcomes = [r.outcome for rs in results for r in rs if isinstance(r, Answer)]
    codes = [o.code for o in outcomes if isinstance(o, Assignment)]
    assert len(outcomes) == 60
    assert len(codes) == len(set(codes)) == 30


def test_claim_records_know_their_age() -> None:
    record = ClaimRecord(request(1), "fp", NOW)
    assert record.is_old(NOW + timedelta(seconds=11), 10)
    assert not record.is_old(NOW + timedelta(seconds=9), 10)


async def test_a_used_unlimited_coupon_cannot_be_retired() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("ALL", max_assignments=None)])
    await claim_one(engine_on(store), request(1))
    assert not store.retire(POOL, "ALL"), "slot 0 holds the first-use marker"


async def test_an_unlimited_coupon_retired_while_queued_is_never_handed_out() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("ALL", max_assignments=None), Coupon("K1"), Coupon("K2")])
    candidates = StockCandidates(store, lambda: NOW, refill_interval=60.0)
    engine = ClaimEngine(store, FakePublisher(), candidates, lambda: NOW)
    candidates.queue(POOL).add(store.stock[POOL].values())  # read before pool-service removed it
    assert store.retire(POOL, "ALL")
    answers = await engine.claim([request(n) for n in range(3)])
    outcomes = [a.outcome for a in answers if isinstance(a, Answer)]
    assert sorted(o.code for o in outcomes if isinstance(o, Assignment)) == ["K1", "K2"]
    assert [o.reason for o in outcomes if isinstance(o, Rejection)] == ["pool_exhausted"]
    assert store.slots[slot_id(POOL, "ALL", 0)] == "retired"


class FirstPublishWaits(FakePublisher):
    """Holds the first batch's outcomes until released, as a slow broker would."""

    def __init__(self) -> None:
        super().__init__()
        self.first_called = asyncio.Event()
        self.release = asyncio.Event()

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        if not self.first_called.is_set():
            self.first_called.set()
            await self.release.wait()
        await super().publish(outcomes)


async def test_a_batch_is_decided_while_the_one_before_publishes_and_its_repeats_wait() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1"), Coupon("C2")])
    publisher = FirstPublishWaits()
    engine = engine_on(store, publisher)
    first = asyncio.create_task(engine.claim([request(1)]))
    await publisher.first_called.wait()
    [second] = await engine.claim([request(2)])
    [repeat] = await engine.claim([request(1)])
    assert isinstance(second, Answer), "decided and published while the first batch was still publishing"
    assert isinstance(repeat, Deferred), "a repeat of a claim being published waits for it"
    publisher.release.set()
    [answer] = await first
    [replayed] = await engine.claim([request(1)])
    assert isinstance(answer, Answer)
    assert isinstance(replayed, Answer)
    assert replayed.replayed
    assert replayed.outcome == answer.outcome
    assert [o.request_id for o in publisher.published] == ["req-2", "req-1"]


async def test_a_conflicting_body_under_a_key_does_not_orphan_the_keys_waiting_claim() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1"), Coupon("C2")])
    holder = new_claim("holder", POOL, "a@example.com", "test", "http")
    intent = Candidate(Coupon("C1"), 0)
    # Another process holds a@'s guard and has not taken its slot yet.
    await store.insert_claims([new_record(holder, NOW, intent)])
    await store.insert_guards([(f"{POOL}:a@example.com", "holder")])
    engine = engine_on(store)
    mine = new_claim("req-1", POOL, "a@example.com", "test", "http")
    other_body = new_claim("req-1", POOL, "b@example.com", "test", "http")
    waiting, conflict = await engine.claim([mine, other_body])
    assert isinstance(waiting, Deferred)
    assert isinstance(conflict, Conflict)
    await store.insert_slots([(slot_id(POOL, "C1", 0), assign(holder, intent, NOW))])
    [answer] = await engine.claim([mine])
    assert isinstance(answer, Answer), "still this process's claim: finished at once, not after the resume age"
    assert isinstance(answer.outcome, Assignment)
    assert (answer.outcome.code, answer.existing) == ("C1", True)


class ClaimInsertFailingOnce(FakeStore):
    """The database goes away for one insert of claims (nothing of it written)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    async def insert_claims(self, records: Sequence[ClaimRecord]) -> list[bool]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database unreachable")
        return await super().insert_claims(records)


async def test_a_batch_that_failed_gives_back_the_uses_it_took() -> None:
    store = ClaimInsertFailingOnce()
    store.add_pool(POOL, [Coupon(f"C{n}") for n in range(3)])
    engine = engine_on(store)
    requests = [request(n) for n in range(3)]
    with pytest.raises(ConnectionError):
        await engine.claim(requests)
    # Retried (a Kafka redelivery, an HTTP client asking again): every code is still this process's to try.
    answers = await engine.claim(requests)
    assert sorted(a.outcome.code for a in answers if isinstance(a, Answer) and isinstance(a.outcome, Assignment)) == [
        "C0",
        "C1",
        "C2",
    ]
