"""Alert rules through the service layer's apply_event, with a simulated clock."""

import logging
from datetime import timedelta

import pytest

from alert_service.domain.alerts import alert_id_for
from alert_service.domain.clock import FakeClock
from alert_service.domain.pool_state import PoolState
from alert_service.service_layer.pool_events import MAX_THRESHOLD, Applied, apply_event, to_pool_alert
from coupon_shared import topics
from coupon_shared.events import CouponAssigned, _Event
from tests.unit.alert_service import builders as b


class PoolFeed:
    """Feeds events to one pool's state the way the agent does, counting offsets per topic."""

    def __init__(self, clock: FakeClock) -> None:
        self.pool_id = b.new_pool_id()
        self.clock = clock
        self.state: PoolState | None = None
        self.offsets = {topics.ASSIGNED: 0, topics.INVENTORY: 0}
        self.raised: list[str] = []

    def send(self, event: _Event) -> Applied:
        topic = topics.ASSIGNED if isinstance(event, CouponAssigned) else topics.INVENTORY
        self.offsets[topic] += 1
        applied = apply_event(self.state, event, topic, self.offsets[topic], self.clock.now())  # type: ignore[arg-type]
        self.state = applied.state
        self.raised += [alert.kind for alert in applied.alerts]
        return applied

    def of_kind(self, kind: str) -> list[str]:
        return [raised for raised in self.raised if raised == kind]

    def assign(self, count: int = 1, remaining: int | None = 0) -> None:
        for _ in range(count):
            self.send(b.coupon_assigned(self.pool_id, remaining=remaining, assigned_at=self.clock.now()))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(b.T0)


@pytest.fixture
def pool(clock: FakeClock) -> PoolFeed:
    return PoolFeed(clock)


def alerting_pool(pool: PoolFeed, stock: int, threshold: int = 0) -> PoolFeed:
    pool.send(b.pool_created(pool.pool_id, name="welcome"))
    pool.send(b.pool_updated(pool.pool_id, name="welcome", enabled=True, threshold=threshold))
    pool.send(b.coupons_added(pool.pool_id, stock))
    return pool


def test_last_coupon_assigned_raises_depleted_once(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=1)
    pool.assign(remaining=0)
    pool.send(b.coupons_expired(pool.pool_id, 0))
    assert pool.raised == ["depleted"]


def test_a_new_empty_pool_is_not_depleted(pool: PoolFeed) -> None:
    pool.send(b.pool_created(pool.pool_id, enabled=True))
    pool.send(b.pool_updated(pool.pool_id, enabled=True, threshold=5))
    assert pool.raised == []


def test_reusable_codes_do_not_lower_active_until_exhausted(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=1)
    pool.assign(count=3, remaining=None)
    pool.assign(count=2, remaining=4)
    assert pool.state is not None
    assert pool.state.active == 1
    assert "depleted" not in pool.raised


def test_low_stock_fires_once_per_crossing_and_rearms_on_restock(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=12, threshold=10)
    pool.assign(count=5)  # 11, 10 (fires), 9, 8, 7
    assert pool.of_kind("low_stock") == ["low_stock"]
    pool.send(b.coupons_added(pool.pool_id, 2))  # 9: still low, not re-armed
    pool.assign()
    assert pool.of_kind("low_stock") == ["low_stock"]
    pool.send(b.coupons_added(pool.pool_id, 20))  # 28: past the threshold, re-armed
    pool.assign(count=18)
    assert pool.of_kind("low_stock") == ["low_stock", "low_stock"]


def test_alert_ids_follow_pool_kind_and_crossing(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=1)
    pool.assign()
    first = pool.state
    pool.send(b.coupons_added(pool.pool_id, 1))
    applied_alerts = []
    applied = pool.send(b.coupon_assigned(pool.pool_id, remaining=0, assigned_at=pool.clock.now()))
    applied_alerts = applied.alerts
    assert first is not None
    assert [a.alert_id for a in applied_alerts] == [alert_id_for(pool.pool_id, "depleted", 2)]
    event = to_pool_alert(applied_alerts[0])
    assert event.event_id == to_pool_alert(applied_alerts[0]).event_id


def test_reaching_zero_raises_only_depleted(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=50, threshold=10)
    pool.send(b.coupons_expired(pool.pool_id, 50))
    assert pool.raised == ["depleted"]
    pool.send(b.coupons_added(pool.pool_id, 5))  # restocked, still under the threshold
    assert pool.raised == ["depleted"]


def test_stock_level_snapshot_is_authoritative(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=100, threshold=10)
    pool.send(b.stock_level(pool.pool_id, 8))
    assert pool.raised == ["low_stock"]
    pool.send(b.stock_level(pool.pool_id, 50))
    pool.send(b.stock_level(pool.pool_id, 10))
    assert pool.raised == ["low_stock", "low_stock"]
    assert pool.state is not None
    assert pool.state.active == 10


def test_removed_coupons_count_down(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=3, threshold=1)
    pool.send(b.coupons_removed(pool.pool_id, 2))
    assert pool.raised == ["low_stock"]


def test_disabled_pools_stay_silent_until_enabled(pool: PoolFeed) -> None:
    pool.send(b.pool_created(pool.pool_id))
    pool.send(b.coupons_added(pool.pool_id, 3))
    pool.send(b.pool_updated(pool.pool_id, enabled=False, threshold=2))
    pool.assign()
    assert pool.raised == []
    # Settings take effect on the next event: the pool is already low.
    pool.send(b.pool_updated(pool.pool_id, enabled=True, threshold=2))
    # At one assignment a day, 2 left also runs out within 7 days.
    assert pool.raised == ["low_stock", "runout_projected"]


def test_deleted_pool_raises_nothing(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=1)
    pool.send(b.pool_deleted(pool.pool_id))
    pool.assign()
    assert pool.raised == []


def test_runout_projected_five_days_out_at_twenty_a_day(pool: PoolFeed, clock: FakeClock) -> None:
    alerting_pool(pool, stock=1000)
    for _day in range(3):  # three simulated days at 20 a day
        for _ in range(20):
            pool.assign()
            clock.advance(timedelta(days=1) / 20)
    assert pool.raised == []
    applied = pool.send(b.stock_level(pool.pool_id, 100))
    assert [a.kind for a in applied.alerts] == ["runout_projected"]
    alert = to_pool_alert(applied.alerts[0]).data
    assert alert.usage_per_day == pytest.approx(20.0)
    assert alert.projected_runout_at == clock.now() + timedelta(days=5)
    assert alert.active == 100


def test_runout_does_not_flap_when_the_rate_wobbles(pool: PoolFeed, clock: FakeClock) -> None:
    alerting_pool(pool, stock=150)
    for _ in range(22):  # 128 left at 22/day: 5.8 days
        pool.assign()
        clock.advance(timedelta(hours=1))
    assert pool.raised.count("runout_projected") == 1
    clock.advance(timedelta(days=1))  # rate halves, projection passes 7 days
    pool.assign(count=3)
    assert pool.raised.count("runout_projected") == 1


def test_redelivered_record_changes_nothing(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=1)
    assigned = b.coupon_assigned(pool.pool_id, remaining=0)
    first = apply_event(pool.state, assigned, topics.ASSIGNED, 7, pool.clock.now())
    again = apply_event(first.state, assigned, topics.ASSIGNED, 7, pool.clock.now())
    assert [a.kind for a in first.alerts] == ["depleted"]
    assert again.duplicate
    assert again.alerts == []
    assert again.state.active == 0


def test_republished_event_at_a_new_offset_is_dropped(pool: PoolFeed) -> None:
    alerting_pool(pool, stock=5)
    added = b.coupons_added(pool.pool_id, 5)
    pool.send(added)
    pool.send(added)
    assert pool.state is not None
    assert pool.state.active == 10


def test_absurd_threshold_is_clamped_and_logged(pool: PoolFeed, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        pool.send(b.pool_updated(pool.pool_id, enabled=True, threshold=10**12))
    assert pool.state is not None
    assert pool.state.threshold == MAX_THRESHOLD
    assert "clamped" in caplog.text
