"""The local store serves an `_id` look-up from an index, as MongoDB does.

FerretDB v1 on PostgreSQL pushes `{"_id": x}` down as `_jsonb->'_id' @> x`, which its own btree
index cannot serve; `deploy/postgres/id-lookup-index.sql` gives every new table a GIN index that can.
Without it every `_id` look-up in the services is a scan of its collection.
"""

import pytest
from pymongo import AsyncMongoClient

from coupon_shared.mongo import Document

pytestmark = pytest.mark.integration


def plan_nodes(plan: Document) -> list[str]:
    return [plan["Node Type"], *(node for child in plan.get("Plans", []) for node in plan_nodes(child))]


@pytest.mark.parametrize("collection_name", ["plain", "stock.0123456789abcdef"])
async def test_an_id_lookup_in_a_new_collection_is_an_index_scan(
    mongo_client: AsyncMongoClient[Document], db_name: str, collection_name: str
) -> None:
    collection = mongo_client[db_name][collection_name]
    await collection.insert_many([{"_id": f"CODE-{i:06d}", "message": "10% off"} for i in range(20_000)])

    explained = await mongo_client[db_name].command(
        "explain", {"find": collection_name, "filter": {"_id": "CODE-017777"}}, verbosity="queryPlanner"
    )

    nodes = plan_nodes(explained["queryPlanner"]["Plan"])
    assert any("Index" in node for node in nodes), nodes
    assert "Seq Scan" not in nodes
    assert await collection.find_one({"_id": "CODE-017777"}) == {"_id": "CODE-017777", "message": "10% off"}
