"""MongoDB helpers on PyMongo's async API (``AsyncMongoClient``; Motor is end-of-life).

The guarantees of this project rest on the one write that is atomic on both
MongoDB and FerretDB v1: an insert rejected by the unique ``_id`` index (E11000).
``insert_new`` turns a batch of inserts into "which of these were mine".
"""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000

Document = dict[str, Any]


def create_mongo_client(url: str, app_name: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, appname=app_name, serverSelectionTimeoutMS=10_000)


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True


async def insert_new(collection: AsyncCollection[Document], docs: Sequence[Mapping[str, Any]]) -> list[bool]:
    """Insert ``docs`` unordered; return, per doc, True if this call created it.

    False means the ``_id`` already existed (someone else owns it). Any other
    write error is raised.
    """
    if not docs:
        return []
    created = [True] * len(docs)
    try:
        # Every doc has its `_id`, so the driver adds none: plain dicts go in as they are.
        await collection.insert_many([d if isinstance(d, dict) else dict(d) for d in docs], ordered=False)
    except BulkWriteError as exc:
        for error in exc.details.get("writeErrors", []):
            if error.get("code") != DUPLICATE_KEY:
                raise
            created[error["index"]] = False
    return created


async def insert_new_in_parts(
    collection: AsyncCollection[Document], docs: Sequence[Mapping[str, Any]], *, part_size: int, parts: int
) -> list[bool]:
    """``insert_new`` of a large batch as up to ``parts`` concurrent inserts of at least ``part_size``.

    One insert is translated and written by one FerretDB connection (one PostgreSQL backend),
    which keeps one core busy while the other idles; parts written at once use both.
    """
    count = min(parts, len(docs) // part_size)
    if count < 2:
        return await insert_new(collection, docs)
    size = -(-len(docs) // count)
    chunks = [docs[start : start + size] for start in range(0, len(docs), size)]
    created = await asyncio.gather(*(insert_new(collection, chunk) for chunk in chunks))
    return [won for chunk in created for won in chunk]


@dataclass(frozen=True)
class IndexSpec:
    """A secondary index; FerretDB v1 plans only on ``_id``, so these serve MongoDB."""

    collection: str
    keys: list[tuple[str, int]]
    unique: bool = False
    options: dict[str, Any] = field(default_factory=dict)


async def ensure_indexes(db: AsyncDatabase[Document], specs: Sequence[IndexSpec]) -> None:
    for spec in specs:
        await db[spec.collection].create_index(spec.keys, unique=spec.unique, **spec.options)
