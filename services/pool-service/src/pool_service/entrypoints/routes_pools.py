"""HTTP routes for pools. Thin: parse, call the handler, shape the answer."""

from datetime import datetime

from fastapi import APIRouter, Query, Response

from coupon_shared.auth import AdminOnly
from coupon_shared.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor
from coupon_shared.problems import ProblemError
from pool_service.entrypoints.deps import RuntimeDep
from pool_service.entrypoints.schemas import AlertPublic, CountsPublic, PoolCreate, PoolPublic, PoolUpdate
from pool_service.service_layer import pools as handlers
from pool_service.service_layer.pools import PoolView

router = APIRouter(prefix="/v1/pools", tags=["pools"])


def to_public(view: PoolView) -> PoolPublic:
    pool, counts = view.pool, view.counts
    return PoolPublic(
        id=pool.id,
        name=pool.name,
        created_at=pool.created_at,
        updated_at=pool.updated_at,
        alert=AlertPublic(enabled=pool.alert.enabled, threshold=pool.alert.threshold),
        counts=CountsPublic(active=counts.active, assigned=counts.assigned, expired=counts.expired, total=counts.total),
    )


@router.post("", status_code=201)
async def create_pool(body: PoolCreate, runtime: RuntimeDep, _: AdminOnly) -> PoolPublic:
    view = await handlers.create_pool(runtime.store, body.name)
    runtime.pool_list.saw(view.pool)
    return to_public(view)


@router.get("")
async def list_pools(
    runtime: RuntimeDep,
    _: AdminOnly,
    limit: int = Query(default=50, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> Page[PoolPublic]:
    views, more = await handlers.list_pools(runtime.pool_list, _position(cursor), limit)
    last = views[-1].pool if views else None
    next_cursor = encode_cursor({"at": last.created_at.isoformat(), "id": last.id}) if more and last else None
    return Page[PoolPublic](items=[to_public(v) for v in views], next_cursor=next_cursor)


def _position(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(position["at"]), str(position["id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ProblemError(422, "invalid-cursor", "The cursor is not one this API returned") from exc


@router.get("/{pool_id}")
async def get_pool(pool_id: str, runtime: RuntimeDep, _: AdminOnly) -> PoolPublic:
    return to_public(await handlers.get_pool(runtime.store, pool_id))


@router.patch("/{pool_id}")
async def update_pool(pool_id: str, body: PoolUpdate, runtime: RuntimeDep, _: AdminOnly) -> PoolPublic:
    alert = body.alert
    view = await handlers.update_pool(
        runtime.store,
        pool_id,
        name=body.name,
        alert_enabled=alert.enabled if alert else None,
        alert_threshold=alert.threshold if alert else None,
    )
    runtime.pool_list.saw(view.pool)
    return to_public(view)


@router.delete("/{pool_id}", status_code=204)
async def delete_pool(pool_id: str, runtime: RuntimeDep, _: AdminOnly) -> Response:
    runtime.pool_list.saw(await handlers.delete_pool(runtime.store, pool_id))
    return Response(status_code=204)
