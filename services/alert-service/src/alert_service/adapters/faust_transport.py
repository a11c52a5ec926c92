"""faust's Kafka transport, with a consumer that loses no record on a rebalance and does not stall.

After a rebalance faust resumes the stream partitions, drops whatever is
fetched while its flow is still stopped, and then seeks every partition back to
its committed offset to read that again (``Recovery._resume_streams``,
``Consumer.getmany``). aiokafka's ``seek_to_committed`` leaves a partition that
has no committed offset (or offset 0) where the fetcher left it, so the records
fetched and dropped there were never read: a pool created in a partition the
group had not committed yet stayed unknown to the worker that owned it
(tests/integration/alert_service/test_two_workers.py, 3 failures in 7 runs).

Such a partition is rewound to its start, which is what the app's
``consumer_auto_offset_reset="earliest"`` asks for. A record read twice is
skipped by the handlers' offset marks.

faust also fixes aiokafka's ``fetch_max_wait_ms`` at 1,500 ms. aiokafka leaves
out of a fetch request every partition whose records are still buffered, and
sends no second request to a broker while one is in flight. Under load the busy
``coupon.assigned`` partitions were so often left out, and the request, holding
only idle partitions (inventory, alerts, standby changelogs), waited the full
1.5 s at the broker while assignments piled up: batches came in bursts ~1.8 s
apart and a crossing waited 1.1 s (p50) at 1,000 events/s. A short wait costs
a few empty fetch round trips a second when idle.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

FETCH_MAX_WAIT_MS = 100


class ShortFetchWaitThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: faust_aiokafka.Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when the consumer starts its fetcher
        return consumer


class RewindingConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return ShortFetchWaitThread(self, loop=self.loop, beacon=self.beacon)

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed: Mapping[TP, int] = await super().seek_to_committed()
        changelogs = self.app.tables.changelog_topics
        never_committed = [tp for tp, offset in committed.items() if not offset and tp.topic not in changelogs]
        if never_committed:
            names = ", ".join(sorted(f"{tp.topic}/{tp.partition}" for tp in never_committed))
            self.log.info("no committed offset, reading from the start: %s", names)
            await self._thread.seek_to_beginning(*never_committed)
        return committed


class RewindingTransport(faust_aiokafka.Transport):
    Consumer: ClassVar[Any] = RewindingConsumer
