"""The in-memory pool list: served from memory, own changes at once, others' after a background refresh."""

import asyncio
from datetime import timedelta

from coupon_shared.events import utc_now
from pool_service.adapters.pool_list_cache import PoolListCache
from pool_service.adapters.pool_repository import PoolRepository
from pool_service.domain.pools import Pool
from tests.unit.pool_service.fake_store import FakeStore


def pool(n: int) -> Pool:
    at = utc_now() + timedelta(seconds=n)
    return Pool(f"{n:032d}", f"pool {n}", at, at)


async def test_own_changes_are_visible_at_once_and_others_after_a_refresh() -> None:
    repo = PoolRepository(FakeStore())
    await repo.save(pool(1))
    cache = PoolListCache(repo, max_age=0.05)
    assert [p.id for p in (await cache.snapshot())[0]] == [pool(1).id]
    cache.saw(pool(2))
    await repo.save(pool(2))
    await repo.save(pool(3))  # written by another replica
    assert {p.id for p in (await cache.snapshot())[0]} == {pool(1).id, pool(2).id}
    await asyncio.sleep(0.06)
    await cache.snapshot()  # stale: serves the old list and refreshes behind it
    await asyncio.sleep(0.01)
    assert {p.id for p in (await cache.snapshot())[0]} == {pool(1).id, pool(2).id, pool(3).id}
    deleted = Pool(pool(1).id, "pool 1", pool(1).created_at, utc_now(), deleted=True)
    cache.saw(deleted)
    assert {p.id for p in (await cache.snapshot())[0]} == {pool(2).id, pool(3).id}
