"""Real local endpoints for the bridges: a Slack-like webhook receiver and an SMTP server (aiosmtpd).

Both misbehave on request, chosen by the pool name inside the alert so that
tests sharing one worker can each pick their failure: a pool named with
``slack-500`` gets HTTP 500, ``slack-slow`` gets no answer in time,
``smtp-refuse`` gets an SMTP 554.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.stack import free_port


@dataclass
class SlackReceiver:
    port: int = field(default_factory=free_port)
    secret: str = field(default_factory=lambda: uuid.uuid4().hex)
    messages: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[tuple[float, str]] = field(default_factory=list)
    slow_seconds: float = 3.0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T000/B000/{self.secret}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/services/T000/B000/{secret}", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        text = str(body.get("text", ""))
        self.attempts.append((time.monotonic(), text))
        if request.match_info["secret"] != self.secret:
            return web.Response(status=404, text="no_service")
        if "slack-500" in text:
            return web.Response(status=500, text="internal_error")
        if "slack-slow" in text:
            await asyncio.sleep(self.slow_seconds)
        self.messages.append(body)
        return web.Response(text="ok")

    def texts_about(self, needle: str) -> list[str]:
        return [str(m["text"]) for m in self.messages if needle in str(m["text"])]

    def attempts_about(self, needle: str) -> int:
        return sum(1 for _, text in self.attempts if needle in text)


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        if "smtp-refuse" in str(message["Subject"]):
            self.refused += 1
            return "554 5.7.1 refused by policy"
        self.messages.append(message)
        return "250 OK"


class SmtpReceiver:
    """Accepts AUTH LOGIN/PLAIN without TLS (loopback only) and records who logged in."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = _Mailbox()
        self.logins: list[tuple[str, str]] = []
        self._controller = Controller(
            self.mailbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def about(self, needle: str) -> list[Message]:
        return [m for m in self.mailbox.messages if needle in str(m["Subject"])]
