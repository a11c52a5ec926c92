"""Exactly one alert per crossing through a kill -9 and a restart; tables come back from their changelogs."""

import asyncio
from collections.abc import Iterator

import pytest

from coupon_shared import topics
from coupon_shared.events import PoolAlert, parse_event
from tests.integration.alert_service.worker_process import AlertWorkerProcess, produce, wait_for_forecast
from tests.support.kafka_probe import KafkaProbe, event_for_pool
from tests.unit.alert_service import builders as b

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertWorkerProcess]:
    process = AlertWorkerProcess(kafka_bootstrap, tmp_path_factory.mktemp("restarted-worker"))
    process.start()
    yield process
    process.stop()


async def test_kill_and_restart_keeps_state_and_raises_each_crossing_once(
    worker: AlertWorkerProcess, kafka_bootstrap: str
) -> None:
    pool_id = b.new_pool_id()
    async with KafkaProbe(kafka_bootstrap, topics.ALERTS) as probe:
        await produce(
            kafka_bootstrap,
            topics.INVENTORY,
            pool_id,
            b.pool_created(pool_id, name="restarted", enabled=True, threshold=1),
            b.coupons_added(pool_id, 2),
        )
        await wait_for_forecast(worker, pool_id, lambda f: f["active"] == 2)
        await produce(kafka_bootstrap, topics.ASSIGNED, pool_id, b.coupon_assigned(pool_id, remaining=0))
        await probe.wait_for(event_for_pool(pool_id, "PoolAlert"))
        worker.kill()  # right after the alert: its offset is most likely not committed yet

        worker.start()
        await wait_for_forecast(worker, pool_id, lambda f: f["active"] == 1 and len(f["alerts"]) >= 1)
        await produce(kafka_bootstrap, topics.ASSIGNED, pool_id, b.coupon_assigned(pool_id, remaining=0))
        await wait_for_forecast(worker, pool_id, lambda f: f["active"] == 0)
        await probe.wait_for(lambda r: event_for_pool(pool_id, "PoolAlert")(r) and b"depleted" in r.value)
        await asyncio.sleep(2.0)
        alerts = [parse_event(r.value) for r in probe.records if event_for_pool(pool_id, "PoolAlert")(r)]

    assert all(isinstance(a, PoolAlert) for a in alerts)
    by_id = {a.data.alert_id: a for a in alerts if isinstance(a, PoolAlert)}
    # 2 → 1 at one a day: low and running out within 7 days; then 0.
    assert sorted(a.data.kind for a in by_id.values()) == ["depleted", "low_stock", "runout_projected"]
    # A record repeated by the crash carries the same event id, which consumers drop.
    assert len({a.event_id for a in alerts}) == len(by_id)
    body = await wait_for_forecast(worker, pool_id, lambda f: len(f["alerts"]) == 3)
    assert body["alerts"][0]["kind"] == "depleted"
