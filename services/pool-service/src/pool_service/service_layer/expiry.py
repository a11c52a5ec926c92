"""Expiring coupons when their time comes, not only when someone looks.

Run by the consumer that owns the pool's partition, between batches, so the
pool has a single writer. Coupons are filed by expiry minute
(``expiry_buckets.<pool_id>``), so a sweep scans a pool's stock only when one of
its minutes has passed; the buckets of all pools are one small collection.
"""

import hashlib
from collections import defaultdict
from uuid import UUID, uuid5

from coupon_shared.events import CouponsExpired, CouponsExpiredData, utc_now
from pool_service.adapters.outbox import record_events
from pool_service.adapters.store import EXPIRY_BUCKETS, RETIRED, Store, stock_name
from pool_service.domain.expiry import due_buckets
from pool_service.service_layer.code_claims import retiring

_EXPIRY_NAMESPACE = UUID("3d7e54a1-6f0a-4b8c-9e21-5a4f0c9b7d13")
_SWEEP_POSITION = "expiry"
_BATCH = 1000


async def due_pools(store: Store, owned: set[str]) -> dict[str, list[str]]:
    """Pools among ``owned`` with an expiry minute that has passed → those bucket documents."""
    now, due = utc_now(), defaultdict(list)
    async for doc in store.stream(EXPIRY_BUCKETS):
        if doc["pool_id"] in owned and due_buckets([doc["bucket"]], now):
            due[doc["pool_id"]].append(doc["_id"])
    return dict(due)


async def sweep_pool(store: Store, pool_id: str, due: list[str]) -> int:
    """Retire the pool's coupons past ``pool_expires_at``; return how many this sweep expired."""
    now = utc_now()
    expired: list[str] = []
    total = 0
    async for doc in store.stream(stock_name(pool_id)):
        if doc.get("pool_expires_at") is not None and doc["pool_expires_at"] <= now:
            expired.append(doc["_id"])
        if len(expired) >= _BATCH:
            total, expired = total + await _retire(store, pool_id, expired), []
    total += await _retire(store, pool_id, expired)
    for bucket in due:
        await store.delete(EXPIRY_BUCKETS, bucket)
    return total


async def _retire(store: Store, pool_id: str, codes: list[str]) -> int:
    """Mark, announce, then delete: a sweep cut short by a crash is finished by the next one."""
    if not codes:
        return 0
    await retiring(store, pool_id, codes)
    markers = [{"_id": f"{pool_id}:{code}", "position": _SWEEP_POSITION} for code in codes]
    won = await store.insert_new(RETIRED, markers)
    mine = [code for code, w in zip(codes, won, strict=True) if w or await _retired_by_sweep(store, pool_id, code)]
    if mine:
        digest = hashlib.sha256("\n".join(sorted(mine)).encode()).hexdigest()
        event = CouponsExpired(
            event_id=uuid5(_EXPIRY_NAMESPACE, f"{pool_id}:{digest}"),
            data=CouponsExpiredData(pool_id=pool_id, count=len(mine)),
        )
        await record_events(store, [event])
    await store.delete_all(stock_name(pool_id), mine)
    return len(mine)


async def _retired_by_sweep(store: Store, pool_id: str, code: str) -> bool:
    doc = await store.get(RETIRED, f"{pool_id}:{code}")
    return doc is not None and doc.get("position") == _SWEEP_POSITION
