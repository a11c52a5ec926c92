"""Alert-service benchmark: alert latency under load, Slack latency, RSS, table recovery. Prints figures.

    deploy/bin/with-test-stack .venv/bin/python -m tests.bench.alert_bench \\
        --rate 2000 --pools 100 --seconds 60 --recovery-pools 10000

1. Recovery: PoolCreated + CouponsAdded for ``--recovery-pools`` pools, wait until the
   worker has committed them, stop it (SIGTERM), start a new worker process with the
   same app id: time to /readyz and to a correct forecast (tables rebuilt from changelogs).
2. Steady (``--steady-events``): a backlog of assignments of reusable codes over a
   fixed set of pools, digested as fast as the worker can: RSS over many events, and
   the worker's own capacity (events/s, CPU µs per event).
3. Load: ``--pools`` pools at a time receive CouponAssigned at ``--rate``/s in total; each
   pool starts with ``--stock`` coupons and threshold ``--threshold`` and is replaced by a
   fresh pre-stocked pool when empty. Every alert (low_stock, runout_projected, depleted)
   is matched with the assignment that crossed (its ``active`` says which one): latency
   from sending that CouponAssigned to the PoolAlert read back from coupon.alerts, and to
   the local Slack receiver. The worker's RSS is sampled throughout.
"""

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from coupon_shared import topics
from coupon_shared.events import PoolAlert, encode_event, parse_event
from tests.integration.alert_service.worker_process import AlertWorkerProcess
from tests.support import stack
from tests.unit.alert_service import builders as b

ALERT_ID_IN_TEXT = re.compile(r"\(id ([0-9a-f-]{36})\)")


@dataclass
class SlackSink:
    port: int = field(default_factory=stack.free_port)
    received: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T/B/bench-secret"

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/services/T/B/bench-secret", self._hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner

    async def _hook(self, request: web.Request) -> web.Response:
        now = time.time()
        match = ALERT_ID_IN_TEXT.search(str((await request.json()).get("text", "")))
        if match:
            self.received.setdefault(match.group(1), now)
        return web.Response(text="ok")


@dataclass
class AlertSink:
    """Reads coupon.alerts from the end and notes when each alert arrived."""

    bootstrap: str
    received: dict[str, tuple[float, PoolAlert]] = field(default_factory=dict)
    records: int = 0

    async def run(self, ready: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(topics.ALERTS, bootstrap_servers=self.bootstrap, auto_offset_reset="latest")
        await consumer.start()
        try:
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=100)
            for tp in consumer.assignment():
                await consumer.position(tp)
            ready.set()
            while True:
                batches = await consumer.getmany(timeout_ms=100)
                now = time.time()
                for records in batches.values():
                    for record in records:
                        self._note(record.value, now)
        finally:
            await consumer.stop()

    def _note(self, value: bytes, now: float) -> None:
        self.records += 1
        event = parse_event(value)
        if isinstance(event, PoolAlert):
            self.received.setdefault(event.data.alert_id, (now, event))


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"n={len(ordered)} p50={pick(0.5) * 1000:.0f} ms p95={pick(0.95) * 1000:.0f} ms "
        f"p99={pick(0.99) * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms mean={statistics.fmean(ordered) * 1000:.0f} ms"
    )


async def new_producer(bootstrap: str) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, enable_idempotence=True, acks="all")
    await producer.start()
    return producer


async def stock_pools(producer: AIOKafkaProducer, pool_ids: list[str], stock: int, threshold: int) -> None:
    futures = []
    for pool_id in pool_ids:
        key = pool_id.encode()
        created = b.pool_created(pool_id, name=f"bench-{pool_id[:8]}", enabled=True, threshold=threshold)
        futures.append(await producer.send(topics.INVENTORY, encode_event(created), key=key))
        futures.append(await producer.send(topics.INVENTORY, encode_event(b.coupons_added(pool_id, stock)), key=key))
    await asyncio.gather(*futures)


async def wait_until_committed(bootstrap: str, group: str, timeout: float) -> float:
    """Seconds until the worker's committed offsets reach the end of both input topics."""
    started = time.monotonic()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await probe.start()
    try:
        tps = [TopicPartition(t, p) for t in (topics.INVENTORY, topics.ASSIGNED) for p in range(topics.PARTITIONS)]
        ends = await probe.end_offsets(tps)
        while time.monotonic() - started < timeout:
            committed = await admin.list_consumer_group_offsets(group)
            if all(ends[tp] == 0 or (tp in committed and committed[tp].offset >= ends[tp]) for tp in tps):
                return time.monotonic() - started
            await asyncio.sleep(0.5)
        raise AssertionError(f"worker did not catch up within {timeout}s")
    finally:
        await probe.stop()
        await admin.close()


async def changelog_records(bootstrap: str, app_id: str) -> int:
    """Records written so far to the worker's pool-state changelog (end offsets summed)."""
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await probe.start()
    try:
        changelog = f"{app_id}-pool-state-changelog"
        ends = await probe.end_offsets([TopicPartition(changelog, p) for p in range(topics.PARTITIONS)])
        return sum(ends.values())
    finally:
        await probe.stop()


async def recovery_phase(worker: AlertWorkerProcess, bootstrap: str, pools: int) -> AlertWorkerProcess:
    pool_ids = [b.new_pool_id() for _ in range(pools)]
    producer = await new_producer(bootstrap)
    started = time.monotonic()
    try:
        await stock_pools(producer, pool_ids, stock=100, threshold=0)
    finally:
        await producer.stop()
    produced = time.monotonic() - started
    caught_up = await wait_until_committed(bootstrap, worker.app_id, timeout=600)
    print(f"recovery: produced {2 * pools} inventory events in {produced:.1f}s; all committed {caught_up:.1f}s later")
    await asyncio.to_thread(worker.stop)

    restarted = AlertWorkerProcess(bootstrap, Path(tempfile.mkdtemp(prefix="alert-bench-")), worker.env)
    restarted.app_id = worker.app_id
    restarted.env = {**worker.env, "ALERT_SERVICE_HTTP_PORT": str(restarted.port)}
    spawn = time.monotonic()
    await asyncio.to_thread(restarted.start, 300.0)
    ready = time.monotonic() - spawn
    for pool_id in (pool_ids[0], pool_ids[-1]):
        while (await restarted.forecast(pool_id)).status_code != 200:
            await asyncio.sleep(0.1)
    forecast_ok = time.monotonic() - spawn
    body = (await restarted.forecast(pool_ids[-1])).json()
    print(
        f"recovery: {pools} pools, new worker process ready (/readyz) in {ready:.1f}s, "
        f"forecast of first and last pool answered {forecast_ok:.1f}s after spawn (active={body['active']})"
    )
    return restarted


@dataclass
class LoadPlan:
    rate: int
    pools: int
    seconds: float
    stock: int
    threshold: int


async def load_phase(worker: AlertWorkerProcess, bootstrap: str, plan: LoadPlan, slack: SlackSink) -> None:
    per_pool_seconds = plan.stock / (plan.rate / plan.pools)
    generations = int(plan.seconds / per_pool_seconds) + 1
    reserve = [b.new_pool_id() for _ in range(plan.pools * generations)]
    schedule = assignment_schedule(reserve, plan)
    producer = await new_producer(bootstrap)
    await stock_pools(producer, reserve, plan.stock, plan.threshold)
    await wait_until_committed(bootstrap, worker.app_id, timeout=600)
    print(f"load: {len(reserve)} pools pre-stocked with {plan.stock} coupons, threshold {plan.threshold}")

    alerts = AlertSink(bootstrap)
    sink_ready = asyncio.Event()
    sink_task = asyncio.create_task(alerts.run(sink_ready))
    await sink_ready.wait()
    assert worker.process is not None
    rss = psutil.Process(worker.process.process.pid)
    rss_samples: list[tuple[float, int]] = []
    cpu_before = rss.cpu_times()
    changelog_before = await changelog_records(bootstrap, worker.app_id)

    sent_at: dict[tuple[str, int], float] = {}
    tick = 0.01
    per_tick = plan.rate * tick
    owed = 0.0
    sent = 0
    started = time.monotonic()
    while time.monotonic() - started < plan.seconds and sent < len(schedule):
        owed += per_tick
        while owed >= 1 and sent < len(schedule):
            owed -= 1
            pool_id, left, value = schedule[sent]
            sent_at[(pool_id, left)] = time.time()
            await producer.send(topics.ASSIGNED, value, key=pool_id.encode())
            sent += 1
        if int((time.monotonic() - started) / 5) > len(rss_samples) - 1:
            rss_samples.append((time.monotonic() - started, rss.memory_info().rss))
        elapsed = time.monotonic() - started
        await asyncio.sleep(max(0.0, (int(elapsed / tick) + 1) * tick - elapsed))
    await producer.flush()
    duration = time.monotonic() - started
    print(f"load: sent {sent} CouponAssigned in {duration:.1f}s = {sent / duration:.0f}/s over {plan.pools} pools")

    remaining = dict.fromkeys(reserve, plan.stock)
    for pool_id, left in sent_at:
        remaining[pool_id] = min(remaining[pool_id], left)
    expected = sum(1 for left in remaining.values() if left <= plan.threshold)
    caught_up = await wait_until_committed(bootstrap, worker.app_id, timeout=900)
    print(f"load: worker committed everything {caught_up:.1f}s after the last send")
    cpu_after = rss.cpu_times()
    cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    # Independent of how busy the machine is: the worker's own CPU per event.
    per_event = cpu / sent * 1e6
    print(f"load: worker CPU {cpu:.1f}s for {sent} events = {per_event:.0f} µs/event → ≈{sent / cpu:.0f}/s per core")
    written = await changelog_records(bootstrap, worker.app_id) - changelog_before
    print(f"load: {written} pool-state changelog records = {written / sent:.3f} per event (batching)")
    await asyncio.sleep(3)
    rss_samples.append((time.monotonic() - started, rss.memory_info().rss))
    sink_task.cancel()
    await producer.stop()
    report_latencies(alerts, slack, sent_at, expected)
    print("rss (s since start → MiB): " + ", ".join(f"{t:.0f}s→{r / 2**20:.0f}" for t, r in rss_samples))


def assignment_schedule(reserve: list[str], plan: LoadPlan) -> list[tuple[str, int, bytes]]:
    """Every CouponAssigned of the load phase, encoded before the clock starts: (pool, left after it, record).

    ``plan.pools`` pools take turns; an emptied pool is replaced by the next fresh one.
    Encoding in the timed loop held the generator below 1,000/s on this machine.
    """
    remaining = dict.fromkeys(reserve, plan.stock)
    active_pools = reserve[: plan.pools]
    next_pool = plan.pools
    schedule = []
    for slot in range(int(plan.rate * plan.seconds)):
        pool_id = active_pools[slot % len(active_pools)]
        if remaining[pool_id] == 0:
            break
        remaining[pool_id] -= 1
        schedule.append((pool_id, remaining[pool_id], encode_event(b.coupon_assigned(pool_id, remaining=0))))
        if remaining[pool_id] == 0 and next_pool < len(reserve):
            active_pools[slot % len(active_pools)] = reserve[next_pool]
            next_pool += 1
    return schedule


def report_latencies(
    alerts: AlertSink, slack: SlackSink, sent_at: dict[tuple[str, int], float], low_stock_expected: int
) -> None:
    to_kafka: dict[str, list[float]] = defaultdict(list)
    to_raised: list[float] = []
    to_slack: list[float] = []
    for alert_id, (received, event) in alerts.received.items():
        crossed = sent_at.get((event.data.pool_id, event.data.active))
        if crossed is None:
            continue
        to_kafka[event.data.kind].append(received - crossed)
        # Same machine, same clock: where the time goes, before or after the worker decides.
        to_raised.append(event.data.raised_at.timestamp() - crossed)
        if alert_id in slack.received:
            to_slack.append(slack.received[alert_id] - crossed)
    everything = [x for samples in to_kafka.values() for x in samples]
    print(f"alerts read back: {len(alerts.received)} distinct in {alerts.records} records")
    print(f"pools taken to their threshold or below: {low_stock_expected}")
    for kind, samples in sorted(to_kafka.items()):
        print(f"  CouponAssigned→PoolAlert {kind:17s} {percentiles(samples)}")
    print(f"  CouponAssigned→PoolAlert all               {percentiles(everything)}")
    print(f"    of which CouponAssigned→raised_at        {percentiles(to_raised)}")
    print(f"  CouponAssigned→Slack receiver              {percentiles(to_slack)}")


async def steady_phase(worker: AlertWorkerProcess, bootstrap: str, events: int, pools: int) -> None:
    """A backlog of ``events`` assignments of reusable codes over a fixed set of pools: RSS and digest rate."""
    pool_ids = [b.new_pool_id() for _ in range(pools)]
    producer = await new_producer(bootstrap)
    await stock_pools(producer, pool_ids, stock=1_000_000, threshold=10)
    await wait_until_committed(bootstrap, worker.app_id, timeout=300)
    assert worker.process is not None
    process = psutil.Process(worker.process.process.pid)
    rss_start, cpu_start, started = process.memory_info().rss, process.cpu_times(), time.monotonic()
    changelog_before = await changelog_records(bootstrap, worker.app_id)
    samples: list[tuple[int, int]] = []
    sampler = asyncio.create_task(sample_rss(process, samples, started))
    futures = []
    for i in range(events):
        pool_id = pool_ids[i % pools]
        event = b.coupon_assigned(pool_id, remaining=None)
        futures.append(await producer.send(topics.ASSIGNED, encode_event(event), key=pool_id.encode()))
        if len(futures) >= 5000:
            await asyncio.gather(*futures)
            futures.clear()
    await asyncio.gather(*futures)
    await producer.stop()
    produced = time.monotonic() - started
    await wait_until_committed(bootstrap, worker.app_id, timeout=3600)
    digested = time.monotonic() - started
    sampler.cancel()
    cpu_end = process.cpu_times()
    cpu = cpu_end.user + cpu_end.system - cpu_start.user - cpu_start.system
    print(f"steady: {events} assignments over {pools} pools produced in {produced:.0f}s, digested in {digested:.0f}s")
    print(f"steady: {events / digested:.0f} events/s end to end, worker CPU {cpu / events * 1e6:.0f} µs/event")
    written = await changelog_records(bootstrap, worker.app_id) - changelog_before
    print(f"steady: {written} pool-state changelog records = {written / events:.3f} per event (batching)")
    print(f"steady: RSS {rss_start / 2**20:.0f} MiB before, {process.memory_info().rss / 2**20:.0f} MiB after")
    print("steady: RSS samples (s → MiB): " + ", ".join(f"{t}→{r}" for t, r in samples))


async def sample_rss(process: psutil.Process, samples: list[tuple[int, int]], started: float) -> None:
    while True:
        samples.append((int(time.monotonic() - started), process.memory_info().rss // 2**20))
        await asyncio.sleep(10)


async def main(args: argparse.Namespace) -> None:
    bootstrap = stack.kafka_bootstrap()
    slack = SlackSink()
    runner = await slack.start()
    env = {
        "ALERT_SERVICE_SLACK_WEBHOOK_URL": slack.url,
        "ALERT_SERVICE_LOG_LEVEL": "warning",
        "ALERT_SERVICE_TABLE_STORE": args.store,
    }
    worker = AlertWorkerProcess(bootstrap, Path(tempfile.mkdtemp(prefix="alert-bench-")), env)
    await asyncio.to_thread(worker.start, 120.0)
    try:
        if args.recovery_pools:
            worker = await recovery_phase(worker, bootstrap, args.recovery_pools)
        if args.steady_events:
            await steady_phase(worker, bootstrap, args.steady_events, args.pools)
        if args.seconds:
            plan = LoadPlan(args.rate, args.pools, args.seconds, args.stock, args.threshold)
            await load_phase(worker, bootstrap, plan, slack)
    finally:
        await asyncio.to_thread(worker.stop)
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=2000, help="CouponAssigned per second, all pools together")
    parser.add_argument("--pools", type=int, default=100, help="pools receiving assignments at any moment")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load phase (0 skips it)")
    parser.add_argument("--stock", type=int, default=200)
    parser.add_argument("--threshold", type=int, default=50)
    parser.add_argument("--recovery-pools", type=int, default=10_000, help="0 skips the recovery phase")
    parser.add_argument("--store", default="memory://")
    parser.add_argument("--steady-events", type=int, default=0, help="backlog of reusable-code assignments (RSS)")
    asyncio.run(main(parser.parse_args()))
