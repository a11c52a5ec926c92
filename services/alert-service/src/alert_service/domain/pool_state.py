"""What the alert service knows about one pool, kept as one table value.

Everything a pool's alerts depend on lives in one value so that one event makes
one atomic table write — together with the marker of the last record applied
per input topic, which is what makes redelivery after a crash or rebalance a
no-op (see ``already_applied``).
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from alert_service.domain.usage import UsageWindow

AlertKind = Literal["low_stock", "runout_projected", "depleted"]
ALERT_KINDS: tuple[AlertKind, ...] = ("depleted", "low_stock", "runout_projected")
RECENT_EVENT_IDS = 32


class AlertArm(BaseModel):
    """One alert kind of one pool: may it fire, and how often has it fired."""

    armed: bool = False
    crossings: int = 0


def _arms() -> dict[AlertKind, AlertArm]:
    return {kind: AlertArm() for kind in ALERT_KINDS}


class PoolState(BaseModel):
    pool_id: str
    name: str = ""
    alerts_enabled: bool = False
    threshold: int = 0
    # Follows the events; may dip below 0 when an assignment overtakes the
    # CouponsAdded it consumed (two topics are not ordered with each other).
    # A StockLevel snapshot resets it. Reported as max(0, active).
    active: int = 0
    deleted: bool = False
    usage: UsageWindow = Field(default_factory=UsageWindow)
    arms: dict[AlertKind, AlertArm] = Field(default_factory=_arms)
    # Input topic → offset of the last record applied to this pool.
    applied_offsets: dict[str, int] = Field(default_factory=dict)
    # Short prefixes of the last event ids seen: drops a republished event.
    recent_event_ids: list[str] = Field(default_factory=list)
    last_event_at: datetime | None = None

    @property
    def reported_active(self) -> int:
        return max(0, self.active)

    def already_applied(self, topic: str, offset: int, event_id: str) -> bool:
        if offset <= self.applied_offsets.get(topic, -1):
            return True
        return _short_id(event_id) in self.recent_event_ids

    def mark_applied(self, topic: str, offset: int, event_id: str) -> None:
        self.applied_offsets[topic] = offset
        self.recent_event_ids.append(_short_id(event_id))
        del self.recent_event_ids[:-RECENT_EVENT_IDS]


def _short_id(event_id: str) -> str:
    return event_id.replace("-", "")[:12]
