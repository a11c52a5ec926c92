"""ISO-8601 durations (``P30D``, ``PT12H``, ``P1Y2M``) for ``user_expiration``.

Years and months are calendar units: ``P1M`` from Jan 31 is Feb 28/29, as a
customer reading "valid for one month" would expect.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_PATTERN = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_MAX_COMPONENT = 100_000


@dataclass(frozen=True)
class IsoDuration:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: float = 0.0

    def after(self, start: datetime) -> datetime:
        """``start`` plus this duration."""
        month_index = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        shifted = start.replace(year=year, month=month, day=day)
        return shifted + timedelta(
            weeks=self.weeks, days=self.days, hours=self.hours, minutes=self.minutes, seconds=self.seconds
        )


def parse_duration(text: str) -> IsoDuration:
    """Parse an ISO-8601 duration; raise ValueError with a readable reason."""
    match = _PATTERN.match(text.strip().upper()) if len(text) <= 64 else None
    if match is None:
        raise ValueError(f"{text[:64]!r} is not an ISO-8601 duration such as P30D or PT12H")
    parts = {name: value for name, value in match.groupdict().items() if value is not None}
    if not parts or all(float(v) == 0 for v in parts.values()):
        raise ValueError("the duration must be longer than zero")
    if any(float(v) > _MAX_COMPONENT for v in parts.values()):
        raise ValueError("the duration is unreasonably long")
    seconds = float(parts.pop("seconds", 0))
    return IsoDuration(seconds=seconds, **{name: int(value) for name, value in parts.items()})
