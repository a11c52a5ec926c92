"""The short list of a pool's latest alerts that the forecast API shows."""

from typing import Any

from coupon_shared.events import PoolAlertData


def remember_alert(recent: list[dict[str, Any]], alert: PoolAlertData, keep: int) -> list[dict[str, Any]] | None:
    """The list with ``alert`` first, or None when it is already there (a redelivery)."""
    if any(item.get("alert_id") == alert.alert_id for item in recent):
        return None
    return [alert.model_dump(mode="json"), *recent][:keep]
