"""Expiry bookkeeping: coupons are filed by the minute they expire, so a sweep knows when to look."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta


def expiry_bucket(at: datetime) -> str:
    """The end of the minute in which ``at`` falls (sortable text): once it has passed, all its coupons expired."""
    at = at.astimezone(UTC)
    end = at.replace(second=0, microsecond=0) + (timedelta(minutes=1) if (at.second or at.microsecond) else timedelta())
    return end.strftime("%Y-%m-%dT%H:%M")


def due_buckets(buckets: Iterable[str], now: datetime) -> list[str]:
    current = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    return sorted(b for b in buckets if b <= current)
