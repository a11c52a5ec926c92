"""Collections of pool-service and the few ways it touches them (all `_id` look-ups, inserts, streams)."""

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from pymongo import DeleteOne
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ExecutionTimeout

from coupon_shared.mongo import Document, insert_new

# Collections shared with the assignment service (it reads pools and stock, writes slots).
POOLS = "pools"
SLOTS = "slots"
# Ours only.
POOL_NAMES = "pool_names"
COUPON_KEYS = "coupon_keys"
# One document per pool that a code has ever left the stock of (see service_layer/code_claims.py).
POOL_RETIREMENTS = "pool_retirements"
# Single adds between claiming the code and storing the coupon (normally empty).
PENDING_ADDS = "pending_adds"
POOL_STATS = "pool_stats"
IMPORTS = "imports"
IMPORT_CHUNKS = "import_chunks"
IMPORT_LEASES = "import_leases"
OUTBOX = "outbox"
PROJECTED_EVENTS = "projected_events"
RETIRED = "retired_coupons"


def stock_name(pool_id: str) -> str:
    return f"stock.{pool_id}"


def history_name(pool_id: str) -> str:
    return f"history.{pool_id}"


def history_pages_name(pool_id: str) -> str:
    return f"history_pages.{pool_id}"


# One small collection for all pools, `_id` = "<minute>|<pool_id>": a sweep reads it once.
EXPIRY_BUCKETS = "expiry_buckets"


class Store:
    """Thin access to the database; the rules are in domain/ and service_layer/."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        # The projector's memory of the last history page it wrote per pool (see projection).
        self.last_pages: dict[str, Any] = {}
        self._closing: set[asyncio.Task[None]] = set()

    async def insert(self, collection: str, doc: Document) -> None:
        await self.db[collection].insert_one(doc)

    async def set_fields(self, collection: str, _id: Any, fields: Document) -> None:
        """Change some fields of a document that has one writer."""
        await self.db[collection].update_one({"_id": _id}, {"$set": fields})

    async def first(self, collection: str, count: int) -> list[Document]:
        """Up to ``count`` documents in stored order: an unfiltered LIMIT, pushed down to SQL."""
        return await self.db[collection].find({}).limit(count).to_list()

    async def get(self, collection: str, _id: Any, max_seconds: float | None = None) -> Document | None:
        """One document by `_id`. With ``max_seconds`` the server gives up too (TimeoutError): on a
        store without an `_id` index (FerretDB on SQLite) the read scans, and an abandoned scan
        would keep it busy."""
        if max_seconds is None:
            return await self.db[collection].find_one({"_id": _id})
        try:
            return await self.db[collection].find_one({"_id": _id}, max_time_ms=max(1, int(max_seconds * 1000)))
        except ExecutionTimeout as exc:
            raise TimeoutError(str(exc)) from exc

    async def get_many(self, collection: str, ids: list[Any], at_once: int) -> list[Document | None]:
        """The documents of ``ids`` (None where missing), read by `_id` ``at_once`` at a time so
        that other requests still get a connection."""
        limit = asyncio.Semaphore(at_once)

        async def one(_id: Any) -> Document | None:
            async with limit:
                return await self.get(collection, _id)

        return list(await asyncio.gather(*(one(_id) for _id in ids)))

    async def insert_new(self, collection: str, docs: list[Document]) -> list[bool]:
        return await insert_new(self.db[collection], docs)

    async def put(self, collection: str, doc: Document) -> None:
        """Write a whole document that has one writer (read-modify-write is safe there)."""
        await self.db[collection].replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def delete(self, collection: str, _id: Any) -> bool:
        result = await self.db[collection].delete_one({"_id": _id})
        return result.deleted_count == 1

    async def delete_all(self, collection: str, ids: list[Any]) -> int:
        """Delete many documents by ``_id`` in one request: one ``DeleteOne`` each.

        Each is an `_id` equality, an index hit on MongoDB and on the local FerretDB (1.2 ms);
        a ``$in`` is not pushed down by FerretDB and would scan the collection in Go (11.7 s for
        500 ids in 200,000 documents; ``store_probe``).
        """
        if not ids:
            return 0
        result = await self.db[collection].bulk_write([DeleteOne({"_id": _id}) for _id in ids], ordered=False)
        return result.deleted_count

    async def stream(
        self, collection: str, skip: int = 0, batch_size: int = 1000, limit: int = 0
    ) -> AsyncGenerator[Document, None]:
        """Up to ``limit`` (0: every) documents from ``skip`` on, unfiltered and unsorted: FerretDB's
        fastest read (a plain table scan; with no skip the limit is pushed down to SQL).

        A caller that may stop early closes the stream (``contextlib.aclosing``). The server cursor
        is then killed in the background: on FerretDB with PostgreSQL, killing a cursor reads the
        rest of its query to the end (pgx drains the rows), 3.6 s for a 1,000,000-code pool.
        """
        cursor = self.db[collection].find({}, skip=skip, batch_size=batch_size, limit=limit)
        finished = False
        try:
            async for doc in cursor:
                yield doc
            finished = True
        finally:
            if finished:
                await cursor.close()
            else:
                self._close_later(cursor)

    def _close_later(self, cursor: AsyncCursor[Document]) -> None:
        task = asyncio.get_running_loop().create_task(cursor.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def first_seen(self, collection: str, doc: Document, position: str) -> bool:
        """Insert ``doc`` marked with ``position``; True if it is new or was inserted from this same position.

        ``position`` names the Kafka record (topic:partition:offset) or job step: a
        redelivery after a crash finds its own earlier insert and still applies it,
        while a duplicate event from another position does not.
        """
        [created] = await self.insert_new(collection, [{**doc, "position": position}])
        if created:
            return True
        existing = await self.get(collection, doc["_id"])
        return existing is not None and existing.get("position") == position
