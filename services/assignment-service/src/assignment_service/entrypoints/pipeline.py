"""The claim consumer's loop: the next batch is fetched and decided while the previous one publishes.

Like ``coupon_shared.kafka.run_batch_consumer`` (offsets committed only after a batch's outcomes
are published and stored, in order), with two batches in flight: the claim engine decides one
batch at a time, but a batch's publishing and storing no longer holds up the next decision.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from coupon_shared.kafka import Record

BATCHES_IN_FLIGHT = 2


async def run_pipelined_consumer(
    consumer: AIOKafkaConsumer,
    handle_batch: Callable[[Sequence[Record]], Awaitable[None]],
    stop: asyncio.Event,
    max_records: int = 1000,
) -> None:
    in_flight: deque[asyncio.Task[None]] = deque()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=max_records)
            records = [record for partition_records in batches.values() for record in partition_records]
            while in_flight and in_flight[0].done():
                await in_flight.popleft()  # re-raises a failed batch: nothing later is committed
            if not records:
                continue
            if len(in_flight) >= BATCHES_IN_FLIGHT:
                await in_flight.popleft()
            before = in_flight[-1] if in_flight else None
            in_flight.append(asyncio.create_task(_handle_then_commit(consumer, handle_batch, records, before)))
        for task in in_flight:
            await task
    finally:
        for task in in_flight:
            task.cancel()


async def _handle_then_commit(
    consumer: AIOKafkaConsumer,
    handle_batch: Callable[[Sequence[Record]], Awaitable[None]],
    records: Sequence[Record],
    before: "asyncio.Task[None] | None",
) -> None:
    await handle_batch(records)
    if before is not None:
        await before  # offsets go forward in order: the earlier batch commits first
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
    await consumer.commit(offsets)
