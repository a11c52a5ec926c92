"""assignment-service benchmarks against a private stack (prints figures, asserts nothing).

    deploy/bin/with-test-stack .venv/bin/python -m tests.bench.assignment_bench --kafka-claims 100000

1. baseline: single-document ``insert_one`` calls into the same FerretDB, same run (docs/s).
2. kafka: ``--kafka-claims`` ClaimRequested produced for one pool with as many codes, timed from the
   first produce to the last CouponAssigned consumed; RSS of the replica sampled over the run.
3. http: ``--http-claims`` POST /claims from 64 concurrent clients (claims/s), then the same load
   paced at half that rate for p50/p99 latency; ``--paced-rates 100,250,500`` adds p50/p99 and the
   whole machine's busy share at each of those rates (``--paced-seconds`` each); each paced phase
   also prints the CPU its kinds of process used (replica, ferretdb, postgres, java = the broker,
   bench = this process, other), in % of one core.
   ``--http-client wrk`` drives the same two phases with wrk (Debian's ``wrk``;
   ``tests/bench/claims.lua``) for ``--wrk-seconds`` each: a C load generator leaves the 2 cores
   to the service, where the Python client takes a share of them.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import threading
import time
import uuid
from pathlib import Path

import psutil  # type: ignore[import-untyped]
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from coupon_shared.events import ClaimRequested, ClaimRequestedData, encode_event
from coupon_shared.mongo import Document, create_mongo_client
from coupon_shared.topics import ASSIGNED, CLAIM_REQUESTS
from tests.integration.assignment_service.conftest import API_KEY, replica_env, seed_pool, start_group_at_end
from tests.support import stack
from tests.support.processes import ServiceProcess, python_module


async def insert_one_rate(mongo_url: str, db_name: str, count: int = 500) -> float:
    client = create_mongo_client(mongo_url, "bench")
    collection = client[db_name]["bench_insert_one"]
    started = time.perf_counter()
    for n in range(count):
        await collection.insert_one({"_id": f"doc-{n}", "payload": "x" * 64})
    rate = count / (time.perf_counter() - started)
    await client.close()
    return rate


class RssSampler:
    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self._process.memory_info().rss / 2**20)
            self._stop.wait(0.5)


class CpuShares:
    """CPU (% of one core) each kind of process used since this was made: who keeps the machine busy.

    Counted per process: one that ended meanwhile (a PostgreSQL backend) drops out of both ends.
    """

    def __init__(self, replica_pids: list[int]) -> None:
        self._replicas = set(replica_pids)
        self._start = self._used()
        self._started = time.perf_counter()

    def _kind(self, process: psutil.Process) -> str:
        if process.pid in self._replicas:
            return "replica"
        if process.pid == os.getpid():
            return "bench"
        name = str(process.name())
        return name if name in ("postgres", "ferretdb", "java") else "other"

    def _used(self) -> dict[int, tuple[str, float]]:
        used: dict[int, tuple[str, float]] = {}
        for process in psutil.process_iter():
            try:
                times = process.cpu_times()
                used[process.pid] = (self._kind(process), times.user + times.system)
            except psutil.Error:  # ended meanwhile
                continue
        return used

    def summary(self) -> str:
        elapsed = time.perf_counter() - self._started
        shares: dict[str, float] = {}
        for pid, (kind, used) in self._used().items():
            _, before = self._start.get(pid, (kind, 0.0))
            shares[kind] = shares.get(kind, 0.0) + (used - before) * 100 / elapsed
        return ", ".join(f"{kind} {share:.0f}" for kind, share in sorted(shares.items(), key=lambda kv: -kv[1]))


class CpuMeter:
    """CPU time (user + system) a process used since this meter was made."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._start = self._used()

    def _used(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def ms_per(self, count: int) -> float:
        return (self._used() - self._start) * 1000 / count


async def kafka_throughput(bootstrap: str, pool_id: str, claims: int) -> float:
    consumer = AIOKafkaConsumer(ASSIGNED, bootstrap_servers=bootstrap, auto_offset_reset="latest")
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    for tp in consumer.assignment():
        await consumer.position(tp)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=10)
    await producer.start()
    started = time.perf_counter()
    sending = asyncio.create_task(_produce(producer, pool_id, claims))
    seen = 0
    while seen < claims:
        batches = await consumer.getmany(timeout_ms=500, max_records=5000)
        seen += sum(1 for records in batches.values() for r in records if r.key == pool_id.encode())
    elapsed = time.perf_counter() - started
    await sending
    await producer.stop()
    await consumer.stop()
    return claims / elapsed


async def _produce(producer: AIOKafkaProducer, pool_id: str, claims: int) -> None:
    futures = []
    for n in range(claims):
        data = ClaimRequestedData(request_id=uuid.uuid4().hex, pool_id=pool_id, email=f"b{n}@example.com")
        futures.append(await producer.send(CLAIM_REQUESTS, encode_event(ClaimRequested(data=data)), pool_id.encode()))
    await asyncio.gather(*futures)


async def http_load(
    urls: list[str], pool_id: str, claims: int, concurrency: int, rate: float | None, label: str
) -> list[float]:
    """Latencies (s) of ``claims`` POSTs; ``rate`` paces the starts (None = as fast as the clients go).
    The connections are spread evenly over ``urls`` (replicas behind a balancer).

    A minimal keep-alive HTTP/1.1 client on asyncio streams: httpx managed ~20 requests/s here with
    64 connections (its pool, not the server, was the bottleneck), which would measure the client.
    """
    latencies: list[float] = []
    starts = asyncio.Queue[int]()
    for n in range(claims):
        starts.put_nowait(n)
    begin = time.perf_counter()

    async def connection(url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        while not starts.empty():
            n = starts.get_nowait()
            if rate is not None:
                await asyncio.sleep(max(0.0, begin + n / rate - time.perf_counter()))
            body = json.dumps({"email": f"{label}{n}@example.com"}).encode()
            sent = time.perf_counter()
            writer.write(_post(f"/v1/pools/{pool_id}/claims", body))
            await writer.drain()
            status = await _read_response(reader)
            if status not in (200, 201):
                raise RuntimeError(f"claim answered {status}")
            latencies.append(time.perf_counter() - sent)
        writer.close()

    await asyncio.gather(*(connection(urls[i % len(urls)]) for i in range(concurrency)))
    return latencies


def _post(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {API_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length"))
    await reader.readexactly(length)
    return int(lines[0].split()[1])


def wrk_load(url: str, pool_id: str, seconds: int, rate: float | None, label: str) -> tuple[float, float, float]:
    """(claims/s, p50 s, p99 s) of 64 wrk connections for ``seconds``; ``rate`` paces each connection."""
    pause_ms = 0 if rate is None else int(64 * 1000 / rate)
    script = Path(__file__).with_name("claims.lua")
    command = ["wrk", "-t1", "-c64", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(
        [*command, "--", pool_id, API_KEY, label, str(pause_ms)], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"RESULT requests=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=(\d+) failed=(\d+)", out)
    if found is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, duration, p50, p99, failed = (int(g) for g in found.groups())
    if failed:
        raise RuntimeError(f"{failed} of {requests} claims failed:\n{out}")
    return requests / (duration / 1e6), p50 / 1e6, p99 / 1e6


async def main(args: argparse.Namespace) -> None:
    bootstrap, mongo_url = stack.kafka_bootstrap(), stack.mongo_url()
    db_name = f"bench_{uuid.uuid4().hex[:8]}"
    mongo = create_mongo_client(mongo_url, "bench")
    _print_load("start")
    baseline = await insert_one_rate(mongo_url, db_name)
    print(f"baseline insert_one into the same FerretDB: {baseline:,.0f} docs/s")
    group = f"bench-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(bootstrap, group)
    ports = [stack.free_port() for _ in range(args.replicas)]
    replicas = [
        ServiceProcess(
            f"assignment-bench-{i}",
            python_module("assignment_service"),
            replica_env(bootstrap, mongo_url, db_name, group, port),
            Path(args.log_dir),
        )
        for i, port in enumerate(ports)
    ]
    replica, port = replicas[0], ports[0]
    try:
        for each, each_port in zip(replicas, ports, strict=True):
            each.wait_ready(f"http://127.0.0.1:{each_port}/readyz")
        print(f"replica pid {replica.process.pid} (attach a profiler here)", flush=True)
        if args.kafka_claims:  # 0 skips a phase
            await _kafka_phase(mongo, db_name, bootstrap, replica, args.kafka_claims, baseline)
        if args.http_claims and args.http_client == "wrk":
            await _wrk_phase(mongo, db_name, f"http://127.0.0.1:{port}", args.wrk_seconds, replica.process.pid)
        elif args.http_claims:
            urls = [f"http://127.0.0.1:{p}" for p in ports]
            pids = [r.process.pid for r in replicas]
            await _http_phase(mongo, db_name, urls, args.http_claims, pids)
            await _paced_rates(mongo, db_name, urls, pids, [float(r) for r in args.paced_rates], args.paced_seconds)
        _print_load("end")
    finally:
        for each in replicas:
            each.stop()
        await mongo.close()


def _print_load(when: str) -> None:
    # The machine is shared: figures mean little without the load they were measured under.
    one, five, fifteen = os.getloadavg()
    print(f"load average at {when}: {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores")


async def _kafka_phase(
    mongo: AsyncMongoClient[Document],
    db_name: str,
    bootstrap: str,
    replica: ServiceProcess,
    claims: int,
    baseline: float,
) -> None:
    pool_id = await seed_pool(mongo, db_name, [f"K{n:07d}" for n in range(claims)])
    cpu = CpuMeter(replica.process.pid)
    with RssSampler(replica.process.pid) as rss:
        rate = await kafka_throughput(bootstrap, pool_id, claims)
    print(f"kafka: replica CPU {cpu.ms_per(claims):.2f} ms per claim (less sensitive to the machine's load)")
    third = max(1, len(rss.samples) // 3)
    print(f"kafka: {claims:,} claims at {rate:,.0f} claims/s end to end = {rate / baseline:.1f}x insert_one")
    print(
        f"kafka: replica RSS MiB first third avg {statistics.mean(rss.samples[:third]):.0f}, "
        f"last third avg {statistics.mean(rss.samples[-third:]):.0f}, max {max(rss.samples):.0f}"
    )


async def _http_phase(
    mongo: AsyncMongoClient[Document], db_name: str, urls: list[str], claims: int, pids: list[int]
) -> None:
    pool_id = await seed_pool(mongo, db_name, [f"H{n:07d}" for n in range(2 * claims)])
    cpus = [CpuMeter(pid) for pid in pids]
    started = time.perf_counter()
    await http_load(urls, pool_id, claims, 64, None, "full")
    rate = claims / (time.perf_counter() - started)
    over = f" over {len(urls)} replicas" if len(urls) > 1 else ""
    print(f"http: {claims:,} claims with 64 clients{over} at {rate:,.0f} claims/s")
    print(f"http: replica CPU {sum(cpu.ms_per(claims) for cpu in cpus):.2f} ms per claim")
    shares = CpuShares(pids)
    p50, p99 = _p50_p99(await http_load(urls, pool_id, claims, 64, rate / 2, "paced"))
    print(f"http: at {rate / 2:,.0f} claims/s p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"http: meanwhile % of one core: {shares.summary()}")


async def _paced_rates(
    mongo: AsyncMongoClient[Document],
    db_name: str,
    urls: list[str],
    pids: list[int],
    rates: list[float],
    seconds: float,
) -> None:
    # Below full load a batch costs about the same whatever its size: the curve shows how busy
    # the machine already is at a low rate, and where the p99 leaves the p50 behind.
    counts = [max(64, int(rate * seconds)) for rate in rates]
    warm_up = 64
    pool_id = await seed_pool(mongo, db_name, [f"R{n:07d}" for n in range(warm_up + sum(counts))])
    await http_load(urls, pool_id, warm_up, 64, None, "warm-")  # a new pool's first stock read and gate
    for rate, count in zip(rates, counts, strict=True):
        psutil.cpu_percent()  # starts the machine-wide measurement
        shares = CpuShares(pids)
        p50, p99 = _p50_p99(await http_load(urls, pool_id, count, 64, rate, f"rate{rate:.0f}-"))
        busy = psutil.cpu_percent()
        print(
            f"http: paced at {rate:,.0f} claims/s p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"machine {busy:.0f}% busy (% of one core: {shares.summary()})"
        )


def _p50_p99(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99) - 1]


async def _wrk_phase(mongo: AsyncMongoClient[Document], db_name: str, url: str, seconds: int, pid: int) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("--http-client wrk needs wrk (Debian: apt-get install wrk)")
    # Enough codes for two phases at up to 3,000 claims/s.
    pool_id = await seed_pool(mongo, db_name, [f"W{n:07d}" for n in range(6000 * seconds)])
    cpu = CpuMeter(pid)
    rate, _, _ = await asyncio.to_thread(wrk_load, url, pool_id, seconds, None, "full")
    print(f"http (wrk): {seconds} s with 64 connections at {rate:,.0f} claims/s")
    print(f"http (wrk): replica CPU {cpu.ms_per(int(rate * seconds)):.2f} ms per claim")
    paced, p50, p99 = await asyncio.to_thread(wrk_load, url, pool_id, seconds, rate / 2, "paced")
    print(f"http (wrk): at {paced:,.0f} claims/s (paced to half) p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kafka-claims", type=int, default=100_000)
    parser.add_argument("--http-claims", type=int, default=5_000)
    parser.add_argument("--log-dir", default="/tmp")
    parser.add_argument("--http-client", choices=["python", "wrk"], default="python")
    parser.add_argument("--replicas", type=int, default=1, help="HTTP phase: clients spread over this many replicas")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--paced-rates", type=lambda text: text.split(","), default=[], help="e.g. 100,250,500")
    parser.add_argument("--paced-seconds", type=float, default=12.0)
    asyncio.run(main(parser.parse_args()))
