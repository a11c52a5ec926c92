"""kill -9 of pool-service in the middle of an import: after a restart the import finishes, every code once."""

import time
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient

from coupon_shared.mongo import Document
from tests.support.processes import ServiceProcess, python_module
from tests.support.random_refs import random_pool_name
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

ADMIN = {"Authorization": "Bearer crash-admin-key"}
CODES = 30_000


def start_service(env: dict[str, str], log_dir: Path, name: str) -> ServiceProcess:
    service = ServiceProcess(name, python_module("pool_service"), env, log_dir)
    service.wait_ready(f"http://127.0.0.1:{env['POOL_SERVICE_HTTP_PORT']}/readyz")
    return service


def import_status(base: str, pool_id: str, import_id: str) -> dict[str, object]:
    url = f"{base}/v1/pools/{pool_id}/imports/{import_id}"
    status: dict[str, object] = httpx.get(url, headers=ADMIN, timeout=30).json()
    return status


def wait_until(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


async def test_kill_9_mid_import_resumes_without_duplicates(
    kafka_bootstrap: str, mongo_url: str, db_name: str, tmp_path: Path, mongo_client: AsyncMongoClient[Document]
) -> None:
    port = free_port()
    env = {
        "POOL_SERVICE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "POOL_SERVICE_MONGO_URL": mongo_url,
        "POOL_SERVICE_MONGO_DB": db_name,
        "POOL_SERVICE_API_KEYS": "crash-admin-key:admin",
        "POOL_SERVICE_HTTP_PORT": str(port),
        "POOL_SERVICE_CONSUMER_GROUP": f"pool-service-{db_name}",
        "POOL_SERVICE_IMPORT_BATCH_ROWS": "2000",
        "POOL_SERVICE_IMPORT_LEASE_SECONDS": "2",
        "POOL_SERVICE_IMPORT_POLL_INTERVAL_SECONDS": "0.5",
    }
    base = f"http://127.0.0.1:{port}"
    body = b"code,message\n" + b"".join(b"CRASH-%06d,m\n" % (i % (CODES - 3000)) for i in range(CODES))
    service = start_service(env, tmp_path, "pool-service-1")
    try:
        pool_id = httpx.post(f"{base}/v1/pools", json={"name": random_pool_name()}, headers=ADMIN).json()["id"]
        accepted = httpx.post(f"{base}/v1/pools/{pool_id}/imports", content=body, headers=ADMIN, timeout=60)
        assert accepted.status_code == 202
        import_id = accepted.json()["import_id"]
        wait_until(lambda: int(import_status(base, pool_id, import_id)["imported"]) > 0, 60)  # type: ignore[call-overload]
    finally:
        service.kill()
        service.stop()  # closes its log; the process is already gone
    restarted = start_service(env, tmp_path, "pool-service-2")
    try:
        wait_until(lambda: import_status(base, pool_id, import_id)["state"] == "done", 180)
        status = import_status(base, pool_id, import_id)
    finally:
        restarted.stop()
    unique = CODES - 3000
    assert (status["rows_read"], status["imported"], status["duplicates"], status["invalid"]) == (
        CODES,
        unique,
        3000,
        0,
    )
    codes = [doc["_id"] async for doc in mongo_client[db_name][f"stock.{pool_id}"].find({})]
    assert len(codes) == len(set(codes)) == unique
