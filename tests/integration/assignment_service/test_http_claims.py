"""The claim HTTP API on the real stack: status codes, replays, one coupon per email, bad input."""

import httpx
import pytest
from pymongo import AsyncMongoClient

from coupon_shared.events import parse_event
from coupon_shared.mongo import Document
from coupon_shared.topics import ASSIGNED
from tests.integration.assignment_service.conftest import (
    OTHER_ROLE_KEY,
    STOREFRONT_KEY,
    ReplicaFactory,
    seed_pool,
)
from tests.support.kafka_probe import KafkaProbe
from tests.support.random_refs import random_email, random_request_id

pytestmark = pytest.mark.integration


async def test_a_claim_is_201_then_200_on_replay_and_422_for_another_body(
    replicas: ReplicaFactory,
    kafka_bootstrap: str,
    mongo_client: AsyncMongoClient[Document],
    db_name: str,
    auth: dict[str, str],
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, ["C1", "C2"], message="hello", user_expiration="PT12H")
    replica = replicas()
    email, key = random_email(), random_request_id()
    headers = {**auth, "Idempotency-Key": key}
    async with (
        httpx.AsyncClient(base_url=replica.url) as client,
        KafkaProbe(kafka_bootstrap, ASSIGNED) as probe,
    ):
        first = await client.post(f"/v1/pools/{pool_id}/claims", json={"email": email}, headers=headers)
        again = await client.post(f"/v1/pools/{pool_id}/claims", json={"email": email}, headers=headers)
        other = await client.post(f"/v1/pools/{pool_id}/claims", json={"email": random_email()}, headers=headers)
        await probe.wait_for(lambda r: _request_id(r.value) == key, timeout=20)
        outcome = await client.get(f"/v1/claims/{key}", headers=auth)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["request_id"] == key
    assert body["code"] in {"C1", "C2"}
    assert body["message"] == "hello"
    assert body["email"] == email
    assert body["source"] == "http"
    assert again.status_code == 200
    assert again.json() == body
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert outcome.json()["state"] == "assigned"
    assert outcome.json()["assignment"] == body
    mine = [r for r in probe.records if getattr(parse_event(r.value).data, "pool_id", None) == pool_id]
    assert [_request_id(r.value) for r in mine] == [key]


def _request_id(value: bytes) -> str | None:
    return getattr(parse_event(value).data, "request_id", None)


async def test_an_email_that_holds_a_coupon_gets_it_again_and_an_empty_pool_says_409(
    replicas: ReplicaFactory, mongo_client: AsyncMongoClient[Document], db_name: str, auth: dict[str, str]
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, ["ONLY"])
    replica = replicas()
    email = random_email()
    async with httpx.AsyncClient(base_url=replica.url, headers=auth) as client:
        first = await client.post(f"/v1/pools/{pool_id}/claims", json={"email": email})
        same_email = await client.post(f"/v1/pools/{pool_id}/claims", json={"email": email.upper()})
        exhausted = await client.post(f"/v1/pools/{pool_id}/claims", json={"email": random_email()})
        holdings = await client.get("/v1/assignments", params={"email": email})
    assert first.status_code == 201
    assert same_email.status_code == 200
    assert same_email.json()["code"] == "ONLY"
    assert exhausted.status_code == 409
    assert exhausted.json()["code"] == "pool-exhausted"
    assert [item["code"] for item in holdings.json()["items"]] == ["ONLY"]


async def test_unknown_pools_bad_input_and_keys_get_problems(
    replicas: ReplicaFactory, mongo_client: AsyncMongoClient[Document], db_name: str, auth: dict[str, str]
) -> None:
    pool_id = await seed_pool(mongo_client, db_name, ["X"])
    replica = replicas()
    claims = f"/v1/pools/{pool_id}/claims"
    async with httpx.AsyncClient(base_url=replica.url) as client:
        unknown = await client.post("/v1/pools/" + "0" * 32 + "/claims", json={"email": random_email()}, headers=auth)
        bad_email = await client.post(claims, json={"email": "nope"}, headers=auth)
        missing = await client.post(claims, json={"source": "web"}, headers=auth)
        oversized = await client.post(claims, content=b'{"email": "' + b"a" * 20_000 + b'"}', headers=auth)
        no_email = await client.get("/v1/assignments", headers=auth)
        no_key = await client.post(claims, json={"email": random_email()})
        wrong_role = await client.post(
            claims, json={"email": random_email()}, headers={"Authorization": f"Bearer {OTHER_ROLE_KEY}"}
        )
        storefront = await client.post(
            claims, json={"email": random_email()}, headers={"Authorization": f"Bearer {STOREFRONT_KEY}"}
        )
        no_claim = await client.get(f"/v1/claims/{random_request_id()}", headers=auth)
    assert unknown.status_code == 404
    assert bad_email.status_code == 422
    assert missing.status_code == 422
    assert "email" in missing.json()["detail"]
    assert oversized.status_code == 413
    assert no_email.status_code == 422
    assert no_key.status_code == 401
    assert wrong_role.status_code == 403
    assert storefront.status_code == 201
    assert no_claim.status_code == 404
