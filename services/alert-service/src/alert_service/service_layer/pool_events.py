"""Apply one input event to a pool's state and say which alerts it raises.

Pure apart from logging: the faust agent reads the state from its table, calls
``apply_event`` and writes back what comes out.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid5

from alert_service.domain.alerts import RaisedAlert, raise_due_alerts, rearm
from alert_service.domain.pool_state import PoolState
from coupon_shared import topics
from coupon_shared.events import (
    AlertSettings,
    CouponAssigned,
    CouponsAdded,
    CouponsExpired,
    CouponsRemoved,
    InvalidEventError,
    PoolAlert,
    PoolAlertData,
    PoolCreated,
    PoolDeleted,
    PoolUpdated,
    StockLevel,
    parse_event,
)

log = logging.getLogger(__name__)

# More than any import can hold (10,000,000 rows): a larger threshold is a bug upstream.
MAX_THRESHOLD = 10_000_000
_ALERT_EVENT_NAMESPACE = UUID("5d2e9c1a-7b34-4f0e-8a61-3c9d2f4b6e88")

PoolEvent = (
    CouponAssigned
    | PoolCreated
    | PoolUpdated
    | PoolDeleted
    | CouponsAdded
    | CouponsRemoved
    | CouponsExpired
    | StockLevel
)
_EXPECTED: dict[str, tuple[type, ...]] = {
    topics.ASSIGNED: (CouponAssigned,),
    topics.INVENTORY: (PoolCreated, PoolUpdated, PoolDeleted, CouponsAdded, CouponsRemoved, CouponsExpired, StockLevel),
}


@dataclass
class Applied:
    state: PoolState
    alerts: list[RaisedAlert] = field(default_factory=list)
    duplicate: bool = False


def read_pool_event(topic: str, key: bytes | None, value: bytes | None) -> PoolEvent:
    """Parse a record of an input topic; InvalidEventError says why it cannot be used."""
    event = parse_event(value)
    if not isinstance(event, _EXPECTED.get(topic, ())):
        raise InvalidEventError(f"unexpected event type {event.type!r} on {topic}")
    assert isinstance(event, PoolEvent)
    pool_id = event.data.pool_id
    # The key decides the partition, and the partition decides which worker owns
    # the pool's state: a record keyed otherwise would fork that state.
    if key is None or key.decode(errors="replace") != pool_id:
        raise InvalidEventError(f"record key {key!r} is not the event's pool_id {pool_id!r}")
    return event


def apply_event(state: PoolState | None, event: PoolEvent, topic: str, offset: int, now: datetime) -> Applied:
    """Change ``state`` in place (the caller hands over a fresh copy read from its table).

    A copy here would cost more than all the rest of the work per event.
    """
    current = state or PoolState(pool_id=event.data.pool_id)
    event_id = str(event.event_id)
    if current.already_applied(topic, offset, event_id):
        return Applied(state=current, duplicate=True)
    _change(current, event, now)
    current.mark_applied(topic, offset, event_id)
    current.last_event_at = event.occurred_at
    return Applied(state=current, alerts=raise_due_alerts(current, now))


@dataclass(frozen=True)
class PoolRecord:
    """An input event with where it was read: the position is what dedupes redelivery."""

    event: PoolEvent
    topic: str
    offset: int


def apply_events(state: PoolState | None, records: Sequence[PoolRecord], now: datetime) -> Applied:
    """Apply one pool's records in their order: the state after all of them and every alert raised on the way.

    ``duplicate`` only when every record had been applied before (nothing to write).
    """
    applied = Applied(state=state or PoolState(pool_id=records[0].event.data.pool_id), duplicate=True)
    for record in records:
        step = apply_event(applied.state, record.event, record.topic, record.offset, now)
        applied.alerts.extend(step.alerts)
        applied.duplicate = applied.duplicate and step.duplicate
    return applied


def _change(state: PoolState, event: PoolEvent, now: datetime) -> None:
    match event:
        case CouponAssigned(data=data):
            state.usage.record(data.assigned_at, now)
            if data.coupon_remaining == 0:
                state.active -= 1
        case PoolCreated(data=data) | PoolUpdated(data=data):
            state.name = data.name
            _apply_settings(state, data.alert)
            rearm(state, now)
        case CouponsAdded(data=data):
            state.active += data.count
            rearm(state, now)
        case CouponsRemoved(data=data) | CouponsExpired(data=data):
            state.active -= data.count
        case StockLevel(data=data):
            restocked = data.active > state.active
            state.active = data.active
            if restocked:
                rearm(state, now)
        case PoolDeleted():
            state.deleted = True


def _apply_settings(state: PoolState, alert: AlertSettings) -> None:
    state.alerts_enabled = alert.enabled
    state.threshold = alert.threshold
    if alert.threshold > MAX_THRESHOLD:
        log.warning(
            "pool %s: alert threshold %d is absurd, clamped to %d", state.pool_id, alert.threshold, MAX_THRESHOLD
        )
        state.threshold = MAX_THRESHOLD


def to_pool_alert(alert: RaisedAlert) -> PoolAlert:
    """The event for an alert; its event_id follows from the alert id, so a replay is a duplicate."""
    outlook = alert.forecast
    data = PoolAlertData(
        alert_id=alert.alert_id,
        pool_id=alert.pool_id,
        pool_name=alert.pool_name,
        kind=alert.kind,
        active=alert.active,
        threshold=alert.threshold,
        usage_per_day=outlook.usage_per_day,
        projected_runout_at=outlook.projected_runout_at,
        raised_at=alert.raised_at,
    )
    return PoolAlert(event_id=uuid5(_ALERT_EVENT_NAMESPACE, alert.alert_id), occurred_at=alert.raised_at, data=data)
