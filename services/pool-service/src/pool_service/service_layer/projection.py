"""The pool's counts and Assigned History, projected from events by the one consumer owning its partition.

Every topic is keyed by pool_id, so one member of the consumer group owns a
pool on both ``coupon.assigned`` and ``coupon.inventory``: it alone writes the
pool's ``pool_stats`` document, which also stores the last offset applied per
partition — a redelivered record is skipped. Events published twice (same
event_id at another offset) are dropped by a unique insert marked with the
record's position, which a redo after a crash recognises as its own.
"""

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from coupon_shared.events import CouponAssigned, CouponsAdded, CouponsExpired, CouponsRemoved, Event
from pool_service.adapters.history_pages import page_doc, page_rows
from pool_service.adapters.pool_repository import counts_from_doc
from pool_service.adapters.store import (
    POOL_STATS,
    PROJECTED_EVENTS,
    RETIRED,
    Store,
    history_name,
    history_pages_name,
    stock_name,
)
from pool_service.domain.counts import PoolCounts
from pool_service.domain.history import ROWS_PER_PAGE, page_key, page_of
from pool_service.service_layer.code_claims import retiring

CountedEvent = CouponsAdded | CouponsRemoved | CouponsExpired
READS_AT_ONCE = 8


@dataclass(frozen=True)
class Delivered:
    """An event and where it was read from."""

    topic: str
    partition: int
    offset: int
    event: Event

    @property
    def partition_key(self) -> str:
        # Field names may not contain dots (FerretDB refuses them).
        return f"{self.topic.replace('.', '_')}:{self.partition}"

    @property
    def position(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"


async def project(store: Store, pool_id: str, deliveries: list[Delivered]) -> None:
    # Only counted events and assignments change what is projected. The rest
    # (pool changes, and above all the StockLevel this projector publishes for
    # every pool each minute) would cost a read and a rewrite of pool_stats per
    # pool for nothing: with 1,000 pools that kept FerretDB busy half of every
    # minute. Skipping them needs no offset mark: a redelivery skips them again.
    deliveries = [d for d in deliveries if isinstance(d.event, CountedEvent | CouponAssigned)]
    if not deliveries:
        return
    stats = await store.get(POOL_STATS, pool_id) or {"_id": pool_id, "offsets": {}, "next_seq": 1}
    fresh = [d for d in deliveries if d.offset > stats["offsets"].get(d.partition_key, -1)]
    if not fresh:
        return
    counts = counts_from_doc(stats)
    counts = await _apply_inventory(store, counts, [d for d in fresh if isinstance(d.event, CountedEvent)])
    counts = await _apply_assignments(
        store, pool_id, counts, stats, [d for d in fresh if isinstance(d.event, CouponAssigned)]
    )
    for d in fresh:
        stats["offsets"][d.partition_key] = max(d.offset, stats["offsets"].get(d.partition_key, -1))
    stats["counts"] = {
        "active": counts.active,
        "assigned": counts.assigned,
        "expired": counts.expired,
        "total": counts.total,
    }
    await store.put(POOL_STATS, stats)


async def _apply_inventory(store: Store, counts: PoolCounts, deliveries: list[Delivered]) -> PoolCounts:
    for d in await _first_seen(store, PROJECTED_EVENTS, deliveries, lambda d: str(d.event.event_id)):
        event = d.event
        if isinstance(event, CouponsAdded):
            counts = counts.added(event.data.count)
        elif isinstance(event, CouponsRemoved):
            counts = counts.removed(event.data.count)
        elif isinstance(event, CouponsExpired):
            counts = counts.expired_now(event.data.count)
    return counts


async def _apply_assignments(
    store: Store, pool_id: str, counts: PoolCounts, stats: dict[str, Any], deliveries: list[Delivered]
) -> PoolCounts:
    # Sequence numbers are handed out before the inserts, the same way on a redo.
    first_seq = stats["next_seq"]
    seqs = {d.position: first_seq + i for i, d in enumerate(deliveries)}
    stats["next_seq"] += len(deliveries)
    rows = {d.position: _history_row(d, seqs[d.position]) for d in deliveries}
    recorded = await _first_seen(store, history_name(pool_id), deliveries, lambda d: rows[d.position]["_id"], rows)
    exhausted = [d for d in recorded if _assignment(d).coupon_remaining == 0]
    # Both before the stock delete, neither before the other.
    _, retired = await asyncio.gather(
        retiring(store, pool_id, [_assignment(d).code for d in exhausted]),
        _first_seen(store, RETIRED, exhausted, lambda d: f"{pool_id}:{_assignment(d).code}"),
    )
    await store.delete_all(stock_name(pool_id), [_assignment(d).code for d in retired])
    await _append_pages(store, pool_id, [rows[d.position] for d in recorded], first_seq, stats["next_seq"])
    retired_positions = {d.position for d in retired}
    for d in recorded:
        counts = counts.assigned_one(exhausted_coupon=d.position in retired_positions)
    return counts


def _assignment(d: Delivered) -> Any:
    assert isinstance(d.event, CouponAssigned)
    return d.event.data


def _history_row(d: Delivered, seq: int) -> dict[str, Any]:
    a = _assignment(d)
    return {
        "_id": a.email.lower(),
        "seq": seq,
        "code": a.code,
        "source": a.source,
        "assigned_at": a.assigned_at,
        "user_expires_at": a.user_expires_at,
        "request_id": a.request_id,
    }


async def _first_seen(
    store: Store,
    collection: str,
    deliveries: list[Delivered],
    key: Any,
    docs: dict[str, dict[str, Any]] | None = None,
) -> list[Delivered]:
    """The deliveries whose unique insert is new, or was made from their own position before a crash."""
    if not deliveries:
        return []
    wanted = [{**(docs[d.position] if docs else {"_id": key(d)}), "position": d.position} for d in deliveries]
    won = await store.insert_new(collection, wanted)
    lost = {doc["_id"] for doc, created in zip(wanted, won, strict=True) if not created}
    stored = await _positions(store, collection, lost)
    return [
        d
        for d, doc, created in zip(deliveries, wanted, won, strict=True)
        if created or stored.get(doc["_id"]) == d.position
    ]


async def _positions(store: Store, collection: str, ids: set[Any]) -> dict[Any, Any]:
    """The stored ``position`` of each of ``ids`` (a batch redone after a failure lost its inserts):
    `_id` reads — index hits, where a pass over the collection would read it all."""
    wanted = list(ids)
    docs = await store.get_many(collection, wanted, READS_AT_ONCE)
    return {_id: doc.get("position") for _id, doc in zip(wanted, docs, strict=True) if doc is not None}


async def _append_pages(store: Store, pool_id: str, rows: list[dict[str, Any]], first_seq: int, next_seq: int) -> None:
    """History pages hold rows in arrival order, so "newest first" reads pages backwards by `_id`.

    Only the page that an earlier batch started is rewritten; pages this batch
    starts are inserted whole (FerretDB rewrites a document as a whole, so large
    read-modify-writes are what would make history slow). The page this batch ends
    on is remembered: the next batch appends to it without reading it back.
    """
    by_page: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_page[page_of(row["seq"])].append(_page_row(row))
    collection = history_pages_name(pool_id)
    fresh = [n for n in by_page if n * ROWS_PER_PAGE + 1 >= first_seq]
    created = await store.insert_new(collection, [page_doc(page_key(n), by_page[n]) for n in fresh])
    written = {n: by_page[n] for n in fresh}
    # A page started earlier, or one a crashed attempt already inserted, is merged.
    merge = [n for n in by_page if n not in fresh] + [n for n, c in zip(fresh, created, strict=True) if not c]
    for page in merge:
        page_rows_before = await _page_before(store, pool_id, page, first_seq)
        present = {r["seq"] for r in page_rows_before}
        written[page] = page_rows_before + [r for r in by_page[page] if r["seq"] not in present]
        await store.put(collection, page_doc(page_key(page), written[page]))
    if written:
        last = max(written)
        store.last_pages[pool_id] = LastPage(last, next_seq, list(written[last]))


@dataclass(frozen=True)
class LastPage:
    """The page the last batch of a pool ended on, as written, and the pool's ``next_seq`` after it."""

    number: int
    next_seq: int
    rows: list[dict[str, Any]]


async def _page_before(store: Store, pool_id: str, page: int, first_seq: int) -> list[dict[str, Any]]:
    """The page as stored before this batch: remembered if this process wrote it last, else read.

    The memory is trusted only if the pool's ``next_seq`` is still the one written
    with it: another owner (after a rebalance) or a failed attempt moves it on.
    """
    remembered = store.last_pages.get(pool_id)
    if remembered is not None and remembered.number == page and remembered.next_seq == first_seq:
        return list(remembered.rows)
    doc = await store.get(history_pages_name(pool_id), page_key(page))
    return [] if doc is None else page_rows(doc)


def _page_row(row: dict[str, Any]) -> dict[str, Any]:
    # What the list and the export show: the smaller the page, the faster it streams.
    return {
        "seq": row["seq"],
        "code": row["code"],
        "email": row["_id"],
        "source": row["source"],
        "assigned_at": row["assigned_at"],
        "user_expires_at": row["user_expires_at"],
    }
