"""HTTP routes for the coupons of a pool."""

from fastapi import APIRouter, Query, Response

from coupon_shared.auth import AdminOnly
from coupon_shared.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor
from pool_service.domain.coupons import Coupon, make_coupon
from pool_service.entrypoints.deps import RuntimeDep
from pool_service.entrypoints.schemas import CouponCreate, CouponPublic
from pool_service.service_layer import coupons as handlers

router = APIRouter(prefix="/v1/pools/{pool_id}/coupons", tags=["coupons"])


def to_public(coupon: Coupon) -> CouponPublic:
    return CouponPublic(
        code=coupon.code,
        message=coupon.message,
        pool_expires_at=coupon.pool_expires_at,
        user_expiration=coupon.user_expiration,
        max_assignments=coupon.max_assignments,
    )


@router.post("", status_code=201)
async def add_coupon(pool_id: str, body: CouponCreate, runtime: RuntimeDep, _: AdminOnly) -> CouponPublic:
    coupon = make_coupon(**body.model_dump())
    return to_public(await handlers.add_coupon(runtime.store, pool_id, coupon))


@router.get("")
async def list_coupons(
    pool_id: str,
    runtime: RuntimeDep,
    _: AdminOnly,
    q: str | None = Query(default=None, max_length=64),
    limit: int = Query(default=50, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> Page[CouponPublic]:
    position = int(decode_cursor(cursor).get("scanned", 0)) if cursor else None
    page = await handlers.list_active_coupons(runtime.store, pool_id, q or None, position, limit)
    next_cursor = encode_cursor({"scanned": page.next_position}) if page.next_position is not None else None
    return Page[CouponPublic](items=[to_public(c) for c in page.items], next_cursor=next_cursor)


@router.delete("/{code}", status_code=204)
async def remove_coupon(pool_id: str, code: str, runtime: RuntimeDep, _: AdminOnly) -> Response:
    await handlers.remove_coupon(runtime.store, pool_id, code)
    return Response(status_code=204)
