"""Assigned History: newest first with search, and the streamed CSV export.

Rows are kept twice by the projection: ``history.<pool_id>`` keyed by email
(the exact-email look-up and the duplicate filter) and ``history_pages.<pool_id>``,
pages of 500 rows numbered in arrival order, read backwards by `_id` for "newest first".
"""

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from pool_service.adapters.history_pages import page_rows, page_rows_as_text
from pool_service.adapters.store import POOL_STATS, Store, history_name, history_pages_name
from pool_service.domain.history import CSV_HEADER, ROWS_PER_PAGE, csv_cells, matches_history, page_key, page_of
from pool_service.service_layer.pools import get_pool

SEARCH_BUDGET_SECONDS = 0.5
PAGES_READ_TOGETHER = 8


@dataclass(frozen=True)
class HistoryCursor:
    """Rows with a sequence number below ``before`` are still to be read."""

    before: int


@dataclass(frozen=True)
class HistoryPage:
    items: list[dict[str, Any]]
    next: HistoryCursor | None


async def list_history(
    store: Store, pool_id: str, q: str | None, cursor: HistoryCursor | None, limit: int
) -> HistoryPage:
    await get_pool(store, pool_id)
    stats = await store.get(POOL_STATS, pool_id) or {}
    before = cursor.before if cursor else int(stats.get("next_seq", 1))
    # An exact email is one `_id` read: it alone is the first page; the scan then skips it.
    if cursor is None and (exact := await _within(_exact_email(store, pool_id, q))) is not None:
        return HistoryPage([exact], HistoryCursor(before) if before > 1 else None)
    deadline = time.monotonic() + SEARCH_BUDGET_SECONDS
    skip = q.strip().lower() if q else None
    found, next_before = await _scan_pages(
        store, pool_id, q=q, before=before, limit=limit, skip_email=skip, deadline=deadline
    )
    return HistoryPage(found, HistoryCursor(next_before) if next_before > 1 else None)


async def _within(lookup: Coroutine[Any, Any, dict[str, Any] | None]) -> dict[str, Any] | None:
    # An index hit on MongoDB and the local FerretDB; a store without that index (FerretDB on
    # SQLite) scans: give it half the budget, then search.
    try:
        return await asyncio.wait_for(lookup, timeout=SEARCH_BUDGET_SECONDS / 2)
    except TimeoutError:
        return None


async def _exact_email(store: Store, pool_id: str, q: str | None) -> dict[str, Any] | None:
    if not q or "@" not in q:
        return None
    doc = await store.get(history_name(pool_id), q.strip().lower(), max_seconds=SEARCH_BUDGET_SECONDS / 2)
    return None if doc is None else _public({**doc, "email": doc["_id"]})


async def _scan_pages(
    store: Store, pool_id: str, *, q: str | None, before: int, limit: int, skip_email: str | None, deadline: float
) -> tuple[list[dict[str, Any]], int]:
    """Matching rows newest first; stops at ``limit`` rows or when the time budget is spent."""
    found: list[dict[str, Any]] = []
    page = page_of(before - 1) if before > 1 else -1
    while page >= 0 and limit > 0:
        numbers = list(range(page, max(page - PAGES_READ_TOGETHER, -1), -1))
        docs = await asyncio.gather(*(store.get(history_pages_name(pool_id), page_key(n)) for n in numbers))
        for doc in docs:
            for row in sorted(page_rows(doc) if doc else [], key=lambda r: -r["seq"]):
                if row["seq"] >= before or not matches_history(row["code"], row["email"], q):
                    continue
                if row["email"] == skip_email:
                    continue
                found.append(_public(row))
                if len(found) >= limit:
                    return found, row["seq"]
        page = numbers[-1] - 1
        before = numbers[-1] * ROWS_PER_PAGE + 1
        if time.monotonic() > deadline:
            break
    return found, before if page >= 0 else 1


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "email": row["email"],
        "source": row["source"],
        "assigned_at": row["assigned_at"],
        "user_expires_at": row.get("user_expires_at"),
    }


async def export_history_csv(store: Store, pool_id: str) -> AsyncIterator[bytes]:
    """The whole history as CSV, oldest first, one page of rows in memory at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    # Closed even when the client goes away mid-way (the response closes this generator).
    async with aclosing(store.stream(history_pages_name(pool_id), batch_size=200)) as pages:
        async for doc in pages:
            for row in sorted(page_rows_as_text(doc), key=lambda r: r["seq"]):
                writer.writerow(csv_cells(row["code"], row["email"], row["source"], row["assigned_at"]))
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
