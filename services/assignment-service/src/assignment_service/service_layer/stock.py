"""Per-pool candidate queues, filled by unfiltered passes over ``stock.<pool_id>``."""

import random
from collections.abc import Callable
from datetime import datetime

from assignment_service.domain.candidates import CandidateQueue
from assignment_service.domain.model import Candidate
from assignment_service.service_layer.ports import ClaimStore


class StockCandidates:
    """Hands out coupon uses to try; reads more stock only when a pool's queue runs dry.

    An exhausted pool would otherwise re-read its stock on every claim, so a pass
    that ended without new coupons is repeated at most every ``refill_interval`` s.
    Each batch read is shuffled: replicas reading the same stock in the same
    order would otherwise collide on every slot.
    """

    def __init__(
        self,
        store: ClaimStore,
        clock: Callable[[], datetime],
        batch_size: int = 2000,
        refill_interval: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._batch_size = batch_size
        self._refill_interval = refill_interval
        self._rng = rng or random.Random()  # noqa: S311 - spreads replicas apart, not a secret
        self._queues: dict[str, CandidateQueue] = {}
        self._dry_since: dict[str, datetime] = {}

    def queue(self, pool_id: str) -> CandidateQueue:
        return self._queues.setdefault(pool_id, CandidateQueue())

    async def take(self, pool_id: str, now: datetime) -> Candidate | None:
        queue = self.queue(pool_id)
        candidate = queue.take(now)
        if candidate is None and await self._refill(pool_id, queue):
            candidate = queue.take(now)
        return candidate

    async def _refill(self, pool_id: str, queue: CandidateQueue) -> bool:
        dry_since = self._dry_since.get(pool_id)
        if dry_since is not None and (self._clock() - dry_since).total_seconds() < self._refill_interval:
            return False
        while True:
            coupons, ended = await self._store.read_stock(pool_id, self._batch_size)
            self._rng.shuffle(coupons)
            if queue.add(coupons):
                self._dry_since.pop(pool_id, None)
                return True
            if ended:
                self._dry_since[pool_id] = self._clock()
                return False
