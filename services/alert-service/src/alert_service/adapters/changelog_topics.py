"""Create the tables' changelog topics before the worker joins its group.

faust creates them itself, but a group join that races the creation can take a
metadata snapshot in which a changelog has 0 partitions; the first write to that
table then fails with PartitionsMismatch until the next rebalance (seen on Kafka
4.0.2 with faust-streaming 0.15.3). Creating them first closes the race.
"""

import contextlib
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

# Compacted, with segments that roll every 10 minutes: the log cleaner can only
# compact closed segments, and a restart replays the whole uncompacted tail, so
# this keeps recovery proportional to the number of pools rather than of events.
CHANGELOG_CONFIG = {"cleanup.policy": "compact", "segment.ms": "600000", "min.cleanable.dirty.ratio": "0.2"}


async def ensure_changelog_topics(bootstrap: str, names: Iterable[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="alert-service-setup")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, partitions, 1, topic_configs=CHANGELOG_CONFIG) for name in names if name not in existing
        ]
        if missing:
            # Another replica of the worker may have created them first.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()
