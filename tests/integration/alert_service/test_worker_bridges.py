"""The worker hands each alert once to Slack and email; failures are retried, dead-lettered, and block nothing."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from coupon_shared import topics
from tests.integration.alert_service.receivers import SlackReceiver, SmtpReceiver
from tests.integration.alert_service.worker_process import AlertWorkerProcess, raise_depleted_alert
from tests.support.kafka_probe import KafkaProbe, event_for_pool
from tests.support.random_refs import random_pool_name
from tests.unit.alert_service import builders as b

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def slack() -> AsyncIterator[SlackReceiver]:
    receiver = SlackReceiver(slow_seconds=3.0)
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def bridged_worker(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, slack: SlackReceiver, smtp: SmtpReceiver
) -> Iterator[AlertWorkerProcess]:
    env = {
        "ALERT_SERVICE_SLACK_WEBHOOK_URL": slack.url,
        "ALERT_SERVICE_SMTP_HOST": "127.0.0.1",
        "ALERT_SERVICE_SMTP_PORT": str(smtp.port),
        "ALERT_SERVICE_SMTP_USERNAME": "alerts",
        "ALERT_SERVICE_SMTP_PASSWORD": "smtp-hunter2",
        "ALERT_SERVICE_EMAIL_TO": "ops@example.com",
        "ALERT_SERVICE_DELIVERY_ATTEMPTS": "3",
        "ALERT_SERVICE_DELIVERY_BACKOFF_SECONDS": "0.2",
        "ALERT_SERVICE_DELIVERY_TIMEOUT_SECONDS": "1",
    }
    worker = AlertWorkerProcess(kafka_bootstrap, tmp_path_factory.mktemp("bridged-worker"), env)
    worker.start()
    yield worker
    worker.stop()


async def eventually(check: "object", timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached in time")


async def test_alert_reaches_slack_and_email_once(
    bridged_worker: AlertWorkerProcess, kafka_bootstrap: str, slack: SlackReceiver, smtp: SmtpReceiver
) -> None:
    name = random_pool_name("bridged")
    await raise_depleted_alert(bridged_worker, kafka_bootstrap, b.new_pool_id(), name)
    await eventually(lambda: slack.texts_about(name) and smtp.about(name))
    await asyncio.sleep(2.0)
    assert len(slack.texts_about(name)) == 1
    assert len(smtp.about(name)) == 1
    assert "has no active coupons left" in slack.texts_about(name)[0]
    assert ("alerts", "smtp-hunter2") in smtp.logins


async def test_failing_bridges_are_dead_lettered_without_blocking_others(
    bridged_worker: AlertWorkerProcess, kafka_bootstrap: str, slack: SlackReceiver, smtp: SmtpReceiver
) -> None:
    failing = {kind: (b.new_pool_id(), random_pool_name(kind)) for kind in ("slack-500", "slack-slow", "smtp-refuse")}
    healthy_pool, healthy = b.new_pool_id(), random_pool_name("healthy")
    async with KafkaProbe(kafka_bootstrap, topics.DEAD_LETTER, topics.ALERTS) as probe:
        for pool_id, name in failing.values():
            await raise_depleted_alert(bridged_worker, kafka_bootstrap, pool_id, name)
        await raise_depleted_alert(bridged_worker, kafka_bootstrap, healthy_pool, healthy)
        await probe.wait_for(event_for_pool(healthy_pool, "PoolAlert"))
        # The healthy alert gets through while the others are still being retried.
        await eventually(lambda: slack.texts_about(healthy) and smtp.about(healthy), timeout=3.0)
        failing_keys = {pool_id.encode() for pool_id, _ in failing.values()}
        parked = await probe.wait_for(lambda r: r.topic == topics.DEAD_LETTER and r.key in failing_keys, count=3)

    reasons = {record.key.decode(): dict(record.headers)["dlq.error"].decode() for record in parked}
    assert "answered HTTP 500" in reasons[failing["slack-500"][0]]
    assert "timed out" in reasons[failing["slack-slow"][0]]
    assert "554" in reasons[failing["smtp-refuse"][0]]
    assert slack.attempts_about(failing["slack-500"][1]) == 3
    for reason in reasons.values():
        assert slack.secret not in reason
    log = bridged_worker.log_tail(2000)
    assert slack.secret not in log
    assert "hunter2" not in log
