"""The claim fast path answers well-formed claims itself and hands everything else on, body intact."""

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from assignment_service.domain.model import Coupon
from assignment_service.entrypoints.claim_fast_path import ClaimFastPath
from assignment_service.service_layer.claims import ClaimService
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.stock import StockCandidates
from coupon_shared.auth import ApiKeyAuthenticator
from tests.unit.assignment_service.fakes import FakePublisher, FakeStore

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POOL = "f" * 32
CLAIMS = f"/v1/pools/{POOL}/claims"
ADMIN = {"Authorization": "Bearer admin-key"}


class Inner:
    """Stands for the FastAPI app: records what reaches it and answers 418."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b"inner"})


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, Inner, FakePublisher]]:
    store = FakeStore()
    store.add_pool(POOL, [Coupon("ONE")])
    publisher = FakePublisher()
    clock = lambda: NOW  # noqa: E731
    engine = ClaimEngine(store, publisher, StockCandidates(store, clock, rng=random.Random(0)), clock)
    claims = ClaimService(engine, publisher, batch_window=0.0)
    authenticator = ApiKeyAuthenticator({"admin-key": "admin", "audit-key": "auditor"})
    # What Starlette puts in scope["app"]: the application, whose state the lifespan filled.
    application = SimpleNamespace(state=SimpleNamespace(claims=claims, authenticator=authenticator))
    inner = Inner()
    fast = ClaimFastPath(inner, max_bytes=1000)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await fast({**scope, "app": application}, receive, send)

    batcher = asyncio.create_task(claims.run_batcher())
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            yield http, inner, publisher
    finally:
        batcher.cancel()
        await asyncio.gather(batcher, return_exceptions=True)


async def test_a_well_formed_claim_is_answered_here_and_a_replay_too(
    client: tuple[httpx.AsyncClient, Inner, FakePublisher],
) -> None:
    http, inner, publisher = client
    headers = {**ADMIN, "Idempotency-Key": "key-1"}
    first = await http.post(CLAIMS, json={"email": "A@example.com"}, headers=headers)
    again = await http.post(CLAIMS, json={"email": "A@example.com"}, headers=headers)
    assert first.status_code == 201
    assert first.json()["code"] == "ONE"
    assert first.json()["request_id"] == "key-1"
    assert first.json()["email"] == "a@example.com"
    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(publisher.published) == 1
    assert inner.bodies == []


async def test_answers_that_are_problems_are_problem_documents(
    client: tuple[httpx.AsyncClient, Inner, FakePublisher],
) -> None:
    http, inner, _ = client
    await http.post(CLAIMS, json={"email": "first@example.com"}, headers=ADMIN)
    exhausted = await http.post(CLAIMS, json={"email": "second@example.com"}, headers=ADMIN)
    ids_differ = await http.post(
        CLAIMS, json={"email": "third@example.com", "request_id": "a"}, headers={**ADMIN, "Idempotency-Key": "b"}
    )
    bad_email = await http.post(CLAIMS, json={"email": "nope"}, headers=ADMIN)
    for response, status, code in [
        (exhausted, 409, "pool-exhausted"),
        (ids_differ, 422, "validation-error"),
        (bad_email, 422, "validation-error"),
    ]:
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
        assert response.json()["instance"] == CLAIMS
    assert inner.bodies == []


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b'{"source": "web"}', {**ADMIN, "Content-Type": "application/json"}),  # no email
        (b'{"email": ', {**ADMIN, "Content-Type": "application/json"}),  # not JSON
        (b'{"email": "a@example.com"}', {**ADMIN, "Content-Type": "text/plain"}),
        (b'{"email": "a@example.com"}', {"Content-Type": "application/json"}),  # no key
        (b'{"email": "a@example.com"}', {"Authorization": "Bearer nobody", "Content-Type": "application/json"}),
        (b'{"email": "a@example.com"}', {"Authorization": "Bearer audit-key", "Content-Type": "application/json"}),
        (b'{"email": "a@example.com"}', {**ADMIN, "Content-Type": "application/json", "Idempotency-Key": "k" * 201}),
        (b'{"email": "' + b"a" * 2000 + b'"}', {**ADMIN, "Content-Type": "application/json"}),  # over the limit
    ],
)
async def test_anything_else_goes_on_to_fastapi_with_its_body(
    client: tuple[httpx.AsyncClient, Inner, FakePublisher], content: bytes, headers: dict[str, str]
) -> None:
    http, inner, publisher = client
    response = await http.post(CLAIMS, content=content, headers=headers)
    assert response.status_code == 418
    # The oversized body is not read here at all: FastAPI's body limit refuses it.
    assert inner.bodies == [content]
    assert publisher.published == []


async def test_a_body_without_a_declared_length_and_other_routes_go_on_to_fastapi(
    client: tuple[httpx.AsyncClient, Inner, FakePublisher],
) -> None:
    http, inner, publisher = client

    body = json.dumps({"email": "a@example.com"}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    chunked = await http.post(CLAIMS, content=chunks(), headers={**ADMIN, "Content-Type": "application/json"})
    listed = await http.get(CLAIMS, headers=ADMIN)
    other = await http.post(f"/v1/pools/{POOL}/claims/x", json={"email": "a@example.com"}, headers=ADMIN)
    assert [chunked.status_code, listed.status_code, other.status_code] == [418, 418, 418]
    assert inner.bodies[0] == body
    assert publisher.published == []
