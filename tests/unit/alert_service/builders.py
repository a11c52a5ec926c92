"""Events of the contract with sensible defaults, for the alert service's tests."""

import uuid
from datetime import UTC, datetime

from coupon_shared.events import (
    AlertSettings,
    AssignmentData,
    CouponAssigned,
    CouponsAdded,
    CouponsAddedData,
    CouponsExpired,
    CouponsExpiredData,
    CouponsRemoved,
    CouponsRemovedData,
    PoolCreated,
    PoolCreatedData,
    PoolDeleted,
    PoolDeletedData,
    PoolUpdated,
    PoolUpdatedData,
    StockLevel,
    StockLevelData,
)

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def new_pool_id() -> str:
    return uuid.uuid4().hex


def pool_created(pool_id: str, name: str = "welcome", enabled: bool = False, threshold: int = 0) -> PoolCreated:
    alert = AlertSettings(enabled=enabled, threshold=threshold)
    return PoolCreated(data=PoolCreatedData(pool_id=pool_id, name=name, created_at=T0, alert=alert))


def pool_updated(pool_id: str, name: str = "welcome", enabled: bool = True, threshold: int = 0) -> PoolUpdated:
    alert = AlertSettings.model_construct(enabled=enabled, threshold=threshold)
    return PoolUpdated(data=PoolUpdatedData(pool_id=pool_id, name=name, alert=alert, updated_at=T0))


def pool_deleted(pool_id: str) -> PoolDeleted:
    return PoolDeleted(data=PoolDeletedData(pool_id=pool_id))


def coupons_added(pool_id: str, count: int) -> CouponsAdded:
    return CouponsAdded(data=CouponsAddedData(pool_id=pool_id, count=count))


def coupons_removed(pool_id: str, count: int) -> CouponsRemoved:
    return CouponsRemoved(data=CouponsRemovedData(pool_id=pool_id, count=count))


def coupons_expired(pool_id: str, count: int) -> CouponsExpired:
    return CouponsExpired(data=CouponsExpiredData(pool_id=pool_id, count=count))


def stock_level(pool_id: str, active: int) -> StockLevel:
    return StockLevel(data=StockLevelData(pool_id=pool_id, active=active, assigned=0, expired=0))


def coupon_assigned(
    pool_id: str, remaining: int | None = 0, assigned_at: datetime | None = None, request_id: str | None = None
) -> CouponAssigned:
    data = AssignmentData(
        request_id=request_id or f"req-{uuid.uuid4().hex}",
        pool_id=pool_id,
        code=f"CODE-{uuid.uuid4().hex[:8]}",
        email=f"customer-{uuid.uuid4().hex[:8]}@example.com",
        source="test",
        assigned_at=assigned_at or datetime.now(UTC),
        coupon_remaining=remaining,
    )
    return CouponAssigned(data=data)
