"""Claims as the entrypoints see them: decided in batches, asked again while deferred.

HTTP requests are micro-batched: each waits on a future while a batcher hands the
claims queued meanwhile to the engine as one batch, so a burst costs one bulk
insert per step instead of one per request.
"""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from assignment_service.domain.claim import Answer, Conflict, Deferred, Result
from assignment_service.domain.model import ClaimRequest, Rejection
from assignment_service.service_layer.engine import ClaimEngine
from assignment_service.service_layer.ports import OutcomePublisher

log = logging.getLogger(__name__)

Final = Answer | Conflict
RETRY_SECONDS = 0.05
# One batch deciding, the ones before it publishing and storing their outcomes.
BATCHES_IN_FLIGHT = 4


class ClaimTimeoutError(RuntimeError):
    """Another replica did not finish the email's earlier claim in time."""


@dataclass
class _Waiting:
    request: ClaimRequest
    future: "asyncio.Future[Final]"
    deadline: float


class ClaimService:
    def __init__(
        self,
        engine: ClaimEngine,
        publisher: OutcomePublisher,
        *,
        batch_window: float = 0.005,
        max_batch: int = 1000,
        wait_for_holder: float = 30.0,
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._batch_window = batch_window
        self._max_batch = max_batch
        self._wait_for_holder = wait_for_holder
        self._queue: asyncio.Queue[_Waiting] = asyncio.Queue()

    async def decide(self, requests: Sequence[ClaimRequest]) -> list[Final]:
        """Decide a batch (the Kafka path): returns once every request has its final answer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_for_holder
        answers: dict[str, Final] = {}
        pending = list(requests)
        while pending:
            results = await self._engine.claim(pending)
            answers.update({r.request_id: res for r, res in zip(pending, results, strict=True) if _final(res)})
            pending = [r for r in pending if r.request_id not in answers]
            if pending and loop.time() > deadline:
                raise ClaimTimeoutError(f"{len(pending)} claims still waiting for another replica")
            if pending:
                await asyncio.sleep(RETRY_SECONDS)
        return [answers[r.request_id] for r in requests]

    async def reject_invalid(self, rejections: Sequence[Rejection]) -> None:
        """Invalid requests are answered at once; their event_id still derives from the request_id."""
        await self._publisher.publish(rejections)

    async def submit(self, request: ClaimRequest) -> Final:
        """One HTTP claim: joins the next batch and waits for its answer."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(request, loop.create_future(), loop.time() + self._wait_for_holder)
        self._queue.put_nowait(waiting)
        return await waiting.future

    async def run_batcher(self) -> None:
        """Decide HTTP claims in batches, the next formed once the one before it is decided.

        Every claim that arrived while a batch was deciding joins the next one, so a claim
        waits for at most the decide under way and its own. (Formed as soon as a batch place
        was free, a batch then waited for the engine's lock while later claims queued behind
        it: up to three decides.) Batches start at least ``batch_window`` apart: a claim
        alone after a pause is decided at once, and under a steady trickle each batch takes
        the claims of a whole window instead of one or two — every batch costs the same
        round trips, and on a shared machine those round trips are the latency's tail.
        A decided batch publishes and stores its outcomes while the next ones decide; at
        most ``BATCHES_IN_FLIGHT`` batches are in flight, so a slow store holds the next
        claims back in the queue.
        """
        loop = asyncio.get_running_loop()
        in_flight = asyncio.Semaphore(BATCHES_IN_FLIGHT)
        running: set[asyncio.Task[None]] = set()
        last_start = loop.time() - self._batch_window
        try:
            while True:
                first = await self._queue.get()
                await asyncio.sleep(max(0.0, last_start + self._batch_window - loop.time()))
                await in_flight.acquire()
                last_start = loop.time()
                batch = [first]
                while not self._queue.empty() and len(batch) < self._max_batch:
                    batch.append(self._queue.get_nowait())
                decided: asyncio.Future[None] = loop.create_future()
                task = asyncio.create_task(self._run_batch([w for w in batch if not w.future.done()], decided))
                running.add(task)
                task.add_done_callback(running.discard)
                task.add_done_callback(lambda _: in_flight.release())
                await asyncio.wait((task, decided), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in running:
                task.cancel()

    async def _run_batch(self, batch: list[_Waiting], decided: "asyncio.Future[None]") -> None:
        # A request_id twice in one batch: the first is decided first, the repeat answered at the end.
        waiting: dict[str, _Waiting] = {}
        for w in batch:
            waiting.setdefault(w.request.request_id, w)

        def answer_decided(results: Mapping[str, Result]) -> None:
            # Answered once decided: publishing and storing the outcomes need not hold the client up.
            if not decided.done():
                decided.set_result(None)
            for request_id, result in results.items():
                if _final(result) and (w := waiting.get(request_id)) and not w.future.done():
                    w.future.set_result(result)

        try:
            results = await self._engine.claim([w.request for w in batch], answer_decided)
        except Exception as exc:
            log.exception("claim batch failed")
            for w in batch:
                if not w.future.done():
                    w.future.set_exception(exc)
            return
        self._resolve(batch, results)

    def _resolve(self, batch: list[_Waiting], results: list[Result]) -> None:
        loop = asyncio.get_running_loop()
        for waiting, result in zip(batch, results, strict=True):
            if waiting.future.done():
                continue
            if _final(result):
                waiting.future.set_result(result)
            elif loop.time() > waiting.deadline:
                waiting.future.set_exception(ClaimTimeoutError("the email's earlier claim is still being decided"))
            else:
                loop.call_later(RETRY_SECONDS, self._queue.put_nowait, waiting)


def _final(result: Result) -> TypeGuard[Final]:
    return not isinstance(result, Deferred)
