"""Which coupon use a claim should try next, per pool, in memory.

The queue is only a guess: the unique slot insert decides. A lost insert means
the use was taken (by another replica, or retired by pool-service), and the
coupon's next use is already queued; nothing here has to be exact for the
guarantee to hold.
"""

import random
from collections import deque
from collections.abc import Iterable
from datetime import datetime

from assignment_service.domain.model import Candidate, Coupon


class CandidateQueue:
    def __init__(self) -> None:
        self._queue: deque[Candidate] = deque()
        # Codes ever loaded: a re-read of the stock only adds coupons not seen yet.
        self._seen: set[str] = set()

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, coupons: Iterable[Coupon]) -> int:
        added = 0
        for coupon in coupons:
            if coupon.code not in self._seen:
                self._seen.add(coupon.code)
                self._queue.append(Candidate(coupon, 0))
                added += 1
        return added

    def take(self, now: datetime) -> Candidate | None:
        """The next active use to try; the coupon's next use (if any) comes right after it.

        Unlimited coupons stay at the front: every email may have one use.
        """
        while self._queue:
            candidate = self._queue[0]
            coupon = candidate.coupon
            if not coupon.is_active(now):
                self._queue.popleft()
                continue
            if coupon.max_assignments is not None:
                self._queue.popleft()
                if candidate.n + 1 < coupon.max_assignments:
                    self._queue.appendleft(Candidate(coupon, candidate.n + 1))
            return candidate
        return None

    def skip_ahead(self, rng: random.Random) -> int:
        """Another process is taking the uses at the front: jump past a random share of them.

        Replicas read the same stock in the same order. Once one runs into the uses another
        has just taken, every try there would lose its slot insert, so it jumps ahead
        instead; the random share keeps two replicas that collide from jumping to the same
        place. The skipped codes are forgotten, not given up: a later pass of the stock
        queues again the ones still in stock. Unlimited coupons stay (each email has a use).
        Returns how many were skipped.
        """
        limited = [c for c in self._queue if c.coupon.max_assignments is not None]
        skipped = limited[: int(len(limited) * rng.uniform(0.25, 0.75))]
        skipped_ids = {id(c) for c in skipped}
        self._queue = deque(c for c in self._queue if id(c) not in skipped_ids)
        self._seen -= {c.coupon.code for c in skipped}
        return len(skipped)

    def give_back(self, candidate: Candidate) -> None:
        """A use that was not tried after all goes first next time."""
        if candidate.coupon.max_assignments is not None:
            self._queue.appendleft(candidate)

    def drop(self, code: str) -> None:
        """The coupon is gone (retired by pool-service, or one of its unlimited uses failed oddly)."""
        self._queue = deque(c for c in self._queue if c.coupon.code != code)
