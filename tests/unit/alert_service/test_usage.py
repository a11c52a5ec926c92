from datetime import timedelta

import pytest

from alert_service.domain.usage import UsageWindow
from tests.unit.alert_service.builders import T0


def record_per_day(window: UsageWindow, per_day: int, days: int) -> None:
    step = timedelta(days=1) / per_day
    for i in range(per_day * days):
        at = T0 + step * i
        window.record(at, now=at)


def test_no_assignments_means_no_usage() -> None:
    assert UsageWindow().per_day(T0) == 0.0


def test_rate_over_the_observed_span() -> None:
    window = UsageWindow()
    record_per_day(window, per_day=20, days=3)
    assert window.per_day(T0 + timedelta(days=3)) == pytest.approx(20.0)


def test_a_first_burst_counts_as_at_most_one_day() -> None:
    window = UsageWindow()
    for minute in range(10):
        window.record(T0 + timedelta(minutes=minute), now=T0 + timedelta(minutes=minute))
    assert window.per_day(T0 + timedelta(minutes=10)) == pytest.approx(10.0)


def test_old_assignments_leave_the_seven_day_window() -> None:
    window = UsageWindow()
    record_per_day(window, per_day=10, days=3)
    later = T0 + timedelta(days=12)
    window.record(later, now=later)
    assert window.per_day(later) == pytest.approx(1.0)
    assert len(window.counts) == 1


def test_steady_usage_over_more_than_the_window() -> None:
    window = UsageWindow()
    record_per_day(window, per_day=24, days=10)
    assert window.per_day(T0 + timedelta(days=10)) == pytest.approx(24.0, rel=0.01)


def test_an_assignment_dated_in_the_future_counts_now() -> None:
    window = UsageWindow()
    window.record(T0 + timedelta(days=2), now=T0)
    assert window.since == T0
