"""``POST /v1/pools/{pool_id}/claims`` answered before FastAPI's routing, for well-formed claims.

Why: FastAPI's handling of a request (its middleware, routing, dependency solving
and response model) cost as much of the replica's CPU as the claim itself, ~0.3 ms a
claim, and the claims of a batch are parsed and answered one after another on the
event loop, so it also lengthened every batch's round (ARCHITECTURE.md, session 7).

Only a claim that is plainly well formed is answered here: a JSON body of a declared
length within the limit, a key whose role may claim, an ``Idempotency-Key`` of
allowed length and a body ``ClaimCreate`` accepts. Anything else goes on to the
FastAPI route unchanged (its body replayed), which answers it as every other route
answers bad input. Both paths decide through ``http.submit_claim``.
"""

import logging
import re

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assignment_service.entrypoints.http import IDEMPOTENCY_KEY_MAX, ClaimCreate, submit_claim
from coupon_shared.auth import ADMIN_OR_STOREFRONT, ApiKeyAuthenticator, token_in
from coupon_shared.problems import ProblemError, response_to, unexpected_error_response

log = logging.getLogger(__name__)

CLAIM_PATH = re.compile(r"/v1/pools/([^/]+)/claims")
MAY_CLAIM = {role.value for role in ADMIN_OR_STOREFRONT}  # the roles of the route's AdminOrStorefront


class ClaimFastPath:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = CLAIM_PATH.fullmatch(scope["path"]) if scope["type"] == "http" else None
        if found is None or scope["method"] != "POST":
            await self._app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if not length.isdigit() or int(length) > self._max_bytes or not self._may_claim(scope, headers):
            await self._app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away before its claim was whole: nothing to decide or answer
        key = headers.get(b"idempotency-key")
        claim = _well_formed(body, headers.get(b"content-type", b""), key)
        if claim is None:
            await self._app(scope, _replaying(body, receive), send)
            return
        idempotency_key = None if key is None else key.decode("latin-1")
        try:
            response = await submit_claim(scope["app"].state.claims, found[1], claim, idempotency_key)
        except ProblemError as problem:
            response = response_to(problem, scope["path"])
        except Exception:
            # As FastAPI's handler for the unexpected would: logged, and answered as a problem.
            log.exception("claim failed")
            response = unexpected_error_response(scope["path"])
        await response(scope, receive, send)

    @staticmethod
    def _may_claim(scope: Scope, headers: dict[bytes, bytes]) -> bool:
        token = token_in(headers.get(b"authorization", b"").decode("latin-1"))
        authenticator: ApiKeyAuthenticator = scope["app"].state.authenticator
        return token is not None and authenticator.role_of(token) in MAY_CLAIM


def _well_formed(body: bytes, content_type: bytes, key: bytes | None) -> ClaimCreate | None:
    if content_type.split(b";")[0].strip().lower() != b"application/json":
        return None
    if key is not None and (not key or len(key) > IDEMPOTENCY_KEY_MAX):  # latin-1: a byte a character
        return None
    try:
        return ClaimCreate.model_validate_json(body)
    except ValidationError:
        return None


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read already, then whatever comes next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
