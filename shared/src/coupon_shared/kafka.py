"""Kafka helpers with explicit delivery semantics.

- Producers are idempotent (``enable_idempotence``, ``acks=all``): a retried send
  never duplicates a record within the producer session.
- Consumers never auto-commit. ``run_batch_consumer`` commits a batch's offsets
  only after its handler returned, i.e. after the effect is stored: a crash
  redelivers, and handlers are written to be idempotent.
- A record that cannot be processed goes to ``coupon.dead-letter`` with the error
  in headers, and the consumer moves on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError
from aiokafka.partitioner import DefaultPartitioner, murmur2

from coupon_shared.events import _Event, encode_event
from coupon_shared.topics import DEAD_LETTER

log = logging.getLogger(__name__)

Record: TypeAlias = ConsumerRecord
BatchHandler: TypeAlias = Callable[[Sequence[Record]], Awaitable[None]]


class RememberingPartitioner:
    """aiokafka's default partitioner (murmur2 of the key, as the Java client), remembering each key's hash.

    Every event is keyed by its pool_id, so a batch of 1,000 outcomes hashes the same few
    keys again and again; aiokafka's murmur2 is pure Python, ~5 % of the assignment
    replica's CPU on the Kafka claim path (py-spy, session 8).
    """

    def __init__(self, max_keys: int = 4096) -> None:
        self._max_keys = max_keys
        self._hashes: dict[bytes, int] = {}

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if key is None:
            return int(DefaultPartitioner()(key, all_partitions, available))
        hashed = self._hashes.get(key)
        if hashed is None:
            if len(self._hashes) >= self._max_keys:
                self._hashes.clear()  # pools come and go; a bound, not an LRU, is enough
            hashed = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return all_partitions[hashed % len(all_partitions)]


def create_producer(bootstrap: str, client_id: str, linger_ms: int = 2) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=linger_ms,
        max_batch_size=512 * 1024,
        partitioner=RememberingPartitioner(),
    )


def create_consumer(bootstrap: str, group_id: str, *topics: str, client_id: str | None = None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=client_id or group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=1000,
        fetch_max_wait_ms=20,
    )


async def publish(producer: AIOKafkaProducer, topic: str, key: str, event: _Event) -> None:
    await producer.send_and_wait(topic, value=encode_event(event), key=key.encode())


async def publish_many(producer: AIOKafkaProducer, items: Sequence[tuple[str, str, _Event]]) -> None:
    """Send (topic, key, event) triples and wait for all: sends are batched by the client."""
    futures = [await producer.send(topic, value=encode_event(event), key=key.encode()) for topic, key, event in items]
    await asyncio.gather(*futures)


async def dead_letter(producer: AIOKafkaProducer, record: Record, error: str, consumer: str) -> None:
    """Park an unprocessable record on the dead-letter topic, original bytes intact."""
    headers = dead_letter_headers(record.topic, record.partition, record.offset, error, consumer)
    log.warning("dead-lettered %s/%s@%s: %s", record.topic, record.partition, record.offset, error[:200])
    await producer.send_and_wait(DEAD_LETTER, value=record.value, key=record.key, headers=headers)


def dead_letter_headers(topic: str, partition: int, offset: int, error: str, consumer: str) -> list[tuple[str, bytes]]:
    """The headers every dead-letter record carries: why it failed, who failed, where it came from."""
    return [
        ("dlq.error", error[:2000].encode()),
        ("dlq.consumer", consumer.encode()),
        ("dlq.source.topic", topic.encode()),
        ("dlq.source.partition", str(partition).encode()),
        ("dlq.source.offset", str(offset).encode()),
    ]


async def run_batch_consumer(
    consumer: AIOKafkaConsumer,
    handle_batch: BatchHandler,
    stop: asyncio.Event,
    max_records: int = 1000,
) -> None:
    """Poll, hand each batch to ``handle_batch``, then commit — until ``stop`` is set.

    If the handler raises, nothing is committed and the error propagates: the
    process should die and be restarted rather than skip records silently.
    A rebalance while a batch is handled is not an error: the offsets of
    partitions taken away are not committed (their new owner reads those
    records again, and handlers are idempotent), and a commit the group refuses
    for the same reason leaves the records to be read again.
    """
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=100, max_records=max_records)
        records = [record for partition_records in batches.values() for record in partition_records]
        if not records:
            continue
        await handle_batch(records)
        still_ours = consumer.assignment()
        offsets = {tp: offset for tp, offset in _next_offsets(records).items() if tp in still_ours}
        if not offsets:
            continue
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("commit refused after a rebalance, the records will be read again: %s", exc)


def _next_offsets(records: Sequence[Record]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
    return offsets
