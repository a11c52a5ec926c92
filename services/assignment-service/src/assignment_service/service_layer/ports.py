"""What the claim engine needs from the outside world (Mongo and Kafka in production, fakes in unit tests)."""

from collections.abc import Sequence
from typing import Literal, Protocol

from assignment_service.domain.claim import ClaimRecord
from assignment_service.domain.model import Assignment, Candidate, Coupon, Outcome

RETIRED: Literal["retired"] = "retired"
SlotContent = Assignment | Literal["retired"] | None


class ClaimStore(Protocol):
    """Every write here is an insert that may lose to an existing ``_id`` — no updates:
    FerretDB v1 updates are not atomic, cost ~11 ms each, and concurrent bulk
    updates of the same documents from two connections deadlock it (measured)."""

    async def pool_exists(self, pool_id: str) -> bool: ...

    async def read_stock(self, pool_id: str, limit: int) -> tuple[list[Coupon], bool]:
        """The next coupons of an unfiltered pass over the pool's stock; True when the pass ended."""
        ...

    async def insert_claims(self, records: Sequence[ClaimRecord]) -> list[bool]: ...

    async def get_claim(self, request_id: str) -> ClaimRecord | None: ...

    async def add_intents(self, intents: Sequence[tuple[str, int, Candidate]]) -> None:
        """(request_id, attempt, use) — recorded before the use is tried."""
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


class OutcomePublisher(Protocol):
    async def publish(self, outcomes: Sequence[Outcome]) -> None: ...
