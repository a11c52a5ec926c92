"""A faust table whose changelog writes an agent waits for before acknowledging its records.

faust sends a table change through its producer buffer, and commits source
offsets after a buffer flush that returns once the buffer has been idle for
0.1 s (``ProducerBuffer.flush_atmost``), with changes still queued. On a
rebalance it even commits before that flush. On a loaded machine a commit could
so cover a record whose state change had not reached the broker, and the
partition's next owner would recover the pool without it (found by reading
faust's commit path, not seen in a test).

Awaiting the changelog futures of a batch before the batch is acknowledged puts
every state change in the changelog before its source offset can be committed.
"""

import asyncio
from typing import Any

import faust
from faust.types import CodecArg, FutureMessage


class DurableTable(faust.Table[Any, Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unconfirmed: list[FutureMessage] = []

    def send_changelog(
        self,
        partition: int | None,
        key: Any,
        value: Any,
        key_serializer: CodecArg | None = None,
        value_serializer: CodecArg | None = None,
    ) -> FutureMessage:
        sent = super().send_changelog(partition, key, value, key_serializer, value_serializer)
        self._unconfirmed.append(sent)
        return sent

    async def changes_stored(self) -> None:
        """Wait until the broker has every change made so far (raises if one failed)."""
        unconfirmed, self._unconfirmed = self._unconfirmed, []
        await asyncio.gather(*unconfirmed)
