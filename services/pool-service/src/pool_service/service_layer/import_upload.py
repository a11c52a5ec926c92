"""Accepting an import: spool the upload, check the limits, store it, answer 202.

The body goes to a local temporary file first (counting bytes and lines), so a
file over a limit is refused with 413 before anything is stored in the database.
Then it is copied into ``import_chunks`` and the import document is written last:
once the client has its 202, the whole file is in the database and survives a crash.
"""

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO
from uuid import uuid4

from coupon_shared.events import utc_now
from pool_service.adapters.store import IMPORT_CHUNKS, IMPORT_LEASES, IMPORTS, Store
from pool_service.domain.import_progress import ImportProgress
from pool_service.service_layer.errors import TooLargeError
from pool_service.service_layer.pools import get_pool

SPOOL_IN_MEMORY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    chunk_bytes: int


@dataclass
class SpooledUpload:
    file: IO[bytes]
    size: int = 0
    lines: int = 0
    ends_with_newline: bool = True

    @property
    def rows(self) -> int:
        return self.lines + (0 if self.ends_with_newline else 1)


async def spool_upload(body: AsyncIterator[bytes], limits: Limits) -> SpooledUpload:
    upload = SpooledUpload(tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES))  # noqa: SIM115
    async for piece in body:
        if not piece:
            continue
        upload.size += len(piece)
        upload.lines += piece.count(b"\n")
        upload.ends_with_newline = piece.endswith(b"\n")
        _check_limits(upload, limits)
        upload.file.write(piece)
    upload.file.seek(0)
    return upload


def _check_limits(upload: SpooledUpload, limits: Limits) -> None:
    if upload.size > limits.max_bytes:
        upload.file.close()
        raise TooLargeError(f"The file is larger than {limits.max_bytes} bytes")
    # One more line than the limit is allowed for a CSV header.
    if upload.rows > limits.max_rows + 1:
        upload.file.close()
        raise TooLargeError(f"The file has more than {limits.max_rows} rows")


async def store_import(store: Store, pool_id: str, upload: SpooledUpload, limits: Limits) -> str:
    import_id = uuid4().hex
    chunks = 0
    try:
        await get_pool(store, pool_id)
        while piece := upload.file.read(limits.chunk_bytes):
            await store.insert(IMPORT_CHUNKS, {"_id": f"{import_id}:{chunks}", "data": piece})
            chunks += 1
    finally:
        upload.file.close()
    await store.insert_new(IMPORT_LEASES, [{"_id": f"{import_id}:0", "at": utc_now()}])
    await store.insert(IMPORTS, _import_doc(import_id, pool_id, upload.size, chunks))
    return import_id


def _import_doc(import_id: str, pool_id: str, size: int, chunks: int) -> dict[str, object]:
    now = utc_now()
    return {
        "_id": import_id,
        "pool_id": pool_id,
        "size": size,
        "chunks": chunks,
        "created_at": now,
        "epoch": 0,
        "heartbeat_at": now,
        **ImportProgress().to_doc(),
    }
