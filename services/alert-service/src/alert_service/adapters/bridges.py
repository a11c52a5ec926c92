"""Bridges to people: a Slack incoming webhook and email over SMTP.

Neither the webhook URL nor the SMTP password ever reaches a log line or an
error message: they are SecretStr until the moment of use, errors are worded
here rather than passed through (httpx's own messages name the URL), and
httpx's request logging is silenced.
"""

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

import httpx
from pydantic import SecretStr

from alert_service.domain.notification import email_content, slack_message
from coupon_shared.events import PoolAlertData

# httpx logs every request line at INFO, URL included: the URL is the secret.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


class DeliveryError(Exception):
    """A delivery attempt failed; the message is safe to log and to dead-letter."""


class Channel(Protocol):
    name: str

    async def deliver(self, alert: PoolAlertData) -> None: ...


class SlackWebhook:
    name = "slack"

    def __init__(self, url: SecretStr, timeout: float) -> None:
        self._url = url
        self._timeout = timeout
        # One client for the process: building one loads the CA bundle, which
        # cost more CPU than everything else the worker does (profiled).
        self._client: httpx.AsyncClient | None = None

    async def deliver(self, alert: PoolAlertData) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await self._client.post(self._url.get_secret_value(), json=slack_message(alert))
        except httpx.TimeoutException:
            raise DeliveryError(f"slack webhook timed out after {self._timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"slack webhook unreachable ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise DeliveryError(f"slack webhook answered HTTP {response.status_code}")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


class SmtpSettings(Protocol):
    smtp_host: str | None
    smtp_port: int
    smtp_username: str | None
    smtp_password: SecretStr | None
    smtp_starttls: bool
    email_from: str
    email_to: str


class SmtpMailer:
    name = "email"

    def __init__(self, settings: SmtpSettings, timeout: float) -> None:
        assert settings.smtp_host
        self._settings = settings
        self._host = settings.smtp_host
        self._recipients = [r.strip() for r in settings.email_to.split(",") if r.strip()]
        self._timeout = timeout

    async def deliver(self, alert: PoolAlertData) -> None:
        message = self._message(alert)
        try:
            await asyncio.to_thread(self._send, message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"smtp {self._host}:{self._settings.smtp_port} refused: {_smtp_reason(exc)}") from None

    def _message(self, alert: PoolAlertData) -> EmailMessage:
        content = email_content(alert)
        message = EmailMessage()
        message["Subject"] = content.subject
        message["From"] = self._settings.email_from
        message["To"] = ", ".join(self._recipients)
        message["Message-ID"] = f"<{alert.alert_id}@coupon-pools>"
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        return message

    def _send(self, message: EmailMessage) -> None:
        s = self._settings
        with smtplib.SMTP(self._host, s.smtp_port, timeout=self._timeout) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message, to_addrs=self._recipients)


def _smtp_reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {text[:200]}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient was refused"
    return type(exc).__name__
