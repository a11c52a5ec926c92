"""The HTTP shapes of the contract: PoolCreate / PoolUpdate / PoolPublic and friends."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pool_service.domain import coupons as rules
from pool_service.domain.pools import InvalidPoolNameError, clean_pool_name


class _In(BaseModel):
    # An unknown field is a typo the client should hear about (422 naming it).
    model_config = ConfigDict(extra="forbid")


def _pool_name(value: str) -> str:
    try:
        return clean_pool_name(value)
    except InvalidPoolNameError as exc:
        raise ValueError(str(exc)) from exc


class PoolCreate(_In):
    name: str

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _pool_name(value)


class AlertUpdate(_In):
    enabled: bool | None = None
    threshold: int | None = Field(default=None, ge=0)


class PoolUpdate(_In):
    name: str | None = None
    alert: AlertUpdate | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        return None if value is None else _pool_name(value)


class AlertPublic(BaseModel):
    enabled: bool
    threshold: int


class CountsPublic(BaseModel):
    active: int
    assigned: int
    expired: int
    total: int


class PoolPublic(BaseModel):
    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    alert: AlertPublic
    counts: CountsPublic


def _rule(check: rules.InvalidCouponError) -> ValueError:
    return ValueError(check.reason)


class CouponFields(BaseModel):
    code: str
    message: str | None = None
    pool_expires_at: datetime | None = None
    user_expiration: str | None = None
    max_assignments: int | None = 1


class CouponCreate(CouponFields, _In):
    @field_validator("code")
    @classmethod
    def _check_code(cls, value: str) -> str:
        try:
            return rules.check_code(value)
        except rules.InvalidCouponError as exc:
            raise _rule(exc) from exc

    @field_validator("message")
    @classmethod
    def _check_message(cls, value: str | None) -> str | None:
        try:
            return rules.check_message(value)
        except rules.InvalidCouponError as exc:
            raise _rule(exc) from exc

    @field_validator("pool_expires_at")
    @classmethod
    def _check_expiry(cls, value: datetime | None) -> datetime | None:
        value = rules.check_expiry(value)
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value

    @field_validator("user_expiration")
    @classmethod
    def _check_user_expiration(cls, value: str | None) -> str | None:
        try:
            return rules.check_user_expiration(value)
        except rules.InvalidCouponError as exc:
            raise _rule(exc) from exc

    @field_validator("max_assignments")
    @classmethod
    def _check_max(cls, value: int | None) -> int | None:
        try:
            return rules.check_max_assignments(value)
        except rules.InvalidCouponError as exc:
            raise _rule(exc) from exc


class CouponPublic(CouponFields):
    pass


class ImportAccepted(BaseModel):
    import_id: str


class ImportErrorRow(BaseModel):
    line: int
    reason: str


class ImportStatus(BaseModel):
    import_id: str
    pool_id: str
    state: str
    rows_read: int
    imported: int
    duplicates: int
    invalid: int
    errors: list[ImportErrorRow]
    created_at: datetime


class AssignmentRow(BaseModel):
    code: str
    email: str
    source: str
    assigned_at: datetime
    user_expires_at: datetime | None = None
