"""Deliver an alert through a channel: retry with exponential backoff, then give up with a reason."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from alert_service.adapters.bridges import Channel, DeliveryError
from coupon_shared.events import PoolAlertData

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff_seconds: float = 0.5

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt`` (2, 3, ...): 0.5, 1, 2, ..."""
        return float(self.backoff_seconds * 2 ** (attempt - 2))


async def deliver_with_retries(
    channel: Channel, alert: PoolAlertData, policy: RetryPolicy, sleep: Sleep = asyncio.sleep
) -> str | None:
    """None when delivered; otherwise the reason of the last failure."""
    reason = "no attempt made"
    for attempt in range(1, policy.attempts + 1):
        if attempt > 1:
            await sleep(policy.delay_before(attempt))
        try:
            await channel.deliver(alert)
        except DeliveryError as exc:
            reason = str(exc)
            log.warning("alert %s via %s, attempt %d failed: %s", alert.alert_id, channel.name, attempt, reason)
            continue
        return None
    return f"{channel.name} delivery failed after {policy.attempts} attempts: {reason}"
