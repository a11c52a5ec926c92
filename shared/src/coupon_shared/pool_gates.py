"""The pool gate: one document per pool that decides, once and for good, "claims let in" or "deleted".

A pool may be deleted only if nothing was ever assigned from it, and a claim may
take a coupon only from a pool that is not deleted. Reading a ``deleted`` flag
cannot decide that race (a claim reads the pool, the delete checks and flags,
then the claim takes its slot), and FerretDB has no transactions. So both sides
insert the same ``_id`` — the pool id — into ``pool_gates``; the unique insert
that wins decides for both, and the gate never changes afterwards:

- the claim engine settles the gate ``open`` before its first slot insert for a
  pool (once per process: an open gate stays open). Finding it ``closed`` means
  the pool is deleted: the claim is rejected (``pool_not_found``), no slot taken.
- pool-service settles it ``closed`` before deleting a pool. Finding it ``open``
  means a claim may have taken a coupon: the delete is refused (409).

Open only right before a slot insert, so a pool whose claims all found no coupon
can still be deleted.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

from pymongo.asynchronous.collection import AsyncCollection

from coupon_shared.mongo import Document, insert_new

POOL_GATES = "pool_gates"

GateState = Literal["open", "closed"]
OPEN: GateState = "open"
CLOSED: GateState = "closed"


def gate_doc(pool_id: str, state: GateState, at: datetime) -> Document:
    return {"_id": pool_id, "state": state, "at": at}


async def settle_gate(
    pool_id: str,
    wanted: GateState,
    at: datetime,
    insert: Callable[[list[Document]], Awaitable[list[bool]]],
    read: Callable[[str], Awaitable[Document | None]],
) -> GateState:
    """Try to settle the gate as ``wanted``; return the state it has for good (``wanted`` or the other)."""
    while True:
        [created] = await insert([gate_doc(pool_id, wanted, at)])
        if created:
            return wanted
        existing = await read(pool_id)
        if existing is not None:
            return OPEN if existing.get("state") == OPEN else CLOSED
        # Gone between our insert and our read (a closing delete that found an old
        # assignment rewrites its own gate as open, never removes it): try again.


async def settle_gate_in(
    collection: AsyncCollection[Document], pool_id: str, wanted: GateState, at: datetime
) -> GateState:
    """``settle_gate`` on a collection (the claim engine's side: ``db[POOL_GATES]``)."""

    async def insert(docs: list[Document]) -> list[bool]:
        return await insert_new(collection, docs)

    async def read(_id: str) -> Document | None:
        return await collection.find_one({"_id": _id})

    return await settle_gate(pool_id, wanted, at, insert, read)
