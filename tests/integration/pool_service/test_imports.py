"""Imports: both formats, BOM, duplicates, invalid rows, undecodable files, limits, concurrent overlapping files."""

import asyncio

import httpx
import pytest
from pymongo import AsyncMongoClient

from coupon_shared.mongo import Document
from pool_service.settings import Settings
from tests.integration.pool_service.conftest import new_pool, running_service, wait_for_import

pytestmark = pytest.mark.integration


async def start_import(api: httpx.AsyncClient, pool_id: str, content: bytes, content_type: str = "text/csv") -> str:
    response = await api.post(f"/v1/pools/{pool_id}/imports", content=content, headers={"content-type": content_type})
    assert response.status_code == 202, response.text
    import_id: str = response.json()["import_id"]
    return import_id


async def stock_codes(mongo_client: AsyncMongoClient[Document], db_name: str, pool_id: str) -> list[str]:
    return [doc["_id"] async for doc in mongo_client[db_name][f"stock.{pool_id}"].find({})]


async def test_csv_with_bom_duplicates_and_invalid_rows(
    api: httpx.AsyncClient, mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    pool_id = (await new_pool(api))["id"]
    await api.post(f"/v1/pools/{pool_id}/coupons", json={"code": "ALREADY"})
    lines = [
        "code,message,pool_expires_at,user_expiration,max_assignments",  # line 1
        'A1,"Hi, there",2099-01-01T00:00:00Z,P30D,3',  # 2
        "A2,,,,",  # 3
        "A1,again,,,",  # 4: duplicate inside the file
        "ALREADY,,,,",  # 5: duplicate against the pool
        'A3,"never closed,,,',  # 6: unmatched quote
        "A4," + "m" * (1024 * 1024) + ",,,",  # 7: a 1 MB field
        "A5,,not-a-date,,",  # 8
        "",  # 9: blank, skipped
        "A6,,,,unlimited",  # 10
    ]
    import_id = await start_import(api, pool_id, b"\xef\xbb\xbf" + "\r\n".join(lines).encode())
    status = await wait_for_import(api, pool_id, import_id)
    assert status["state"] == "done"
    assert (status["rows_read"], status["imported"], status["duplicates"], status["invalid"]) == (8, 3, 2, 3)
    assert [e["line"] for e in status["errors"]] == [6, 7, 8]
    assert sorted(await stock_codes(mongo_client, db_name, pool_id)) == ["A1", "A2", "A6", "ALREADY"]
    a1 = await mongo_client[db_name][f"stock.{pool_id}"].find_one({"_id": "A1"})
    assert a1 is not None
    assert (a1["message"], a1["user_expiration"], a1["max_assignments"]) == ("Hi, there", "P30D", 3)


async def test_one_code_per_line_and_multipart(api: httpx.AsyncClient) -> None:
    pool_id = (await new_pool(api))["id"]
    import_id = await start_import(api, pool_id, b"C1\r\nC2\nC3", "text/plain")
    status = await wait_for_import(api, pool_id, import_id)
    assert (status["state"], status["imported"]) == ("done", 3)
    files = {"file": ("codes.txt", b"C3\nC4\n", "text/plain")}
    response = await api.post(f"/v1/pools/{pool_id}/imports", files=files)
    assert response.status_code == 202
    status = await wait_for_import(api, pool_id, response.json()["import_id"])
    assert (status["imported"], status["duplicates"]) == (1, 1)
    missing = await api.post(f"/v1/pools/{pool_id}/imports", files={"other": ("x.txt", b"C9\n", "text/plain")})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "file"


@pytest.mark.parametrize("bad", [b"caf\xe9-2\n", b"\x00\x01\x02\xff\xfe binary\n"])
async def test_undecodable_file_fails_at_its_line(
    api: httpx.AsyncClient, mongo_client: AsyncMongoClient[Document], db_name: str, bad: bytes
) -> None:
    pool_id = (await new_pool(api))["id"]
    import_id = await start_import(api, pool_id, b"OK-1\nOK-2\n" + bad + b"AFTER-1\n")
    status = await wait_for_import(api, pool_id, import_id)
    assert status["state"] == "failed"
    assert status["errors"][-1]["line"] == 3
    assert status["imported"] == 2
    assert sorted(await stock_codes(mongo_client, db_name, pool_id)) == ["OK-1", "OK-2"]


async def test_unknown_pool_is_404(api: httpx.AsyncClient) -> None:
    response = await api.post("/v1/pools/" + "a" * 32 + "/imports", content=b"X\n")
    assert response.status_code == 404
    pool_id = (await new_pool(api))["id"]
    assert (await api.get(f"/v1/pools/{pool_id}/imports/nope")).status_code == 404


async def test_over_a_limit_is_413_before_storing(
    kafka_bootstrap: str, mongo_url: str, db_name: str, mongo_client: AsyncMongoClient[Document], settings: Settings
) -> None:
    limited = settings.model_copy(update={"import_max_bytes": 1000, "import_max_rows": 5})
    async with running_service(limited) as api:
        pool_id = (await new_pool(api))["id"]
        too_big = await api.post(f"/v1/pools/{pool_id}/imports", content=b"X" * 1001)
        assert too_big.status_code == 413
        assert too_big.headers["content-type"] == "application/problem+json"
        chunked = await api.post(f"/v1/pools/{pool_id}/imports", content=_pieces(b"Y" * 600, 2))
        assert chunked.status_code == 413
        too_many = await api.post(f"/v1/pools/{pool_id}/imports", content=b"".join(b"R%d\n" % i for i in range(7)))
        assert too_many.status_code == 413
        assert await mongo_client[db_name]["import_chunks"].find_one({}) is None
        assert await mongo_client[db_name]["imports"].find_one({}) is None
        header_and_five = b"code\nA\nB\nC\nD\nE\n"
        assert (await api.post(f"/v1/pools/{pool_id}/imports", content=header_and_five)).status_code == 202


async def _pieces(piece: bytes, times: int):  # type: ignore[no-untyped-def]
    for _ in range(times):
        yield piece


async def test_overlapping_imports_at_once_store_every_code_exactly_once(
    settings: Settings, mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    small_batches = settings.model_copy(update={"import_batch_rows": 50})
    async with running_service(small_batches) as api:
        pool_id = (await new_pool(api))["id"]
        first = b"".join(b"K%05d\n" % i for i in range(0, 1500))
        second = b"".join(b"K%05d\n" % i for i in range(1000, 2500))
        ids = await asyncio.gather(start_import(api, pool_id, first), start_import(api, pool_id, second))
        statuses = [await wait_for_import(api, pool_id, i) for i in ids]
    assert sum(s["imported"] for s in statuses) == 2500
    assert sum(s["duplicates"] for s in statuses) == 500
    codes = await stock_codes(mongo_client, db_name, pool_id)
    assert len(codes) == len(set(codes)) == 2500


async def test_a_removed_code_is_not_imported_again(
    api: httpx.AsyncClient, mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    pool_id = (await new_pool(api))["id"]
    first = await wait_for_import(api, pool_id, await start_import(api, pool_id, b"R1\nR2\nR3\n", "text/plain"))
    assert first["imported"] == 3
    # Imported into a fresh pool, the codes hold no key: the removal writes the "retired" one.
    assert (await api.delete(f"/v1/pools/{pool_id}/coupons/R2")).status_code == 204
    again = await wait_for_import(api, pool_id, await start_import(api, pool_id, b"R1\nR2\nR3\nR4\n", "text/plain"))
    assert (again["state"], again["imported"], again["duplicates"]) == ("done", 1, 3)
    assert sorted(await stock_codes(mongo_client, db_name, pool_id)) == ["R1", "R3", "R4"]
    assert (await api.post(f"/v1/pools/{pool_id}/coupons", json={"code": "R2"})).status_code == 409
