"""Serve the dashboard in front of a running pool-service, same-origin, for browser tests.

Until pool-service mounts ``dashboard_router()`` itself, tests serve the page from
here and forward ``/v1/...`` to the real pool-service subprocess, exactly as a
reverse proxy in front of the service would. Nothing is faked: every API call
reaches the real service, and an unreachable service answers 502 like a gateway.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from pool_service.dashboard import dashboard_router

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length"}
DASHBOARD_MARKER = b'content="coupon-dashboard"'


def serves_dashboard(base_url: str) -> bool:
    """Whether pool-service already answers ``/`` with the dashboard."""
    try:
        return DASHBOARD_MARKER in httpx.get(base_url + "/", timeout=5).content
    except httpx.HTTPError:
        return False


def proxy_app(upstream: str) -> FastAPI:
    app = FastAPI(openapi_url=None)
    app.include_router(dashboard_router())
    client = httpx.AsyncClient(base_url=upstream, timeout=60)

    @app.api_route("/v1/{path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def forward(path: str, request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        outgoing = client.build_request(
            request.method, f"/v1/{path}", params=request.query_params, headers=headers, content=await request.body()
        )
        try:
            answer = await client.send(outgoing, stream=True)
        except httpx.TransportError:
            return Response(status_code=502, content=b"pool-service unreachable")
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        return StreamingResponse(
            answer.aiter_raw(), status_code=answer.status_code, headers=kept, background=BackgroundTask(answer.aclose)
        )

    return app


@contextmanager
def dashboard_host(upstream: str, port: int) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(proxy_app(upstream), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("the dashboard host did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
