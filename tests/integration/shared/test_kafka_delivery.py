"""What aiokafka 0.14 can rely on against the pinned broker (Kafka 4.0.2).

These answer issue 2's question with evidence: the idempotent producer and the
transactional producer both work; an aborted transaction is invisible to a
read_committed consumer; the dead-letter helper keeps the bytes and the error.
"""

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from coupon_shared import topics
from coupon_shared.kafka import Record, create_consumer, create_producer, dead_letter, run_batch_consumer

pytestmark = pytest.mark.integration


async def read_from(bootstrap: str, topic: str, offsets: dict[int, int], want: int, committed: bool) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        isolation_level="read_committed" if committed else "read_uncommitted",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in offsets]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, offsets[tp.partition])
        values: list[bytes] = []
        deadline = asyncio.get_running_loop().time() + 10
        while len(values) < want and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            values.extend(r.value for records in batches.values() for r in records)
        return values
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(topics.PARTITIONS)]
        ends = await consumer.end_offsets(partitions)
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def test_idempotent_producer_delivers(kafka_bootstrap: str) -> None:
    marker = uuid.uuid4().hex.encode()
    before = await end_offsets(kafka_bootstrap, topics.DEAD_LETTER)
    producer = create_producer(kafka_bootstrap, "test-idempotent")
    await producer.start()
    try:
        await asyncio.gather(*[producer.send_and_wait(topics.DEAD_LETTER, marker + b"-%d" % i) for i in range(50)])
    finally:
        await producer.stop()
    values = await read_from(kafka_bootstrap, topics.DEAD_LETTER, before, 50, committed=True)
    assert sorted(v for v in values if v.startswith(marker)) == sorted(marker + b"-%d" % i for i in range(50))


async def test_transactions_commit_and_abort(kafka_bootstrap: str) -> None:
    marker = uuid.uuid4().hex.encode()
    before = await end_offsets(kafka_bootstrap, topics.DEAD_LETTER)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, transactional_id=f"test-tx-{marker.decode()}")
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topics.DEAD_LETTER, marker + b"-committed", partition=0)
        await producer.begin_transaction()
        await producer.send_and_wait(topics.DEAD_LETTER, marker + b"-aborted", partition=0)
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send_and_wait(topics.DEAD_LETTER, marker + b"-after", partition=0)
    finally:
        await producer.stop()
    committed = await read_from(kafka_bootstrap, topics.DEAD_LETTER, {0: before[0]}, 2, committed=True)
    assert [v for v in committed if v.startswith(marker)] == [marker + b"-committed", marker + b"-after"]
    uncommitted = await read_from(kafka_bootstrap, topics.DEAD_LETTER, {0: before[0]}, 3, committed=False)
    assert marker + b"-aborted" in uncommitted


async def test_batch_consumer_commits_only_what_its_handler_finished(kafka_bootstrap: str) -> None:
    topic, group = topics.DEAD_LETTER, f"test-group-{uuid.uuid4().hex}"
    marker = uuid.uuid4().hex.encode()
    producer = create_producer(kafka_bootstrap, "test-commit")
    await producer.start()
    consumer = create_consumer(kafka_bootstrap, group, topic)
    await consumer.start()
    seen: list[bytes] = []
    stop = asyncio.Event()

    async def handle(records: Sequence[Record]) -> None:
        for record in records:
            if record.value.startswith(marker):
                seen.append(record.value)
        if len(seen) >= 3:
            stop.set()

    try:
        await consumer.seek_to_end()
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        for tp in consumer.assignment():
            await consumer.position(tp)
        for i in range(3):
            await producer.send_and_wait(topic, marker + b"-%d" % i, partition=1)
        await asyncio.wait_for(run_batch_consumer(consumer, handle, stop), timeout=20)
        tp = TopicPartition(topic, 1)
        assert await consumer.committed(tp) == await consumer.position(tp)
        assert len(seen) == 3
    finally:
        await consumer.stop()
        await producer.stop()


async def test_dead_letter_keeps_bytes_and_error(kafka_bootstrap: str) -> None:
    before = await end_offsets(kafka_bootstrap, topics.DEAD_LETTER)
    producer = create_producer(kafka_bootstrap, "test-dlq")
    await producer.start()
    try:
        unreadable = ConsumerRecord(
            topic=topics.CLAIM_REQUESTS,
            partition=3,
            offset=42,
            timestamp=0,
            timestamp_type=0,
            key=b"pool-x",
            value=b"\x00not json",
            checksum=None,
            serialized_key_size=6,
            serialized_value_size=9,
            headers=(),
        )
        await dead_letter(producer, unreadable, "value is not JSON", "test-consumer")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topics.DEAD_LETTER, p) for p in before]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, before[tp.partition])
        found = None
        deadline = asyncio.get_running_loop().time() + 10
        while found is None and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    if record.key == b"pool-x" and record.value == b"\x00not json":
                        found = record
        assert found is not None
        headers = {k: v.decode() for k, v in found.headers}
        assert headers["dlq.error"] == "value is not JSON"
        assert headers["dlq.source.topic"] == topics.CLAIM_REQUESTS
        assert headers["dlq.source.offset"] == "42"
    finally:
        await consumer.stop()
