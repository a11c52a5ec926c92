"""The usage rate: assignments per day over a trailing window.

Formula (also in ARCHITECTURE.md): assignments are counted in hourly buckets by
their ``assigned_at`` (never later than now). At time ``now``

    usage_per_day = assignments in the last ``window`` hours
                    / clamp(days since the first counted assignment, 1, window in days)

Dividing by the observed span rather than always by the whole window keeps a
young pool's rate honest (20 assignments in its first day is 20/day, not 20/7),
and the floor of one day stops a burst in the first minutes from being
extrapolated to a whole day's worth many times over.
"""

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DEFAULT_WINDOW_HOURS = 7 * 24


def hour_of(moment: datetime) -> int:
    return int(moment.timestamp() // 3600)


class UsageWindow(BaseModel):
    """Hourly assignment counts; ``counts[i]`` is the hour ``first_hour + i``."""

    first_hour: int | None = None
    counts: list[int] = Field(default_factory=list)
    # When the first assignment still counted was made: the start of the observed span.
    since: datetime | None = None

    def record(self, assigned_at: datetime, now: datetime, window_hours: int = DEFAULT_WINDOW_HOURS) -> None:
        at = min(assigned_at, now)
        self._prune(hour_of(now), window_hours)
        hour = max(hour_of(at), hour_of(now) - window_hours + 1)
        if self.first_hour is None:
            self.first_hour = hour
        if hour < self.first_hour:
            # A late event from before the oldest bucket but still inside the window.
            self.counts[:0] = [0] * (self.first_hour - hour)
            self.first_hour = hour
        index = hour - self.first_hour
        if index >= len(self.counts):
            self.counts.extend([0] * (index + 1 - len(self.counts)))
        self.counts[index] += 1
        if self.since is None or at < self.since:
            self.since = at

    def per_day(self, now: datetime, window_hours: int = DEFAULT_WINDOW_HOURS) -> float:
        if self.first_hour is None or self.since is None:
            return 0.0
        oldest = hour_of(now) - window_hours + 1
        total = sum(count for i, count in enumerate(self.counts) if self.first_hour + i >= oldest)
        if total == 0:
            return 0.0
        window_days = window_hours / 24
        span_days = (now - max(self.since, _start_of_hour(oldest))) / DAY
        return total / min(max(span_days, 1.0), window_days)

    def _prune(self, now_hour: int, window_hours: int) -> None:
        if self.first_hour is None:
            return
        oldest = now_hour - window_hours + 1
        drop = oldest - self.first_hour
        if drop <= 0:
            return
        del self.counts[:drop]
        self.first_hour = oldest
        if not self.counts:
            self.first_hour, self.since = None, None
        elif self.since is not None:
            self.since = max(self.since, _start_of_hour(oldest))


def _start_of_hour(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, UTC)
