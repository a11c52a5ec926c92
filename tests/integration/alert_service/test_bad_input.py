"""Bad records on either input topic are dead-lettered and the agent goes on with the next one."""

import json

import pytest
from aiokafka import ConsumerRecord

from coupon_shared import topics
from coupon_shared.events import encode_event
from tests.integration.alert_service.worker_process import (
    AlertWorkerProcess,
    produce,
    produce_values,
    raise_depleted_alert,
    wait_for_forecast,
)
from tests.support.kafka_probe import KafkaProbe, event_for_pool
from tests.unit.alert_service import builders as b

pytestmark = pytest.mark.integration


def header(record: ConsumerRecord, name: str) -> str:
    return str(dict(record.headers)[name].decode())


@pytest.mark.parametrize("topic", [topics.INVENTORY, topics.ASSIGNED])
async def test_unreadable_records_are_dead_lettered_and_the_agent_continues(
    alert_worker: AlertWorkerProcess, kafka_bootstrap: str, topic: str
) -> None:
    pool_id = b.new_pool_id()
    key = pool_id.encode()
    unknown_version = json.loads(encode_event(b.coupons_added(pool_id, 1)))
    unknown_version["version"] = 99
    unknown_type = {**unknown_version, "type": "CouponsTeleported", "version": 1}
    bad_values = [b"{not json", json.dumps(unknown_version).encode(), json.dumps(unknown_type).encode()]
    async with KafkaProbe(kafka_bootstrap, topics.DEAD_LETTER, topics.ALERTS) as probe:
        await produce_values(kafka_bootstrap, topic, key, *bad_values)
        await raise_depleted_alert(alert_worker, kafka_bootstrap, pool_id, "after-bad-input")
        await probe.wait_for(event_for_pool(pool_id, "PoolAlert"))
        parked = await probe.wait_for(lambda r: r.topic == topics.DEAD_LETTER and r.key == key, count=3)

    assert [r.value for r in parked] == bad_values
    errors = [header(r, "dlq.error") for r in parked]
    assert "Invalid JSON" in errors[0]
    assert "version" in errors[1]
    assert "CouponsTeleported" in errors[2] or "type" in errors[2]
    assert {header(r, "dlq.source.topic") for r in parked} == {topic}


async def test_record_keyed_by_another_pool_is_dead_lettered(
    alert_worker: AlertWorkerProcess, kafka_bootstrap: str
) -> None:
    pool_id = b.new_pool_id()
    async with KafkaProbe(kafka_bootstrap, topics.DEAD_LETTER) as probe:
        await produce_values(
            kafka_bootstrap, topics.INVENTORY, b"not-the-pool", encode_event(b.coupons_added(pool_id, 1))
        )
        [parked] = await probe.wait_for(lambda r: r.key == b"not-the-pool" and pool_id.encode() in r.value)
    assert "not the event's pool_id" in header(parked, "dlq.error")


async def test_absurd_threshold_is_clamped_and_logged(alert_worker: AlertWorkerProcess, kafka_bootstrap: str) -> None:
    pool_id = b.new_pool_id()
    await produce(kafka_bootstrap, topics.INVENTORY, pool_id, b.pool_updated(pool_id, enabled=True, threshold=10**15))
    body = await wait_for_forecast(alert_worker, pool_id, lambda f: f["alerts_enabled"])
    assert body["threshold"] == 10_000_000
    assert f"pool {pool_id}: alert threshold 1000000000000000 is absurd, clamped" in alert_worker.log_tail(400)
