"""The claim store on MongoDB / FerretDB: ``_id`` look-ups, unordered bulk inserts, unfiltered stock passes.

Nothing here filters on anything but ``_id`` (FerretDB v1 scans for every other
filter), and nothing is updated: every write is an insert that may lose to an
existing ``_id``, plus the delete of an email guard by the claim that created it.
"""

import time
import uuid
from collections.abc import Sequence
from datetime import datetime

from pymongo import DeleteOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from assignment_service.adapters import documents
from assignment_service.domain.claim import ClaimRecord
from assignment_service.domain.journal import JournalBucket, JournalKey
from assignment_service.domain.model import Assignment, Candidate, Coupon, Outcome
from assignment_service.service_layer.ports import FIRST_USE, RETIRED, SlotContent
from coupon_shared.mongo import Document, insert_new, insert_new_in_parts
from coupon_shared.pool_gates import OPEN, POOL_GATES, settle_gate_in

CLAIMS = "claims"
CLAIM_INTENTS = "claim_intents"
CLAIM_OUTCOMES = "claim_outcomes"
POOL_EMAILS = "pool_emails"
SLOTS = "slots"
POOLS = "pools"
# One small collection per process and time bucket (``claim_journal.<start>.<owner>``): dropped whole by
# its process, or swept by streaming it. ``claim_journal.<start>`` is the shared form before session 11.
JOURNAL_PREFIX = "claim_journal."
# A Kafka batch (up to 1,000 claims) is written as up to four concurrent inserts of at least 250:
# measured on FerretDB, 1,000 documents took 72-84 ms as one insert and 49-60 ms as four.
PART_SIZE = 250
PARTS = 4


class MongoClaimStore:
    def __init__(self, db: AsyncDatabase[Document], pool_cache_seconds: float = 5.0) -> None:
        self._db = db
        self._pool_cache_seconds = pool_cache_seconds
        self._pools: dict[str, tuple[bool, float]] = {}
        self._stock_cursors: dict[str, AsyncCursor[Document]] = {}
        # Pools whose gate this process found or made open: an open gate stays open, so one insert per pool.
        self._open_gates: set[str] = set()

    async def pool_exists(self, pool_id: str) -> bool:
        # Cached briefly: every claim asks, and a pool appears or goes away rarely.
        cached = self._pools.get(pool_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        doc = await self._db[POOLS].find_one({"_id": pool_id}, {"deleted": 1})
        exists = doc is not None and not doc.get("deleted", False)
        ttl = self._pool_cache_seconds if exists else min(self._pool_cache_seconds, 1.0)
        self._pools[pool_id] = (exists, time.monotonic() + ttl)
        return exists

    async def open_gate(self, pool_id: str, now: datetime) -> bool:
        if pool_id in self._open_gates:
            return True
        if await settle_gate_in(self._db[POOL_GATES], pool_id, OPEN, now) == OPEN:
            self._open_gates.add(pool_id)
            return True
        # Closed: the pool is being deleted. Not cached for good (pool-service rewrites the gate
        # open if its delete finds an old assignment), only as a briefly missing pool.
        self._pools[pool_id] = (False, time.monotonic() + min(self._pool_cache_seconds, 1.0))
        return False

    async def read_stock(self, pool_id: str, limit: int) -> tuple[list[Coupon], bool]:
        # No filter, sort or skip: FerretDB streams the per-pool table instead of scanning in Go.
        cursor = self._stock_cursors.get(pool_id)
        if cursor is None:
            cursor = self._db[f"stock.{pool_id}"].find({}, batch_size=limit)
            self._stock_cursors[pool_id] = cursor
        docs = await cursor.to_list(limit)
        ended = len(docs) < limit
        if ended:
            await cursor.close()
            del self._stock_cursors[pool_id]
        return [documents.coupon_from_stock(doc) for doc in docs], ended

    async def insert_claims(self, records: Sequence[ClaimRecord]) -> list[bool]:
        return await _insert(self._db[CLAIMS], [documents.claim_doc(r) for r in records])

    async def get_claim(self, request_id: str) -> ClaimRecord | None:
        doc = await self._db[CLAIMS].find_one({"_id": request_id})
        if doc is None:
            return None
        outcome = await self._db[CLAIM_OUTCOMES].find_one({"_id": request_id})
        # A claim stored without a use (its queue was empty) may still have recorded one later.
        later = [] if outcome is not None else await self._later_intents(request_id)
        return documents.claim_from(doc, outcome, later)

    async def _later_intents(self, request_id: str) -> list[Document]:
        # Attempts beyond the first are rare (a lost slot): read them one _id at a time.
        found: list[Document] = []
        while doc := await self._db[CLAIM_INTENTS].find_one({"_id": documents.intent_id(request_id, len(found) + 1)}):
            found.append(doc)
        return found

    async def add_intents(self, intents: Sequence[tuple[str, int, Candidate | None]]) -> list[bool]:
        docs = [{"_id": documents.intent_id(rid, n), **documents.intent_doc(c)} for rid, n, c in intents]
        return await _insert(self._db[CLAIM_INTENTS], docs)

    async def insert_outcomes(self, outcomes: Sequence[Outcome]) -> list[bool]:
        docs = [{"_id": o.request_id, **documents.outcome_doc(o)} for o in outcomes]
        return await _insert(self._db[CLAIM_OUTCOMES], docs)

    async def insert_guards(self, guards: Sequence[tuple[str, str]]) -> list[bool]:
        return await _insert(self._db[POOL_EMAILS], [{"_id": gid, "request_id": rid} for gid, rid in guards])

    async def guard_holder(self, guard_id: str) -> str | None:
        doc = await self._db[POOL_EMAILS].find_one({"_id": guard_id})
        return str(doc["request_id"]) if doc else None

    async def release_guards(self, guard_ids: Sequence[str]) -> None:
        if guard_ids:
            await self._db[POOL_EMAILS].bulk_write([DeleteOne({"_id": gid}) for gid in guard_ids], ordered=False)

    async def insert_slots(self, slots: Sequence[tuple[str, Assignment]]) -> list[bool]:
        docs = [{"_id": sid, **documents.assignment_doc(a)} for sid, a in slots]
        return await _insert(self._db[SLOTS], docs)

    async def get_slot(self, slot_id: str) -> SlotContent:
        doc = await self._db[SLOTS].find_one({"_id": slot_id})
        if doc is None:
            return None
        if doc.get("first_use") is True:
            return FIRST_USE
        if doc.get("retired") or "request_id" not in doc:
            return RETIRED
        return documents.assignment_from(doc)

    async def mark_first_uses(self, slot_ids: Sequence[str]) -> list[bool]:
        return await insert_new(self._db[SLOTS], [{"_id": sid, "first_use": True} for sid in slot_ids])

    async def open_claims(self, key: JournalKey, request_ids: Sequence[str]) -> None:
        # One document per batch: FerretDB's cost is mostly per document (a row each in PostgreSQL).
        if request_ids:
            entry = {"_id": f"open|{uuid.uuid4().hex}", "ids": list(request_ids)}
            await insert_new(self._db[_journal_name(key)], [entry])

    async def journal_buckets(self) -> list[JournalKey]:
        names = await self._db.list_collection_names()
        return sorted(key for name in names if (key := _journal_key(name)) is not None)

    async def read_journal(self, key: JournalKey) -> JournalBucket:
        # Unfiltered: a stream of this one small collection, no scan of anything shared.
        opened: set[str] = set()
        closed: set[str] = set()
        leases: dict[int, datetime] = {}
        docs = await read_unless_dropped(self._db[_journal_name(key)].find({}))
        if docs is None:
            # Another replica's janitor swept the bucket and dropped it while this one read it:
            # its claims are finished, so it reads as empty (leased and dropped again, at no harm).
            return JournalBucket(frozenset(), frozenset(), {})
        for doc in docs:
            kind, _, rest = str(doc["_id"]).partition("|")
            # A batch's entry lists its request ids; an entry without the list (written before
            # session 6) is one request's, named in its _id. ``done`` entries are in shared
            # buckets only (before session 11).
            ids = doc.get("ids", [rest])
            if kind == "open":
                opened.update(ids)
            elif kind == "done":
                closed.update(ids)
            elif kind == "lease":
                leases[int(rest)] = doc["until"]
        return JournalBucket(frozenset(opened), frozenset(closed), leases)

    async def lease_journal(self, key: JournalKey, generation: int, until: datetime) -> bool:
        lease = {"_id": f"lease|{generation}", "until": until}
        [won] = await insert_new(self._db[_journal_name(key)], [lease])
        return won

    async def drop_journal(self, key: JournalKey) -> None:
        await self._db.drop_collection(_journal_name(key))

    async def pool_ids(self) -> list[str]:
        """Every live pool, in storage order: one unfiltered pass over the (small) pools collection."""
        cursor = self._db[POOLS].find({}, {"deleted": 1})
        return [str(doc["_id"]) async for doc in cursor if not doc.get("deleted", False)]


async def read_unless_dropped(cursor: AsyncCursor[Document]) -> list[Document] | None:
    """Every document of ``cursor``, or None when its collection was dropped between two batches.

    The drop kills the cursor: FerretDB answers the next getMore with CursorNotFound,
    MongoDB with QueryPlanKilled (or CursorKilled).
    """
    try:
        return [doc async for doc in cursor]
    except OperationFailure as exc:
        if exc.code in _CURSOR_KILLED_BY_DROP:
            return None
        raise


_CURSOR_KILLED_BY_DROP = frozenset({43, 175, 237})  # CursorNotFound, QueryPlanKilled, CursorKilled


def _journal_name(key: JournalKey) -> str:
    return f"{JOURNAL_PREFIX}{key.bucket}.{key.owner}" if key.owner else f"{JOURNAL_PREFIX}{key.bucket}"


def _journal_key(name: str) -> JournalKey | None:
    """The bucket a collection name is the journal of, or None for any other collection."""
    if not name.startswith(JOURNAL_PREFIX):
        return None
    bucket, _, owner = name.removeprefix(JOURNAL_PREFIX).partition(".")
    return JournalKey(int(bucket), owner) if bucket.isdigit() and "." not in owner else None


async def _insert(collection: AsyncCollection[Document], docs: Sequence[Document]) -> list[bool]:
    return await insert_new_in_parts(collection, docs, part_size=PART_SIZE, parts=PARTS)
