"""What is stored about one claim, and how a stored claim answers a repeat of it."""

from dataclasses import dataclass, replace
from datetime import datetime

from assignment_service.domain.model import Assignment, Candidate, ClaimRequest, Outcome


@dataclass(frozen=True)
class ClaimRecord:
    """A claim as stored under its request_id.

    ``intent`` is the coupon use the claim is about to take, written *before* the
    slot insert (attempt 0 with the claim, later attempts as their own inserts): a
    claim resumed after a crash retries that use instead of taking a second one.
    A later attempt without a use is written before the claim is answered
    ``pool_exhausted``, so a resume answers the same (``ran_dry``).
    ``outcome`` is stored once it is published; None means not finished.
    """

    request: ClaimRequest
    fingerprint: str
    created_at: datetime
    intent: Candidate | None = None
    attempt: int = 0
    outcome: Outcome | None = None

    def with_outcome(self, outcome: Outcome) -> "ClaimRecord":
        return replace(self, outcome=outcome)

    @property
    def ran_dry(self) -> bool:
        """A later attempt recorded that no use was left: the claim is decided ``pool_exhausted``."""
        return self.attempt > 0 and self.intent is None

    def is_old(self, now: datetime, seconds: float) -> bool:
        return (now - self.created_at).total_seconds() >= seconds


def new_record(request: ClaimRequest, now: datetime, intent: Candidate | None) -> ClaimRecord:
    return ClaimRecord(request=request, fingerprint=request.fingerprint(), created_at=now, intent=intent)


@dataclass(frozen=True)
class Conflict:
    """The request_id was used before for a different request (HTTP answers 422)."""

    request_id: str
    detail: str


@dataclass(frozen=True)
class Deferred:
    """Not decidable yet (another process is finishing an earlier claim): ask again shortly."""

    request_id: str


@dataclass(frozen=True)
class Answer:
    """What a claim returns to its caller; ``replayed`` = answered from an earlier claim."""

    outcome: Outcome
    replayed: bool = False
    existing: bool = False


Result = Answer | Conflict | Deferred


def repeat_of(record: ClaimRecord, request: ClaimRequest) -> Conflict | None:
    if record.fingerprint != request.fingerprint():
        return Conflict(request.request_id, "this request_id was used for a different claim")
    return None


def follow(holder: Assignment, request: ClaimRequest) -> Assignment:
    """One coupon per email per pool: a later claim of the email gets the email's coupon."""
    return holder.for_request(request.request_id)
