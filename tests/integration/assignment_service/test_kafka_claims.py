"""The walking skeleton through the real broker and database, and bad records on the claim topic."""

import json
import uuid
from collections.abc import Callable

import httpx
import pytest
from aiokafka import ConsumerRecord
from pymongo import AsyncMongoClient

from coupon_shared.events import ClaimRequested, ClaimRequestedData, encode_event, outcome_event_id, parse_event
from coupon_shared.mongo import Document
from coupon_shared.topics import ASSIGNED, CLAIM_REJECTED, CLAIM_REQUESTS, DEAD_LETTER
from tests.integration.assignment_service.conftest import ReplicaFactory, seed_pool
from tests.support.kafka_probe import KafkaProbe, produce_raw
from tests.support.random_refs import random_email, random_request_id

pytestmark = pytest.mark.integration


def claim_event(request_id: str, pool_id: str, email: str) -> bytes:
    data = ClaimRequestedData(request_id=request_id, pool_id=pool_id, email=email, source="storefront-test")
    return encode_event(ClaimRequested(data=data))


def outcome_for(request_id: str) -> Callable[[ConsumerRecord], bool]:
    def matches(record: ConsumerRecord) -> bool:
        try:
            return getattr(parse_event(record.value).data, "request_id", None) == request_id
        except ValueError:
            return False

    return matches


async def test_service_is_healthy_and_ready(replicas: ReplicaFactory) -> None:
    replica = replicas()
    async with httpx.AsyncClient(base_url=replica.url) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = (await client.get("/readyz")).json()
        assert ready["checks"] == {"kafka": True, "mongo": True}


async def test_claim_requested_for_a_one_coupon_pool_yields_coupon_assigned(
    replicas: ReplicaFactory, kafka_bootstrap: str, mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, ["WELCOME-1"], message="10% off", user_expiration="P30D")
    replicas()
    request_id, email = random_request_id(), random_email().upper()
    async with KafkaProbe(kafka_bootstrap, ASSIGNED, CLAIM_REJECTED) as probe:
        await produce_raw(kafka_bootstrap, CLAIM_REQUESTS, pool_id.encode(), claim_event(request_id, pool_id, email))
        [record] = await probe.wait_for(outcome_for(request_id), timeout=30)
    event = parse_event(record.value)
    assert record.topic == ASSIGNED
    assert record.key == pool_id.encode()
    assert event.type == "CouponAssigned"
    assert event.event_id == outcome_event_id(request_id)
    data = event.data
    assert (data.code, data.message, data.email) == ("WELCOME-1", "10% off", email.lower())
    assert data.source == "storefront-test"
    assert data.coupon_remaining == 0
    assert data.user_expires_at is not None
    assert (data.user_expires_at - data.assigned_at).days == 30


@pytest.mark.parametrize(
    ("label", "value", "reason"),
    [
        ("invalid email", lambda rid, pool: claim_event(rid, pool, "not-an-email"), "invalid_request"),
        ("unknown pool", lambda rid, pool: claim_event(rid, uuid.uuid4().hex, random_email()), "pool_not_found"),
        (
            "not a valid ClaimRequested",
            lambda rid, pool: json.dumps({"type": "ClaimRequested", "data": {"request_id": rid}}).encode(),
            "invalid_request",
        ),
    ],
)
async def test_bad_claims_with_a_readable_request_id_are_rejected(
    replicas: ReplicaFactory,
    kafka_bootstrap: str,
    mongo_client: AsyncMongoClient[Document],
    db_name: str,
    label: str,
    value: Callable[[str, str], bytes],
    reason: str,
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, ["ONLY-1"])
    replicas()
    request_id = random_request_id()
    async with KafkaProbe(kafka_bootstrap, ASSIGNED, CLAIM_REJECTED) as probe:
        await produce_raw(kafka_bootstrap, CLAIM_REQUESTS, pool_id.encode(), value(request_id, pool_id))
        [record] = await probe.wait_for(outcome_for(request_id), timeout=30)
    event = parse_event(record.value)
    assert record.topic == CLAIM_REJECTED, label
    assert event.type == "ClaimRejected"
    assert event.data.reason == reason


async def test_a_record_that_is_not_json_is_dead_lettered_and_the_consumer_goes_on(
    replicas: ReplicaFactory, kafka_bootstrap: str, mongo_client: AsyncMongoClient[Document], db_name: str
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, ["AFTER-1"])
    replicas()
    garbage = f"not json {uuid.uuid4().hex} {{".encode()
    request_id = random_request_id()
    async with KafkaProbe(kafka_bootstrap, DEAD_LETTER, ASSIGNED) as probe:
        await produce_raw(kafka_bootstrap, CLAIM_REQUESTS, pool_id.encode(), garbage)
        await produce_raw(
            kafka_bootstrap, CLAIM_REQUESTS, pool_id.encode(), claim_event(request_id, pool_id, random_email())
        )
        [dead] = await probe.wait_for(lambda r: r.topic == DEAD_LETTER and r.value == garbage, timeout=30)
        await probe.wait_for(outcome_for(request_id), timeout=30)
    headers = dict(dead.headers)
    assert headers["dlq.consumer"] == b"assignment-service"
    assert headers["dlq.source.topic"] == CLAIM_REQUESTS.encode()
