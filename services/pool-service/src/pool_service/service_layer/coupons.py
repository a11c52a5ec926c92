"""Coupon handlers: add one, list the active ones, remove an unassigned one."""

import asyncio
import time
from collections.abc import Coroutine
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

from coupon_shared.events import CouponsAdded, CouponsAddedData, CouponsRemoved, CouponsRemovedData, utc_now
from pool_service.adapters.outbox import record_events
from pool_service.adapters.store import COUPON_KEYS, EXPIRY_BUCKETS, PENDING_ADDS, SLOTS, Store, stock_name
from pool_service.domain.coupons import Coupon, coupon_from_stock, matches_search
from pool_service.domain.expiry import expiry_bucket
from pool_service.service_layer.code_claims import key_doc, retiring, store_claimed
from pool_service.service_layer.errors import CouponAssignedError, CouponNotFoundError, DuplicateCodeError
from pool_service.service_layer.pools import get_pool

# A partial search stops scanning after this long and returns what it found with a
# cursor to continue, so a rare match in a million codes never blocks a page.
SEARCH_BUDGET_SECONDS = 0.5
SCAN_BATCH = 500
# Stock documents one page may read: more than a 0.5 s budget gets through. Bounding the read
# lets FerretDB push a LIMIT down for the first page, so it never reads a whole big pool.
SCAN_LIMIT = 20_000


@dataclass(frozen=True)
class CouponPage:
    items: list[Coupon]
    next_position: int | None


async def file_expiries(store: Store, pool_id: str, coupons: list[Coupon]) -> None:
    # Imported coupons mostly share a few expiry times: compute each bucket once.
    buckets = {expiry_bucket(at) for at in {c.pool_expires_at for c in coupons} if at is not None}
    docs = [{"_id": f"{b}|{pool_id}", "pool_id": pool_id, "bucket": b} for b in sorted(buckets)]
    await store.insert_new(EXPIRY_BUCKETS, docs)


async def add_coupon(store: Store, pool_id: str, coupon: Coupon) -> Coupon:
    """Add one coupon; a retry of the same add that stopped half-way finishes it.

    The add is journalled in ``pending_adds`` before it claims the code, and the
    journal entry is dropped once stock and event are stored. So a crash between
    claiming the code and storing the coupon leaves an entry that a retry with the
    same fields (or ``repair_pending_adds``) completes; any other add of the code is 409.
    An add always claims the code's key (``code_claims``); an import may hold the code
    by its stock insert alone, and then the add's stock insert loses: 409.
    """
    await get_pool(store, pool_id)
    add_id = f"add:{uuid4()}"
    pending = {"_id": add_id, "pool_id": pool_id, "code": coupon.code, "identity": coupon.identity(), "at": utc_now()}
    await store.insert_new(PENDING_ADDS, [{**pending, **coupon.stock_fields()}])
    holder = await _claim_code(store, pool_id, coupon.code, add_id, coupon.identity())
    if holder != add_id:
        await store.delete(PENDING_ADDS, add_id)
        unfinished = await store.get(PENDING_ADDS, holder) if holder is not None else None
        if holder is None or unfinished is None or unfinished["identity"] != coupon.identity():
            raise DuplicateCodeError(coupon.code)
        add_id = holder  # the same add, stopped after claiming the code: finish that one
    if not await _finish_add(store, pool_id, coupon, add_id):
        raise DuplicateCodeError(coupon.code)
    return coupon


async def _claim_code(store: Store, pool_id: str, code: str, add_id: str, identity: str) -> str | None:
    """The add that holds the code (this one if its insert won); None if an import holds it."""
    key = {**key_doc(pool_id, code, add_id), "identity": identity}
    [created] = await store.insert_new(COUPON_KEYS, [key])
    if created:
        return add_id
    existing = await store.get(COUPON_KEYS, key["_id"])
    owner = str(existing["by"]) if existing else ""
    return owner if owner.startswith("add:") else None


async def _finish_add(store: Store, pool_id: str, coupon: Coupon, add_id: str) -> bool:
    """Store the coupon of an add that holds its key; False when an import's stock already holds the code."""
    # Every step is an insert of a fixed _id (the event's id comes from the add's id),
    # so finishing twice — a retry racing the repair pass — stores everything once.
    await file_expiries(store, pool_id, [coupon])
    stored = await store_claimed(store, pool_id, [coupon], add_id, redone=True)
    if stored:
        event_id = uuid5(NAMESPACE_URL, f"coupon-add/{add_id}")
        await record_events(store, [CouponsAdded(event_id=event_id, data=CouponsAddedData(pool_id=pool_id, count=1))])
    await store.delete(PENDING_ADDS, add_id)
    return bool(stored)


async def repair_pending_adds(store: Store, older_than_seconds: float) -> int:
    """Finish or drop adds that stopped half-way (their process died); returns how many were settled."""
    settled = 0
    cutoff = utc_now().timestamp() - older_than_seconds
    async for doc in store.stream(PENDING_ADDS):
        if doc["at"].timestamp() > cutoff:
            continue  # its request may still be running
        coupon = coupon_from_stock(doc["code"], doc)
        holder = await _claim_code(store, doc["pool_id"], doc["code"], doc["_id"], doc["identity"])
        if holder == doc["_id"]:
            await _finish_add(store, doc["pool_id"], coupon, doc["_id"])  # False: an import holds the code
        else:
            await store.delete(PENDING_ADDS, doc["_id"])
        settled += 1
    return settled


async def list_active_coupons(
    store: Store, pool_id: str, q: str | None, position: int | None, limit: int
) -> CouponPage:
    """Active coupons in stored order; ``position`` counts stock documents already scanned (None: first page).

    A ``q`` that is exactly a code is answered by one `_id` read: that coupon alone
    is the first page, and the next page continues with the substring scan.
    """
    await get_pool(store, pool_id)
    deadline = time.monotonic() + SEARCH_BUDGET_SECONDS
    if q and position is None and (exact := await _within(find_active_coupon(store, pool_id, q))) is not None:
        return CouponPage([exact], 0)
    now = utc_now()
    items: list[Coupon] = []
    scanned = position or 0
    stream = store.stream(stock_name(pool_id), skip=scanned, batch_size=SCAN_BATCH, limit=SCAN_LIMIT)
    async with aclosing(stream) as docs:
        async for doc in docs:
            scanned += 1
            coupon = coupon_from_stock(doc["_id"], doc)
            if not coupon.is_expired(now) and matches_search(coupon.code, q) and coupon.code != q:
                items.append(coupon)
            if len(items) >= limit or time.monotonic() > deadline:
                return CouponPage(items, scanned)
    # The stream ended: at the end of the stock, unless the page's read limit ended it.
    return CouponPage(items, scanned if scanned - (position or 0) >= SCAN_LIMIT else None)


async def _within(lookup: Coroutine[Any, Any, Coupon | None]) -> Coupon | None:
    """The exact look-up, given half the budget: an `_id` read is an index hit on MongoDB and on
    the local FerretDB, but a store without that index scans (FerretDB on SQLite, say)."""
    try:
        return await asyncio.wait_for(lookup, timeout=SEARCH_BUDGET_SECONDS / 2)
    except TimeoutError:
        return None


async def find_active_coupon(store: Store, pool_id: str, code: str) -> Coupon | None:
    """The exact-code look-up: one `_id` read."""
    doc = await store.get(stock_name(pool_id), code, max_seconds=SEARCH_BUDGET_SECONDS / 2)
    if doc is None:
        return None
    coupon = coupon_from_stock(code, doc)
    return None if coupon.is_expired(utc_now()) else coupon


async def remove_coupon(store: Store, pool_id: str, code: str) -> None:
    """Retire an unassigned coupon by taking its first use (slot 0) before any claim can."""
    await get_pool(store, pool_id)
    if await store.get(stock_name(pool_id), code) is None:
        raise CouponNotFoundError(code)
    # No request_id and `retired: true`: the assignment service reads this slot as "coupon retired".
    slot = {"_id": f"{pool_id}:{code}:0", "pool_id": pool_id, "code": code, "removed": True, "retired": True}
    [reserved] = await store.insert_new(SLOTS, [slot])
    if not reserved and not await _reserved_by_removal(store, str(slot["_id"])):
        raise CouponAssignedError(code)
    await retiring(store, pool_id, [code])
    if await store.delete(stock_name(pool_id), code):
        event = CouponsRemoved(data=CouponsRemovedData(pool_id=pool_id, count=1, codes=[code]))
        await record_events(store, [event])


async def _reserved_by_removal(store: Store, slot_id: str) -> bool:
    # An earlier removal that crashed half-way took the slot: finish it.
    existing = await store.get(SLOTS, slot_id)
    return existing is not None and existing.get("removed") is True
