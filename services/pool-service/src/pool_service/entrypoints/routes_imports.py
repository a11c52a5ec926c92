"""HTTP routes for imports: accept a file (raw body or multipart ``file``), report progress."""

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile

from coupon_shared.auth import AdminOnly
from coupon_shared.problems import ProblemError
from pool_service.adapters.store import IMPORTS
from pool_service.entrypoints.deps import RuntimeDep
from pool_service.entrypoints.schemas import ImportAccepted, ImportStatus
from pool_service.service_layer.errors import ImportNotFoundError, TooLargeError
from pool_service.service_layer.import_upload import Limits, SpooledUpload, spool_upload, store_import
from pool_service.service_layer.pools import get_pool

router = APIRouter(prefix="/v1/pools/{pool_id}/imports", tags=["imports"])

# Room for multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
READ_BYTES = 256 * 1024


@router.post("", status_code=202)
async def start_import(pool_id: str, request: Request, runtime: RuntimeDep, _: AdminOnly) -> ImportAccepted:
    await get_pool(runtime.store, pool_id)
    limits = runtime.limits
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes + MULTIPART_OVERHEAD:
        raise TooLargeError(f"The file is larger than {limits.max_bytes} bytes")
    upload = await _spool(request, limits)
    import_id = await store_import(runtime.store, pool_id, upload, limits)
    runtime.imports.start(import_id, epoch=0)
    return ImportAccepted(import_id=import_id)


async def _spool(request: Request, limits: Limits) -> SpooledUpload:
    """The file as a local temporary file: a raw CSV/text body, or the multipart part named ``file``."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await spool_upload(request.stream(), limits)
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            errors = [{"field": "file", "message": "a multipart part named 'file' is required", "location": "body"}]
            raise ProblemError(422, "validation-error", "Invalid input: file", errors=errors)
        return await spool_upload(_read_upload(upload), limits)


async def _read_upload(upload: UploadFile) -> AsyncIterator[bytes]:
    while piece := await upload.read(READ_BYTES):
        yield piece


@router.get("/{import_id}")
async def import_status(pool_id: str, import_id: str, runtime: RuntimeDep, _: AdminOnly) -> ImportStatus:
    await get_pool(runtime.store, pool_id)
    doc = await runtime.store.get(IMPORTS, import_id)
    if doc is None or doc["pool_id"] != pool_id:
        raise ImportNotFoundError(import_id)
    return ImportStatus(import_id=import_id, **{k: v for k, v in doc.items() if k in ImportStatus.model_fields})
