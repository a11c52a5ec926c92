"""The Kafka consumer of ``coupon.assigned`` and ``coupon.inventory``: counts, history, expiry, stock levels.

Being the one group member that owns a partition makes it the single writer of
the pools on that partition, so it also runs their expiry sweeps and publishes
their periodic StockLevel.
"""

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import murmur2
from pymongo.errors import OperationFailure

from coupon_shared.events import InvalidEventError, StockLevel, StockLevelData, parse_event
from coupon_shared.kafka import Record, create_consumer, dead_letter, publish_many
from coupon_shared.topics import ASSIGNED, INVENTORY, PARTITIONS
from pool_service.adapters.pool_repository import PoolRepository
from pool_service.adapters.store import POOLS
from pool_service.bootstrap import Runtime
from pool_service.domain.counts import PoolCounts
from pool_service.service_layer.expiry import due_pools, sweep_pool
from pool_service.service_layer.projection import Delivered, project

log = logging.getLogger(__name__)
CONSUMER_NAME = "pool-service-projector"
YIELD_EVERY = 100
# FerretDB on SQLite answers a write that waited too long for the file lock with this.
BUSY_DATABASE = "database is locked"
BUSY_RETRIES = 6


def partition_of(pool_id: str) -> int:
    """The partition Kafka's default partitioner gives a record keyed by this pool."""
    return int(murmur2(pool_id.encode()) & 0x7FFFFFFF) % PARTITIONS


class Projector:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._known_pools: set[str] = set()

    async def run(self) -> None:
        """Consume until stopped; after an error, start over from the committed offsets."""
        while not self.runtime.stop.is_set():
            s = self.runtime.settings
            consumer = create_consumer(s.kafka_bootstrap, s.consumer_group, ASSIGNED, INVENTORY)
            await consumer.start()
            try:
                await self._consume(consumer)
            except Exception:
                log.exception("projector failed; restarting from committed offsets")
                await asyncio.sleep(1.0)
            finally:
                await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        s = self.runtime.settings
        next_sweep = next_level = time.monotonic()
        while not self.runtime.stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=1000)
            records = [r for rs in batches.values() for r in rs]
            if records:
                await self.handle(records)
                await consumer.commit()
            if time.monotonic() >= next_sweep:
                await self._sweep(consumer)
                next_sweep = time.monotonic() + s.expiry_sweep_interval_seconds
            if time.monotonic() >= next_level:
                await self._publish_stock_levels(consumer)
                next_level = time.monotonic() + s.stock_level_interval_seconds

    async def handle(self, records: Sequence[Record]) -> None:
        by_pool: dict[str, list[Delivered]] = defaultdict(list)
        foreign: set[str] = set()
        for index, record in enumerate(records):
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # parsing is CPU: let HTTP requests in between
            key = record.key.decode(errors="replace") if record.key else None
            if key is not None and not await self._is_ours(key, foreign):
                continue  # another deployment's pool (records are keyed by pool_id): not even parsed
            try:
                event = parse_event(record.value)
            except InvalidEventError as exc:
                await dead_letter(self.runtime.producer, record, str(exc), CONSUMER_NAME)
                continue
            pool_id = getattr(event.data, "pool_id", None)
            if pool_id and await self._is_ours(pool_id, foreign):
                by_pool[pool_id].append(Delivered(record.topic, record.partition, record.offset, event))
        await self._project(by_pool)

    async def _project(self, by_pool: dict[str, list[Delivered]]) -> None:
        """Project every pool's records; a busy database is waited out here, not by restarting.

        Restarting the consumer would rejoin the group and redo the batch; projecting
        again in place is the same redo (projection is idempotent) without the rejoin.
        """
        for attempt in range(BUSY_RETRIES + 1):
            try:
                await asyncio.gather(*(project(self.runtime.store, p, ds) for p, ds in by_pool.items()))
                return
            except OperationFailure as exc:
                if attempt == BUSY_RETRIES or BUSY_DATABASE not in str(exc):
                    raise
                log.warning("database busy while projecting (attempt %d); trying again", attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)

    async def _is_ours(self, pool_id: str, foreign: set[str]) -> bool:
        # Events of pools this deployment's database never held (another test database,
        # a foreign producer) are not projected. A pool is written before its first
        # event, so "known" is cached for good and "foreign" for the current batch.
        if pool_id in self._known_pools:
            return True
        if pool_id in foreign or await self.runtime.store.get(POOLS, pool_id) is None:
            foreign.add(pool_id)
            return False
        self._known_pools.add(pool_id)
        return True

    async def _owned_pools(self, consumer: AIOKafkaConsumer) -> list[str]:
        partitions = {tp.partition for tp in consumer.assignment() if tp.topic == INVENTORY}
        pools, _ = await self.runtime.pool_list.snapshot()
        return [p.id for p in pools if partition_of(p.id) in partitions]

    async def _sweep(self, consumer: AIOKafkaConsumer) -> None:
        due = await due_pools(self.runtime.store, set(await self._owned_pools(consumer)))
        for pool_id, buckets in due.items():
            expired = await sweep_pool(self.runtime.store, pool_id, buckets)
            if expired:
                log.info("pool %s: %d coupons expired", pool_id, expired)

    async def _publish_stock_levels(self, consumer: AIOKafkaConsumer) -> None:
        counts = await PoolRepository(self.runtime.store).all_counts()
        items = []
        for pool_id in await self._owned_pools(consumer):
            c = counts.get(pool_id, PoolCounts()).shown()
            data = StockLevelData(pool_id=pool_id, active=c.active, assigned=c.assigned, expired=c.expired)
            items.append((INVENTORY, pool_id, StockLevel(data=data)))
        if items:
            await publish_many(self.runtime.producer, items)
