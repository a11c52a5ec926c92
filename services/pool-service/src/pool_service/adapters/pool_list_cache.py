"""The pool list with counts, kept in memory and refreshed in the background (stale-while-revalidate).

Listing 1,000 pools means streaming two collections of 1,000 documents; on
FerretDB that is hundreds of milliseconds on a busy machine. The list is served
from memory instead, at most ``max_age`` seconds behind other replicas' changes
(counts are eventually consistent anyway: they follow Kafka). This process's own
changes are applied at once, and survive a refresh that started before them.
"""

import asyncio
import logging
import time

from pool_service.adapters.pool_repository import PoolRepository
from pool_service.domain.counts import PoolCounts
from pool_service.domain.pools import Pool

log = logging.getLogger(__name__)

# Own changes are re-applied over refreshes that may have missed them for this long.
_OWN_CHANGE_SECONDS = 30.0


class PoolListCache:
    def __init__(self, repo: PoolRepository, max_age: float) -> None:
        self._repo = repo
        self._max_age = max_age
        self._pools: dict[str, Pool] | None = None
        self._counts: dict[str, PoolCounts] = {}
        self._loaded_at = 0.0
        self._refreshing: asyncio.Task[None] | None = None
        self._own: dict[str, tuple[float, Pool]] = {}

    async def snapshot(self) -> tuple[list[Pool], dict[str, PoolCounts]]:
        if self._pools is None:
            await self._refresh()
        elif time.monotonic() - self._loaded_at > self._max_age and not self._refresh_running():
            self._refreshing = asyncio.create_task(self._refresh_in_background())
        assert self._pools is not None
        return [p for p in self._pools.values() if not p.deleted], self._counts

    def saw(self, pool: Pool) -> None:
        """A change made by this process: visible in the next list."""
        self._own[pool.id] = (time.monotonic(), pool)
        if self._pools is not None:
            self._pools[pool.id] = pool

    def _refresh_running(self) -> bool:
        return self._refreshing is not None and not self._refreshing.done()

    async def _refresh_in_background(self) -> None:
        try:
            await self._refresh()
        except Exception:
            # Keep serving the last list; the next request tries again.
            log.exception("refreshing the pool list failed")

    async def _refresh(self) -> None:
        started = time.monotonic()
        pools = {p.id: p for p in await self._repo.all_live()}
        counts = await self._repo.all_counts()
        self._own = {i: (t, p) for i, (t, p) in self._own.items() if started - t < _OWN_CHANGE_SECONDS}
        pools.update({i: p for i, (_, p) in self._own.items()})
        self._pools, self._counts, self._loaded_at = pools, counts, started
