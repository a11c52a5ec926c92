"""Pools, their name claims and their counts as documents."""

from datetime import datetime
from typing import Any

from pool_service.adapters.store import POOL_NAMES, POOL_STATS, POOLS, Store
from pool_service.domain.counts import PoolCounts
from pool_service.domain.pools import Alert, Pool, name_key

# A name claim whose pool does not exist this long after is left over from a crash.
ABANDONED_CLAIM_SECONDS = 60
LIST_BATCH = 100


def pool_to_doc(pool: Pool) -> dict[str, Any]:
    return {
        "_id": pool.id,
        "name": pool.name,
        "created_at": pool.created_at,
        "updated_at": pool.updated_at,
        "alert": {"enabled": pool.alert.enabled, "threshold": pool.alert.threshold},
        # The assignment service reads this flag: a deleted pool takes no claims.
        "deleted": pool.deleted,
    }


def pool_from_doc(doc: dict[str, Any]) -> Pool:
    alert = doc.get("alert") or {}
    return Pool(
        id=doc["_id"],
        name=doc["name"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        alert=Alert(enabled=bool(alert.get("enabled", False)), threshold=int(alert.get("threshold", 0))),
        deleted=bool(doc.get("deleted", False)),
    )


def counts_from_doc(doc: dict[str, Any] | None) -> PoolCounts:
    counts = (doc or {}).get("counts") or {}
    return PoolCounts(**{k: int(counts.get(k, 0)) for k in ("active", "assigned", "expired", "total")})


class PoolRepository:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def claim_name(self, name: str, pool_id: str, at: datetime) -> bool:
        """The one atomic step that keeps names unique ignoring case."""
        claim = {"_id": name_key(name), "pool_id": pool_id, "at": at}
        if (await self.store.insert_new(POOL_NAMES, [claim]))[0]:
            return True
        holder = await self.store.get(POOL_NAMES, claim["_id"])
        if holder is None or not await self._abandoned(holder, at):
            return False
        # A crash between claiming the name and storing its pool left the claim behind.
        await self.store.delete(POOL_NAMES, claim["_id"])
        return (await self.store.insert_new(POOL_NAMES, [claim]))[0]

    async def _abandoned(self, holder: dict[str, Any], now: datetime) -> bool:
        if (now - holder["at"]).total_seconds() < ABANDONED_CLAIM_SECONDS:
            return False  # its pool may still be on its way
        return await self.get(holder["pool_id"]) is None

    async def release_name(self, name: str) -> None:
        await self.store.delete(POOL_NAMES, name_key(name))

    async def save(self, pool: Pool) -> None:
        await self.store.put(POOLS, pool_to_doc(pool))

    async def get(self, pool_id: str) -> Pool | None:
        doc = await self.store.get(POOLS, pool_id)
        if doc is None or doc.get("deleted"):
            return None
        return pool_from_doc(doc)

    async def counts(self, pool_id: str) -> PoolCounts:
        return counts_from_doc(await self.store.get(POOL_STATS, pool_id))

    # Small batches: between two, the event loop serves requests (decoding 1,000 documents
    # at once held up pool-list requests behind the background refresh).
    async def all_live(self) -> list[Pool]:
        docs = self.store.stream(POOLS, batch_size=LIST_BATCH)
        return [pool_from_doc(doc) async for doc in docs if not doc.get("deleted")]

    async def all_counts(self) -> dict[str, PoolCounts]:
        return {doc["_id"]: counts_from_doc(doc) async for doc in self.store.stream(POOL_STATS, batch_size=LIST_BATCH)}
