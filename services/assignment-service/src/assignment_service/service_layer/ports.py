"""What the claim engine needs from the outside world (Mongo and Kafka in production, fakes in unit tests)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

from assignment_service.domain.claim import ClaimRecord
from assignment_service.domain.journal import JournalBucket, JournalKey
from assignment_service.domain.model import Assignment, Candidate, Coupon, Outcome

RETIRED: Literal["retired"] = "retired"
# Slot 0 of an unlimited coupon, taken before its first per-email use: it keeps pool-service's removal out.
FIRST_USE: Literal["first_use"] = "first_use"
SlotContent = Assignment | Literal["retired", "first_use"] | None


class ClaimStore(Protocol):
    """Every write here is an insert that may lose to an existing ``_id`` — no updates:
    FerretDB v1 updates are not atomic, cost ~11 ms each, and concurrent bulk
    updates of the same documents from two connections deadlock it (measured)."""

    async def pool_exists(self, pool_id: str) -> bool: ...

    async def open_gate(self, pool_id: str, now: datetime) -> bool:
        """Settle the pool's gate open before its first slot (``coupon_shared.pool_gates``); False: deleted."""
        ...

    async def read_stock(self, pool_id: str, limit: int) -> tuple[list[Coupon], bool]:
        """The next coupons of an unfiltered pass over the pool's stock; True when the pass ended."""
        ...

    async def insert_claims(self, records: Sequence[ClaimRecord]) -> list[bool]: ...

    async def get_claim(self, request_id: str) -> ClaimRecord | None: ...

    async def add_intents(self, intents: Sequence[tuple[str, int, Candidate | None]]) -> list[bool]:
        """(request_id, attempt, use) — recorded before the use is tried; False: another process recorded it.

        A use of None records that the attempt found none left: the claim is decided ``pool_exhausted``.
        """
        ...

    async def insert_outcomes(self, outcomes: Sequence[Outcome]) -> list[bool]:
        """Stored once published: a repeat is answered from here without publishing again."""
        ...

    async def insert_guards(self, guards: Sequence[tuple[str, str]]) -> list[bool]:
        """(guard_id, request_id) pairs."""
        ...

    async def guard_holder(self, guard_id: str) -> str | None: ...

    async def release_guards(self, guard_ids: Sequence[str]) -> None: ...

    async def insert_slots(self, slots: Sequence[tuple[str, Assignment]]) -> list[bool]: ...

    async def get_slot(self, slot_id: str) -> SlotContent: ...

    async def mark_first_uses(self, slot_ids: Sequence[str]) -> list[bool]:
        """Take slot 0 of unlimited coupons as their first-use marker; False: already taken (used or retired)."""
        ...

    async def open_claims(self, key: JournalKey, request_ids: Sequence[str]) -> None:
        """Journal HTTP claims as open in a process's time bucket, before anything of theirs is stored."""
        ...

    async def journal_buckets(self) -> list[JournalKey]:
        """Every journal bucket there is, oldest first."""
        ...

    async def read_journal(self, key: JournalKey) -> JournalBucket: ...

    async def lease_journal(self, key: JournalKey, generation: int, until: datetime) -> bool: ...

    async def drop_journal(self, key: JournalKey) -> None: ...


class OutcomePublisher(Protocol):
    async def publish(self, outcomes: Sequence[Outcome]) -> None: ...
