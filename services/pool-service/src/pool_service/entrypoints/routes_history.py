"""HTTP routes for the Assigned History and its CSV export."""

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from coupon_shared.auth import AdminOnly
from coupon_shared.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor
from pool_service.entrypoints.deps import RuntimeDep
from pool_service.entrypoints.schemas import AssignmentRow
from pool_service.service_layer.history import HistoryCursor, export_history_csv, list_history
from pool_service.service_layer.pools import get_pool

router = APIRouter(prefix="/v1/pools/{pool_id}", tags=["history"])


@router.get("/assignments")
async def assigned_history(
    pool_id: str,
    runtime: RuntimeDep,
    _: AdminOnly,
    q: str | None = Query(default=None, max_length=320),
    limit: int = Query(default=50, ge=1, le=MAX_LIMIT),
    cursor: str | None = None,
) -> Page[AssignmentRow]:
    position = HistoryCursor(int(decode_cursor(cursor).get("before", 1))) if cursor else None
    page = await list_history(runtime.store, pool_id, q or None, position, limit)
    next_cursor = encode_cursor({"before": page.next.before}) if page.next else None
    return Page[AssignmentRow](items=[AssignmentRow(**row) for row in page.items], next_cursor=next_cursor)


@router.get("/assignments.csv")
async def export_assignments(pool_id: str, runtime: RuntimeDep, _: AdminOnly) -> StreamingResponse:
    await get_pool(runtime.store, pool_id)
    headers = {"Content-Disposition": f'attachment; filename="assignments-{pool_id}.csv"'}
    return StreamingResponse(export_history_csv(runtime.store, pool_id), media_type="text/csv", headers=headers)
