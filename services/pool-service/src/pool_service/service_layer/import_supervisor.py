"""Runs imports in the background: new ones at once, and any whose owner died (restart, other replica)."""

import asyncio
import logging

from pool_service.adapters.store import IMPORTS, Store
from pool_service.service_layer.import_job import JobSettings, claim_stale_import, run_import

log = logging.getLogger(__name__)


class ImportSupervisor:
    def __init__(self, store: Store, settings: JobSettings, lease_seconds: float) -> None:
        self._store = store
        self._settings = settings
        self._lease_seconds = lease_seconds
        self._running: dict[str, asyncio.Task[None]] = {}

    def start(self, import_id: str, epoch: int) -> None:
        if import_id in self._running:
            return
        task = asyncio.create_task(self._run(import_id, epoch), name=f"import-{import_id}")
        self._running[import_id] = task

    async def _run(self, import_id: str, epoch: int) -> None:
        try:
            await run_import(self._store, import_id, epoch, self._settings)
        except Exception:
            # Left as is: its lease goes stale and the next poll (here or elsewhere) resumes it.
            log.exception("import %s stopped; it will be resumed", import_id)
        finally:
            self._running.pop(import_id, None)

    async def resume_stale(self) -> None:
        async for doc in self._store.stream(IMPORTS):
            if doc["_id"] in self._running:
                continue
            epoch = await claim_stale_import(self._store, doc, self._lease_seconds)
            if epoch is not None:
                log.info("resuming import %s (epoch %s)", doc["_id"], epoch)
                self.start(doc["_id"], epoch)

    async def stop(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)
