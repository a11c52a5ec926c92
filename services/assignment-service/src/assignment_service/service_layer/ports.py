"""What the claim engine needs from the outside world (Mongo and Kafka in production, fakes in unit tests)."""

from collections.abc import Sequence
from typing import Literal, Protocol

from assignment_service.domain.claim import ClaimRecord
from assignment_service.domain.model import Assignment, Candidate, Coupon, Outcome

RETIRED: Literal["retired"] = "retired"
SlotContent = Assignment | Literal["retired"] | None


class ClaimStore(Protocol):
    """Every write here is an insert that may lose to an existing ``_id``, or an
    update of a document this process owns (single writer)."""

    async def pool_exists(self, pool_id: str) -> bool: ...

    async def read_stock(self, pool_id: str, limit: int) -> tuple[list[Coupon], bool]:
        """The next coupons of an unfiltered pass over the pool's stock; True when the pass ended."""
        ...

    async def insert_claims(self, records: Sequence[ClaimRecord]) -> list[bool]: ...

    async def get_claim(self, request_id: str) -> ClaimRecord | None: ...

    async def set_intents(self, intents: Sequence[tuple[str, Candidate]]) -> None: ...

    async def store_outcomes(self, outcomes: Sequence[Outcome], published: bool) -> None: ...

    async def insert_guards(self, guards: Sequence[tuple[str, str]]) -> list[bool]:
        """(guard_id, request_id) pairs."""
        ...

    async def guard_holder(self, guard_id: str) -> str | None: ...

    async def release_guard(self, guard_id: str) -> None: ...

    async def insert_slots(self, slots: Sequence[tuple[str, Assignment]]) -> list[bool]: ...

    async def get_slot(self, slot_id: str) -> SlotContent: ...


class OutcomePublisher(Protocol):
    async def publish(self, outcomes: Sequence[Outcome]) -> None: ...
