"""Which records the pool agent refuses (they go to the dead-letter topic)."""

import json

import pytest

from alert_service.service_layer.pool_events import read_pool_event
from coupon_shared import topics
from coupon_shared.events import InvalidEventError, encode_event
from tests.unit.alert_service import builders as b


def test_reads_an_inventory_event_keyed_by_its_pool() -> None:
    pool_id = b.new_pool_id()
    event = read_pool_event(topics.INVENTORY, pool_id.encode(), encode_event(b.coupons_added(pool_id, 3)))
    assert event.type == "CouponsAdded"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json {", "Invalid JSON"),
        (None, "tombstone"),
        (json.dumps({"event_id": "x", "type": "CouponsTeleported", "version": 1, "data": {}}).encode(), "type"),
    ],
)
def test_refuses_what_is_not_an_event(value: bytes | None, reason: str) -> None:
    with pytest.raises(InvalidEventError, match=reason):
        read_pool_event(topics.INVENTORY, b"pool", value)


def test_refuses_an_unknown_version() -> None:
    pool_id = b.new_pool_id()
    envelope = json.loads(encode_event(b.coupons_added(pool_id, 3)))
    envelope["version"] = 2
    with pytest.raises(InvalidEventError, match="version"):
        read_pool_event(topics.INVENTORY, pool_id.encode(), json.dumps(envelope).encode())


def test_refuses_an_event_on_the_wrong_topic() -> None:
    pool_id = b.new_pool_id()
    with pytest.raises(InvalidEventError, match="unexpected event type"):
        read_pool_event(topics.ASSIGNED, pool_id.encode(), encode_event(b.coupons_added(pool_id, 3)))


def test_refuses_a_record_keyed_by_another_pool() -> None:
    pool_id = b.new_pool_id()
    with pytest.raises(InvalidEventError, match="not the event's pool_id"):
        read_pool_event(topics.ASSIGNED, b"other", encode_event(b.coupon_assigned(pool_id)))


def test_refuses_a_negative_threshold() -> None:
    pool_id = b.new_pool_id()
    envelope = json.loads(encode_event(b.pool_updated(pool_id, threshold=3)))
    envelope["data"]["alert"]["threshold"] = -1
    with pytest.raises(InvalidEventError, match="threshold"):
        read_pool_event(topics.INVENTORY, pool_id.encode(), json.dumps(envelope).encode())
