"""The faust app: topics, tables and the two agents. Thin: rules live in the service layer.

- ``follow_pools`` reads coupon.assigned + coupon.inventory (raw bytes, parsed
  here so a bad record is dead-lettered and the agent goes on) in batches, keeps
  each pool's state in the ``pool-state`` table and publishes PoolAlerts.
- ``deliver_alerts`` reads coupon.alerts, keeps the recent alerts per pool and
  hands each alert once to every configured bridge.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import faust

from alert_service.adapters.bridges import Channel
from alert_service.adapters.durable_table import DurableTable
from alert_service.adapters.faust_transport import RewindingTransport
from alert_service.adapters.kafka_publisher import KafkaPublisher, SourceRecord
from alert_service.domain.clock import Clock
from alert_service.domain.pool_state import PoolState
from alert_service.service_layer.delivery import RetryPolicy, deliver_with_retries
from alert_service.service_layer.pool_events import PoolRecord, apply_events, read_pool_event, to_pool_alert
from alert_service.service_layer.recent_alerts import remember_alert
from alert_service.settings import AlertServiceSettings
from coupon_shared import topics
from coupon_shared.events import InvalidEventError, PoolAlert, parse_event

log = logging.getLogger(__name__)

HANDLER_ATTEMPTS = 3


def create_faust_app(settings: AlertServiceSettings) -> faust.App:
    quiet_client_libraries(settings.log_level)
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store=settings.table_store,
        datadir=str(settings.state_dir / "faust"),
        topic_partitions=topics.PARTITIONS,
        topic_replication_factor=1,
        processing_guarantee=settings.processing_guarantee,
        web_enabled=settings.faust_web_enabled,
        web_port=settings.faust_web_port,
        web_host=settings.http_host,
        # What faust's partition assignor tells the other workers about this one:
        # the forecast API's address, so a forecast can be forwarded to the owner.
        canonical_url=settings.api_url,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        # Changelog writes (one per event) and alerts ride in shared batches.
        producer_linger=settings.producer_linger_seconds,
        broker_session_timeout=settings.kafka_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.kafka_session_timeout_seconds / 3),
    )
    app.transport = RewindingTransport(app.conf.broker_consumer, app)
    return app


def quiet_client_libraries(level: str) -> None:
    """Give the client libraries' loggers the service's level.

    The worker configures the root logger only at its handler, so every debug
    call of aiokafka and faust (several per record) built a record just to drop
    it: a tenth of the worker's CPU under load (profiled).
    """
    for name in ("aiokafka", "faust", "mode"):
        logging.getLogger(name).setLevel(level.upper())


class AlertWorker:
    """Declares the tables and agents on ``app`` and holds what the API reads."""

    def __init__(
        self, app: faust.App, settings: AlertServiceSettings, clock: Clock, channels: Sequence[Channel]
    ) -> None:
        self.app = app
        self.clock = clock
        self._settings = settings
        self._channels = list(channels)
        self._retry = RetryPolicy(settings.delivery_attempts, settings.delivery_backoff_seconds)
        self.pools = self._pool_keyed_table("pool-state")
        self.recent_alerts = self._table("recent-alerts")
        self.deliveries = self._table("deliveries")
        self._declare_agents()

    def _table(self, name: str) -> Any:
        schema: Any = faust.Schema(key_type=str, key_serializer="json", value_serializer="json")
        return self._add_table(name, schema=schema)

    def _add_table(self, name: str, **options: Any) -> Any:
        table = DurableTable(
            self.app, name=name, default=None, beacon=self.app.tables.beacon, partitions=topics.PARTITIONS, **options
        )
        return self.app.tables.add(table)

    def _pool_keyed_table(self, name: str) -> Any:
        """A table written for many pools per batch, outside the record that changed them.

        faust would put a change in the changelog partition of the stream's
        current record, which in a batch may belong to another pool. Keyed by the
        raw pool id and partitioned by the producer's partitioner instead, a
        pool's state lands in the partition its input records are keyed to
        (both use murmur2 of the pool id's bytes), so recovery and rebalances
        keep a pool's state with the worker that owns the pool. faust derives
        the changelog's key serializer from the key type: bytes keys stay raw.
        """
        schema: Any = faust.Schema(key_type=bytes, key_serializer="raw", value_serializer="json")
        return self._add_table(name, key_type=bytes, schema=schema, use_partitioner=True)

    def changelog_topic_names(self) -> list[str]:
        return [table.changelog_topic_name for table in (self.pools, self.recent_alerts, self.deliveries)]

    @property
    def publisher(self) -> KafkaPublisher:
        return KafkaPublisher(self.app.producer, self._settings.app_id)

    def owner_url(self, pool_id: str) -> str | None:
        """The API of the worker holding ``pool_id``'s state, when that is another worker.

        None when it is this one, or when it cannot be told yet (no assignment
        between rebalances: KeyError; the producer's metadata not loaded at
        start: TypeError): then this worker answers with what it has.
        """
        try:
            owner = str(self.app.router.key_store(self.pools.name, pool_id.encode()))
        except (KeyError, TypeError):
            return None
        return None if owner.rstrip("/") == str(self.app.conf.canonical_url).rstrip("/") else owner

    def pool_state(self, pool_id: str) -> PoolState | None:
        stored = self.pools.get(pool_id.encode())
        return PoolState.model_validate(stored) if stored else None

    def _declare_agents(self) -> None:
        inputs = self.app.topic(topics.ASSIGNED, topics.INVENTORY, key_serializer="raw", value_serializer="raw")
        alerts = self.app.topic(topics.ALERTS, key_serializer="raw", value_serializer="raw")

        @self.app.agent(inputs, name="follow-pools")
        async def follow_pools(stream: Any) -> None:
            await self._learn_changelog_partitions()
            batches = stream.take_events(self._settings.batch_max_records, self._settings.batch_max_wait_seconds)
            async for events in batches:
                await self.on_pool_records([event.message for event in events])
                await self.pools.changes_stored()  # before take_events acknowledges the batch

        @self.app.agent(alerts, name="deliver-alerts", concurrency=self._settings.delivery_concurrency)
        async def deliver_alerts(stream: Any) -> None:
            async for event in stream.events():
                await self._guarded(self.on_alert_record, event.message)
                await self.recent_alerts.changes_stored()
                await self.deliveries.changes_stored()

    async def _learn_changelog_partitions(self) -> None:
        """Wait until the producer's metadata lists the pool-state changelog.

        A ``use_partitioner`` table picks a change's partition synchronously from
        the producer's metadata, which need not list a topic created moments
        before the worker started (seen on a loaded machine: every table write
        failed). aiokafka's ``partitions_for`` waits for that metadata.
        """
        producer: Any = self.app.producer  # the aiokafka driver's Producer
        await producer._ensure_producer().partitions_for(self.pools.changelog_topic_name)

    async def _guarded(self, handle: Any, record: SourceRecord) -> None:
        """A record that breaks the handler is parked, never allowed to stop the agent.

        Any other failure (a broker timeout while publishing, say) is retried
        first: handlers write their table only at the end and alert ids are
        deterministic, so running one again is safe.
        """
        failure = "not attempted"
        for attempt in range(1, HANDLER_ATTEMPTS + 1):
            try:
                await handle(record)
                return
            except InvalidEventError as exc:
                await self.publisher.dead_letter(record, str(exc))
                return
            except Exception as exc:
                log.exception("attempt %d failed on %s/%s@%s", attempt, record.topic, record.partition, record.offset)
                failure = f"internal error: {type(exc).__name__}: {exc}"
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
        await self.publisher.dead_letter(record, failure)

    async def on_pool_records(self, records: Sequence[SourceRecord]) -> None:
        """One batch: bad records parked, then each pool's records applied together.

        Pools are independent, so their alerts are published concurrently.
        """
        by_pool: dict[str, list[tuple[SourceRecord, PoolRecord]]] = {}
        for record in records:
            try:
                event = read_pool_event(record.topic, record.key, record.value)
            except InvalidEventError as exc:
                await self.publisher.dead_letter(record, str(exc))
                continue
            by_pool.setdefault(event.data.pool_id, []).append((record, PoolRecord(event, record.topic, record.offset)))
        await asyncio.gather(*(self._follow_pool(pool_id, items) for pool_id, items in by_pool.items()))
        log.debug("batch of %d records applied to %d pools", len(records), len(by_pool))

    async def _follow_pool(self, pool_id: str, items: list[tuple[SourceRecord, PoolRecord]]) -> None:
        try:
            await self._apply_to_pool(pool_id, [pool_record for _, pool_record in items])
        except Exception:
            # Find the record that breaks it: one at a time, each retried and
            # parked on its own. What was applied is skipped by its offset mark.
            log.exception("pool %s: batch of %d records failed, applying them one by one", pool_id, len(items))
            for record, _ in items:
                await self._guarded(self.on_pool_record, record)

    async def _apply_to_pool(self, pool_id: str, records: Sequence[PoolRecord]) -> None:
        applied = apply_events(self.pool_state(pool_id), records, self.clock.now())
        if applied.duplicate:
            return
        for alert in applied.alerts:
            await self.publisher.publish_alert(to_pool_alert(alert))
            log.info("pool %s: %s alert %s raised", pool_id, alert.kind, alert.alert_id)
        self.pools[pool_id.encode()] = applied.state.model_dump(mode="json")

    async def on_pool_record(self, record: SourceRecord) -> None:
        event = read_pool_event(record.topic, record.key, record.value)
        await self._apply_to_pool(event.data.pool_id, [PoolRecord(event, record.topic, record.offset)])

    async def on_alert_record(self, record: SourceRecord) -> None:
        event = parse_event(record.value)
        if not isinstance(event, PoolAlert):
            raise InvalidEventError(f"unexpected event type {event.type!r} on {record.topic}")
        alert = event.data
        recent = remember_alert(self.recent_alerts.get(alert.pool_id) or [], alert, self._settings.recent_alerts_kept)
        if recent is not None:
            self.recent_alerts[alert.pool_id] = recent
        for channel in self._channels:
            await self._deliver_once(channel, record, event)

    async def _deliver_once(self, channel: Channel, record: SourceRecord, event: PoolAlert) -> None:
        mark = f"{event.data.alert_id}:{channel.name}"
        if self.deliveries.get(mark):
            return
        failure = await deliver_with_retries(channel, event.data, self._retry)
        if failure is not None:
            await self.publisher.dead_letter(record, failure)
        self.deliveries[mark] = "failed" if failure else "delivered"
