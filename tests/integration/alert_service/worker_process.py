"""The alert worker as a subprocess, the way `python -m alert_service` runs it."""

import asyncio
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from coupon_shared import topics
from coupon_shared.events import _Event as AnyEvent
from coupon_shared.events import encode_event
from tests.support.processes import ServiceProcess, python_module
from tests.support.stack import free_port
from tests.unit.alert_service import builders as b

ADMIN_KEY = "test-admin-key"


class AlertWorkerProcess:
    def __init__(self, kafka_bootstrap: str, state_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.app_id = f"alert-test-{uuid.uuid4().hex[:8]}"
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "ALERT_SERVICE_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "ALERT_SERVICE_HTTP_PORT": str(self.port),
            "ALERT_SERVICE_STATE_DIR": str(state_dir),
            "ALERT_SERVICE_APP_ID": self.app_id,
            "ALERT_SERVICE_API_KEYS": f"{ADMIN_KEY}:admin,test-store-key:storefront",
            "ALERT_SERVICE_ENVIRONMENT": "test",
            "ALERT_SERVICE_KAFKA_SESSION_TIMEOUT_SECONDS": "8",
            **(env or {}),
        }
        self._log_dir = state_dir
        self.process: ServiceProcess | None = None

    def start(self, timeout: float = 90.0) -> None:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self.process = ServiceProcess(self.app_id, python_module("alert_service"), self.env, self._log_dir)
        self.process.wait_ready(f"{self.base_url}/readyz", timeout=timeout)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        """kill -9, as a crash would (then release the log file)."""
        if self.process is not None:
            self.process.kill()
            self.process.stop()

    def log_tail(self, lines: int = 60) -> str:
        return self.process.log_tail(lines) if self.process else ""

    async def forecast(self, pool_id: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5.0) as client:
            return await client.get(f"/v1/pools/{pool_id}/forecast", headers={"Authorization": f"Bearer {ADMIN_KEY}"})


async def produce(bootstrap: str, topic: str, pool_id: str, *events: AnyEvent) -> None:
    """Send events keyed by their pool, in order, and wait until the broker has them."""
    await produce_values(bootstrap, topic, pool_id.encode(), *(encode_event(event) for event in events))


async def produce_values(bootstrap: str, topic: str, key: bytes | None, *values: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


ForecastBody = dict[str, Any]


async def wait_for_forecast(
    worker: AlertWorkerProcess, pool_id: str, until: Callable[[ForecastBody], bool], timeout: float = 30.0
) -> ForecastBody:
    """Poll the forecast API until the worker has digested what the test produced."""
    last = "no answer yet"
    for _ in range(int(timeout / 0.1)):
        response = await worker.forecast(pool_id)
        last = f"{response.status_code} {response.text}"
        if response.status_code == 200:
            body: ForecastBody = response.json()
            if until(body):
                return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"forecast never got there; last answer {last}\n{worker.log_tail()}")


async def raise_depleted_alert(worker: AlertWorkerProcess, bootstrap: str, pool_id: str, name: str) -> None:
    """Drive a fresh alerting pool with one coupon to empty: the worker should raise `depleted`."""
    await produce(
        bootstrap,
        topics.INVENTORY,
        pool_id,
        b.pool_created(pool_id, name=name, enabled=True),
        b.coupons_added(pool_id, 1),
    )
    await wait_for_forecast(worker, pool_id, lambda f: f["active"] == 1)
    await produce(bootstrap, topics.ASSIGNED, pool_id, b.coupon_assigned(pool_id, remaining=0))
