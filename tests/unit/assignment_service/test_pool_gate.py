"""The pool gate in the claim engine: opened before a pool's first slot; a closed one rejects the claim."""

from assignment_service.domain.claim import Answer
from assignment_service.domain.model import Assignment, Coupon, Rejection, email_guard_id, slot_id
from tests.unit.assignment_service.fakes import FakePublisher, FakeStore
from tests.unit.assignment_service.test_claim_engine import POOL, claim_one, engine_on, request

OTHER = "b" * 32


async def test_a_claim_for_a_pool_whose_gate_is_closed_is_rejected_without_taking_a_slot() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1")])
    assert store.close_gate(POOL)
    publisher = FakePublisher()
    answer = await claim_one(engine_on(store, publisher), request(1, "a@example.com"))
    assert isinstance(answer.outcome, Rejection)
    assert (answer.outcome.reason, answer.outcome.detail) == ("pool_not_found", "no such pool")
    assert store.slots == {}
    assert email_guard_id(POOL, "a@example.com") not in store.guards
    assert publisher.published == [answer.outcome]
    assert store.claims["req-1"].outcome == answer.outcome
    assert store.gates[POOL] == "closed"


async def test_a_claim_opens_the_gate_before_its_slot_so_a_later_delete_is_refused() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1")])
    answer = await claim_one(engine_on(store), request(1))
    assert isinstance(answer.outcome, Assignment)
    assert store.gates[POOL] == "open"
    assert not store.close_gate(POOL)


async def test_a_closed_gate_rejects_only_its_own_pool_claims_in_a_batch() -> None:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("C1")])
    store.add_pool(OTHER, [Coupon("D1")])
    assert store.close_gate(POOL)
    engine = engine_on(store)
    results = await engine.claim([request(1, pool=POOL), request(2, pool=OTHER)])
    outcomes = [r.outcome for r in results if isinstance(r, Answer)]
    assert [type(o) for o in outcomes] == [Rejection, Assignment]
    assert list(store.slots) == [slot_id(OTHER, "D1", 0)]


async def test_a_pool_without_coupons_keeps_its_gate_unsettled() -> None:
    # Exhausted claims take no slot: the pool can still be deleted.
    store = FakeStore()
    store.add_pool(POOL)
    answer = await claim_one(engine_on(store), request(1))
    assert isinstance(answer.outcome, Rejection)
    assert answer.outcome.reason == "pool_exhausted"
    assert POOL not in store.gates
    assert store.close_gate(POOL)
