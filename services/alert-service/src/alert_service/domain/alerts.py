"""When a pool's alerts fire.

Conditions after each event (``active`` as reported, never below 0):

- ``depleted``: active == 0;
- ``low_stock``: 0 < active <= threshold (at 0, ``depleted`` says it);
- ``runout_projected``: active > 0 and active / usage_per_day < the horizon (7 days).

A kind fires when its condition holds, it is armed and the pool's alerts are
enabled; firing disarms it. It is armed again only when a restock or a settings
change leaves its condition false ("fires once per crossing, re-arms when the
pool is restocked past the condition"): a rate that wobbles around the horizon
does not make a pool flap. A pool that was never stocked is not armed, so a new
empty pool is not "depleted". Reaching 0 also consumes the ``low_stock`` and
``runout_projected`` crossings: one ``depleted`` alert, not three.

Alert ids are derived from (pool, kind, crossing number), so reprocessing the
same crossing after a crash yields the very same alert id and event id.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from alert_service.domain.pool_state import ALERT_KINDS, AlertKind, PoolState

_ALERT_NAMESPACE = UUID("0c4b8a52-8f0e-4d57-a4c5-5b1f8a9e7d21")
RUNOUT_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class Forecast:
    active: int
    usage_per_day: float
    projected_runout_at: datetime | None


@dataclass(frozen=True)
class RaisedAlert:
    alert_id: str
    pool_id: str
    pool_name: str
    kind: AlertKind
    active: int
    threshold: int
    forecast: Forecast
    raised_at: datetime


def alert_id_for(pool_id: str, kind: AlertKind, crossing: int) -> str:
    return str(uuid5(_ALERT_NAMESPACE, f"{pool_id}:{kind}:{crossing}"))


def forecast(state: PoolState, now: datetime) -> Forecast:
    rate = state.usage.per_day(now)
    active = state.reported_active
    runout = now + timedelta(days=active / rate) if rate > 0 else None
    return Forecast(active=active, usage_per_day=round(rate, 3), projected_runout_at=runout)


def conditions(state: PoolState, outlook: Forecast, now: datetime) -> dict[AlertKind, bool]:
    active = outlook.active
    runout_soon = outlook.projected_runout_at is not None and outlook.projected_runout_at - now < RUNOUT_HORIZON
    return {
        "depleted": active == 0,
        "low_stock": 0 < active <= state.threshold,
        "runout_projected": active > 0 and runout_soon,
    }


def rearm(state: PoolState, now: datetime) -> None:
    """After a restock or a settings change: arm every kind whose condition is now false."""
    for kind, holds in conditions(state, forecast(state, now), now).items():
        if not holds:
            state.arms[kind].armed = True


def raise_due_alerts(state: PoolState, now: datetime) -> list[RaisedAlert]:
    """Fire every armed kind whose condition holds; disarm what fired or was consumed."""
    outlook = forecast(state, now)
    holding = conditions(state, outlook, now)
    raised = [_fire(state, kind, outlook, now) for kind in ALERT_KINDS if holding[kind] and _may_fire(state, kind)]
    if holding["depleted"]:
        # Zero covers the other two crossings: they wait for a restock.
        state.arms["low_stock"].armed = False
        state.arms["runout_projected"].armed = False
    return raised


def _may_fire(state: PoolState, kind: AlertKind) -> bool:
    return state.alerts_enabled and not state.deleted and state.arms[kind].armed


def _fire(state: PoolState, kind: AlertKind, outlook: Forecast, now: datetime) -> RaisedAlert:
    arm = state.arms[kind]
    arm.armed = False
    arm.crossings += 1
    return RaisedAlert(
        alert_id=alert_id_for(state.pool_id, kind, arm.crossings),
        pool_id=state.pool_id,
        pool_name=state.name,
        kind=kind,
        active=outlook.active,
        threshold=state.threshold,
        forecast=outlook,
        raised_at=now,
    )
