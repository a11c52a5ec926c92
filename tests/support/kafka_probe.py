"""Read what services publish: a consumer positioned at the end of topics before a test acts."""

import asyncio
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from coupon_shared.events import Event, InvalidEventError, parse_event

RecordPredicate = Callable[[ConsumerRecord], bool]


class KafkaProbe:
    """Collects every record that arrives on ``topics`` after ``start()``."""

    def __init__(self, bootstrap: str, *topics: str) -> None:
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=f"probe-{uuid.uuid4().hex}",
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        self.records: list[ConsumerRecord] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        await self._consumer.start()
        # Force the assignment and fix positions at the current end before acting.
        while not self._consumer.assignment():
            await self._consumer.getmany(timeout_ms=100)
        for tp in self._consumer.assignment():
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._collect())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()

    async def _collect(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            for records in batches.values():
                self.records.extend(records)

    async def wait_for(self, predicate: RecordPredicate, timeout: float = 30.0, count: int = 1) -> list[ConsumerRecord]:
        """Wait until ``count`` records match; fail with what was seen otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            matches = [r for r in self.records if predicate(r)]
            if len(matches) >= count:
                return matches
            if loop.time() > deadline:
                raise AssertionError(f"expected {count} matching records within {timeout}s, got {len(matches)}")
            await asyncio.sleep(0.05)

    def events(self, topic: str | None = None) -> list[Event]:
        parsed = []
        for record in self.records:
            if topic is not None and record.topic != topic:
                continue
            try:
                parsed.append(parse_event(record.value))
            except InvalidEventError:
                continue
        return parsed


def event_for_pool(pool_id: str, event_type: str) -> RecordPredicate:
    def matches(record: ConsumerRecord) -> bool:
        try:
            event = parse_event(record.value)
        except InvalidEventError:
            return False
        return event.type == event_type and getattr(event.data, "pool_id", None) == pool_id

    return matches


async def produce_raw(bootstrap: str, topic: str, key: bytes | None, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()
