"""The skeleton's last hop: a CouponAssigned that empties an alerting pool yields one `depleted` PoolAlert."""

import asyncio

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from coupon_shared import topics
from coupon_shared.events import PoolAlert, parse_event
from tests.integration.alert_service.worker_process import AlertWorkerProcess, produce, wait_for_forecast
from tests.support.kafka_probe import KafkaProbe, event_for_pool
from tests.unit.alert_service import builders as b

pytestmark = pytest.mark.integration


async def test_worker_creates_its_changelog_topics(alert_worker: AlertWorkerProcess, kafka_bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        names = set(await admin.list_topics())
    finally:
        await admin.close()
    for table in ("pool-state", "recent-alerts", "deliveries"):
        assert f"{alert_worker.app_id}-{table}-changelog" in names


async def test_assignment_emptying_an_alerting_pool_raises_one_depleted_alert(
    alert_worker: AlertWorkerProcess, kafka_bootstrap: str
) -> None:
    pool_id = b.new_pool_id()
    async with KafkaProbe(kafka_bootstrap, topics.ALERTS) as probe:
        await produce(
            kafka_bootstrap,
            topics.INVENTORY,
            pool_id,
            b.pool_created(pool_id, name="skeleton"),
            b.pool_updated(pool_id, name="skeleton", enabled=True, threshold=0),
            b.coupons_added(pool_id, 1),
        )
        await wait_for_forecast(alert_worker, pool_id, lambda f: f["active"] == 1 and f["alerts_enabled"])
        await produce(kafka_bootstrap, topics.ASSIGNED, pool_id, b.coupon_assigned(pool_id, remaining=0))

        records = await probe.wait_for(event_for_pool(pool_id, "PoolAlert"), timeout=30)
        await asyncio.sleep(1.0)  # room for a wrong second alert to show up
        alerts = [parse_event(r.value) for r in probe.records if event_for_pool(pool_id, "PoolAlert")(r)]

    assert len(alerts) == 1, alerts
    alert = alerts[0]
    assert isinstance(alert, PoolAlert)
    assert (alert.data.kind, alert.data.active, alert.data.pool_name) == ("depleted", 0, "skeleton")
    assert records[0].key == pool_id.encode()
    body = await wait_for_forecast(alert_worker, pool_id, lambda f: len(f["alerts"]) > 0)
    assert [a["kind"] for a in body["alerts"]] == ["depleted"]
    assert body["active"] == 0


async def test_health_endpoints_answer_without_a_key(alert_worker: AlertWorkerProcess) -> None:
    async with httpx.AsyncClient(base_url=alert_worker.base_url) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).json()["status"] == "ready"
