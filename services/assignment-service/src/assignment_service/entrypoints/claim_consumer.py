"""The Kafka entrypoint: ``ClaimRequested`` records → claim engine → one outcome event each.

A record that is not a valid claim is rejected (``invalid_request``) when a
request_id can be read from it, otherwise dead-lettered; the consumer goes on.
"""

import json
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from assignment_service.domain.model import ClaimRequest, InvalidClaimError, Rejection, new_claim
from assignment_service.service_layer.claims import ClaimService
from coupon_shared.events import ClaimRequested, InvalidEventError, parse_event
from coupon_shared.kafka import Record, dead_letter

log = logging.getLogger(__name__)

CONSUMER_NAME = "assignment-service"


class ClaimRecordHandler:
    def __init__(self, claims: ClaimService, producer: AIOKafkaProducer) -> None:
        self._claims = claims
        self._producer = producer

    async def __call__(self, records: Sequence[Record]) -> None:
        requests: list[ClaimRequest] = []
        rejections: list[Rejection] = []
        for record in records:
            parsed = _read(record)
            if isinstance(parsed, ClaimRequest):
                requests.append(parsed)
            elif isinstance(parsed, Rejection):
                rejections.append(parsed)
            else:
                await dead_letter(self._producer, record, parsed, CONSUMER_NAME)
        await self._claims.reject_invalid(rejections)
        await self._claims.decide(requests)


def _read(record: Record) -> ClaimRequest | Rejection | str:
    """The claim in a record; a rejection if only its request_id is readable; else the error."""
    try:
        event = parse_event(record.value)
    except InvalidEventError as exc:
        return _rejection_from_raw(record.value, str(exc)) or str(exc)
    if not isinstance(event, ClaimRequested):
        return _rejection_from_raw(record.value, f"{event.type} is not a claim") or f"{event.type} is not a claim"
    data = event.data
    try:
        return new_claim(data.request_id, data.pool_id, data.email, data.source, "kafka")
    except InvalidClaimError as exc:
        return Rejection(data.request_id, data.pool_id, data.email, "invalid_request", str(exc))


def _rejection_from_raw(raw: bytes | None, error: str) -> Rejection | None:
    data = _json_data(raw)
    request_id = data.get("request_id")
    if not isinstance(request_id, str) or not 0 < len(request_id) <= 200:
        return None
    pool_id, email = data.get("pool_id"), data.get("email")
    return Rejection(
        request_id,
        pool_id if isinstance(pool_id, str) else "",
        email if isinstance(email, str) else "",
        "invalid_request",
        error[:500],
    )


def _json_data(raw: bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(value, dict):
        return {}
    data = value.get("data")
    return data if isinstance(data, dict) else value
