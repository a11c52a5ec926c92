"""Background loops of the service: the outbox relay and the import supervisor's poll."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from pool_service.adapters.outbox import relay_once
from pool_service.bootstrap import Runtime

log = logging.getLogger(__name__)


async def every(interval: float, stop: asyncio.Event, step: Callable[[], Awaitable[object]], name: str) -> None:
    """Run ``step`` until ``stop``; an error is logged and retried on the next tick, never fatal."""
    while not stop.is_set():
        try:
            await step()
        except Exception:
            log.exception("%s failed; retrying", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def relay_outbox(runtime: Runtime) -> None:
    # Drain everything waiting before sleeping again.
    while await relay_once(runtime.store, runtime.producer) > 0:
        pass
