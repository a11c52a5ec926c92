from datetime import UTC, datetime

from pool_service.domain.counts import PoolCounts
from pool_service.domain.expiry import due_buckets, expiry_bucket
from pool_service.domain.history import csv_cells, matches_history, page_of, spreadsheet_safe


def test_counts_follow_events() -> None:
    counts = PoolCounts().added(3).assigned_one(exhausted_coupon=True).assigned_one(exhausted_coupon=False)
    counts = counts.expired_now(1).removed(1)
    assert counts == PoolCounts(active=0, assigned=2, expired=1, total=2)


def test_counts_are_never_shown_negative() -> None:
    assert PoolCounts().assigned_one(exhausted_coupon=True).shown() == PoolCounts(active=0, assigned=1)


def test_formula_like_values_are_prefixed() -> None:
    for value in ["=SUM(A1)", "+1", "-1", "@x", "\tx", "\rx"]:
        assert spreadsheet_safe(value) == "'" + value
    assert spreadsheet_safe("plain") == "plain"
    assert csv_cells("=C", "a@b.c", "web", "2026-01-01T00:00:00+00:00")[0] == "'=C"


def test_history_search_matches_email_or_code() -> None:
    assert matches_history("CODE1", "Ann@Example.com", "ann@")
    assert matches_history("CODE1", "ann@example.com", "ode1")
    assert not matches_history("CODE1", "ann@example.com", "bob")


def test_history_pages() -> None:
    assert [page_of(s) for s in (1, 100, 101)] == [0, 0, 1]


def test_expiry_buckets_are_due_once_their_minute_has_passed() -> None:
    at = datetime(2030, 1, 1, 10, 0, 30, tzinfo=UTC)
    bucket = expiry_bucket(at)
    assert bucket == "2030-01-01T10:01"
    assert due_buckets([bucket], datetime(2030, 1, 1, 10, 0, 59, tzinfo=UTC)) == []
    assert due_buckets([bucket], datetime(2030, 1, 1, 10, 1, tzinfo=UTC)) == [bucket]
    assert expiry_bucket(datetime(2030, 1, 1, 10, 0, tzinfo=UTC)) == "2030-01-01T10:00"
