"""Wiring: real adapters for a running service, one place to see what depends on what."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from assignment_service.adapters.crash_hook import CrashBeforePublish
from assignment_service.adapters.mongo_store import MongoClaimStore
from assignment_service.adapters.publisher import KafkaOutcomePublisher
from assignment_service.entrypoints.claim_consumer import ClaimRecordHandler
from assignment_service.service_layer.claims import ClaimService
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.janitor import Janitor
from assignment_service.service_layer.ports import OutcomePublisher
from assignment_service.service_layer.stock import StockCandidates
from assignment_service.settings import Settings
from coupon_shared.kafka import create_consumer, create_producer
from coupon_shared.mongo import Document, create_mongo_client, ping
from coupon_shared.topics import CLAIM_REQUESTS


def millisecond_now() -> datetime:
    # Stored dates keep milliseconds: an answer replayed from the store must equal the first one.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass
class Components:
    settings: Settings
    mongo: AsyncMongoClient[Document]
    producer: AIOKafkaProducer
    consumer: AIOKafkaConsumer
    store: MongoClaimStore
    claims: ClaimService
    handler: ClaimRecordHandler
    janitor: Janitor

    async def kafka_ready(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self.producer.client.force_metadata_update(), 3.0))
        except (TimeoutError, OSError):
            return False

    async def mongo_ready(self) -> bool:
        return await ping(self.mongo)


def build(settings: Settings) -> Components:
    mongo = create_mongo_client(settings.mongo_url, "assignment-service")
    store = MongoClaimStore(mongo[settings.mongo_db])
    producer = create_producer(settings.kafka_bootstrap, "assignment-service")
    publisher: OutcomePublisher = KafkaOutcomePublisher(producer)
    if settings.test_crash_before_publish_email:
        publisher = CrashBeforePublish(publisher, settings.test_crash_before_publish_email)
    candidates = StockCandidates(store, millisecond_now, read_size=settings.stock_batch, keep_queued=settings.max_batch)
    engine = ClaimEngine(
        store,
        publisher,
        candidates,
        millisecond_now,
        resume_after=settings.resume_after_seconds,
        journal_bucket_seconds=settings.journal_bucket_seconds,
    )
    janitor = Janitor(
        store,
        engine,
        millisecond_now,
        bucket_seconds=settings.journal_bucket_seconds,
        grace_seconds=settings.resume_after_seconds,
    )
    claims = ClaimService(
        engine,
        publisher,
        batch_window=settings.batch_window_ms / 1000,
        max_batch=settings.max_batch,
        wait_for_holder=settings.wait_for_holder_seconds,
    )
    consumer = create_consumer(settings.kafka_bootstrap, settings.consumer_group, CLAIM_REQUESTS)
    handler = ClaimRecordHandler(claims, producer)
    return Components(settings, mongo, producer, consumer, store, claims, handler, janitor)
