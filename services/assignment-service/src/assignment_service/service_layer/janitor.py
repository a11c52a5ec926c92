"""The janitor: finishes HTTP claims whose process died and whose client never came back.

Every replica runs one. Each round it first drops its own engine's finished
buckets (the engine drops them after its batches too; this covers a process
that went idle). Then it lists the journal's buckets, and for each bucket old
enough that its claims' owner had ``grace`` seconds to finish — a bucket still
there then lost its process or kept a claim open — takes the bucket's lease,
finishes the claims opened there (a finished one is answered from the store; a
pending one is resumed with the use it recorded) through the claim engine, then
drops the bucket. The engine journals those claims again in its own current
bucket, so a claim that cannot be decided yet is swept again later instead of
being lost with the dropped bucket.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from assignment_service.domain.journal import JournalKey, is_due
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.ports import ClaimStore

log = logging.getLogger(__name__)


class Janitor:
    def __init__(
        self,
        store: ClaimStore,
        engine: ClaimEngine,
        clock: Callable[[], datetime],
        *,
        bucket_seconds: float,
        grace_seconds: float,
        lease_seconds: float = 60.0,
    ) -> None:
        self._store = store
        self._engine = engine
        self._clock = clock
        self._bucket_seconds = bucket_seconds
        self._grace_seconds = grace_seconds
        self._lease_seconds = lease_seconds

    async def sweep(self) -> int:
        """One round over the due buckets, oldest first; returns how many claims it had to finish."""
        await self._engine.drop_finished_journals()
        finished = 0
        for key in await self._store.journal_buckets():
            if not is_due(key.bucket, self._clock(), self._bucket_seconds, self._grace_seconds):
                break
            finished += await self._sweep_bucket(key)
        return finished

    async def _sweep_bucket(self, key: JournalKey) -> int:
        journal = await self._store.read_journal(key)
        now = self._clock()
        generation = journal.next_lease(now)
        if generation is None:
            return 0
        if not await self._store.lease_journal(key, generation, now + timedelta(seconds=self._lease_seconds)):
            return 0
        unfinished = journal.unfinished()
        records = await asyncio.gather(*(self._store.get_claim(rid) for rid in unfinished))
        pending = [r.request for r in records if r is not None and r.outcome is None]
        if pending:
            log.warning("janitor: finishing %d abandoned claims of bucket %s", len(pending), key)
            await self._engine.claim(pending)
        await self._store.drop_journal(key)
        return len(pending)

    async def run(self, interval: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                # A failed round (the database away for a moment) is retried next round; the journal keeps.
                log.exception("janitor round failed")
            await asyncio.sleep(interval)
