"""The Slack and email bridges against a real local HTTP receiver and a real SMTP server."""

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from alert_service.adapters.bridges import DeliveryError, SlackWebhook, SmtpMailer
from alert_service.service_layer.delivery import RetryPolicy, deliver_with_retries
from alert_service.settings import AlertServiceSettings
from coupon_shared.events import PoolAlertData
from tests.integration.alert_service.receivers import SlackReceiver, SmtpReceiver

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 2, tzinfo=UTC)


def an_alert(pool_name: str) -> PoolAlertData:
    return PoolAlertData(
        alert_id="3f1d",
        pool_id="p1",
        pool_name=pool_name,
        kind="low_stock",
        active=4,
        threshold=5,
        usage_per_day=2.5,
        projected_runout_at=NOW + timedelta(days=1.6),
        raised_at=NOW,
    )


@pytest.fixture
async def slack() -> AsyncIterator[SlackReceiver]:
    receiver = SlackReceiver(slow_seconds=1.0)
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


def smtp_settings(port: int) -> AlertServiceSettings:
    return AlertServiceSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        email_to="ops@example.com, buyer@example.com",
        smtp_password=SecretStr("smtp-hunter2"),
    )


async def test_slack_gets_a_readable_message(slack: SlackReceiver) -> None:
    webhook = SlackWebhook(SecretStr(slack.url), timeout=2.0)
    await webhook.deliver(an_alert("Spring VIP"))
    await webhook.aclose()
    [text] = slack.texts_about("Spring VIP")
    assert "running low" in text
    assert "Active coupons left: 4" in text
    assert "2026-03-03" in text


async def test_slack_500_is_retried_then_reported_without_the_url(
    slack: SlackReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    webhook = SlackWebhook(SecretStr(slack.url), timeout=2.0)
    with caplog.at_level(logging.DEBUG):
        reason = await deliver_with_retries(webhook, an_alert("slack-500 pool"), RetryPolicy(3, 0.01))
    await webhook.aclose()
    assert reason == "slack delivery failed after 3 attempts: slack webhook answered HTTP 500"
    assert slack.attempts_about("slack-500 pool") == 3
    assert slack.secret not in caplog.text
    assert repr(webhook.__dict__).count(slack.secret) == 0


async def test_slack_timeout_is_a_delivery_error(slack: SlackReceiver) -> None:
    webhook = SlackWebhook(SecretStr(slack.url), timeout=0.2)
    with pytest.raises(DeliveryError, match="timed out") as failure:
        await webhook.deliver(an_alert("slack-slow pool"))
    await webhook.aclose()
    assert slack.secret not in str(failure.value)


async def test_unreachable_slack_names_no_url() -> None:
    url = "http://127.0.0.1:9/services/T/B/very-secret-token"
    webhook = SlackWebhook(SecretStr(url), timeout=0.5)
    with pytest.raises(DeliveryError) as failure:
        await webhook.deliver(an_alert("x"))
    await webhook.aclose()
    assert "very-secret-token" not in str(failure.value)


async def test_email_has_plain_text_and_html(smtp: SmtpReceiver) -> None:
    await SmtpMailer(smtp_settings(smtp.port), timeout=2.0).deliver(an_alert("Spring VIP"))
    [message] = smtp.about("Spring VIP")
    assert message["To"] == "ops@example.com, buyer@example.com"
    parts = {part.get_content_type(): part.get_payload(decode=True) for part in message.walk()}
    assert b"Active coupons left: 4" in parts["text/plain"]
    assert b"<li>Active coupons left: 4</li>" in parts["text/html"]


async def test_smtp_refusal_is_retried_then_reported(smtp: SmtpReceiver, caplog: pytest.LogCaptureFixture) -> None:
    mailer = SmtpMailer(smtp_settings(smtp.port), timeout=2.0)
    with caplog.at_level(logging.DEBUG):
        reason = await deliver_with_retries(mailer, an_alert("smtp-refuse pool"), RetryPolicy(2, 0.01))
    assert reason is not None
    assert "554" in reason
    assert smtp.mailbox.refused == 2
    assert "hunter2" not in caplog.text


def test_secrets_do_not_show_in_settings_output() -> None:
    settings = AlertServiceSettings(slack_webhook_url=SecretStr("https://hooks.example/secret-path"))
    assert "secret-path" not in repr(settings)
    assert "secret-path" not in settings.model_dump_json()
