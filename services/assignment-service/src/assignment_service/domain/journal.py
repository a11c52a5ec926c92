"""The journal of open HTTP claims: time buckets that a janitor sweeps once they are old.

An HTTP claim is written as *open* in the bucket of its batch before its claim is
stored, and as *closed* there once its outcome is stored. Both are inserts, so a
bucket is never updated; a swept bucket is dropped whole. A claim open but not
closed in an old bucket lost its process (kill -9 between the slot and the
outcome, and a client that never retried): the janitor finishes it through the
claim engine, which answers finished claims from the store and publishes the
same event id again at worst.

Only one janitor sweeps a bucket at a time: it holds a lease, an insert of
``lease|<generation>`` in the bucket itself; an expired lease is followed by the
next generation.
"""

from dataclasses import dataclass
from datetime import datetime


def bucket_of(now: datetime, bucket_seconds: float) -> int:
    """The bucket's start, in whole seconds since the epoch."""
    return int(now.timestamp() // bucket_seconds * bucket_seconds)


def is_due(bucket: int, now: datetime, bucket_seconds: float, grace_seconds: float) -> bool:
    """A bucket is swept once its newest claim is older than the grace an owner gets to finish."""
    return bucket + bucket_seconds + grace_seconds <= now.timestamp()


@dataclass(frozen=True)
class JournalBucket:
    bucket: int
    opened: frozenset[str]
    closed: frozenset[str]
    # lease generation → until when its janitor holds the bucket
    leases: dict[int, datetime]

    def unfinished(self) -> list[str]:
        return sorted(self.opened - self.closed)

    def next_lease(self, now: datetime) -> int | None:
        """The generation of lease to take, or None while another janitor's lease runs."""
        if not self.leases:
            return 0
        latest = max(self.leases)
        return latest + 1 if self.leases[latest] <= now else None
