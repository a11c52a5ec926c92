"""Pool handlers: create, list, read, change, delete. Each takes its dependencies as arguments."""

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from coupon_shared.events import (
    AlertSettings,
    PoolCreated,
    PoolCreatedData,
    PoolDeleted,
    PoolDeletedData,
    PoolUpdated,
    PoolUpdatedData,
)
from coupon_shared.events import (
    utc_now as _utc_now,
)
from coupon_shared.mongo import Document
from coupon_shared.pool_gates import CLOSED, OPEN, POOL_GATES, GateState, gate_doc, settle_gate
from pool_service.adapters.outbox import record_events
from pool_service.adapters.pool_list_cache import PoolListCache
from pool_service.adapters.pool_repository import PoolRepository
from pool_service.adapters.store import Store, history_name
from pool_service.domain.counts import PoolCounts
from pool_service.domain.pools import Pool, name_key
from pool_service.service_layer.errors import NameTakenError, PoolInUseError, PoolNotFoundError


def utc_now() -> datetime:
    # The store keeps milliseconds: answer with what a later read will show.
    now = _utc_now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class PoolView:
    pool: Pool
    counts: PoolCounts


async def create_pool(store: Store, name: str) -> PoolView:
    repo, now = PoolRepository(store), utc_now()
    pool = Pool(id=uuid4().hex, name=name, created_at=now, updated_at=now)
    if not await repo.claim_name(name, pool.id, now):
        raise NameTakenError(name)
    await repo.save(pool)
    await record_events(store, [_created_event(pool)])
    return PoolView(pool, PoolCounts())


async def get_pool(store: Store, pool_id: str) -> PoolView:
    repo = PoolRepository(store)
    pool = await repo.get(pool_id)
    if pool is None:
        raise PoolNotFoundError(pool_id)
    return PoolView(pool, (await repo.counts(pool_id)).shown())


async def list_pools(
    cache: PoolListCache, after: tuple[datetime, str] | None, limit: int
) -> tuple[list[PoolView], bool]:
    """Live pools with their counts, newest first, after the position ``after``; and whether more follow."""
    pools, counts = await cache.snapshot()
    pools.sort(key=lambda p: (p.created_at, p.id), reverse=True)
    if after is not None:
        pools = [p for p in pools if (p.created_at, p.id) < after]
    return [PoolView(p, counts.get(p.id, PoolCounts()).shown()) for p in pools[:limit]], len(pools) > limit


async def update_pool(
    store: Store, pool_id: str, name: str | None, alert_enabled: bool | None, alert_threshold: int | None
) -> PoolView:
    repo, now = PoolRepository(store), utc_now()
    view = await get_pool(store, pool_id)
    pool = view.pool
    if name is not None and name != pool.name:
        pool = await _rename(repo, pool, name, now)
    if alert_enabled is not None or alert_threshold is not None:
        pool = pool.with_alert(alert_enabled, alert_threshold, now)
    if pool != view.pool:
        await repo.save(pool)
        await record_events(store, [_updated_event(pool)])
    return PoolView(pool, view.counts)


async def _rename(repo: PoolRepository, pool: Pool, name: str, now: datetime) -> Pool:
    if name_key(name) != name_key(pool.name):
        if not await repo.claim_name(name, pool.id, now):
            raise NameTakenError(name)
        await repo.release_name(pool.name)
    return pool.renamed(name, now)


async def delete_pool(store: Store, pool_id: str) -> Pool:
    """Delete a pool from which nothing was ever assigned.

    The decision is the pool gate (``coupon_shared.pool_gates``): the claim engine
    opens it before taking its first coupon of the pool, the delete closes it, and
    the unique insert that wins holds for both. A delete that finds the gate
    already closed is a retry of one that stopped half-way, and finishes it.
    The counts and history are checked before (the cheap refusal) and after closing
    (an assignment made by an engine that predates the gate): then the gate is
    rewritten open, the pool kept, and the answer is 409.
    """
    repo = PoolRepository(store)
    view = await get_pool(store, pool_id)
    if await _ever_assigned(store, repo, pool_id):
        raise PoolInUseError(pool_id)
    if await _settle_gate(store, pool_id, CLOSED) != CLOSED:
        raise PoolInUseError(pool_id)
    deleted = _flagged(view.pool, deleted=True)
    await repo.save(deleted)
    if await _ever_assigned(store, repo, pool_id):
        await store.put(POOL_GATES, gate_doc(pool_id, OPEN, utc_now()))
        await repo.save(view.pool)
        raise PoolInUseError(pool_id)
    await repo.release_name(view.pool.name)
    await record_events(store, [PoolDeleted(data=PoolDeletedData(pool_id=pool_id))])
    return deleted


async def _settle_gate(store: Store, pool_id: str, wanted: GateState) -> GateState:
    async def insert(docs: list[Document]) -> list[bool]:
        return await store.insert_new(POOL_GATES, docs)

    async def read(_id: str) -> Document | None:
        return await store.get(POOL_GATES, _id)

    return await settle_gate(pool_id, wanted, utc_now(), insert, read)


async def _ever_assigned(store: Store, repo: PoolRepository, pool_id: str) -> bool:
    if (await repo.counts(pool_id)).assigned > 0:
        return True
    return bool(await store.first(history_name(pool_id), 1))


def _flagged(pool: Pool, deleted: bool) -> Pool:
    return Pool(pool.id, pool.name, pool.created_at, utc_now(), pool.alert, deleted)


def _alert(pool: Pool) -> AlertSettings:
    return AlertSettings(enabled=pool.alert.enabled, threshold=pool.alert.threshold)


def _created_event(pool: Pool) -> PoolCreated:
    data = PoolCreatedData(pool_id=pool.id, name=pool.name, created_at=pool.created_at, alert=_alert(pool))
    return PoolCreated(data=data)


def _updated_event(pool: Pool) -> PoolUpdated:
    data = PoolUpdatedData(pool_id=pool.id, name=pool.name, alert=_alert(pool), updated_at=pool.updated_at)
    return PoolUpdated(data=data)
