"""A large insert written as concurrent parts still tells, per document, whether this call created it."""

import pytest
from pymongo import AsyncMongoClient

from coupon_shared.mongo import Document, insert_new_in_parts

pytestmark = pytest.mark.integration


async def test_parts_report_each_document_in_order(mongo_client: AsyncMongoClient[Document], db_name: str) -> None:
    collection = mongo_client[db_name]["parts"]
    # Every third one exists already, spread over every part.
    await collection.insert_many([{"_id": f"d{n:04d}", "by": "earlier"} for n in range(0, 1000, 3)])
    docs = [{"_id": f"d{n:04d}", "by": "this call"} for n in range(1000)]
    created = await insert_new_in_parts(collection, docs, part_size=250, parts=4)
    assert created == [n % 3 != 0 for n in range(1000)]
    stored = {doc["_id"]: doc["by"] async for doc in collection.find({})}
    assert stored == {f"d{n:04d}": "earlier" if n % 3 == 0 else "this call" for n in range(1000)}


async def test_a_batch_smaller_than_two_parts_reports_each_document(
    mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    collection = mongo_client[db_name]["parts"]
    await collection.insert_one({"_id": "b"})
    created = await insert_new_in_parts(collection, [{"_id": "a"}, {"_id": "b"}, {"_id": "c"}], part_size=2, parts=4)
    assert created == [True, False, True]
