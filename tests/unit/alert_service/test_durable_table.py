"""An agent can wait until the broker has every table change it made (faust's flush may give up early)."""

import asyncio
from typing import Any

import faust
import pytest

from alert_service.adapters.durable_table import DurableTable


@pytest.fixture
def table_and_sends(monkeypatch: pytest.MonkeyPatch) -> tuple[DurableTable, list[asyncio.Future[None]]]:
    """A table whose changelog sends are futures the test settles, standing in for the broker's acks."""
    sends: list[asyncio.Future[None]] = []

    def record_send(self: Any, *args: Any, **kwargs: Any) -> asyncio.Future[None]:
        sends.append(asyncio.get_running_loop().create_future())
        return sends[-1]

    monkeypatch.setattr(faust.Table, "send_changelog", record_send)
    app = faust.App("durable-table-test", broker="kafka://127.0.0.1:9")
    table = DurableTable(app, name="pool-state", default=None, beacon=app.tables.beacon, partitions=1)
    return table, sends


async def test_changes_stored_returns_only_when_every_change_is_acknowledged(
    table_and_sends: tuple[DurableTable, list[asyncio.Future[None]]],
) -> None:
    table, sends = table_and_sends
    table.send_changelog(None, b"pool-a", {"active": 1})
    table.send_changelog(None, b"pool-b", {"active": 2})

    waiting = asyncio.ensure_future(table.changes_stored())
    sends[0].set_result(None)
    await asyncio.sleep(0.01)
    assert not waiting.done(), "returned before the second change was acknowledged"
    sends[1].set_result(None)
    await asyncio.wait_for(waiting, timeout=1)

    await asyncio.wait_for(table.changes_stored(), timeout=1)  # nothing new: returns at once


async def test_a_failed_change_is_raised_so_the_batch_is_not_acknowledged(
    table_and_sends: tuple[DurableTable, list[asyncio.Future[None]]],
) -> None:
    table, sends = table_and_sends
    table.send_changelog(None, b"pool-a", {"active": 1})
    sends[0].set_exception(ConnectionError("broker gone"))
    with pytest.raises(ConnectionError):
        await table.changes_stored()
