"""Inventory events stored next to the change and relayed to Kafka (FerretDB has no transactions).

A change writes its event to ``outbox`` before it answers; the relay publishes
and then deletes. A crash between the two republishes the same ``event_id``,
which consumers drop as a duplicate.
"""

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from coupon_shared.events import InventoryEvent, encode_event
from coupon_shared.topics import INVENTORY
from pool_service.adapters.store import OUTBOX, Store


async def record_events(store: Store, events: Sequence[InventoryEvent]) -> None:
    docs = [
        {"_id": str(event.event_id), "key": event.data.pool_id, "value": encode_event(event).decode()}
        for event in events
    ]
    # A retried step writes the same event ids again: the duplicate insert is a no-op.
    await store.insert_new(OUTBOX, docs)


async def relay_once(store: Store, producer: AIOKafkaProducer, batch: int = 500) -> int:
    """Publish up to ``batch`` stored events in their stored order, then drop them from the outbox."""
    docs = await store.first(OUTBOX, batch)
    if not docs:
        return 0
    futures = [await producer.send(INVENTORY, value=doc["value"].encode(), key=doc["key"].encode()) for doc in docs]
    await asyncio.gather(*futures)
    await asyncio.gather(*(store.delete(OUTBOX, doc["_id"]) for doc in docs))
    return len(docs)
