"""Two workers in one group share the pools; either one answers the forecast of any pool."""

from collections.abc import Callable, Iterator

import pytest

from coupon_shared import topics
from tests.integration.alert_service.worker_process import (
    AlertWorkerProcess,
    ForecastBody,
    produce,
    wait_for_forecast,
)
from tests.unit.alert_service import builders as b

pytestmark = pytest.mark.integration

POOLS = 16  # over 8 partitions: both workers hold some


def has_active(count: int) -> Callable[[ForecastBody], bool]:
    return lambda forecast: forecast["active"] == count


@pytest.fixture
def two_workers(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[AlertWorkerProcess]]:
    first = AlertWorkerProcess(kafka_bootstrap, tmp_path_factory.mktemp("first-worker"))
    second = AlertWorkerProcess(kafka_bootstrap, tmp_path_factory.mktemp("second-worker"))
    second.app_id = first.app_id
    second.env["ALERT_SERVICE_APP_ID"] = first.app_id
    workers = [first, second]
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


async def test_either_worker_answers_for_every_pool(
    two_workers: list[AlertWorkerProcess], kafka_bootstrap: str
) -> None:
    pool_ids = [b.new_pool_id() for _ in range(POOLS)]
    for count, pool_id in enumerate(pool_ids, start=1):
        created = b.pool_created(pool_id, name=f"shared-{count}", enabled=False, threshold=0)
        await produce(kafka_bootstrap, topics.INVENTORY, pool_id, created, b.coupons_added(pool_id, count))

    for worker in two_workers:
        for count, pool_id in enumerate(pool_ids, start=1):
            body = await wait_for_forecast(worker, pool_id, has_active(count), timeout=60.0)
            assert body["pool_name"] == f"shared-{count}", f"{body} from the worker on port {worker.port}"
