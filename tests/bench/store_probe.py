"""What the local document store can do, per operation (prints figures, asserts nothing).

    make bench BENCH=store_probe BENCH_ARGS="--docs 200000"

Fills one collection of a fresh database with ``--docs`` small documents (string ``_id``s, as every
collection of the services has) and times the operations the services' designs lean on: ``_id``
look-ups of random documents (an index hit, or a scan whose cost grows with the table), a look-up by
another field, ``$in``, sorted and unsorted reads, counts, and the write paths. ARCHITECTURE.md
quotes its figures.
"""

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from coupon_shared.mongo import create_mongo_client
from tests.support import stack
from tests.support.random_refs import random_db_name

BATCH = 5_000


def document(i: int) -> dict[str, Any]:
    return {"_id": f"CODE{i:010d}", "email": f"user{i}@example.com", "message": "10% off your next order"}


async def timed_ms(step: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await step()
    return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms (n={len(ordered)})"


async def probe(docs: int, lookups: int) -> None:
    client = create_mongo_client(stack.mongo_url(), "store-probe")
    database = client[random_db_name()]
    collection = database["probe"]
    try:
        started = time.perf_counter()
        for first in range(0, docs, BATCH):
            await collection.insert_many([document(i) for i in range(first, min(docs, first + BATCH))], ordered=False)
        print(f"insert_many of {BATCH:,}: {docs / (time.perf_counter() - started):,.0f} docs/s ({docs:,} docs)")

        singles = database["singles"]
        started = time.perf_counter()
        for i in range(1_000):
            await singles.insert_one(document(i))
        print(f"insert_one in a loop: {1_000 / (time.perf_counter() - started):,.0f} docs/s")

        ids = [f"CODE{random.randrange(docs):010d}" for _ in range(lookups)]
        samples = [await timed_ms(lambda i=i: collection.find_one({"_id": i})) for i in ids]  # type: ignore[misc]
        print(f"find_one by _id, random documents: {percentiles(samples)}")
        last = f"CODE{docs - 1:010d}"
        samples = [await timed_ms(lambda: collection.find_one({"_id": last})) for _ in range(20)]
        print(f"find_one by _id, the last document: {percentiles(samples)}")
        emails = [f"user{random.randrange(docs)}@example.com" for _ in range(5)]
        samples = [await timed_ms(lambda e=e: collection.find_one({"email": e})) for e in emails]  # type: ignore[misc]
        print(f"find_one by another field (no index): {percentiles(samples)}")
        some = [f"CODE{random.randrange(docs):010d}" for _ in range(500)]
        ms = await timed_ms(lambda: collection.find({"_id": {"$in": some}}).to_list())
        print(f"find _id $in 500 ids: {ms:,.0f} ms")
        ms = await timed_ms(lambda: collection.find({}).limit(100).to_list())
        print(f"find({{}}).limit(100): {ms:,.0f} ms")
        ms = await timed_ms(lambda: collection.find({}).sort("_id", -1).limit(100).to_list())
        print(f"find({{}}).sort(_id, -1).limit(100): {ms:,.0f} ms")
        ms = await timed_ms(lambda: collection.count_documents({}))
        print(f"count_documents({{}}): {ms:,.0f} ms")

        started = time.perf_counter()
        streamed = 0
        async for _ in collection.find({}, batch_size=BATCH):
            streamed += 1
        print(f"unfiltered stream to the end: {streamed / (time.perf_counter() - started):,.0f} docs/s")

        samples = [
            await timed_ms(lambda i=i: collection.update_one({"_id": i}, {"$set": {"used": True}}))  # type: ignore[misc]
            for i in ids[:50]
        ]
        print(f"update_one by _id: {percentiles(samples)}")
        samples = [await timed_ms(lambda i=i: collection.delete_one({"_id": i})) for i in ids[50:100]]  # type: ignore[misc]
        print(f"delete_one by _id: {percentiles(samples)}")
    finally:
        await client.drop_database(database.name)
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--lookups", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(probe(args.docs, args.lookups))


if __name__ == "__main__":
    main()
