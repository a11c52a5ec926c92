"""Serve the FastAPI app with uvicorn as a service of the faust worker (same event loop)."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Generator, Sequence

import mode
import uvicorn
from fastapi import FastAPI


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The faust worker owns SIGTERM/SIGINT and stops this service itself.
        yield


class HttpServer(mode.Service):
    def __init__(
        self, api: FastAPI, host: str, port: int, on_stopped: Sequence[Callable[[], Awaitable[None]]] = ()
    ) -> None:
        super().__init__()
        config = uvicorn.Config(api, host=host, port=port, log_level="warning", lifespan="off")
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None
        self._on_stopped = list(on_stopped)

    async def on_start(self) -> None:
        self._task = asyncio.create_task(self._server.serve())

    async def on_stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        for close in self._on_stopped:
            await close()
