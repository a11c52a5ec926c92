"""Outcomes as events: ``CouponAssigned`` on coupon.assigned, ``ClaimRejected`` on coupon.claim-rejected.

The event_id of an outcome is derived from its request_id, so publishing it again
after a crash is a duplicate that consumers drop.
"""

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from assignment_service.domain.model import Assignment, Outcome
from coupon_shared.events import (
    AssignmentData,
    ClaimRejected,
    ClaimRejectedData,
    CouponAssigned,
    outcome_event_id,
    utc_now,
)
from coupon_shared.kafka import publish_many
from coupon_shared.topics import ASSIGNED, CLAIM_REJECTED


def outcome_event(outcome: Outcome) -> CouponAssigned | ClaimRejected:
    event_id = outcome_event_id(outcome.request_id)
    if isinstance(outcome, Assignment):
        data = AssignmentData(
            request_id=outcome.request_id,
            pool_id=outcome.pool_id,
            code=outcome.code,
            message=outcome.message,
            email=outcome.email,
            source=outcome.source,
            assigned_at=outcome.assigned_at,
            user_expires_at=outcome.user_expires_at,
            coupon_remaining=outcome.coupon_remaining,
        )
        return CouponAssigned(event_id=event_id, occurred_at=outcome.assigned_at, data=data)
    rejected = ClaimRejectedData(
        request_id=outcome.request_id,
        pool_id=outcome.pool_id,
        email=outcome.email,
        reason=outcome.reason,
        detail=outcome.detail,
    )
    return ClaimRejected(event_id=event_id, occurred_at=utc_now(), data=rejected)


class KafkaOutcomePublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, outcomes: Sequence[Outcome]) -> None:
        items = [(_topic(o), o.pool_id, outcome_event(o)) for o in outcomes]
        if items:
            await publish_many(self._producer, items)


def _topic(outcome: Outcome) -> str:
    return ASSIGNED if isinstance(outcome, Assignment) else CLAIM_REJECTED
