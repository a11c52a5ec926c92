"""Publishing through the faust app's producer, waiting for the broker's ack.

Alerts and dead letters are awaited before the table write that records them,
so a crash can repeat one (same event id, dropped downstream) but never lose one.
"""

from typing import Any, Protocol

from coupon_shared import topics
from coupon_shared.events import PoolAlert, encode_event
from coupon_shared.kafka import dead_letter_headers


class SourceRecord(Protocol):
    """What a dead letter needs of the record it parks (a faust Message fits)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class KafkaPublisher:
    def __init__(self, producer: Any, consumer_name: str) -> None:
        self._producer = producer
        self._consumer_name = consumer_name

    async def publish_alert(self, alert: PoolAlert) -> None:
        await self._producer.send_and_wait(
            topics.ALERTS, alert.data.pool_id.encode(), encode_event(alert), None, None, None
        )

    async def dead_letter(self, record: SourceRecord, error: str) -> None:
        headers = dead_letter_headers(record.topic, record.partition, record.offset, error, self._consumer_name)
        await self._producer.send_and_wait(topics.DEAD_LETTER, record.key, record.value, None, None, headers)
