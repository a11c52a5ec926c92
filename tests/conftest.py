"""Fixtures over the real Kafka broker and FerretDB that `make test` starts."""

from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient

from coupon_shared.mongo import Document, create_mongo_client
from tests.support import stack
from tests.support.random_refs import random_db_name


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return stack.kafka_bootstrap()


@pytest.fixture(scope="session")
def mongo_url() -> str:
    return stack.mongo_url()


@pytest.fixture(scope="session")
async def mongo_client(mongo_url: str) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = create_mongo_client(mongo_url, "tests")
    yield client
    await client.close()


@pytest.fixture
def db_name() -> str:
    """A database of its own for one test."""
    return random_db_name()
