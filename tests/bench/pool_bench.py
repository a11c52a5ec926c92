"""pool-service benchmarks against a private stack (prints figures, asserts nothing).

    deploy/bin/with-test-stack .venv/bin/python -m tests.bench.pool_bench --codes 1000000 --pools 1000 --history 1000000

1. import: a CSV of ``--codes`` rows (code,message,pool_expires_at) through POST /imports, against a plain
   ``insert_many`` of the same documents into the same FerretDB in the same run; peak RSS of pool-service.
2. list: GET /v1/pools (first page of 50, and of 500) with ``--pools`` pools, p95.
3. lookup: in the imported pool, an exact code (p95) and the first page of a partial search.
4. history: ``--history`` CouponAssigned events projected into the big pool's history; exact email (p95),
   first page of a partial search, and the CSV export's rows/s with pool-service RSS while it streams.
   With ``--exhaust`` each event uses up its code, so the projector also deletes it from the pool's stock.
"""

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]
from aiokafka import AIOKafkaProducer

from coupon_shared.events import AssignmentData, CouponAssigned, encode_event
from coupon_shared.mongo import create_mongo_client
from coupon_shared.topics import ASSIGNED
from pool_service.adapters.history_pages import page_doc
from tests.support import stack
from tests.support.processes import ServiceProcess, python_module
from tests.support.random_refs import random_db_name, random_pool_name

KEY = "bench-admin-key-000000000000"
HEADERS = {"Authorization": f"Bearer {KEY}"}
EXPIRES = "2099-12-31T00:00:00Z"


class RssSampler:
    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.1)

    def __enter__(self) -> "RssSampler":
        self.peak = self._process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def pool_service(db: str, log_dir: Path) -> Iterator[tuple[str, ServiceProcess]]:
    port = stack.free_port()
    env = {
        "POOL_SERVICE_KAFKA_BOOTSTRAP": stack.kafka_bootstrap(),
        "POOL_SERVICE_MONGO_URL": stack.mongo_url(),
        "POOL_SERVICE_MONGO_DB": db,
        "POOL_SERVICE_API_KEYS": f"{KEY}:admin",
        "POOL_SERVICE_HTTP_PORT": str(port),
        "POOL_SERVICE_CONSUMER_GROUP": f"pool-service-{db}",
    }
    service = ServiceProcess("pool-service", python_module("pool_service"), env, log_dir)
    try:
        service.wait_ready(f"http://127.0.0.1:{port}/readyz")
        yield f"http://127.0.0.1:{port}", service
    finally:
        service.stop()


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def timed_get(client: httpx.Client, path: str, **params: str | int) -> float:
    start = time.perf_counter()
    response = client.get(path, params=params)
    response.raise_for_status()
    return (time.perf_counter() - start) * 1000


def write_csv(path: Path, codes: int) -> None:
    with path.open("w") as out:
        out.write("code,message,pool_expires_at\n")
        for i in range(codes):
            out.write(f"BENCH-{i:08d},Thanks for shopping with us,{EXPIRES}\n")


async def plain_insert_many(db: str, codes: int) -> float:
    """Documents/s of unordered insert_many(5000) of the same rows, the bar's baseline."""
    client = create_mongo_client(stack.mongo_url(), "bench")
    collection = client[db]["plain_insert_many"]
    expires = datetime(2099, 12, 31, tzinfo=UTC)
    start = time.perf_counter()
    for first in range(0, codes, 5000):
        docs = [
            {"_id": f"BENCH-{i:08d}", "message": "Thanks for shopping with us", "pool_expires_at": expires}
            for i in range(first, min(first + 5000, codes))
        ]
        await collection.insert_many(docs, ordered=False)
    elapsed = time.perf_counter() - start
    await client[db].drop_collection("plain_insert_many")
    await client.close()
    return codes / elapsed


def bench_import(client: httpx.Client, service: ServiceProcess, pool_id: str, csv_path: Path, codes: int) -> float:
    with RssSampler(service.process.pid) as rss:
        start = time.perf_counter()
        with csv_path.open("rb") as body:
            accepted = client.post(f"/v1/pools/{pool_id}/imports", content=body, timeout=600)
        accepted.raise_for_status()
        accepted_after = time.perf_counter() - start
        import_id = accepted.json()["import_id"]
        while (status := client.get(f"/v1/pools/{pool_id}/imports/{import_id}").json())["state"] not in (
            "done",
            "failed",
        ):
            time.sleep(0.5)
        elapsed = time.perf_counter() - start
    rate: float = status["imported"] / elapsed
    print(f"import: {status['imported']:,} codes in {elapsed:.1f}s = {rate:,.0f} codes/s ({status['state']}); ")
    print(f"        202 after {accepted_after:.2f}s; pool-service peak RSS {rss.peak / 2**20:.0f} MB")
    return rate


def bench_lists(client: httpx.Client, pools: int) -> None:
    existing = len(client.get("/v1/pools", params={"limit": 500}).json()["items"])
    for _ in range(max(0, pools - existing)):
        client.post("/v1/pools", json={"name": random_pool_name("bench")}).raise_for_status()
    for limit in (50, 500):
        samples = [timed_get(client, "/v1/pools", limit=limit) for _ in range(30)]
        print(
            f"list {pools} pools, limit={limit}: p95 {p95(samples):.0f} ms, median {statistics.median(samples):.0f} ms"
        )


def bench_lookups(client: httpx.Client, pool_id: str, codes: int) -> None:
    path = f"/v1/pools/{pool_id}/coupons"
    exact = [timed_get(client, path, q=f"BENCH-{random.randrange(codes):08d}") for _ in range(40)]
    print(f"exact code in {codes:,}: p95 {p95(exact):.0f} ms")
    partial = [timed_get(client, path, q=f"{random.randrange(1000):03d}7") for _ in range(5)]
    print(f"partial code search, first page: max {max(partial):.0f} ms")
    rare = timed_get(client, path, q="NO-SUCH-CODE")
    print(f"partial search with no match, first (budget-limited) page: {rare:.0f} ms")


async def produce_history(pool_id: str, rows: int, exhaust: bool) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap(), linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    try:
        now = datetime.now(UTC)
        for first in range(0, rows, 5000):
            futures = []
            for i in range(first, min(first + 5000, rows)):
                data = AssignmentData(
                    request_id=f"bench-{pool_id}-{i}",
                    pool_id=pool_id,
                    code=f"BENCH-{i:08d}",
                    email=f"customer-{i:08d}@example.com",
                    source="bench" if i % 7 else "=bench",
                    assigned_at=now,
                    # Unlimited codes stay in stock; an exhausted one is deleted from it by the projector.
                    coupon_remaining=0 if exhaust else None,
                )
                value = encode_event(CouponAssigned(data=data))
                futures.append(await producer.send(ASSIGNED, value=value, key=pool_id.encode()))
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def seed_history(db: str, pool_id: str, rows: int) -> None:
    """Write the projector's documents for ``rows`` assignments directly (same layout as projection.py):
    measures reads of a large history without waiting for Kafka projection on a loaded machine."""
    client = create_mongo_client(stack.mongo_url(), "bench")
    database = client[db]
    now = datetime.now(UTC)
    for first in range(0, rows, 10_000):
        history, pages = [], []
        for page_start in range(first, min(first + 10_000, rows), 100):
            page = []
            for i in range(page_start, min(page_start + 100, rows)):
                row = {"seq": i + 1, "code": f"BENCH-{i:08d}", "email": f"customer-{i:08d}@example.com"}
                row |= {"source": "bench" if i % 7 else "=bench", "assigned_at": now, "user_expires_at": None}
                page.append(row)
                history.append(
                    {"_id": row["email"], **{k: v for k, v in row.items() if k != "email"}, "position": f"seed:{i}"}
                )
            pages.append(page_doc(f"{page_start // 100:012d}", page))
        await database[f"history.{pool_id}"].insert_many(history, ordered=False)
        await database[f"history_pages.{pool_id}"].insert_many(pages, ordered=False)
    stats = {
        "counts": {"active": 0, "assigned": rows, "expired": 0, "total": rows},
        "offsets": {},
        "next_seq": rows + 1,
    }
    await database["pool_stats"].replace_one({"_id": pool_id}, stats, upsert=True)
    await client.close()


def bench_history(
    client: httpx.Client,
    service: ServiceProcess,
    pool_id: str,
    rows: int,
    seed_db: str | None,
    samples: int,
    exhaust: bool,
) -> None:
    start = time.perf_counter()
    if seed_db:
        asyncio.run(seed_history(seed_db, pool_id, rows))
        print(f"history: {rows:,} rows written directly (no projection) in {time.perf_counter() - start:.0f}s")
    else:
        asyncio.run(produce_history(pool_id, rows, exhaust))
        while client.get(f"/v1/pools/{pool_id}").json()["counts"]["assigned"] < rows:
            time.sleep(1)
        elapsed = time.perf_counter() - start
        kind = "exhausting their codes" if exhaust else "of unlimited codes"
        print(f"history: {rows:,} CouponAssigned {kind} projected in {elapsed:.0f}s = {rows / elapsed:,.0f}/s")
    path = f"/v1/pools/{pool_id}/assignments"
    if samples:
        exact = [
            timed_get(client, path, q=f"customer-{random.randrange(rows):08d}@example.com") for _ in range(samples)
        ]
        print(f"exact email in {rows:,}: p95 {p95(exact):.0f} ms")
        print(f"newest-first first page: {timed_get(client, path):.0f} ms")
        partial = [timed_get(client, path, q=f"{random.randrange(1000):03d}9@") for _ in range(5)]
        print(f"partial history search, first page: max {max(partial):.0f} ms")
    with RssSampler(service.process.pid) as rss:
        start = time.perf_counter()
        lines = 0
        with client.stream("GET", f"{path}.csv", timeout=600) as response:
            for chunk in response.iter_bytes():
                lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - start
    rows_out = lines - 1
    print(f"export: {rows_out:,} rows in {elapsed:.1f}s = {rows_out / elapsed:,.0f} rows/s")
    print(f"        pool-service peak RSS while exporting {rss.peak / 2**20:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--pools", type=int, default=1000)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--history-samples", type=int, default=40, help="exact-email look-ups (0: export only)")
    parser.add_argument(
        "--exhaust", action="store_true", help="history events use up their codes (the projector deletes from stock)"
    )
    parser.add_argument(
        "--seed-history", action="store_true", help="write the history documents directly instead of via Kafka"
    )
    args = parser.parse_args()
    # Terminated early, still stop the pool-service it started (the context managers' finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"(start: cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")
    db = random_db_name()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "codes.csv"
        write_csv(csv_path, args.codes)
        baseline = asyncio.run(plain_insert_many(db, args.codes))
        print(f"plain insert_many: {args.codes:,} docs at {baseline:,.0f} docs/s")
        # Generous timeouts: on a shared 2-core machine a request can queue behind FerretDB's writes.
        with (
            pool_service(db, Path(tmp)) as (base, service),
            httpx.Client(base_url=base, headers=HEADERS, timeout=120.0) as client,
        ):
            pool_id = client.post("/v1/pools", json={"name": random_pool_name("big")}).json()["id"]
            rate = bench_import(client, service, pool_id, csv_path, args.codes)
            print(f"import / insert_many = {rate / baseline:.2f}")
            bench_lookups(client, pool_id, args.codes)
            if args.pools:
                bench_lists(client, args.pools)
            if args.history:
                seed_db = db if args.seed_history else None
                bench_history(client, service, pool_id, args.history, seed_db, args.history_samples, args.exhaust)
    print(f"(cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
