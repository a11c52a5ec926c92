"""Per-pool candidate queues, filled by unfiltered passes over ``stock.<pool_id>``."""

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import datetime

from assignment_service.domain.candidates import CandidateQueue
from assignment_service.domain.model import Candidate
from assignment_service.service_layer.ports import ClaimStore

log = logging.getLogger(__name__)


class StockCandidates:
    """Hands out coupon uses to try; reads more stock before a pool's queue runs dry.

    A read of 2,000 stock documents takes about 0.1 s on FerretDB: read when the queue
    is empty, it held up every claim of the batches deciding (the HTTP p99). So the
    next read starts in the background once the queue holds fewer than ``keep_queued``
    uses, one read per pool at a time, and a take waits for it only when the queue is
    empty. The background read goes on, ``read_size`` documents at a time, until the
    queue holds ``keep_queued`` again: small reads keep FerretDB busy in short bursts,
    which the claims deciding meanwhile wait through (session 11: reads of 500 instead
    of 2,000 cut the p99 at 1,250 claims/s), and ``keep_queued`` as large as a batch
    lets a full Kafka batch find its uses queued.

    A read ahead only goes on with a pass; the next pass starts when the queue is
    empty. A new pass re-reads the whole stock to find codes imported or skipped
    since, so started early it re-read a pool near its end every ``refill_interval``
    s while the last ``keep_queued`` uses were claimed (session 11: 62 reads instead
    of 43 for one pass of 15,264 codes, and the p99 with them). An exhausted pool
    would otherwise re-read its stock on every claim, so a pass that ended without
    new coupons is repeated at most every ``refill_interval`` s.

    Uses are tried in stock order. Replicas read the same stock in the same order, so
    one that runs into uses another took skips ahead (``skip_ahead``) and the two then
    take different stretches. (Shuffling each read, as before session 6, made every
    replica try every code at random: with two replicas about half of all slot inserts
    lost, each costing a read and another round under the engine's lock.)
    """

    def __init__(
        self,
        store: ClaimStore,
        clock: Callable[[], datetime],
        *,
        read_size: int = 500,
        keep_queued: int | None = None,
        refill_interval: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._read_size = read_size
        # Half a read unless told: a read ahead then ends after one read, as a take needs no more.
        self._keep_queued = keep_queued if keep_queued is not None else max(1, read_size // 2)
        self._refill_interval = refill_interval
        self._rng = rng or random.Random()  # noqa: S311 - spreads replicas apart, not a secret
        # Pools whose queue skipped codes during the current pass of their stock.
        self._skipped_this_pass: set[str] = set()
        self._queues: dict[str, CandidateQueue] = {}
        self._dry_since: dict[str, datetime] = {}
        # Pools whose last read ended a pass: only a take that finds the queue empty starts the next.
        self._pass_ended: set[str] = set()
        # The one read of a pool's stock under way (its cursor must not be shared).
        self._reads: dict[str, asyncio.Task[bool]] = {}

    def queue(self, pool_id: str) -> CandidateQueue:
        return self._queues.setdefault(pool_id, CandidateQueue())

    async def take(self, pool_id: str, now: datetime) -> Candidate | None:
        queue = self.queue(pool_id)
        candidate = queue.take(now)
        if candidate is None and self._may_read(pool_id) and await self._read(pool_id, queue):
            candidate = queue.take(now)
        if candidate is not None and len(queue) < self._keep_queued and self._may_read_ahead(pool_id):
            self._read(pool_id, queue)  # read ahead; its result is seen through the queue
        return candidate

    def skip_ahead(self, pool_id: str) -> None:
        """Another process is taking the uses at the front of this pool's queue: jump past them."""
        if self.queue(pool_id).skip_ahead(self._rng):
            self._skipped_this_pass.add(pool_id)
            # A pass that found nothing new marks the pool dry even while its queue is full (the
            # read ahead); the codes just skipped are in stock again, so the next take may read.
            self._dry_since.pop(pool_id, None)

    def _may_read(self, pool_id: str) -> bool:
        dry_since = self._dry_since.get(pool_id)
        return dry_since is None or (self._clock() - dry_since).total_seconds() >= self._refill_interval

    def _may_read_ahead(self, pool_id: str) -> bool:
        return pool_id not in self._pass_ended and self._may_read(pool_id)

    def _read(self, pool_id: str, queue: CandidateQueue) -> "asyncio.Task[bool]":
        """The read of the pool's stock under way, or a new one."""
        if (task := self._reads.get(pool_id)) is None:
            task = asyncio.create_task(self._refill(pool_id, queue))
            self._reads[pool_id] = task
            task.add_done_callback(lambda done: self._read_done(pool_id, done))
        return task

    def _read_done(self, pool_id: str, task: "asyncio.Task[bool]") -> None:
        self._reads.pop(pool_id, None)
        if not task.cancelled() and (error := task.exception()) is not None:
            # A take waiting for it gets the error too; a read ahead is simply tried again later.
            log.warning("reading the stock of pool %s failed: %r", pool_id, error)

    async def _refill(self, pool_id: str, queue: CandidateQueue) -> bool:
        """Read until the queue holds ``keep_queued`` or a pass ends; True if it queued new uses."""
        added = False
        while True:
            self._pass_ended.discard(pool_id)
            coupons, ended = await self._store.read_stock(pool_id, self._read_size)
            # Codes skipped during a pass were read already; only the next pass can queue them again.
            skipped = ended and pool_id in self._skipped_this_pass
            if ended:
                self._skipped_this_pass.discard(pool_id)
                self._pass_ended.add(pool_id)
            if queue.add(coupons):
                self._dry_since.pop(pool_id, None)
                added = True
                if ended or len(queue) >= self._keep_queued:
                    return True
            elif ended and not skipped:
                self._dry_since[pool_id] = self._clock()
                return added
