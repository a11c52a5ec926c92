"""The worker takes records in batches: many pools in one batch, each pool's state in its own partition."""

import asyncio
from collections.abc import Mapping

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from coupon_shared import topics
from coupon_shared.events import _Event, encode_event
from tests.integration.alert_service.worker_process import AlertWorkerProcess, produce, wait_for_forecast
from tests.unit.alert_service import builders as b

pytestmark = pytest.mark.integration

POOLS = 24


async def produce_in_one_burst(bootstrap: str, topic: str, events: Mapping[str, _Event]) -> dict[str, int]:
    """One event per pool, sent together (so pools share batches); the partition each pool's record went to."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=20)
    await producer.start()
    try:
        sent = [await producer.send(topic, encode_event(e), key=pool_id.encode()) for pool_id, e in events.items()]
        metadata = await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return {pool_id: record.partition for pool_id, record in zip(events, metadata, strict=True)}


async def changelog_partitions(bootstrap: str, topic: str, keys: set[str]) -> dict[str, set[int]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: dict[str, set[int]] = {}
    try:
        for _ in range(100):
            for tp, records in (await consumer.getmany(timeout_ms=200)).items():
                for record in records:
                    key = (record.key or b"").decode()
                    if key in keys:
                        found.setdefault(key, set()).add(tp.partition)
            if set(found) == keys:
                break
    finally:
        await consumer.stop()
    return found


async def test_pools_in_one_burst_each_get_their_alerts_and_a_state_in_their_own_partition(
    alert_worker: AlertWorkerProcess, kafka_bootstrap: str
) -> None:
    pool_ids = [b.new_pool_id() for _ in range(POOLS)]
    for pool_id in pool_ids:
        created = b.pool_created(pool_id, name=f"batch-{pool_id[:6]}", enabled=True, threshold=1)
        await produce(kafka_bootstrap, topics.INVENTORY, pool_id, created, b.coupons_added(pool_id, 2))
    for pool_id in pool_ids:
        await wait_for_forecast(alert_worker, pool_id, lambda f: f["active"] == 2)

    assigned = {pool_id: b.coupon_assigned(pool_id) for pool_id in pool_ids}
    input_partition = await produce_in_one_burst(kafka_bootstrap, topics.ASSIGNED, assigned)

    for pool_id in pool_ids:
        body = await wait_for_forecast(alert_worker, pool_id, lambda f: f["active"] == 1 and len(f["alerts"]) >= 1)
        assert "low_stock" in {alert["kind"] for alert in body["alerts"]}
    changelog = f"{alert_worker.app_id}-pool-state-changelog"
    stored_in = await changelog_partitions(kafka_bootstrap, changelog, set(pool_ids))
    assert stored_in == {pool_id: {input_partition[pool_id]} for pool_id in pool_ids}
    assert len(set(input_partition.values())) > 1  # the burst really spanned partitions
