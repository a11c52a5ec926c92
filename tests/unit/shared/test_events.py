import json
from datetime import UTC, datetime

import pytest

from coupon_shared.events import (
    AssignmentData,
    ClaimRequested,
    ClaimRequestedData,
    CouponAssigned,
    InvalidEventError,
    encode_event,
    outcome_event_id,
    parse_event,
)


def test_an_event_round_trips_through_its_wire_form() -> None:
    event = ClaimRequested(data=ClaimRequestedData(request_id="r1", pool_id="p1", email="a@b.co", source="web"))
    parsed = parse_event(encode_event(event))
    assert parsed == event
    wire = json.loads(encode_event(event))
    assert set(wire) == {"event_id", "type", "version", "occurred_at", "data"}


def test_the_type_field_selects_the_model() -> None:
    now = datetime.now(UTC)
    assigned = CouponAssigned(
        data=AssignmentData(request_id="r", pool_id="p", code="C", email="a@b.co", source="s", assigned_at=now)
    )
    assert isinstance(parse_event(encode_event(assigned)), CouponAssigned)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "Invalid JSON"),
        (b'{"type": "Nope", "version": 1, "data": {}}', "does not match any of the expected tags"),
        (b'{"type": "ClaimRequested", "version": 2, "data": {}}', "version"),
        (b'{"type": "ClaimRequested", "version": 1, "data": {"pool_id": "p"}}', "data.request_id"),
        (None, "tombstone"),
    ],
)
def test_unreadable_values_are_rejected_with_a_reason(raw: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidEventError, match=reason):
        parse_event(raw)


def test_outcome_event_ids_are_stable_per_request() -> None:
    assert outcome_event_id("abc") == outcome_event_id("abc")
    assert outcome_event_id("abc") != outcome_event_id("abd")
