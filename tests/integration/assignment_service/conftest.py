"""Fixtures for assignment-service against the real broker and FerretDB.

Tests seed pool-service's documents (``pools`` and ``stock.<pool_id>``) directly,
in exactly the shapes pool-service writes, and run the service as a user would:
``python -m assignment_service`` in a subprocess, with a database and a consumer
group of its own.
"""

import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient

from coupon_shared.mongo import Document
from coupon_shared.topics import CLAIM_REQUESTS, PARTITIONS
from tests.support.processes import ServiceProcess, python_module
from tests.support.stack import free_port

API_KEY = "test-admin-key"
STOREFRONT_KEY = "test-storefront-key"
OTHER_ROLE_KEY = "test-auditor-key"


class Replica:
    def __init__(self, process: ServiceProcess, port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"


class ReplicaFactory(Protocol):
    def __call__(self, extra_env: Mapping[str, str] | None = None) -> Replica: ...


async def seed_pool(
    client: AsyncMongoClient[Document],
    db_name: str,
    codes: list[str],
    *,
    message: str | None = None,
    pool_expires_at: datetime | None = None,
    user_expiration: str | None = None,
    max_assignments: int | None = 1,
) -> str:
    """A pool with ``codes`` in stock, as pool-service stores it."""
    pool_id = uuid.uuid4().hex
    db = client[db_name]
    await db.pools.insert_one({"_id": pool_id, "name": f"pool-{pool_id[:8]}", "deleted": False})
    stock: list[dict[str, Any]] = [
        {
            "_id": code,
            "message": message,
            "pool_expires_at": pool_expires_at,
            "user_expiration": user_expiration,
            "max_assignments": max_assignments,
        }
        for code in codes
    ]
    for start in range(0, len(stock), 5000):
        await db[f"stock.{pool_id}"].insert_many(stock[start : start + 5000])
    return pool_id


async def start_group_at_end(bootstrap: str, group: str) -> None:
    """A new consumer group starts at the end: the shared topic's history belongs to other tests."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(CLAIM_REQUESTS, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        await consumer.commit({tp: await consumer.position(tp) for tp in partitions})
    finally:
        await consumer.stop()


def replica_env(kafka_bootstrap: str, mongo_url: str, db_name: str, group: str, port: int) -> dict[str, str]:
    return {
        "ASSIGNMENT_SERVICE_ENVIRONMENT": "test",
        "ASSIGNMENT_SERVICE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "ASSIGNMENT_SERVICE_MONGO_URL": mongo_url,
        "ASSIGNMENT_SERVICE_MONGO_DB": db_name,
        "ASSIGNMENT_SERVICE_CONSUMER_GROUP": group,
        "ASSIGNMENT_SERVICE_API_KEYS": f"{API_KEY}:admin,{STOREFRONT_KEY}:storefront,{OTHER_ROLE_KEY}:auditor",
        "ASSIGNMENT_SERVICE_HTTP_PORT": str(port),
        "ASSIGNMENT_SERVICE_RESUME_AFTER_SECONDS": "3",
        "ASSIGNMENT_SERVICE_JANITOR_INTERVAL_SECONDS": "1",
        "ASSIGNMENT_SERVICE_JOURNAL_BUCKET_SECONDS": "1",
    }


@pytest.fixture
def consumer_group() -> str:
    return f"assignment-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def replicas(
    kafka_bootstrap: str, mongo_url: str, db_name: str, consumer_group: str, tmp_path: Path
) -> AsyncIterator[ReplicaFactory]:
    """Start replicas of assignment-service sharing one database and consumer group."""
    await start_group_at_end(kafka_bootstrap, consumer_group)
    started: list[Replica] = []

    def start(extra_env: Mapping[str, str] | None = None) -> Replica:
        port = free_port()
        env = {**replica_env(kafka_bootstrap, mongo_url, db_name, consumer_group, port), **(extra_env or {})}
        process = ServiceProcess(f"assignment-{len(started)}", python_module("assignment_service"), env, tmp_path)
        replica = Replica(process, port)
        process.wait_ready(f"{replica.url}/readyz")
        started.append(replica)
        return replica

    yield start
    for replica in started:
        replica.process.stop()


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}"}
