"""What a person reads: the Slack text and the email of one alert."""

import html
from dataclasses import dataclass
from datetime import datetime

from coupon_shared.events import PoolAlertData

_HEADLINES = {
    "low_stock": "is running low",
    "runout_projected": "is projected to run out within 7 days",
    "depleted": "has no active coupons left",
}


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def headline(alert: PoolAlertData) -> str:
    return f"Coupon pool “{alert.pool_name}” {_HEADLINES[alert.kind]}"


def details(alert: PoolAlertData) -> list[str]:
    return [
        f"Active coupons left: {alert.active}",
        f"Alert threshold: {alert.threshold}",
        f"Usage: {alert.usage_per_day:g} per day",
        f"Projected runout: {_date(alert.projected_runout_at)}",
        f"Alert: {alert.kind} (id {alert.alert_id}) raised {_date(alert.raised_at)}",
    ]


def slack_message(alert: PoolAlertData) -> dict[str, str]:
    lines = "\n".join(f"• {line}" for line in details(alert))
    return {"text": f":warning: *{headline(alert)}*\n{lines}"}


def email_content(alert: PoolAlertData) -> EmailContent:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in details(alert))
    return EmailContent(
        subject=f"[Coupon Pools] {headline(alert)}",
        text="\n".join([headline(alert), "", *details(alert)]) + "\n",
        html=f"<html><body><h2>{html.escape(headline(alert))}</h2><ul>{items}</ul></body></html>",
    )


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "not projected (no recent usage)"
