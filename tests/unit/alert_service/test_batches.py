"""A batch of one pool's records applied together gives what one-at-a-time gives."""

from alert_service.domain.clock import FakeClock
from alert_service.service_layer.pool_events import PoolRecord, apply_event, apply_events
from coupon_shared import topics
from tests.unit.alert_service import builders as b


def stocked_records(pool_id: str, stock: int, threshold: int) -> list[PoolRecord]:
    return [
        PoolRecord(b.pool_created(pool_id, name="batch", enabled=True, threshold=threshold), topics.INVENTORY, 1),
        PoolRecord(b.coupons_added(pool_id, stock), topics.INVENTORY, 2),
    ]


def assignments(pool_id: str, count: int, first_offset: int) -> list[PoolRecord]:
    return [
        PoolRecord(b.coupon_assigned(pool_id, remaining=0), topics.ASSIGNED, first_offset + i) for i in range(count)
    ]


def test_a_batch_raises_the_alerts_of_each_crossing_inside_it() -> None:
    clock = FakeClock(b.T0)
    pool_id = b.new_pool_id()
    records = stocked_records(pool_id, stock=5, threshold=2) + assignments(pool_id, 5, first_offset=10)

    batched = apply_events(None, records, clock.now())

    one_by_one = None
    alerts = []
    for record in records:
        step = apply_event(one_by_one, record.event, record.topic, record.offset, clock.now())
        one_by_one = step.state
        alerts += step.alerts
    assert [a.kind for a in batched.alerts] == [a.kind for a in alerts]
    assert [a.active for a in batched.alerts] == [a.active for a in alerts]
    assert "low_stock" in [a.kind for a in batched.alerts]
    assert batched.alerts[-1].kind == "depleted"
    assert one_by_one is not None
    assert batched.state.model_dump() == one_by_one.model_dump()
    assert not batched.duplicate


def test_a_batch_redelivered_after_a_crash_changes_nothing() -> None:
    clock = FakeClock(b.T0)
    pool_id = b.new_pool_id()
    records = stocked_records(pool_id, stock=3, threshold=0) + assignments(pool_id, 3, first_offset=4)
    first = apply_events(None, records, clock.now())
    before = first.state.model_dump()

    again = apply_events(first.state, records, clock.now())

    assert again.duplicate
    assert again.alerts == []
    assert again.state.model_dump() == before


def test_a_batch_with_some_new_records_applies_only_those() -> None:
    clock = FakeClock(b.T0)
    pool_id = b.new_pool_id()
    stocked = apply_events(None, stocked_records(pool_id, stock=4, threshold=0), clock.now())
    seen = assignments(pool_id, 2, first_offset=1)
    after_seen = apply_events(stocked.state, seen, clock.now())

    mixed = apply_events(after_seen.state, seen + assignments(pool_id, 1, first_offset=3), clock.now())

    assert not mixed.duplicate
    assert mixed.state.active == 1
