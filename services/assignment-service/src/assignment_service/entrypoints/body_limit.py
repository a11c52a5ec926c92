"""Refuse oversized bodies before anything reads them.

A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` (``app.middleware("http")``)
wraps every request and response in extra tasks and streams, which measurably cut
the claim endpoint's rate on this machine.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from coupon_shared.problems import problem_response


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self._max_bytes):
                detail = f"Bodies are limited to {self._max_bytes} bytes"
                response = problem_response(413, "payload-too-large", detail, scope["path"])
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)
