"""Issue 2's walking skeleton, driven as a user would, through the real broker and database.

HTTP creates a pool with one coupon and enables its alerts; a ClaimRequested
produced to Kafka yields a CouponAssigned; the alert worker sees the pool run
dry and emits a `depleted` PoolAlert.
"""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from coupon_shared import topics
from coupon_shared.events import ClaimRequested, ClaimRequestedData, CouponAssigned, PoolAlert, encode_event
from tests.e2e.conftest import RunningSystem
from tests.support.kafka_probe import KafkaProbe, event_for_pool, produce_raw
from tests.support.random_refs import random_email, random_pool_name, random_request_id

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def wait_until_alert_service_sees_stock(client: httpx.AsyncClient, system: RunningSystem, pool_id: str) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        response = await client.get(f"{system.alert_url}/v1/pools/{pool_id}/forecast", headers=system.admin())
        if response.status_code == 200 and response.json()["active"] == 1:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"alert-service never saw the coupon:\n{system.processes['alert'].log_tail()}")


async def test_one_coupon_flows_from_http_through_kafka_to_a_depleted_alert(
    system: RunningSystem, kafka_bootstrap: str
) -> None:
    async with (
        httpx.AsyncClient(timeout=10) as client,
        KafkaProbe(kafka_bootstrap, topics.ASSIGNED, topics.CLAIM_REJECTED, topics.ALERTS) as probe,
    ):
        created = await client.post(
            f"{system.pool_url}/v1/pools", json={"name": random_pool_name("skeleton")}, headers=system.admin()
        )
        assert created.status_code == 201, created.text
        pool_id = created.json()["id"]
        added = await client.post(
            f"{system.pool_url}/v1/pools/{pool_id}/coupons",
            json={"code": "SKELETON-1", "message": "10% off", "user_expiration": "P30D"},
            headers=system.admin(),
        )
        assert added.status_code == 201, added.text
        enabled = await client.patch(
            f"{system.pool_url}/v1/pools/{pool_id}",
            json={"alert": {"enabled": True, "threshold": 0}},
            headers=system.admin(),
        )
        assert enabled.status_code == 200, enabled.text
        await wait_until_alert_service_sees_stock(client, system, pool_id)

        request_id, email = random_request_id(), random_email()
        claim = ClaimRequested(
            data=ClaimRequestedData(request_id=request_id, pool_id=pool_id, email=email, source="storefront-test")
        )
        await produce_raw(kafka_bootstrap, topics.CLAIM_REQUESTS, pool_id.encode(), encode_event(claim))

        [assigned_record] = await probe.wait_for(event_for_pool(pool_id, "CouponAssigned"), timeout=60)
        [alert_record] = await probe.wait_for(event_for_pool(pool_id, "PoolAlert"), timeout=60)

        assigned = CouponAssigned.model_validate_json(assigned_record.value)
        assert assigned.data.request_id == request_id
        assert assigned.data.code == "SKELETON-1"
        assert assigned.data.email == email
        assert assigned.data.message == "10% off"
        assert assigned.data.user_expires_at is not None
        alert = PoolAlert.model_validate_json(alert_record.value)
        assert alert.data.kind == "depleted"
        assert alert.data.active == 0
        assert [e for e in probe.events(topics.CLAIM_REJECTED) if getattr(e.data, "pool_id", None) == pool_id] == []

        # The claim's outcome is readable over HTTP, and pool-service shows it in the history.
        outcome = await client.get(f"{system.assignment_url}/v1/claims/{request_id}", headers=system.storefront())
        assert outcome.status_code == 200, outcome.text
        assert outcome.json()["state"] == "assigned"
        assert outcome.json()["assignment"]["code"] == "SKELETON-1"
        await wait_for_history(client, system, pool_id, email)

        # The dashboard reads the alert service's forecast through pool-service, same origin.
        forecast = await wait_for_forecast(client, system, pool_id, lambda f: bool(f["alerts"]))
        assert forecast["active"] == 0
        assert [alert["kind"] for alert in forecast["alerts"]] == ["depleted"]


async def wait_for_history(client: httpx.AsyncClient, system: RunningSystem, pool_id: str, email: str) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        response = await client.get(
            f"{system.pool_url}/v1/pools/{pool_id}/assignments", params={"q": email}, headers=system.admin()
        )
        if response.status_code == 200 and [row["email"] for row in response.json()["items"]] == [email]:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the assignment never reached pool-service's history:\n{system.processes['pool'].log_tail()}")


async def wait_for_forecast(
    client: httpx.AsyncClient, system: RunningSystem, pool_id: str, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The forecast once ``ready`` holds: alert-service lists an alert once its own consumer of
    coupon.alerts has read it, which may be a moment after the test's probe did."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        response = await client.get(f"{system.pool_url}/v1/pools/{pool_id}/forecast", headers=system.admin())
        assert response.status_code == 200, response.text
        forecast: dict[str, Any] = response.json()
        if ready(forecast) or asyncio.get_running_loop().time() > deadline:
            return forecast
        await asyncio.sleep(0.2)
