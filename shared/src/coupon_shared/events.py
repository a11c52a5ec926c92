"""The event envelope and every event type of the contract, defined once.

On the wire an event is ``{event_id, type, version, occurred_at, data}``. Parsing
is a discriminated union on ``type``; each type pins the versions it understands,
so an unknown type *or* version fails validation and ends up on the dead-letter
topic instead of being guessed at. Never rename a type: add a version.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

# Deterministic event ids for outcomes: the same claim always yields the same
# event_id, so a republished outcome after a crash is dropped by consumers.
_OUTCOME_NAMESPACE = UUID("6f1c7f5e-2b0e-4a53-9d59-2a8f3c1d0e42")

ShortText = Annotated[str, Field(min_length=1, max_length=200)]
PoolId = Annotated[str, Field(min_length=1, max_length=64)]
RequestId = Annotated[str, Field(min_length=1, max_length=200)]


def utc_now() -> datetime:
    return datetime.now(UTC)


def outcome_event_id(request_id: str) -> UUID:
    """The event_id of a claim's single outcome event (assigned or rejected)."""
    return uuid5(_OUTCOME_NAMESPACE, request_id)


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AlertSettings(_Data):
    enabled: bool = False
    threshold: int = Field(default=0, ge=0)


class ClaimRequestedData(_Data):
    request_id: RequestId
    pool_id: PoolId
    # Validated (and lower-cased) by the assignment domain, so that a bad email
    # becomes a ClaimRejected(invalid_request) rather than an unreadable event.
    email: Annotated[str, Field(min_length=1, max_length=320)]
    source: Annotated[str, Field(min_length=1, max_length=100)] = "kafka"


class AssignmentData(_Data):
    request_id: RequestId
    pool_id: PoolId
    code: str
    message: str | None = None
    email: str
    source: str
    assigned_at: AwareDatetime
    user_expires_at: AwareDatetime | None = None
    # Extension beyond the contract's Assignment fields: uses of this code left
    # after this assignment (None = unlimited). Lets stock projections know when a
    # reusable code is exhausted without reading the coupon back.
    coupon_remaining: int | None = None


RejectionReason = Literal["pool_exhausted", "pool_not_found", "invalid_request"]


class ClaimRejectedData(_Data):
    request_id: RequestId
    pool_id: str
    email: str
    reason: RejectionReason
    detail: str


class PoolCreatedData(_Data):
    pool_id: PoolId
    name: str
    created_at: AwareDatetime
    alert: AlertSettings


class PoolUpdatedData(_Data):
    pool_id: PoolId
    name: str
    alert: AlertSettings
    updated_at: AwareDatetime


class PoolDeletedData(_Data):
    pool_id: PoolId


class CouponsAddedData(_Data):
    pool_id: PoolId
    count: int = Field(ge=0)
    import_id: str | None = None


class CouponsRemovedData(_Data):
    pool_id: PoolId
    count: int = Field(ge=0)
    codes: list[str] = Field(default_factory=list, max_length=1000)


class CouponsExpiredData(_Data):
    pool_id: PoolId
    count: int = Field(ge=0)


class StockLevelData(_Data):
    pool_id: PoolId
    active: int = Field(ge=0)
    assigned: int = Field(ge=0)
    expired: int = Field(ge=0)


AlertKind = Literal["low_stock", "runout_projected", "depleted"]


class PoolAlertData(_Data):
    alert_id: str
    pool_id: PoolId
    pool_name: str
    kind: AlertKind
    active: int
    threshold: int
    usage_per_day: float
    projected_runout_at: AwareDatetime | None
    raised_at: AwareDatetime


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: AwareDatetime = Field(default_factory=utc_now)


class ClaimRequested(_Event):
    type: Literal["ClaimRequested"] = "ClaimRequested"
    version: Literal[1] = 1
    data: ClaimRequestedData


class CouponAssigned(_Event):
    type: Literal["CouponAssigned"] = "CouponAssigned"
    version: Literal[1] = 1
    data: AssignmentData


class ClaimRejected(_Event):
    type: Literal["ClaimRejected"] = "ClaimRejected"
    version: Literal[1] = 1
    data: ClaimRejectedData


class PoolCreated(_Event):
    type: Literal["PoolCreated"] = "PoolCreated"
    version: Literal[1] = 1
    data: PoolCreatedData


class PoolUpdated(_Event):
    type: Literal["PoolUpdated"] = "PoolUpdated"
    version: Literal[1] = 1
    data: PoolUpdatedData


class PoolDeleted(_Event):
    type: Literal["PoolDeleted"] = "PoolDeleted"
    version: Literal[1] = 1
    data: PoolDeletedData


class CouponsAdded(_Event):
    type: Literal["CouponsAdded"] = "CouponsAdded"
    version: Literal[1] = 1
    data: CouponsAddedData


class CouponsRemoved(_Event):
    type: Literal["CouponsRemoved"] = "CouponsRemoved"
    version: Literal[1] = 1
    data: CouponsRemovedData


class CouponsExpired(_Event):
    type: Literal["CouponsExpired"] = "CouponsExpired"
    version: Literal[1] = 1
    data: CouponsExpiredData


class StockLevel(_Event):
    type: Literal["StockLevel"] = "StockLevel"
    version: Literal[1] = 1
    data: StockLevelData


class PoolAlert(_Event):
    type: Literal["PoolAlert"] = "PoolAlert"
    version: Literal[1] = 1
    data: PoolAlertData


InventoryEvent = PoolCreated | PoolUpdated | PoolDeleted | CouponsAdded | CouponsRemoved | CouponsExpired | StockLevel

Event = Annotated[
    ClaimRequested | CouponAssigned | ClaimRejected | InventoryEvent | PoolAlert,
    Field(discriminator="type"),
]

ALL_EVENT_TYPES: tuple[type[_Event], ...] = (
    ClaimRequested,
    CouponAssigned,
    ClaimRejected,
    PoolCreated,
    PoolUpdated,
    PoolDeleted,
    CouponsAdded,
    CouponsRemoved,
    CouponsExpired,
    StockLevel,
    PoolAlert,
)

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class InvalidEventError(ValueError):
    """A record value that is not a valid event of a known type and version."""


def parse_event(raw: bytes | str | None) -> Event:
    """Parse one record value; raise InvalidEventError with a readable reason."""
    if raw is None:
        raise InvalidEventError("empty record value (tombstone)")
    try:
        return _EVENT_ADAPTER.validate_json(raw)
    except ValidationError as exc:
        raise InvalidEventError(_describe(exc)) from exc


def encode_event(event: _Event) -> bytes:
    return event.model_dump_json().encode()


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "value"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
