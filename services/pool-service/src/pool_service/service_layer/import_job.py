"""Running an import in the background, resumable after a crash without counting a row twice.

The job reads the stored file from its checkpoint (a byte offset at a line
boundary) in batches of rows. Each batch claims its codes (``code_claims``: its
stock inserts, or its ``coupon_keys`` inserts once codes have left the pool) marked
with the batch's id (``import_id@offset``): the insert that wins is the one copy of a
code, whatever else runs at the same time. A batch that a crash interrupted is redone
from the same offset, recognises its own earlier inserts by that mark, and finishes
them. The checkpoint is written after the batch, with its counters, so each row is
counted exactly once.

Three batches are in hand at once: one being parsed, the next claiming its codes,
the one before that storing what is left to store and its checkpoint. Claims and
stores each run in file order.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID, uuid5

from coupon_shared.events import CouponsAdded, CouponsAddedData, utc_now
from pool_service.adapters.outbox import record_events
from pool_service.adapters.store import IMPORT_CHUNKS, IMPORT_LEASES, IMPORTS, Store
from pool_service.domain.coupons import Coupon
from pool_service.domain.import_lines import LineSplitter, RawLine, UndecodableLineError, decode_line
from pool_service.domain.import_progress import ImportProgress
from pool_service.domain.import_rows import InvalidRowError, detect_columns, parse_row
from pool_service.service_layer.code_claims import Claimed, claim_batch, store_claimed
from pool_service.service_layer.coupons import file_expiries

# Batches whose codes may be claimed but not yet checkpointed: the one storing and the one
# claiming. After a crash this many batches from the checkpoint on may meet their own claims.
BATCHES_IN_DATABASE = 2
YIELD_EVERY_LINES = 500
_BATCH_EVENT_NAMESPACE = UUID("0b7c2a55-91f4-4d0e-8f3e-6c1b8f1d2a77")


@dataclass(frozen=True)
class JobSettings:
    chunk_bytes: int
    batch_rows: int
    max_line_bytes: int


@dataclass
class Batch:
    start_offset: int
    rows: list[tuple[int, Coupon]] = field(default_factory=list)
    read_up_to: ImportProgress | None = None
    # Set when the batch claims its codes, used when it is stored.
    in_file_duplicates: int = 0
    distinct_codes: int = 0
    # Redone after a crash: it may meet inserts of its own earlier attempt.
    redone: bool = False


class LeaseLostError(Exception):
    """Another process took this import over; this one stops without writing."""


@dataclass
class _Job:
    store: Store
    import_id: str
    pool_id: str
    epoch: int
    settings: JobSettings
    progress: ImportProgress
    # After a (re)start, how many of the next batches may meet claims of their own
    # crashed attempt (see BATCHES_IN_DATABASE).
    resumed_batches: int


@dataclass
class _InFlight:
    """A batch handed to the database: its claim and its store (what is left of its stock, checkpoint)."""

    claimed: asyncio.Task[Claimed]
    stored: asyncio.Task[None]
    # The store of the batch before it, which this batch's store waits for.
    stored_before: asyncio.Task[None] | None


async def run_import(store: Store, import_id: str, epoch: int, settings: JobSettings) -> None:
    doc = await store.get(IMPORTS, import_id)
    if doc is None or doc["state"] in ("done", "failed"):
        return
    progress = ImportProgress.from_doc(doc)
    progress.state = "running"
    # Any earlier attempt (a takeover has epoch > 0) may have claimed codes of the
    # batch at the checkpoint, even the first one, before dying.
    resumed = epoch > 0 or doc["state"] == "running"
    job = _Job(store, import_id, str(doc["pool_id"]), epoch, settings, progress, BATCHES_IN_DATABASE if resumed else 0)
    try:
        await _read_batches(job)
    except LeaseLostError:
        return
    if progress.state == "running":
        progress.state = "done"
    await _checkpoint(job)
    await _drop_chunks(store, import_id, int(doc["chunks"]))


async def _read_batches(job: _Job) -> None:
    """Parse the next batch while earlier ones are in the database (parsing is CPU, storing is I/O)."""
    batch = Batch(job.progress.offset)
    in_flight: _InFlight | None = None
    try:
        async for line in _lines(job.store, job.import_id, job.progress, job.settings):
            if line.number % YIELD_EVERY_LINES == 0:
                await asyncio.sleep(0)  # parsing is CPU: let HTTP requests in between
            if not _read_line(line, job.progress, batch):
                break
            if len(batch.rows) >= job.settings.batch_rows:
                in_flight = await _hand_over(job, batch, in_flight)
                batch = Batch(job.progress.offset)
        in_flight = await _hand_over(job, batch, in_flight)
        await in_flight.stored
    finally:
        if in_flight is not None:
            await _stop(in_flight)


async def _stop(in_flight: _InFlight) -> None:
    """After a failure (or a lost lease) nothing of this job may go on writing: cancel what still runs.
    Cancelling a store cancels the store before it that it waits for."""
    for task in (in_flight.claimed, in_flight.stored):
        task.cancel()
    await asyncio.gather(in_flight.claimed, in_flight.stored, return_exceptions=True)


async def _hand_over(job: _Job, batch: Batch, previous: _InFlight | None) -> _InFlight:
    # The checkpoint written after this batch holds the reading position at its end.
    batch.read_up_to = replace(job.progress, errors=list(job.progress.errors))
    if previous is not None:
        # At most BATCHES_IN_DATABASE: this claim may run beside the previous batch's store only.
        await previous.claimed
        if previous.stored_before is not None:
            await previous.stored_before
        if previous.stored.done():
            previous.stored.result()  # a failed store stops the job here, not at the end
    stored_before = previous.stored if previous else None
    claimed = asyncio.create_task(_claim_batch(job, batch))
    stored = asyncio.create_task(_store_batch(job, batch, claimed, stored_before))
    return _InFlight(claimed, stored, stored_before)


def _read_line(line: RawLine, progress: ImportProgress, batch: Batch) -> bool:
    """Take one line into the batch or the counters; False when the file cannot be read further."""
    try:
        text = decode_line(line, at_file_start=line.number == 1)
    except UndecodableLineError as exc:
        progress.fail(line.number, str(exc))
        return False
    progress.offset, progress.line = line.end_offset, line.number
    if not text.strip() and not line.too_long:
        return True
    if not progress.header_seen:
        progress.header_seen = True
        columns = detect_columns(text)
        progress.columns = list(columns) if columns else None
        if columns:
            return True
    progress.rows_read += 1
    _take_row(line, text, progress, batch)
    return True


def _take_row(line: RawLine, text: str, progress: ImportProgress, batch: Batch) -> None:
    if line.too_long:
        progress.report_invalid(line.number, "the line is too long (a field over the size limit)")
        return
    try:
        coupon = parse_row(text, tuple(progress.columns) if progress.columns else None)
    except InvalidRowError as exc:
        progress.report_invalid(line.number, str(exc))
        return
    if coupon.is_expired(utc_now()):
        progress.report_invalid(line.number, "pool_expires_at: already in the past")
        return
    batch.rows.append((line.number, coupon))


async def _lines(
    store: Store, import_id: str, progress: ImportProgress, settings: JobSettings
) -> AsyncIterator[RawLine]:
    splitter = LineSplitter(progress.offset, progress.line, settings.max_line_bytes)
    index, skip = divmod(progress.offset, settings.chunk_bytes)
    while (chunk := await store.get(IMPORT_CHUNKS, f"{import_id}:{index}")) is not None:
        for line in splitter.feed(bytes(chunk["data"])[skip:]):
            yield line
        index, skip = index + 1, 0
    for line in splitter.finish():
        yield line


async def _claim_batch(job: _Job, batch: Batch) -> Claimed:
    """Claim the batch's codes: what this batch won (or had won before a crash)."""
    await _check_lease(job.store, job.import_id, job.epoch)
    batch.redone = job.resumed_batches > 0
    job.resumed_batches = max(0, job.resumed_batches - 1)
    unique, batch.in_file_duplicates = _unique_codes(batch)
    batch.distinct_codes = len(unique)
    # Filed before any stock insert, so a crash never leaves a stored coupon the sweep misses.
    await file_expiries(job.store, job.pool_id, unique)
    return await claim_batch(job.store, job.pool_id, unique, _batch_id(job, batch), batch.redone)


async def _store_batch(
    job: _Job, batch: Batch, claimed: asyncio.Task[Claimed], previous: asyncio.Task[None] | None
) -> None:
    """Store what the claim left to store, then checkpoint, after the batch before has (counters go in order)."""
    claims = await claimed
    if previous is not None:
        await previous
    store, pool_id = job.store, job.pool_id
    mine = claims.stored + await store_claimed(store, pool_id, claims.to_store, _batch_id(job, batch), batch.redone)
    if mine:
        event_id = uuid5(_BATCH_EVENT_NAMESPACE, _batch_id(job, batch))
        data = CouponsAddedData(pool_id=pool_id, count=len(mine), import_id=job.import_id)
        await record_events(store, [CouponsAdded(event_id=event_id, data=data)])
    job.progress.imported += len(mine)
    job.progress.duplicates += batch.in_file_duplicates + batch.distinct_codes - len(mine)
    assert batch.read_up_to is not None
    at_batch_end = replace(batch.read_up_to, imported=job.progress.imported, duplicates=job.progress.duplicates)
    await _checkpoint(job, at_batch_end)


def _batch_id(job: _Job, batch: Batch) -> str:
    return f"{job.import_id}@{batch.start_offset}"


def _unique_codes(batch: Batch) -> tuple[list[Coupon], int]:
    seen: dict[str, Coupon] = {}
    for _, coupon in batch.rows:
        seen.setdefault(coupon.code, coupon)
    return list(seen.values()), len(batch.rows) - len(seen)


async def _check_lease(store: Store, import_id: str, epoch: int) -> None:
    if await store.get(IMPORT_LEASES, f"{import_id}:{epoch + 1}") is not None:
        raise LeaseLostError(import_id)


async def _checkpoint(job: _Job, progress: ImportProgress | None = None) -> None:
    update = {**(progress or job.progress).to_doc(), "heartbeat_at": utc_now(), "epoch": job.epoch}
    await job.store.set_fields(IMPORTS, job.import_id, update)


async def _drop_chunks(store: Store, import_id: str, chunks: int) -> None:
    for index in range(chunks):
        await store.delete(IMPORT_CHUNKS, f"{import_id}:{index}")


async def claim_stale_import(store: Store, doc: dict[str, Any], lease_seconds: float) -> int | None:
    """Take over an import whose owner stopped checkpointing; the returned epoch is ours."""
    if doc["state"] in ("done", "failed"):
        return None
    if (utc_now() - doc["heartbeat_at"]).total_seconds() < lease_seconds:
        return None
    epoch = int(doc.get("epoch", 0)) + 1
    [claimed] = await store.insert_new(IMPORT_LEASES, [{"_id": f"{doc['_id']}:{epoch}", "at": utc_now()}])
    return epoch if claimed else None
