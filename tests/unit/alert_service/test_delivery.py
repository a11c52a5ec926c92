"""Retries with backoff and what a person reads, with an in-memory channel."""

from datetime import UTC, datetime, timedelta

from alert_service.adapters.bridges import DeliveryError
from alert_service.domain.notification import email_content, slack_message
from alert_service.service_layer.delivery import RetryPolicy, deliver_with_retries
from alert_service.service_layer.recent_alerts import remember_alert
from coupon_shared.events import PoolAlertData

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def an_alert(alert_id: str = "a1") -> PoolAlertData:
    return PoolAlertData(
        alert_id=alert_id,
        pool_id="p1",
        pool_name="Spring <VIP>",
        kind="runout_projected",
        active=100,
        threshold=10,
        usage_per_day=20.0,
        projected_runout_at=NOW + timedelta(days=5),
        raised_at=NOW,
    )


class FlakyChannel:
    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.delivered: list[PoolAlertData] = []

    async def deliver(self, alert: PoolAlertData) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError("flaky answered HTTP 500")
        self.delivered.append(alert)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def test_retries_with_growing_delays_until_delivered() -> None:
    channel, sleeps = FlakyChannel(failures=2), Sleeps()
    assert await deliver_with_retries(channel, an_alert(), RetryPolicy(4, 0.5), sleeps) is None
    assert sleeps.delays == [0.5, 1.0]
    assert len(channel.delivered) == 1


async def test_gives_up_with_the_last_reason() -> None:
    channel, sleeps = FlakyChannel(failures=10), Sleeps()
    reason = await deliver_with_retries(channel, an_alert(), RetryPolicy(3, 0.5), sleeps)
    assert reason == "flaky delivery failed after 3 attempts: flaky answered HTTP 500"
    assert sleeps.delays == [0.5, 1.0]


def test_slack_text_names_pool_kind_stock_and_runout_date() -> None:
    text = slack_message(an_alert())["text"]
    assert "Spring <VIP>" in text
    assert "run out within 7 days" in text
    assert "Active coupons left: 100" in text
    assert "2026-03-07" in text


def test_email_has_plain_text_and_escaped_html() -> None:
    content = email_content(an_alert())
    assert "Spring <VIP>" in content.text
    assert "Spring &lt;VIP&gt;" in content.html
    assert content.subject.startswith("[Coupon Pools]")


def test_recent_alerts_keep_the_newest_and_skip_redeliveries() -> None:
    recent = remember_alert([], an_alert("a1"), keep=2)
    assert recent is not None
    assert remember_alert(recent, an_alert("a1"), keep=2) is None
    recent = remember_alert(recent, an_alert("a2"), keep=2)
    recent = remember_alert(recent or [], an_alert("a3"), keep=2)
    assert [item["alert_id"] for item in recent or []] == ["a3", "a2"]
