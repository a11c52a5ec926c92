"""Who holds a code of a pool: one insert per code while no code has left the pool's stock.

A code may be in a pool once, ever: a code that was assigned to the end, removed or
expired is not added again. Two ways of claiming a code keep that true:

- **Stock as the claim** (a pool no code has left yet — a fresh pool, the bulk-import
  case): the insert of the ``stock.<pool>`` document is the claim, one insert per code.
  Every path that takes a code out of stock first inserts the pool's
  ``pool_retirements`` marker (``retiring``). So when the marker is still absent after a
  batch's stock insert, no code had left the stock before that insert, and every code
  it won is new.
- **Keys** (a pool with the marker): the code's ``coupon_keys`` insert is the claim and
  the stock insert follows. A code that leaves stock gets a ``retired`` key first, so a
  code stored by the first way and retired since cannot be claimed again.

A stock document carries ``by``, the batch or add that stored it, so a redone batch
(or a retried add) recognises its own earlier inserts.
"""

import asyncio
from dataclasses import dataclass

from pool_service.adapters.store import COUPON_KEYS, POOL_RETIREMENTS, RETIRED, SLOTS, Store, stock_name
from pool_service.domain.coupons import Coupon

RETIRED_KEY_OWNER = "retired"
# Look-ups of a redone batch or of the retirement check run a few at a time so HTTP
# requests still get a connection.
LOOKUPS_AT_ONCE = 4
# The database takes about 1.5 times as many documents/s from two insert streams as from one.
STOCK_INSERT_STREAMS = 2


@dataclass(frozen=True)
class Claimed:
    """A batch's claims: ``stored`` are in stock already; ``to_store`` hold keys and still need their stock."""

    stored: list[Coupon]
    to_store: list[Coupon]


def key_doc(pool_id: str, code: str, owner: str) -> dict[str, object]:
    return {"_id": f"{pool_id}:{code}", "by": owner}


def stock_doc(coupon: Coupon, owner: str) -> dict[str, object]:
    return {"_id": coupon.code, **coupon.stock_fields(), "by": owner}


async def retiring(store: Store, pool_id: str, codes: list[str]) -> None:
    """Before codes leave the pool's stock: the pool's marker and a key for each code (in either order:
    both only have to exist before the stock delete)."""
    if not codes:
        return
    await asyncio.gather(
        store.insert_new(POOL_RETIREMENTS, [{"_id": pool_id}]),
        store.insert_new(COUPON_KEYS, [key_doc(pool_id, code, RETIRED_KEY_OWNER) for code in codes]),
    )


async def has_retirements(store: Store, pool_id: str) -> bool:
    return await store.get(POOL_RETIREMENTS, pool_id) is not None


async def claim_batch(store: Store, pool_id: str, coupons: list[Coupon], owner: str, redone: bool) -> Claimed:
    """Claim ``coupons`` (distinct codes) for the batch ``owner``; ``redone``: it may have claimed some before."""
    if await has_retirements(store, pool_id):
        return Claimed([], await _claim_keys(store, pool_id, coupons, owner, redone))
    stored = await store_claimed(store, pool_id, coupons, owner, redone)
    if not await has_retirements(store, pool_id):
        return Claimed(stored, [])
    # The pool's first code left its stock while the batch was inserting: a code it won may
    # be one that was here before and left just then (another add of the code overlapping
    # its retirement). Those are taken out again and count as duplicates.
    retired = {c.code for c in await _found_retired(store, pool_id, stored)}
    await store.delete_all(stock_name(pool_id), sorted(retired))
    return Claimed([c for c in stored if c.code not in retired], [])


async def store_claimed(store: Store, pool_id: str, coupons: list[Coupon], owner: str, redone: bool) -> list[Coupon]:
    """Insert the stock of ``coupons``; the ones this owner stored (now, or before a crash when ``redone``)."""
    docs = [stock_doc(c, owner) for c in coupons]
    step = -(-len(docs) // STOCK_INSERT_STREAMS) or 1
    parts = [docs[i : i + step] for i in range(0, len(docs), step)]
    won = [w for part in await asyncio.gather(*(store.insert_new(stock_name(pool_id), p) for p in parts)) for w in part]
    codes = [c.code for c in coupons]
    return await _won_or_ours(store, stock_name(pool_id), coupons, codes, won, owner=owner, redone=redone)


async def _claim_keys(store: Store, pool_id: str, coupons: list[Coupon], owner: str, redone: bool) -> list[Coupon]:
    keys = [key_doc(pool_id, c.code, owner) for c in coupons]
    won = await store.insert_new(COUPON_KEYS, keys)
    ids = [str(key["_id"]) for key in keys]
    return await _won_or_ours(store, COUPON_KEYS, coupons, ids, won, owner=owner, redone=redone)


async def _won_or_ours(
    store: Store, collection: str, coupons: list[Coupon], ids: list[str], won: list[bool], *, owner: str, redone: bool
) -> list[Coupon]:
    """The coupons whose insert won; when ``redone``, also those whose stored document names ``owner``
    (inserted by its attempt that crashed)."""
    if not redone:
        return [c for c, w in zip(coupons, won, strict=True) if w]
    lost = [(c, _id) for c, _id, w in zip(coupons, ids, won, strict=True) if not w]
    found = await store.get_many(collection, [_id for _, _id in lost], LOOKUPS_AT_ONCE)
    ours = {c.code for (c, _), doc in zip(lost, found, strict=True) if doc is not None and doc.get("by") == owner}
    return [c for c, w in zip(coupons, won, strict=True) if w or c.code in ours]


async def _found_retired(store: Store, pool_id: str, coupons: list[Coupon]) -> list[Coupon]:
    """Those of ``coupons`` with a retirement on record: exhausted or expired, or removed (slot 0)."""
    marks = await store.get_many(RETIRED, [f"{pool_id}:{c.code}" for c in coupons], LOOKUPS_AT_ONCE)
    slots = await store.get_many(SLOTS, [f"{pool_id}:{c.code}:0" for c in coupons], LOOKUPS_AT_ONCE)
    return [
        c
        for c, mark, slot in zip(coupons, marks, slots, strict=True)
        if mark is not None or (slot is not None and slot.get("removed") is True)
    ]
