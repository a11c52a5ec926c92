from datetime import UTC, datetime, timedelta

import pytest

from coupon_shared.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("P30D", timedelta(days=30)),
        ("PT12H", timedelta(hours=12)),
        ("P1W", timedelta(weeks=1)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT0.5S", timedelta(seconds=0.5)),
    ],
)
def test_durations_add_to_a_start(text: str, delta: timedelta) -> None:
    start = datetime(2026, 1, 10, tzinfo=UTC)
    assert parse_duration(text).after(start) == start + delta


def test_months_are_calendar_months_clamped_to_the_month_end() -> None:
    assert parse_duration("P1M").after(datetime(2026, 1, 31, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert parse_duration("P1Y").after(datetime(2024, 2, 29, tzinfo=UTC)) == datetime(2025, 2, 28, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "P", "PT", "30D", "P-1D", "P1.5D", "PT1H2D", "P0D", "thirty days", "P999999D"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"ISO-8601|zero|unreasonably"):
        parse_duration(text)
