"""Read side: the outcome of a claim, and the coupons an email holds — all by ``_id``."""

import asyncio
from typing import Protocol

from assignment_service.domain.claim import ClaimRecord
from assignment_service.domain.model import Assignment, Outcome, email_guard_id
from assignment_service.service_layer.ports import SlotContent


class ClaimReader(Protocol):
    async def get_claim(self, request_id: str) -> ClaimRecord | None: ...

    async def get_slot(self, slot_id: str) -> SlotContent: ...

    async def guard_holder(self, guard_id: str) -> str | None: ...

    async def pool_ids(self) -> list[str]: ...


async def claim_outcome(reader: ClaimReader, request_id: str) -> tuple[ClaimRecord, Outcome | None] | None:
    """The stored claim and its outcome; a pending claim whose intended use is already its own is assigned."""
    record = await reader.get_claim(request_id)
    if record is None:
        return None
    if record.outcome is not None or record.intent is None:
        return record, record.outcome
    request = record.request
    content = await reader.get_slot(record.intent.slot_for(request.pool_id, request.email))
    owned = isinstance(content, Assignment) and content.request_id == request_id
    return record, content if owned and isinstance(content, Assignment) else None


async def assignments_of(
    reader: ClaimReader, email: str, after_pool: str | None, limit: int
) -> tuple[list[Assignment], str | None]:
    """The email's coupon in each pool, pool by pool in storage order; the next page starts after a pool id."""
    pool_ids = await reader.pool_ids()
    if after_pool is not None and after_pool in pool_ids:
        pool_ids = pool_ids[pool_ids.index(after_pool) + 1 :]
    found: list[Assignment] = []
    for start in range(0, len(pool_ids), 50):
        chunk = pool_ids[start : start + 50]
        held = await asyncio.gather(*(_held_in(reader, pool_id, email) for pool_id in chunk))
        for pool_id, assignment in zip(chunk, held, strict=True):
            if assignment is not None:
                found.append(assignment)
            if len(found) == limit:
                more = pool_id != pool_ids[-1]
                return found, pool_id if more else None
    return found, None


async def _held_in(reader: ClaimReader, pool_id: str, email: str) -> Assignment | None:
    holder = await reader.guard_holder(email_guard_id(pool_id, email))
    if holder is None:
        return None
    found = await claim_outcome(reader, holder)
    return found[1] if found is not None and isinstance(found[1], Assignment) else None
