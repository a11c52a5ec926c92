"""An in-memory Store: the same primitives (unique inserts, `_id` reads, streams) without a database."""

import asyncio
import copy
from collections import defaultdict
from collections.abc import AsyncGenerator
from typing import Any

from coupon_shared.mongo import Document
from pool_service.adapters.store import Store


class CrashError(Exception):
    """Raised by a fault injected into the fake, standing in for kill -9."""


class FakeStore(Store):
    def __init__(self) -> None:
        self.collections: dict[str, dict[Any, Document]] = defaultdict(dict)
        # collection name → number of further insert_new calls allowed before CrashError.
        self.crash_after_inserts: dict[str, int] = {}
        self.last_pages: dict[str, Any] = {}

    def docs(self, collection: str) -> list[Document]:
        return list(self.collections[collection].values())

    async def get(self, collection: str, _id: Any, max_seconds: float | None = None) -> Document | None:
        doc = self.collections[collection].get(_id)
        return copy.deepcopy(doc) if doc is not None else None

    async def insert_new(self, collection: str, docs: list[Document]) -> list[bool]:
        await asyncio.sleep(0)  # a real store's round trip lets other tasks run
        self._maybe_crash(collection)
        created = []
        for doc in docs:
            fresh = doc["_id"] not in self.collections[collection]
            if fresh:
                self.collections[collection][doc["_id"]] = copy.deepcopy(doc)
            created.append(fresh)
        return created

    async def insert(self, collection: str, doc: Document) -> None:
        [created] = await self.insert_new(collection, [doc])
        assert created, f"duplicate {doc['_id']!r} in {collection}"

    async def put(self, collection: str, doc: Document) -> None:
        self.collections[collection][doc["_id"]] = copy.deepcopy(doc)

    async def set_fields(self, collection: str, _id: Any, fields: Document) -> None:
        self.collections[collection][_id].update(copy.deepcopy(fields))

    async def delete(self, collection: str, _id: Any) -> bool:
        return self.collections[collection].pop(_id, None) is not None

    async def delete_all(self, collection: str, ids: list[Any]) -> int:
        return sum([await self.delete(collection, _id) for _id in ids])

    async def stream(
        self, collection: str, skip: int = 0, batch_size: int = 1000, limit: int = 0
    ) -> AsyncGenerator[Document, None]:
        docs = list(self.collections[collection].values())[skip:]
        for doc in docs[:limit] if limit else docs:
            yield copy.deepcopy(doc)

    async def first(self, collection: str, count: int) -> list[Document]:
        return [copy.deepcopy(d) for d in list(self.collections[collection].values())[:count]]

    def _maybe_crash(self, collection: str) -> None:
        left = self.crash_after_inserts.get(collection)
        if left is None:
            return
        if left == 0:
            del self.crash_after_inserts[collection]
            raise CrashError(collection)
        self.crash_after_inserts[collection] = left - 1
