"""The journal of open HTTP claims: time buckets, one per process, that a janitor sweeps once they are old.

An HTTP claim is written as *open* in its process's bucket for the batch's time
before its claim is stored. Once the bucket's time is over and every claim
journaled in it has its outcome stored, the process drops the bucket whole
(``OwnBuckets``): nothing in it is left to finish, and nothing had to be read.
A bucket that outlives that lost its process (kill -9 between the slot and the
outcome, and a client that never retried), or kept a claim open (a failed batch):
once it is due, a janitor finishes the claims opened there through the claim
engine, which answers finished claims from the store and publishes the same
event id again at worst, and then drops the bucket.

Only one janitor sweeps a bucket at a time: it holds a lease, an insert of
``lease|<generation>`` in the bucket itself; an expired lease is followed by the
next generation.

(Until session 11 a bucket was shared by all processes and each batch also wrote
a *closed* entry; the janitor read every bucket to find the open claims. Buckets
of that form, written by a replica of an older version, are still read.)
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime


def bucket_of(now: datetime, bucket_seconds: float) -> int:
    """The bucket's start, in whole seconds since the epoch."""
    return int(now.timestamp() // bucket_seconds * bucket_seconds)


def is_due(bucket: int, now: datetime, bucket_seconds: float, grace_seconds: float) -> bool:
    """A bucket is swept once its newest claim is older than the grace an owner gets to finish."""
    return bucket + bucket_seconds + grace_seconds <= now.timestamp()


@dataclass(frozen=True, order=True)
class JournalKey:
    """One process's bucket; ``owner`` is empty for a bucket shared in the form before session 11."""

    bucket: int
    owner: str


@dataclass(frozen=True)
class JournalBucket:
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


class OwnBuckets:
    """The buckets this process journals in, and which of them it may drop itself.

    A bucket is the process's to drop once its time is over and every batch journaled
    in it stored the outcomes of all its claims. A bucket with a claim left open (its
    batch failed, or the claim was deferred to another batch or process) is left to the
    janitors, which finish whatever is still open in it once it is due.
    """

    def __init__(self, bucket_seconds: float) -> None:
        self._bucket_seconds = bucket_seconds
        self._batches_open: Counter[int] = Counter()
        self._left_to_janitors: set[int] = set()

    def opened(self, bucket: int) -> None:
        self._batches_open[bucket] += 1

    def closed(self, bucket: int, *, all_finished: bool) -> None:
        self._batches_open[bucket] -= 1
        if not all_finished:
            self._left_to_janitors.add(bucket)

    def finished(self, now: datetime) -> list[int]:
        """The buckets to drop now; each is named once (and every bucket that is over is forgotten)."""
        over = [b for b, n in self._batches_open.items() if n == 0 and b + self._bucket_seconds <= now.timestamp()]
        for bucket in over:
            del self._batches_open[bucket]
        droppable = [b for b in over if b not in self._left_to_janitors]
        self._left_to_janitors.difference_update(over)
        return sorted(droppable)
