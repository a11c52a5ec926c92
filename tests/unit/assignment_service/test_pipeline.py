"""The claim consumer's loop: batches overlap, offsets are committed in order and only after their batch."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import TopicPartition

from assignment_service.entrypoints.pipeline import run_pipelined_consumer

TP = TopicPartition("coupon.claim-requests", 0)


@dataclass(frozen=True)
class FakeRecord:
    topic: str
    partition: int
    offset: int


class FakeConsumer:
    def __init__(self, batches: list[list[FakeRecord]], stop: asyncio.Event) -> None:
        self._batches = batches
        self._stop = stop
        self.commits: list[int] = []

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[FakeRecord]]:
        await asyncio.sleep(0)
        if not self._batches:
            self._stop.set()
            return {}
        return {TP: self._batches.pop(0)}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets[TP])


def batch(*offsets: int) -> list[FakeRecord]:
    return [FakeRecord(TP.topic, TP.partition, n) for n in offsets]


async def test_the_next_batch_is_handled_while_the_previous_one_finishes_and_commits_wait_their_turn() -> None:
    stop = asyncio.Event()
    consumer = FakeConsumer([batch(0, 1), batch(2, 3), batch(4)], stop)
    second_started = asyncio.Event()
    handled: list[int] = []

    async def handle(records: Sequence[Any]) -> None:
        first = records[0].offset
        if first == 0:
            await second_started.wait()  # only returns if batch 2 started meanwhile
        if first == 2:
            second_started.set()
            assert consumer.commits == [], "batch 2 may not commit before batch 1"
        handled.append(first)

    await asyncio.wait_for(run_pipelined_consumer(consumer, handle, stop), timeout=5)
    assert handled == [2, 0, 4]
    assert consumer.commits == [2, 4, 5]


async def test_a_failed_batch_stops_the_loop_and_nothing_after_it_is_committed() -> None:
    stop = asyncio.Event()
    consumer = FakeConsumer([batch(0), batch(1), batch(2)], stop)

    async def handle(records: Sequence[Any]) -> None:
        if records[0].offset == 1:
            raise RuntimeError("database away")
        await asyncio.sleep(0.01)

    with pytest.raises(RuntimeError, match="database away"):
        await asyncio.wait_for(run_pipelined_consumer(consumer, handle, stop), timeout=5)
    assert consumer.commits == [1]
