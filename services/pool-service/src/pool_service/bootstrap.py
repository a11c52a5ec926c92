"""Wiring: the real Mongo database, Kafka producer, import supervisor and background loops."""

import asyncio
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from coupon_shared.kafka import create_producer
from coupon_shared.mongo import Document, create_mongo_client, ping
from pool_service.adapters.pool_list_cache import PoolListCache
from pool_service.adapters.pool_repository import PoolRepository
from pool_service.adapters.store import Store
from pool_service.service_layer.import_job import JobSettings
from pool_service.service_layer.import_supervisor import ImportSupervisor
from pool_service.service_layer.import_upload import Limits
from pool_service.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    mongo: AsyncMongoClient[Document]
    store: Store
    producer: AIOKafkaProducer
    imports: ImportSupervisor
    pool_list: PoolListCache
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def limits(self) -> Limits:
        s = self.settings
        return Limits(max_bytes=s.import_max_bytes, max_rows=s.import_max_rows, chunk_bytes=s.import_chunk_bytes)

    async def mongo_ready(self) -> bool:
        return await ping(self.mongo)

    async def kafka_ready(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self.producer.client.force_metadata_update(), timeout=3.0))
        except (TimeoutError, Exception):
            return False


def build_runtime(settings: Settings) -> Runtime:
    mongo = create_mongo_client(settings.mongo_url, "pool-service")
    store = Store(mongo[settings.mongo_db])
    job = JobSettings(
        chunk_bytes=settings.import_chunk_bytes,
        batch_rows=settings.import_batch_rows,
        max_line_bytes=settings.import_max_line_bytes,
    )
    producer = create_producer(settings.kafka_bootstrap, "pool-service")
    imports = ImportSupervisor(store, job, settings.import_lease_seconds)
    pool_list = PoolListCache(PoolRepository(store), settings.pool_list_max_age_seconds)
    return Runtime(settings, mongo, store, producer, imports, pool_list)
